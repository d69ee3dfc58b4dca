// Package web serves Waymark over HTTP. It composes the parts: the JSON
// API (web/api), the pages (web/ui/...), the health checks, /metrics and
// the embedded static assets, behind the shared middleware of web/httpx.
// Every route is declared in routes.go.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/web/alerthttp"
	"github.com/waymarkhq/waymark/web/api"
	"github.com/waymarkhq/waymark/web/builderhttp"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
	"github.com/waymarkhq/waymark/web/journeyhttp"
	adminui "github.com/waymarkhq/waymark/web/ui/admin"
	incidentui "github.com/waymarkhq/waymark/web/ui/incidents"
	insightui "github.com/waymarkhq/waymark/web/ui/insight"
	"github.com/waymarkhq/waymark/web/ui/journeyform"
	"github.com/waymarkhq/waymark/web/ui/journeypages"
	"github.com/waymarkhq/waymark/web/ui/layout"
	pipelineui "github.com/waymarkhq/waymark/web/ui/pipeline"
	sloui "github.com/waymarkhq/waymark/web/ui/slos"
	traceui "github.com/waymarkhq/waymark/web/ui/traces"
)

// MaxBodyBytes bounds every request body. Journeys are a few kilobytes; a
// larger body is a mistake or an attack, answered with 413.
const MaxBodyBytes = 1 << 20

