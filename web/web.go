// Package web serves Waymark over HTTP: the server-rendered UI (templ pages,
// enhanced by htmx where it helps), the JSON API under /api/v1, health
// checks and the embedded static assets.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/internal/alerting"
	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// MaxBodyBytes bounds every request body. Journeys are a few kilobytes; a
// larger body is a mistake or an attack, answered with 413.
const MaxBodyBytes = 1 << 20

// Options are the dependencies and settings of the web layer.
type Options struct {
	// Store holds journey definitions.
	Store *store.Store
	// DB is pinged by /readyz; nil pings through Store.
	DB interface{ Ping(context.Context) error }
	// SchemaCheck reports a stale schema to /readyz (migrations.Check).
	SchemaCheck func(context.Context) error
	// Logger receives request logs and every 5xx; nil discards.
	Logger *slog.Logger
	// Version is the build version, shown in the footer.
	Version string
	// TraceURLTemplate turns a trace id into a link to the trace backend's
	// UI, with {traceID} in place of the id; empty links to Waymark's own
	// trace view.
	TraceURLTemplate string
	// TrustedOrigins may send state-changing cross-origin requests, e.g.
	// Waymark's public URL behind a proxy that rewrites Host, or an admin
	// console on another host ("https://ops.example.com"). Empty entries are
	// skipped; malformed ones are logged and skipped.
	TrustedOrigins []string
	// Journeys changes journeys: every save and delete through the UI and
	// the API goes through it, with its audit entry and history recompute.
	Journeys *journeyedit.Service
	// Rollups answers the journey map, the journeys overview and the stats
	// API. Nil shows "no data yet" on pages; the stats API then answers 503.
	Rollups *rollup.Store
	// Traces serves the trace waterfall. Nil shows "trace source not
	// configured".
	Traces TraceGetter
	// Now is the clock that default time ranges end at; nil is time.Now.
	Now func() time.Time
	// Incidents keeps incidents and the traces they cite. Nil answers the
	// incident pages and API with 503 and hides the incident actions
	// beside traces.
	Incidents *incident.Store
	// IncidentEvents returns the deploys and SLO alerts that belong on an
	// incident's timeline and in its post-mortem; nil shows none.
	IncidentEvents func(ctx context.Context, in incident.Incident) (deploys, alerts []incident.Event, err error)
	// PublicURL is Waymark's external base URL
	// (https://waymark.example.com), which post-mortems link to; empty
	// leaves their links relative.
	PublicURL string
	// Alerting evaluates SLOs and keeps deploy markers: the SLO pages and
	// badges, the deployments and gate APIs, and the SLO metrics. Nil
	// hides the badges and answers those pages and endpoints with 503.
	Alerting *alerting.Service
	// APIToken, when set, must be sent as "Authorization: Bearer <token>"
	// to record deploy markers; empty leaves that open, which suits a
	// server listening on localhost.
	APIToken string
	// MetricsToken, when set, must be sent as a bearer token to read
	// /metrics; empty leaves it open.
	MetricsToken string
	// JobCounts reports the background jobs by kind and state for
	// /metrics; nil exports none.
	JobCounts func(ctx context.Context) ([]JobCount, error)
	// Auth puts every route but /healthz, /readyz, /static/, /login and
	// /metrics behind sign-in (a session, an API token or the auth proxy),
	// each with the role or scope it needs; it serves the login and admin
	// pages, and names who made each change in journey history and the
	// audit log. Nil leaves everything open, as for a test that does not
	// care; serve always sets it. With Auth, APIToken is not checked here:
	// pass it to auth as its BootstrapToken.
	Auth *auth.Auth
	// SecureCookies marks the session cookie Secure, so that browsers send
	// it over HTTPS only. Leave it off only for plain HTTP on localhost.
	SecureCookies bool
	// AuditDB writes the audit entries of changes whose store offers no
	// transaction to record them in (journey deletes, incidents, signing
	// out everywhere), right after the change commits. Nil uses DB when it
	// can begin transactions, as a *pgxpool.Pool can.
	AuditDB interface {
		Begin(ctx context.Context) (pgx.Tx, error)
	}
}

// JobCount is how many background jobs of one kind are in one state.
type JobCount struct {
	Kind  string
	State string
	Count int64
}

// TraceGetter fetches one whole trace. Both trace sources, Tempo and the
// embedded store, implement it; an unknown id is an error wrapping
// journeys.ErrTraceNotFound.
type TraceGetter interface {
	Trace(ctx context.Context, traceID string) (journeys.Trace, error)
}

