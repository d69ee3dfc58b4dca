package admin

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/notify"
)

// Tab names one admin page.
type Tab string

// Admin pages.
const (
	TabUsers  Tab = "users"
	TabTokens Tab = "tokens"
	TabAudit  Tab = "audit"
)

// Users is the users page: every account, a form to add one, and,
// right after an account was created or its password reset, the one-time
// password.
type Users struct {
	Users []auth.User
	// Self is the id of the admin looking, whose row says "you".
	Self int64
	Form NewUserForm
	// Issued is shown once and never stored in plain text.
	Issued *IssuedPassword
	// CopyJS is the URL of the script behind the copy button.
	CopyJS string
}

// NewUserForm is the add-user form as typed, with a message per field.
type NewUserForm struct {
	Email  string
	Role   string
	Errors map[string]string
}

// IssuedPassword is a generated password to hand to its user.
type IssuedPassword struct {
	Email    string
	Role     string
	Password string
	// Reset is set when an existing account got a new password.
	Reset bool
}

// Tokens is the API tokens page: every token, revoked ones too, a form
// to create one, and right after creation its secret, shown once.
type Tokens struct {
	Tokens  []auth.Token
	Form    NewTokenForm
	Created *CreatedToken
	CopyJS  string
}

// NewTokenForm is the create-token form as typed.
type NewTokenForm struct {
	Name   string
	Scopes []string
	Errors map[string]string
}

// Has reports whether scope is ticked.
func (f NewTokenForm) Has(scope string) bool {
	for _, s := range f.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// CreatedToken is a new token with its secret.
type CreatedToken struct {
	Token  auth.Token
	Secret string
}

// AuditLog is the audit log page: entries newest first, filtered through
// plain GET parameters.
type AuditLog struct {
	Entries []auth.Entry
	Filter  AuditFilterForm
	// Older links to the next page of older entries; empty on the last.
	Older string
	// Errors are messages about filter fields that did not parse.
	Errors map[string]string
}

// AuditFilterForm is the filter as typed.
type AuditFilterForm struct {
	Actor    string
	Action   string
	Object   string
	ObjectID string
	Since    string
	Until    string
}

// IsZero reports whether nothing is filtered.
func (f AuditFilterForm) IsZero() bool { return f == AuditFilterForm{} }

// Query is the filter as URL parameters.
func (f AuditFilterForm) Query() url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{
		{"actor", f.Actor}, {"action", f.Action}, {"object", f.Object},
		{"object_id", f.ObjectID}, {"since", f.Since}, {"until", f.Until},
	} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	return q
}

// roleNames are the roles offered in forms, least powerful first.
func roleNames() []string {
	out := make([]string, len(auth.Roles))
	for i, r := range auth.Roles {
		out[i] = string(r)
	}
	return out
}

// scopeNames are the scopes offered in forms.
func scopeNames() []string {
	out := make([]string, len(auth.Scopes))
	for i, s := range auth.Scopes {
		out[i] = string(s)
	}
	return out
}

// scopeHelp says what a scope lets a token do.
func scopeHelp(s string) string {
	switch auth.Scope(s) {
	case auth.ScopeRead:
		return "read every page and API resource, the gate included"
	case auth.ScopeGateRead:
		return "read deployment gates only"
	case auth.ScopeDeploymentsWrite:
		return "record deploy markers"
	case auth.ScopeJourneysWrite:
		return "create, change and delete journeys (journeys as code)"
	case auth.ScopeIncidentsWrite:
		return "open, edit and resolve incidents and link traces to them (alert automation)"
	}
	return ""
}

func joinScopes(scopes []auth.Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

// prettyJSON indents a stored document for reading; one that does not
// parse is shown as stored.
func prettyJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// TabChannels is the notification channels page.
const TabChannels Tab = "channels"

// Channels is the notification channels page: every channel, with
// its URL redacted, and the form to add one.
type Channels struct {
	Channels []notify.Channel
	Form     ChannelForm
}

// ChannelEdit is the page to change one channel.
type ChannelEdit struct {
	Channel notify.Channel
	Form    ChannelForm
}

// ChannelForm is a channel's form as typed, with a message per field.
// URL is never filled from a stored channel: it may hold a secret, and an
// empty URL on edit keeps the stored one.
type ChannelForm struct {
	Name     string
	Kind     string
	URL      string
	Journeys string
	Enabled  bool
	Errors   map[string]string
}

// channelKinds are the kinds offered in forms.
func channelKinds() []string {
	return []string{string(notify.ChannelWebhook), string(notify.ChannelSlack), string(notify.ChannelAlertmanager)}
}

// channelKindHelp says what a kind of channel receives.
func channelKindHelp(kind string) string {
	switch notify.ChannelKind(kind) {
	case notify.ChannelWebhook:
		return "Waymark's JSON payload"
	case notify.ChannelSlack:
		return "a Slack incoming webhook"
	case notify.ChannelAlertmanager:
		return "a Prometheus Alertmanager (posted to /api/v2/alerts)"
	}
	return ""
}

// channelJourneys lists the journeys a channel takes alerts of, in words.
func channelJourneys(c notify.Channel) string {
	if len(c.Journeys) == 0 {
		return "all journeys"
	}
	return strings.Join(c.Journeys, ", ")
}