// Options are the dependencies and settings of the web layer. The
// dependencies are required: a feature the server runs without is given
// as its Off stand-in (journeyhttp.RollupsOff, journeyhttp.TracesOff,
// incidenthttp.Off, alerthttp.Off, builderhttp.Off, JobsOff, NoIncidentEvents), which
// answers 503 where the feature would answer and hides it on the pages.
type Options struct {
	// Store holds journey definitions.
	Store *journeystore.Store
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
	// API. RollupsOff shows "no data yet" on pages; the stats API then
	// answers 503.
	Rollups journeyhttp.Rollups
	// Traces serves the trace waterfall. TracesOff shows "trace source
	// not configured".
	Traces journeyhttp.Traces
	// Builder suggests what the traces hold, previews unsaved journeys and
	// proposes journeys from traffic, for the editor and its API.
	// builderhttp.Off answers 503 and leaves the editor a plain form.
	Builder builderhttp.Service
	// Now is the clock that default time ranges end at; nil is time.Now.
	Now func() time.Time
	// Incidents keeps incidents and the traces they cite. incidenthttp.Off
	// answers the incident pages and API with 503 and hides the incident
	// actions beside traces.
	Incidents incidenthttp.Store
	// IncidentEvents returns the deploys and SLO alerts that belong on an
	// incident's timeline and in its post-mortem; NoIncidentEvents shows
	// none.
	IncidentEvents func(ctx context.Context, in incident.Incident) (deploys, alerts []incident.Event, err error)
	// Source is the trace source the rollups read, shown with the cost of
	// each journey's rollups on the sources page.
	Source journeyhttp.Source
	// PublicURL is Waymark's external base URL
	// (https://waymark.example.com), which post-mortems link to; empty
	// leaves their links relative.
	PublicURL string
	// Alerting evaluates SLOs and keeps deploy markers and channels: the
	// SLO pages and badges, the deployments and gate APIs, the channels
	// and the SLO metrics. alerthttp.Off hides the badges and answers
	// those pages and endpoints with 503.
	Alerting alerthttp.Service
	// APIToken, when set, must be sent as "Authorization: Bearer <token>"
	// to record deploy markers; empty leaves that open, which suits a
	// server listening on localhost.
	APIToken string
	// MetricsToken, when set, must be sent as a bearer token to read
	// /metrics; empty leaves it open.
	MetricsToken string
	// JobCounts reports the background jobs by kind and state for
	// /metrics; JobsOff exports none.
	JobCounts JobCounter
	// Auth puts every route but /healthz, /readyz, /static/, /login and
	// /metrics behind sign-in (a session, an API token or the auth proxy),
	// each with the role or scope it needs; it serves the login and admin
	// pages, and names who made each change in journey history and the
	// audit log. A server without accounts (nil) is open, as for a test
	// that does not care; serve always sets it. With Auth, APIToken is not
	// checked here: pass it to auth as its BootstrapToken.
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

// JobCounter reports the background jobs by kind and state.
type JobCounter interface {
	JobCounts(ctx context.Context) ([]JobCount, error)
}

// JobCountsFunc is a function that is a JobCounter.
type JobCountsFunc func(ctx context.Context) ([]JobCount, error)

// JobCounts calls f.
func (f JobCountsFunc) JobCounts(ctx context.Context) ([]JobCount, error) { return f(ctx) }

// JobsOff is the JobCounter of a server whose jobs are not its to count:
// /metrics then exports no job series.
type JobsOff struct{}

// JobCounts reports none.
func (JobsOff) JobCounts(context.Context) ([]JobCount, error) { return nil, nil }

// NoIncidentEvents puts no deploys or alerts on incident timelines, for a
// server that evaluates no SLOs.
func NoIncidentEvents(context.Context, incident.Incident) (deploys, alerts []incident.Event, err error) {
	return nil, nil, nil
}

// handler holds what the server's own endpoints need (probes, /metrics,
// assets, unknown URLs) and the handlers of the API and the pages, which
// routes.go routes to.
type handler struct {
	*httpx.Base
	db           interface{ Ping(context.Context) error }
	schemaCheck  func(context.Context) error
	assets       *assets
	store        *journeystore.Store
	rollups      journeyhttp.Rollups
	alerting     alerthttp.SLOs
	jobCounts    JobCounter
	jobsOn       bool
	traceSource  journeyhttp.Traces
	metricsToken string

	api       *api.Handler
	journeys  *journeypages.Handler
	forms     *journeyform.Handler
	slos      *sloui.Handler
	traces    *traceui.Handler
	incidents *incidentui.Handler
	admin     *adminui.Handler
	pipeline  *pipelineui.Handler
	insight   *insightui.Handler
}

// New returns the HTTP handler serving Waymark. It panics when a required
// dependency is missing, which is a mistake in the caller's wiring.
func New(opts Options) http.Handler {
	h := newHandler(opts)
	if h.Auth != nil && h.AuditDB == nil {
		h.Log.Warn("audit log: no database to record journey deletes and incident changes in; set AuditDB")
	}
	cop := http.NewCrossOriginProtection()
	for _, o := range opts.TrustedOrigins {
		if o == "" {
			continue
		}
		// An unusable entry only makes the check stricter, so it is
		// reported rather than fatal.
		if err := cop.AddTrustedOrigin(o); err != nil {
			h.Log.Warn("ignoring trusted origin", "origin", o, "error", err)
		}
	}
	root := h.routes()
	root = h.CrossOrigin(cop, root)
	root = httpx.SecureHeaders(root)
	root = httpx.LimitBody(MaxBodyBytes, root)
	root = h.RecoverPanics(root)
	root = h.LogRequests(root)
	return root
}

// required names the dependencies opts lacks.
func required(opts Options) error {
	var missing []string
	for name, absent := range map[string]bool{
		"Rollups": opts.Rollups == nil,
		"Traces":  opts.Traces == nil, "Incidents": opts.Incidents == nil, "IncidentEvents": opts.IncidentEvents == nil,
		"Alerting": opts.Alerting == nil, "JobCounts": opts.JobCounts == nil, "Builder": opts.Builder == nil,
	} {
		if absent {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("web: Options lack %s; give a feature the server runs without as its Off stand-in",
			strings.Join(sorted(missing), ", "))
	}
	return nil
}

func newHandler(opts Options) *handler {
	if err := required(opts); err != nil {
		panic(err)
	}
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
	var auditDB httpx.TxBeginner = opts.AuditDB
	if auditDB == nil {
		auditDB, _ = opts.DB.(httpx.TxBeginner)
	}
	apiToken := opts.APIToken
	if opts.Auth != nil {
		// Accounts check every bearer token, the deprecated bootstrap one
		// included.
		apiToken = ""
	}
	_, noRollups := opts.Rollups.(journeyhttp.RollupsOff)
	_, noTraces := opts.Traces.(journeyhttp.TracesOff)
	_, noIncidents := opts.Incidents.(incidenthttp.Off)
	_, noAlerting := opts.Alerting.(alerthttp.Off)
	_, noJobs := opts.JobCounts.(JobsOff)
	b := &httpx.Base{
		Log: log,
		Site: layout.Site{
			Version: opts.Version,
			CSS:     a.url("app.css"),
			JS:      a.url("htmx.min.js"),
			Icon:    a.url("favicon.svg"),
			CopyJS:  a.url("copy.js"),
			// The incident pages and the actions beside traces show only
			// on a server that keeps incidents.
			Incidents: !noIncidents,
			SLOs:      !noAlerting,
			Rollups:   !noRollups,
			Traces:    !noTraces,
		},
		Auth:             opts.Auth,
		AuditDB:          auditDB,
		TraceURLTemplate: opts.TraceURLTemplate,
		Now:              now,
		Metrics:          httpx.NewMetrics(),
	}
	inc := &incidenthttp.Flow{Base: b, Incidents: opts.Incidents, Journeys: opts.Store, Events: opts.IncidentEvents}
	ch := &alerthttp.ChannelFlow{Base: b, Channels: opts.Alerting}
	return &handler{
		Base:         b,
		db:           db,
		schemaCheck:  opts.SchemaCheck,
		assets:       a,
		store:        opts.Store,
		rollups:      opts.Rollups,
		alerting:     opts.Alerting,
		jobCounts:    opts.JobCounts,
		jobsOn:       !noJobs,
		traceSource:  opts.Traces,
		metricsToken: opts.MetricsToken,
		api: api.New(b, api.Deps{Store: opts.Store, Journeys: opts.Journeys, Rollups: opts.Rollups,
			Alerting: opts.Alerting, Incidents: inc, Channels: ch, APIToken: apiToken,
			Source: opts.Source, Builder: opts.Builder}),
		journeys: journeypages.New(b, journeypages.Deps{Store: opts.Store, Rollups: opts.Rollups,
			Alerting: opts.Alerting, Incidents: inc}),
		forms: journeyform.New(b, journeyform.Deps{Store: opts.Store, Journeys: opts.Journeys, Builder: opts.Builder,
			Traces: opts.Traces}),
		slos:   sloui.New(b, opts.Store, opts.Rollups, opts.Alerting),
		traces: traceui.New(b, opts.Traces, inc),
		incidents: incidentui.New(b, incidentui.Deps{Incidents: inc, Store: opts.Store, Rollups: opts.Rollups,
			Traces: opts.Traces, PublicURL: opts.PublicURL}),
		admin:    adminui.New(b, ch, opts.SecureCookies),
		pipeline: pipelineui.New(b, opts.Store, opts.Rollups, opts.Source),
		insight:  insightui.New(b, opts.Store, opts.Rollups),
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