// handler holds what every page and endpoint needs. Handlers are its
// methods, one file per page or action.
type handler struct {
	store            *store.Store
	db               interface{ Ping(context.Context) error }
	schemaCheck      func(context.Context) error
	log              *slog.Logger
	assets           *assets
	site             views.Site
	traceURLTemplate string
	journeys         *journeyedit.Service
	rollups          *rollup.Store
	traces           TraceGetter
	now              func() time.Time
	incidents        *incident.Store
	incidentEvents   func(ctx context.Context, in incident.Incident) (deploys, alerts []incident.Event, err error)
	publicURL        string
	alerting         *alerting.Service
	apiToken         string
	metricsToken     string
	jobCounts        func(ctx context.Context) ([]JobCount, error)
	metrics          *metrics
	// auth is nil on a server without accounts, which is open.
	auth          *auth.Auth
	secureCookies bool
	auditDB       txBeginner
}

// New returns the HTTP handler serving Waymark.
func New(opts Options) http.Handler {
	h := newHandler(opts)
	if h.auth != nil && h.auditDB == nil {
		h.log.Warn("audit log: no database to record journey deletes and incident changes in; set AuditDB")
	}
	cop := http.NewCrossOriginProtection()
	for _, o := range opts.TrustedOrigins {
		if o == "" {
			continue
		}
		// An unusable entry only makes the check stricter, so it is
		// reported rather than fatal.
		if err := cop.AddTrustedOrigin(o); err != nil {
			h.log.Warn("ignoring trusted origin", "origin", o, "error", err)
		}
	}
	var root http.Handler = h.routes()
	root = h.crossOrigin(cop, root)
	root = secureHeaders(root)
	root = limitBody(root)
	root = h.recoverPanics(root)
	root = h.logRequests(root)
	return root
}

func newHandler(opts Options) *handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := newAssets()
	db := opts.DB
	if db == nil && opts.Store != nil {
		db = opts.Store
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	var auditDB txBeginner = opts.AuditDB
	if auditDB == nil {
		auditDB, _ = opts.DB.(txBeginner)
	}
	apiToken := opts.APIToken
	if opts.Auth != nil {
		// Accounts check every bearer token, the deprecated bootstrap one
		// included.
		apiToken = ""
	}
	return &handler{
		store:       opts.Store,
		db:          db,
		schemaCheck: opts.SchemaCheck,
		log:         log,
		assets:      a,
		site: views.Site{
			Version: opts.Version,
			CSS:     a.url("app.css"),
			JS:      a.url("htmx.min.js"),
			Icon:    a.url("favicon.svg"),
			// The incident pages and the actions beside traces show only
			// on a server that keeps incidents.
			Incidents: opts.Incidents != nil,
			SLOs:      opts.Alerting != nil,
		},
		traceURLTemplate: opts.TraceURLTemplate,
		journeys:         opts.Journeys,
		rollups:          opts.Rollups,
		traces:           opts.Traces,
		now:              now,
		incidents:        opts.Incidents,
		incidentEvents:   opts.IncidentEvents,
		publicURL:        opts.PublicURL,
		alerting:         opts.Alerting,
		apiToken:         apiToken,
		metricsToken:     opts.MetricsToken,
		jobCounts:        opts.JobCounts,
		metrics:          newMetrics(),
		auth:             opts.Auth,
		secureCookies:    opts.SecureCookies,
		auditDB:          auditDB,
	}
}

// actorOf names who is making a change: the signed-in user or token, else
// via ("web" or "api").
func (h *handler) actorOf(r *http.Request, via string) string {
	return h.who(r, via).Name
}

// who is the principal a change through r is recorded as: the signed-in
// user or token, else, on a server without accounts, the interface it came
// through ("web" or "api").
func (h *handler) who(r *http.Request, via string) auth.Principal {
	if p, ok := principal(r); ok && p.Name != "" {
		return p
	}
	return auth.Principal{Kind: auth.ActorSystem, Via: auth.ViaSystem, Name: via, RemoteAddr: r.RemoteAddr}
}

// traceURL links a trace id to where a person can read the trace: the trace
// backend's UI when TraceURLTemplate is set, else Waymark's own trace view.
func (h *handler) traceURL(traceID string) string {
	if h.traceURLTemplate == "" {
		return "/traces/" + url.PathEscape(traceID)
	}
	return strings.ReplaceAll(h.traceURLTemplate, "{traceID}", url.QueryEscape(traceID))
}

// externalTraceURL links a trace id to the trace backend's UI, or is empty
// when no TraceURLTemplate is set.
func (h *handler) externalTraceURL(traceID string) string {
	if h.traceURLTemplate == "" {
		return ""
	}
	return h.traceURL(traceID)
}
