package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// errNoIncidents answers every incident page and endpoint on a server that
// keeps no incidents.
var errNoIncidents = &httpError{status: http.StatusServiceUnavailable, msg: "incidents are not configured"}

// incidentsOn answers 503 and reports false when the server keeps no
// incidents.
func (h *handler) incidentsOn(w http.ResponseWriter, r *http.Request) bool {
	if h.incidents == nil {
		h.fail(w, r, errNoIncidents)
		return false
	}
	return true
}

// incidentID reads the {id} of an incident URL.
func incidentID(r *http.Request) (int64, error) {
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(http.StatusBadRequest, "%q is not an incident id: expected a positive whole number", raw)
	}
	return id, nil
}

// loadIncident reads the incident named by the URL, answering 503, 400 or
// 404 itself and reporting false when there is none to serve.
func (h *handler) loadIncident(w http.ResponseWriter, r *http.Request) (incident.Incident, bool) {
	if !h.incidentsOn(w, r) {
		return incident.Incident{}, false
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return incident.Incident{}, false
	}
	in, err := h.incidents.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return incident.Incident{}, false
	}
	return in, true
}

// incidentError tells the client what went wrong with an incident: the
// store's typed errors become 404, 409, 413 and 422 with its own words.
func incidentError(err error) error {
	var ve *journeys.ValidationError
	var big *incident.SnapshotTooLargeError
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &ve):
		return &httpError{status: http.StatusUnprocessableEntity, msg: "invalid incident", fields: ve.Fields, err: err}
	case errors.As(err, &big):
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: big.Error(), err: err}
	case errors.Is(err, incident.ErrNotFound):
		return &httpError{status: http.StatusNotFound, msg: sentinelText(err, incident.ErrNotFound) + " not found", err: err}
	case errors.Is(err, incident.ErrConflict):
		return &httpError{status: http.StatusConflict, msg: sentinelText(err, incident.ErrConflict), err: err}
	}
	return err
}

// sentinelText is the message of an error wrapping sentinel, without the
// sentinel's own words: "incident 7" of "incident 7: not found".
func sentinelText(err, sentinel error) string {
	return strings.TrimSuffix(err.Error(), ": "+sentinel.Error())
}

// linkError classifies a failure to link traceID: a trace the source does
// not hold is a 404 about the trace, not about the incident.
func linkError(err error, traceID string) error {
	if errors.Is(err, journeys.ErrTraceNotFound) {
		id := traceID
		if norm, ok := journeys.NormalizeTraceID(strings.TrimSpace(traceID)); ok {
			id = norm
		}
		return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("trace %s not found in the trace source", id),
			fields: map[string]string{"trace_id": "not found in the trace source"}, err: err}
	}
	e := incidentError(err)
	var he *httpError
	if errors.As(e, &he) && he.fields == nil {
		switch he.status {
		case http.StatusConflict, http.StatusRequestEntityTooLarge:
			he.fields = map[string]string{"trace_id": he.msg}
		}
	}
	return e
}

// openStatuses are the statuses of an incident a trace can still be added
// to from a trace's page.
var openStatuses = []incident.Status{incident.StatusInvestigating, incident.StatusIdentified, incident.StatusMonitoring}

// maxChoices bounds the open incidents offered beside a trace.
const maxChoices = 20

// openChoices lists the open incidents, latest first, to add a trace to. A
// failure only hides the choice: it must not cost the page it is on.
func (h *handler) openChoices(ctx context.Context) []views.IncidentChoice {
	list, err := h.incidents.List(ctx, incident.Filter{Statuses: openStatuses, Limit: maxChoices})
	if err != nil {
		if ctx.Err() == nil {
			h.log.LogAttrs(ctx, slog.LevelWarn, "list open incidents", slog.String("error", err.Error()))
		}
		return nil
	}
	out := make([]views.IncidentChoice, len(list))
	for i, in := range list {
		out[i] = views.IncidentChoice{ID: in.ID, Title: in.Title, Severity: in.Severity}
	}
	return out
}

// traceRef is what is known about the trace an incident is opened from:
// the journey step it stands for (from the exemplar that led to it), when
// it started, and its first error.
type traceRef struct {
	traceID string
	journey string
	// step is the step's 1-based position, as the map numbers steps, or
	// its name.
	step  string
	at    time.Time
	error string
}

// newIncidentURL is the new-incident form prefilled from a trace.
func newIncidentURL(t traceRef) string {
	q := url.Values{}
	q.Set("trace", t.traceID)
	if t.journey != "" {
		q.Set("journey", t.journey)
		if t.step != "" {
			q.Set("step", t.step)
		}
	}
	if !t.at.IsZero() {
		q.Set("at", t.at.UTC().Format(time.RFC3339Nano))
	}
	if t.error != "" {
		q.Set("error", t.error)
	}
	return "/incidents/new?" + q.Encode()
}

