package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
)

// WebhookVersion identifies the form of WebhookPayload; receivers may rely
// on it.
const WebhookVersion = "1"

// WebhookPayload is what a generic webhook channel receives for each
// transition, as JSON.
type WebhookPayload struct {
	Version string `json:"version"`
	// DedupKey is the same for every attempt to deliver one transition to
	// one channel: journey/slo/transition id/channel id. A receiver that
	// sees a key twice (a retry after a lost response) can drop the second.
	DedupKey      string         `json:"dedup_key"`
	Event         slo.Event      `json:"event"`
	State         slo.State      `json:"state"`
	PreviousState slo.State      `json:"previous_state"`
	Journey       PayloadJourney `json:"journey"`
	SLO           PayloadSLO     `json:"slo"`
	At            time.Time      `json:"at"`
	// AlertStartedAt is when the alert fired (absent once resolved by
	// removing the SLO before it was ever recorded); EscalatedAt when it
	// last escalated from a ticket to a page, if it did. Deployment is
	// the deploy of the 30 minutes before the later of the two.
	AlertStartedAt  *time.Time         `json:"alert_started_at,omitempty"`
	EscalatedAt     *time.Time         `json:"escalated_at,omitempty"`
	Summary         string             `json:"summary"`
	Reason          string             `json:"reason"`
	SLI             float64            `json:"sli"`
	Good            int64              `json:"good"`
	Total           int64              `json:"total"`
	BudgetRemaining float64            `json:"budget_remaining"`
	BurnRates       []PayloadBurn      `json:"burn_rates"`
	Link            string             `json:"link"`
	Exemplars       []PayloadExemplar  `json:"exemplars"`
	Deployment      *deploy.Deployment `json:"deployment"`
}

// PayloadJourney names a journey in a payload.
type PayloadJourney struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// PayloadSLO describes an SLO in a payload.
type PayloadSLO struct {
	Name      string           `json:"name"`
	Kind      journeys.SLOKind `json:"kind"`
	Step      string           `json:"step,omitempty"`
	Objective float64          `json:"objective"`
	// Window is a rolling duration such as 28d, month or week.
	Window string `json:"window"`
	// WeekStart and TimeZone say when a calendar window's period begins;
	// they are left out for rolling windows.
	WeekStart string `json:"week_start,omitempty"`
	TimeZone  string `json:"time_zone,omitempty"`
	Threshold string `json:"threshold,omitempty"`
}

// PayloadBurn is one row of the alert table in a payload.
type PayloadBurn struct {
	Severity      slo.Severity `json:"severity"`
	LongWindow    string       `json:"long_window"`
	ShortWindow   string       `json:"short_window"`
	Threshold     float64      `json:"threshold"`
	LongBurn      float64      `json:"long_burn"`
	ShortBurn     float64      `json:"short_burn"`
	LongEvents    int64        `json:"long_events"`
	EnoughTraffic bool         `json:"enough_traffic"`
	Fires         bool         `json:"fires"`
}

// PayloadExemplar is a trace behind an alert in a payload.
type PayloadExemplar struct {
	TraceID    string    `json:"trace_id"`
	URL        string    `json:"url"`
	Step       string    `json:"step"`
	Start      time.Time `json:"start"`
	DurationMS float64   `json:"duration_ms"`
	Error      bool      `json:"error"`
}

func burns(pairs []slo.PairStatus) []PayloadBurn {
	out := make([]PayloadBurn, len(pairs))
	for i, p := range pairs {
		out[i] = PayloadBurn{
			Severity: p.Severity, LongWindow: journeys.FormatWindow(p.Long), ShortWindow: journeys.FormatWindow(p.Short),
			Threshold: p.Threshold, LongBurn: round4(p.LongBurn.Rate), ShortBurn: round4(p.ShortBurn.Rate),
			LongEvents: p.LongBurn.Events.Total, EnoughTraffic: p.EnoughTraffic, Fires: p.Fires,
		}
	}
	return out
}

// round4 keeps payload numbers readable: 14.399999999999999 is 14.4.
func round4(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 4, 64), 64)
	return v
}

func journeyLabel(t Transition) string {
	if t.JourneyName != "" {
		return t.JourneyName
	}
	return t.Journey
}

