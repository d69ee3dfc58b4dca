// Package incidenthttp holds the steps the incident pages and the incident
// API both take: reading the incident a URL names, wording the store's
// errors, recording audit entries, and the incident actions offered beside
// a trace on the journey map and the trace page.
package incidenthttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// Flow is what the incident pages and API share: the store, the events of
// a timeline, and the journeys that trace links name.
type Flow struct {
	*httpx.Base
	// Incidents keeps incidents and the traces they cite.
	Incidents Store
	// Journeys resolves the journey steps trace links name.
	Journeys *journeystore.Store
	// Events returns the deploys and SLO alerts of an incident's timeline.
	Events func(ctx context.Context, in incident.Incident) (deploys, alerts []incident.Event, err error)
}

// ID reads the {id} of an incident URL.
func ID(r *http.Request) (int64, error) {
	return httpx.PathID(r, "id", "an incident")
}

// Load reads the incident named by the URL.
func (f *Flow) Load(r *http.Request) (incident.Incident, error) {
	id, err := ID(r)
	if err != nil {
		return incident.Incident{}, err
	}
	in, err := f.Incidents.Get(r.Context(), id)
	if err != nil {
		return incident.Incident{}, Err(err)
	}
	return in, nil
}

// Err names the incident store's validation failures as the incident's:
// the store checks with the journeys' validator, whose failures would
// otherwise read as an invalid journey.
func Err(err error) error {
	var ve *journeys.ValidationError
	if errors.As(err, &ve) {
		return fmt.Errorf("%w: %w", &fault.Invalid{What: "incident", Fields: ve.Fields}, err)
	}
	return err
}

// LinkError words a failure to link traceID: a trace the source does not
// hold is a 404 about the trace, not about the incident, and a clash or an
// oversized snapshot is put beside the trace id of the form.
func LinkError(err error, traceID string) error {
	if errors.Is(err, journeys.ErrTraceNotFound) {
		id := traceID
		if norm, ok := journeys.NormalizeTraceID(strings.TrimSpace(traceID)); ok {
			id = norm
		}
		return &httpx.Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("trace %s not found in the trace source", id),
			Fields: map[string]string{"trace_id": "not found in the trace source"}, Err: err}
	}
	// A malformed trace id is the trace id's fault, not the incident's.
	var ve *journeys.ValidationError
	if errors.As(err, &ve) && ve.Fields["trace_id"] != "" && len(ve.Fields) == 1 {
		return &httpx.Error{Status: http.StatusUnprocessableEntity, Msg: "trace id " + ve.Fields["trace_id"],
			Fields: ve.Fields, Err: err}
	}
	e := httpx.Classify(Err(err))
	if e.Status == http.StatusConflict || e.Status == http.StatusRequestEntityTooLarge {
		return httpx.OnField(e, "trace_id")
	}
	return e
}

// Before reads incident id ahead of a change, for its audit entry; nil
// when the change gets none or the incident cannot be read (the change
// then meets the same error).
func (f *Flow) Before(r *http.Request, id int64) *incident.Incident {
	if !f.Audited(r) {
		return nil
	}
	in, err := f.Incidents.Get(r.Context(), id)
	if err != nil {
		return nil
	}
	return &in
}

// Audit records a change of incident id through r; before and after are
// what the incident (or trace link) was and became, nil when it did not
// exist.
func (f *Flow) Audit(r *http.Request, action string, id int64, before, after any) {
	f.Base.Audit(r, action, "incident", id, before, after)
}

// TimelineEvents are the deploys and alerts of an incident's timeline.
func (f *Flow) TimelineEvents(ctx context.Context, in incident.Incident) (deploys, alerts []incident.Event, err error) {
	deploys, alerts, err = f.Events(ctx, in)
	if err != nil {
		return nil, nil, fmt.Errorf("read deploys and alerts of incident %d: %w", in.ID, err)
	}
	return deploys, alerts, nil
}

// openStatuses are the statuses of an incident a trace can still be added
// to from a trace's page.
var openStatuses = []incident.Status{incident.StatusInvestigating, incident.StatusIdentified, incident.StatusMonitoring}

// maxChoices bounds the open incidents offered beside a trace.
const maxChoices = 20

// OpenChoices lists the open incidents, latest first, to add a trace to. A
// failure only hides the choice: it must not cost the page it is on.
func (f *Flow) OpenChoices(ctx context.Context) []layout.IncidentChoice {
	list, err := f.Incidents.List(ctx, incident.Filter{Statuses: openStatuses, Limit: maxChoices})
	if err != nil {
		if ctx.Err() == nil {
			f.Log.LogAttrs(ctx, slog.LevelWarn, "list open incidents", slog.String("error", err.Error()))
		}
		return nil
	}
	out := make([]layout.IncidentChoice, len(list))
	for i, in := range list {
		out[i] = layout.IncidentChoice{ID: in.ID, Title: in.Title, Severity: in.Severity}
	}
	return out
}