// traceActions are the incident actions beside a trace; choices is the
// list of open incidents, read once per page.
func traceActions(t traceRef, stepText string, choices []views.IncidentChoice) *views.TraceIncidentActions {
	return &views.TraceIncidentActions{NewURL: newIncidentURL(t), Open: choices, Step: stepText}
}

// resolveStep finds the step a URL names in a journey: by its 1-based
// position, else by its name. ok is false when the journey or the step is
// unknown.
func (h *handler) resolveStep(ctx context.Context, slug, step string) (j journeys.Journey, name string, ok bool) {
	if slug == "" || !journeys.ValidSlug(slug) {
		return journeys.Journey{}, "", false
	}
	rec, err := h.store.GetJourney(ctx, slug)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
			h.log.LogAttrs(ctx, slog.LevelWarn, "read journey of a trace link", slog.String("journey", slug), slog.String("error", err.Error()))
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

// stepLine writes a step as the forms read it.
func stepLine(slug, step string) string {
	if slug == "" || step == "" {
		return ""
	}
	return incident.StepRef{Journey: slug, Step: step}.String()
}

// parseStepRef reads "journey / step". A journey slug holds no slash, so
// the first one separates the two and a step name may contain more.
func parseStepRef(s string) (incident.StepRef, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return incident.StepRef{}, nil
	}
	j, st, ok := strings.Cut(s, "/")
	j, st = strings.TrimSpace(j), strings.TrimSpace(st)
	if !ok || j == "" || st == "" {
		return incident.StepRef{}, fmt.Errorf("write journey / step, e.g. shop-checkout / Payment")
	}
	return incident.StepRef{Journey: j, Step: st}, nil
}

// formTimeLayout is how forms show instants: UTC, the fraction only when
// there is one, so that saving a form unchanged changes no time.
const formTimeLayout = "2006-01-02 15:04:05.999999"

func formTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(formTimeLayout)
}

// formTimeLayouts are the forms a typed time may take, read as UTC unless
// it names its zone.
var formTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
}

// parseFormTime reads a time as typed: RFC 3339, or a UTC date and time to
// the minute or finer ("2026-03-01 10:00", a trailing "UTC" or "Z" allowed).
// Empty is the zero time.
func parseFormTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	bare := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "UTC"), "Z"))
	for _, l := range formTimeLayouts {
		if t, err := time.Parse(l, bare); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("must be a UTC time such as 2026-03-01 10:00, or RFC 3339")
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// liveRows adds to each linked trace whether the trace source still holds
// it, asking a few at a time.
func (h *handler) liveRows(ctx context.Context, links []incident.LinkedTrace) []views.LinkedTraceRow {
	rows := make([]views.LinkedTraceRow, len(links))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, l := range links {
		rows[i] = views.LinkedTraceRow{LinkedTrace: l, External: h.externalTraceURL(l.TraceID)}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rows[i].Live = h.liveText(ctx, l.TraceID)
		}()
	}
	wg.Wait()
	return rows
}

// liveText says whether the trace source still holds a trace: "yes", "no",
// or "unknown" when it could not say.
func (h *handler) liveText(ctx context.Context, traceID string) string {
	live, err := h.incidents.LiveStatus(ctx, traceID)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			h.log.LogAttrs(ctx, slog.LevelWarn, "check live trace", slog.String("trace_id", traceID), slog.String("error", err.Error()))
		}
		return "unknown"
	case live:
		return "yes"
	}
	return "no"
}

// timelineEvents are the deploys and alerts of an incident's timeline.
func (h *handler) timelineEvents(ctx context.Context, in incident.Incident) (deploys, alerts []incident.Event, err error) {
	if h.incidentEvents == nil {
		return nil, nil, nil
	}
	deploys, alerts, err = h.incidentEvents(ctx, in)
	if err != nil {
		return nil, nil, fmt.Errorf("read deploys and alerts of incident %d: %w", in.ID, err)
	}
	return deploys, alerts, nil
}

// postmortem drafts an incident's post-mortem exactly as the download
// serves it.
func (h *handler) postmortem(ctx context.Context, in incident.Incident) ([]byte, error) {
	deploys, alerts, err := h.timelineEvents(ctx, in)
	if err != nil {
		return nil, err
	}
	return h.incidents.Postmortem(ctx, in.ID, h.postmortemOptions(deploys, alerts))
}

// postmortemOptions are what every post-mortem draft links to and shows.
func (h *handler) postmortemOptions(deploys, alerts []incident.Event) incident.PostmortemOptions {
	return incident.PostmortemOptions{
		PublicURL:        h.publicURL,
		TraceURLTemplate: h.traceURLTemplate,
		Deploys:          deploys,
		Alerts:           alerts,
	}
}

// transitions are the statuses an incident in status cur may move to.
func transitions(cur incident.Status) []incident.Status {
	var out []incident.Status
	for _, s := range incident.Statuses() {
		if s != cur && incident.CheckTransition(cur, s) == nil {
			out = append(out, s)
		}
	}
	return out
}