// label tags a transition for people: [PAGE], [TICKET], [RESOLVED].
func label(t Transition) string {
	switch {
	case sloeval.IsAlert(t.To) && t.Event == slo.EventEscalated:
		return "[PAGE] escalated"
	case sloeval.IsAlert(t.To) && t.Event == slo.EventDeescalated:
		return "[TICKET] de-escalated"
	case sloeval.IsAlert(t.To):
		return "[" + strings.ToUpper(string(t.To)) + "]"
	case t.To == slo.StateInsufficientTraffic:
		return "[RESOLVED: TOO LITTLE TRAFFIC]"
	default:
		return "[RESOLVED]"
	}
}

// Summary is a transition in one line: "[PAGE] Checkout › checkout-latency:
// burn 20× over 56m and 18× over 5m reach 14.4×".
func Summary(t Transition) string {
	return fmt.Sprintf("%s %s › %s: %s", label(t), journeyLabel(t), t.SLO, t.Reason)
}

func (s *Service) webhookPayload(t Transition, channelID int64) WebhookPayload {
	def := t.Definition
	p := WebhookPayload{
		Version:       WebhookVersion,
		DedupKey:      fmt.Sprintf("%s/%s/%d/%d", t.Journey, t.SLO, t.ID, channelID),
		Event:         t.Event,
		State:         t.To,
		PreviousState: t.From,
		Journey:       PayloadJourney{Slug: t.Journey, Name: t.JourneyName},
		SLO: PayloadSLO{
			Name: t.SLO, Kind: def.Kind, Step: def.Step, Objective: t.Objective,
			Window: windowSpec(def), WeekStart: weekStartSpec(def), TimeZone: zoneSpec(def),
		},
		At:              t.At,
		Summary:         Summary(t),
		Reason:          t.Reason,
		SLI:             t.SLI,
		Good:            t.Good,
		Total:           t.Total,
		BudgetRemaining: round4(t.BudgetRemaining),
		BurnRates:       burns(t.Numbers.Pairs),
		Link:            s.evals.Link(t.Journey, t.SLO),
		Exemplars:       []PayloadExemplar{},
		Deployment:      t.Deployment,
	}
	if def.Kind == journeys.SLOLatency {
		p.SLO.Threshold = def.Threshold.String()
	}
	if !t.AlertStartedAt.IsZero() {
		a := t.AlertStartedAt
		p.AlertStartedAt = &a
	}
	if !t.EscalatedAt.IsZero() {
		e := t.EscalatedAt
		p.EscalatedAt = &e
	}
	for _, e := range t.Exemplars {
		p.Exemplars = append(p.Exemplars, PayloadExemplar{
			TraceID: e.TraceID, URL: s.evals.TraceLink(e.TraceID), Step: e.Step, Start: e.Start,
			DurationMS: float64(e.Duration) / float64(time.Millisecond), Error: e.Error,
		})
	}
	return p
}

// Slack's incoming-webhook message: a fallback text and Block Kit blocks.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func mrkdwn(s string) slackText { return slackText{Type: "mrkdwn", Text: s} }

// slackEscape escapes the three characters Slack's mrkdwn reserves, so
// that names and reasons cannot inject links or mentions.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackLink writes a link; Slack links cannot hold "|" or ">" in the URL.
func slackLink(url, text string) string {
	url = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(url)
	return "<" + url + "|" + slackEscape(text) + ">"
}

func (s *Service) slackPayload(t Transition) slackMessage {
	title := fmt.Sprintf("%s %s › %s", label(t), journeyLabel(t), t.SLO)
	head := "*" + slackLink(s.evals.Link(t.Journey, t.SLO), title) + "*\n" + slackEscape(t.Reason)
	window := journeys.FormatWindow(t.Definition.EffectiveWindow())
	if t.Definition.IsCalendar() {
		window = t.Definition.WindowLabel()
	}
	sli := "no events"
	if t.Total > 0 {
		sli = fmt.Sprintf("%s of %d events (objective %s)", slo.FormatPercent(t.SLI), t.Total, slo.FormatPercent(t.Objective))
	}
	var burnLines []string
	for _, p := range t.Numbers.Pairs {
		line := fmt.Sprintf("%s %s/%s: %s / %s (threshold %s)", p.Severity, journeys.FormatWindow(p.Long), journeys.FormatWindow(p.Short),
			slo.FormatRate(p.LongBurn.Rate), slo.FormatRate(p.ShortBurn.Rate), slo.FormatRate(p.Threshold))
		if p.Fires {
			line += " firing"
		}
		burnLines = append(burnLines, line)
	}
	fields := []slackText{
		mrkdwn("*Budget left*\n" + slo.FormatPercent(t.BudgetRemaining)),
		mrkdwn("*SLI (" + window + ")*\n" + sli),
	}
	if len(burnLines) > 0 {
		fields = append(fields, mrkdwn("*Burn rates*\n"+strings.Join(burnLines, "\n")))
	}
	blocks := []slackBlock{
		{Type: "section", Text: ptr(mrkdwn(head))},
		{Type: "section", Fields: fields},
	}
	if len(t.Exemplars) > 0 {
		lines := make([]string, len(t.Exemplars))
		for i, e := range t.Exemplars {
			what := journeys.FormatWindow(e.Duration.Round(time.Millisecond))
			if e.Error {
				what = "error"
			}
			lines[i] = fmt.Sprintf("%s %s %s", slackLink(s.evals.TraceLink(e.TraceID), e.TraceID[:min(len(e.TraceID), 16)]), slackEscape(e.Step), what)
		}
		blocks = append(blocks, slackBlock{Type: "section", Text: ptr(mrkdwn("*Traces*\n" + strings.Join(lines, "\n")))})
	}
	if d := t.Deployment; d != nil {
		blocks = append(blocks, slackBlock{Type: "context", Elements: []slackText{mrkdwn("Deploy: " + slackDeploy(d, t))}})
	}
	return slackMessage{Text: slackEscape(Summary(t)), Blocks: blocks}
}