// TraceRef is what is known about the trace an incident is opened from:
// the journey step it stands for (from the exemplar that led to it), when
// it started, and its first error.
type TraceRef struct {
	// TraceID is the trace's id.
	TraceID string
	// Journey is the slug of the journey the trace came from, if any.
	Journey string
	// Step is the step's 1-based position, as the map numbers steps, or
	// its name.
	Step string
	// At is when the trace started.
	At time.Time
	// Error is the trace's first error message.
	Error string
}

// NewURL is the new-incident form prefilled from a trace.
func NewURL(t TraceRef) string {
	q := url.Values{}
	q.Set("trace", t.TraceID)
	if t.Journey != "" {
		q.Set("journey", t.Journey)
		if t.Step != "" {
			q.Set("step", t.Step)
		}
	}
	if !t.At.IsZero() {
		q.Set("at", t.At.UTC().Format(time.RFC3339Nano))
	}
	if t.Error != "" {
		q.Set("error", t.Error)
	}
	return "/incidents/new?" + q.Encode()
}

// Actions are the incident actions beside a trace; choices is the list of
// open incidents, read once per page.
func Actions(t TraceRef, stepText string, choices []layout.IncidentChoice) *layout.TraceIncidentActions {
	return &layout.TraceIncidentActions{NewURL: NewURL(t), Open: choices, Step: stepText}
}

// ResolveStep finds the step a URL names in a journey: by its 1-based
// position, else by its name. ok is false when the journey or the step is
// unknown.
func (f *Flow) ResolveStep(ctx context.Context, slug, step string) (j journeys.Journey, name string, ok bool) {
	if slug == "" || !journeys.ValidSlug(slug) {
		return journeys.Journey{}, "", false
	}
	rec, err := f.Journeys.GetJourney(ctx, slug)
	if err != nil {
		if !errors.Is(err, journeystore.ErrNotFound) && ctx.Err() == nil {
			f.Log.LogAttrs(ctx, slog.LevelWarn, "read journey of a trace link", slog.String("journey", slug), slog.String("error", err.Error()))
		}
		return journeys.Journey{}, "", false
	}
	j = rec.Journey
	if step == "" {
		return j, "", true
	}
	if n, err := strconv.Atoi(step); err == nil && n >= 1 && n <= len(j.Spec.Steps) {
		return j, j.Spec.Steps[n-1].Name, true
	}
	if j.StepIndex(step) >= 0 {
		return j, step, true
	}
	return j, "", true
}

// StepLine writes a step as the forms read it.
func StepLine(slug, step string) string {
	if slug == "" || step == "" {
		return ""
	}
	return incident.StepRef{Journey: slug, Step: step}.String()
}

// ListLimit is how many incidents the list page shows.
const ListLimit = 200

// ParseFilter reads the list's filter, as the page and the API
// take it. Each bad parameter is a 400 naming it.
func ParseFilter(q url.Values) (incident.Filter, error) {
	var f incident.Filter
	for _, raw := range q["status"] {
		// status=a,b reads as status=a&status=b; an empty value (the
		// "any" of a form) keeps everything.
		for _, s := range strings.Split(raw, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			st := incident.Status(s)
			if !st.Valid() {
				return f, httpx.ParamError("status", "%q is not one of investigating, identified, monitoring or resolved", s)
			}
			if !slices.Contains(f.Statuses, st) {
				f.Statuses = append(f.Statuses, st)
			}
		}
	}
	if j := strings.TrimSpace(q.Get("journey")); j != "" {
		if !journeys.ValidSlug(j) {
			return f, httpx.ParamError("journey", "%q is not a journey slug", j)
		}
		f.Journey = j
	}
	var err error
	if v := strings.TrimSpace(q.Get("from")); v != "" {
		if f.From, err = httpx.ParseTime("from", v); err != nil {
			return f, err
		}
	}
	if v := strings.TrimSpace(q.Get("to")); v != "" {
		if f.To, err = httpx.ParseTime("to", v); err != nil {
			return f, err
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, httpx.ParamError("from", "%s is not before to (%s)", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	if v := strings.TrimSpace(q.Get("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > incident.MaxListLimit {
			return f, httpx.ParamError("limit", "%q is not a whole number from 1 to %d", v, incident.MaxListLimit)
		}
		f.Limit = n
	}
	return f, nil
}

// UnlinkedTrace is what the audit log keeps of a trace unlinked.
type UnlinkedTrace struct {
	TraceID string `json:"trace_id"`
}

// Unlinked is the audit document of traceID as a URL gave it, written the
// way links are stored.
func Unlinked(traceID string) UnlinkedTrace {
	if norm, ok := journeys.NormalizeTraceID(strings.TrimSpace(traceID)); ok {
		traceID = norm
	}
	return UnlinkedTrace{TraceID: traceID}
}
