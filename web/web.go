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

	"github.com/waymarkhq/waymark/internal/incident"
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
	// Actor names who made a change, for journey history. By default
	// changes are recorded as made by "web" (forms) or "api".
	Actor func(r *http.Request) string
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
	actor            func(r *http.Request) string
	rollups          *rollup.Store
	traces           TraceGetter
	now              func() time.Time
	incidents        *incident.Store
	incidentEvents   func(ctx context.Context, in incident.Incident) (deploys, alerts []incident.Event, err error)
	publicURL        string
}

// New returns the HTTP handler serving Waymark.
func New(opts Options) http.Handler {
	h := newHandler(opts)
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
		},
		traceURLTemplate: opts.TraceURLTemplate,
		actor:            opts.Actor,
		rollups:          opts.Rollups,
		traces:           opts.Traces,
		now:              now,
		incidents:        opts.Incidents,
		incidentEvents:   opts.IncidentEvents,
		publicURL:        opts.PublicURL,
	}
}

// actorOf names who is making a change; via ("web" or "api") is the default.
func (h *handler) actorOf(r *http.Request, via string) string {
	if h.actor != nil {
		if a := h.actor(r); a != "" {
			return a
		}
	}
	return via
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