func slackDeploy(d *deploy.Deployment, t Transition) string {
	name := d.Service + " " + d.Version
	s := slackEscape(name)
	if d.URL != "" {
		s = slackLink(d.URL, name)
	}
	if d.Environment != "" {
		s += " (" + slackEscape(d.Environment) + ")"
	}
	s += " at " + d.At.UTC().Format("2006-01-02 15:04 UTC")
	if at := t.DeployMatchedAt(); !at.IsZero() {
		what := "the alert"
		if !t.EscalatedAt.IsZero() {
			what = "the page"
		}
		s += ", " + journeys.FormatWindow(at.Sub(d.At).Truncate(time.Minute)) + " before " + what
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// amAlert is one alert of Alertmanager's v2 API (postableAlert).
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// AlertName is the alertname label of Waymark's alerts in Alertmanager.
const AlertName = "WaymarkSLOBurn"

func (s *Service) amAnnotations(t Transition) map[string]string {
	a := map[string]string{
		"summary":          Summary(t),
		"description":      t.Reason,
		"sli":              strconv.FormatFloat(round4(t.SLI), 'f', -1, 64),
		"objective":        strconv.FormatFloat(t.Objective, 'f', -1, 64),
		"budget_remaining": strconv.FormatFloat(round4(t.BudgetRemaining), 'f', -1, 64),
		"link":             s.evals.Link(t.Journey, t.SLO),
	}
	var parts []string
	for _, p := range t.Numbers.Pairs {
		parts = append(parts, fmt.Sprintf("%s %s/%s %s/%s (threshold %s)", p.Severity, journeys.FormatWindow(p.Long), journeys.FormatWindow(p.Short),
			slo.FormatRate(p.LongBurn.Rate), slo.FormatRate(p.ShortBurn.Rate), slo.FormatRate(p.Threshold)))
	}
	if len(parts) > 0 {
		a["burn_rates"] = strings.Join(parts, "; ")
	}
	if len(t.Exemplars) > 0 {
		ids := make([]string, len(t.Exemplars))
		for i, e := range t.Exemplars {
			ids[i] = e.TraceID
		}
		a["exemplar_trace_ids"] = strings.Join(ids, ",")
	}
	if d := t.Deployment; d != nil {
		a["deployment"] = fmt.Sprintf("%s %s at %s", d.Service, d.Version, d.At.UTC().Format(time.RFC3339))
		if d.Environment != "" {
			a["deployment_environment"] = d.Environment
		}
		if d.URL != "" {
			a["deployment_url"] = d.URL
		}
	}
	return a
}

// alertmanagerPayload returns the alerts a transition posts.
//
// Alertmanager tells alerts apart by their whole label set, so an alert
// cannot change its severity label: one with severity=page is another
// alert than the same SLO's with severity=ticket. Routing pages and
// tickets apart needs the label, so an SLO has up to two alerts, with the
// same other labels (alertname, journey, slo) throughout, and a ticket,
// once open, stays open until the alert ends: an escalation adds the page
// and leaves the ticket as it was (no resolve for a ticket that got
// worse), and an inhibit rule on severity with equal: [alertname,
// journey, slo] shows one of them. So:
//
//   - firing (ok → ticket or page): the alert entered, firing;
//   - escalated (ticket → page): the page alone, firing;
//   - de-escalated (page → ticket): the page resolved, the ticket firing
//     (opened now if the alert started as a page);
//   - resolved (or traffic too thin): every alert the SLO had open,
//     resolved, endsAt the transition;
//   - a refresh: every alert open, firing.
//
// A firing alert's endsAt is sentAt plus four resends, so that
// Alertmanager keeps it open between refreshes and closes it if Waymark
// goes quiet. Its startsAt is when that severity opened: the ticket's
// TicketSince, the page's transition into it.
func (s *Service) alertmanagerPayload(t Transition, refresh bool, sentAt time.Time) []amAlert {
	link := s.evals.Link(t.Journey, t.SLO)
	ann := s.amAnnotations(t)
	alert := func(sev slo.State, startsAt, endsAt time.Time) amAlert {
		return amAlert{
			Labels:      map[string]string{"alertname": AlertName, "journey": t.Journey, "slo": t.SLO, "severity": string(sev)},
			Annotations: ann, StartsAt: startsAt, EndsAt: endsAt, GeneratorURL: link,
		}
	}
	firingUntil := sentAt.UTC().Add(4 * s.opts.AlertmanagerResend)
	out := []amAlert{}
	if refresh || sloeval.IsAlert(t.To) {
		// The alerts open after t.
		ticket, hasTicket := ticketAfter(t)
		if hasTicket && (refresh || t.To == slo.StateTicket) {
			out = append(out, alert(slo.StateTicket, ticket, firingUntil))
		}
		if t.From == slo.StatePage && t.To == slo.StateTicket && !refresh {
			out = append([]amAlert{alert(slo.StatePage, t.FromSince, t.At)}, out...)
		}
		if t.To == slo.StatePage {
			out = append(out, alert(slo.StatePage, t.At, firingUntil))
		}
		return out
	}
	// t ends the alert: resolve what it had open.
	if ticket, ok := ticketBefore(t); ok {
		out = append(out, alert(slo.StateTicket, ticket, t.At))
	}
	if t.From == slo.StatePage {
		out = append(out, alert(slo.StatePage, t.FromSince, t.At))
	}
	return out
}

// ticketAfter returns when the ticket open after t opened: TicketSince,
// or t itself for a transition into a ticket stored without one.
func ticketAfter(t Transition) (time.Time, bool) {
	switch {
	case !t.TicketSince.IsZero() && sloeval.IsAlert(t.To):
		return t.TicketSince, true
	case t.To == slo.StateTicket:
		return t.At, true
	}
	return time.Time{}, false
}

// ticketBefore returns when the ticket open before t opened, for a t that
// leaves an alert state.
func ticketBefore(t Transition) (time.Time, bool) {
	switch {
	case !t.TicketSince.IsZero() && sloeval.IsAlert(t.From):
		return t.TicketSince, true
	case t.From == slo.StateTicket:
		return t.FromSince, true
	}
	return time.Time{}, false
}

// Payload renders what a channel of this kind receives for a transition,
// as it would be sent at sentAt: for previews and tests.
func (s *Service) Payload(kind ChannelKind, t Transition, channelID int64, refresh bool, sentAt time.Time) ([]byte, error) {
	var v any
	switch kind {
	case ChannelWebhook:
		v = s.webhookPayload(t, channelID)
	case ChannelSlack:
		v = s.slackPayload(t)
	case ChannelAlertmanager:
		v = s.alertmanagerPayload(t, refresh, sentAt)
	default:
		return nil, fmt.Errorf("unknown channel kind %q", kind)
	}
	// Names and reasons are shown as text, never as HTML: keep <, > and &
	// readable instead of \u003c escapes.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", kind, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// windowSpec is the window as payloads spell it: a duration such as 28d
// (the default included), month or week.
func windowSpec(def journeys.SLO) string {
	if def.IsCalendar() {
		return string(def.Calendar)
	}
	return journeys.NewDuration(def.EffectiveWindow()).String()
}

// weekStartSpec is the first day of a week window in lower case, empty for
// other windows.
func weekStartSpec(def journeys.SLO) string {
	if def.Calendar != journeys.CalendarWeek {
		return ""
	}
	return strings.ToLower(def.FirstWeekday().String())
}

// zoneSpec is the time zone of a calendar window, empty for rolling ones.
func zoneSpec(def journeys.SLO) string {
	if !def.IsCalendar() {
		return ""
	}
	if def.TimeZone == "" {
		return "UTC"
	}
	return def.TimeZone
}
