package incidents

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// IncidentNew shows the new-incident form. "Open incident" links beside
// traces prefill it: trace (the id), journey and step (the step the trace
// stands for, by 1-based position or name), at (when it started, RFC 3339)
// and error (its first error). Submitting it then opens the incident and
// links the trace in one go.
func (h *Handler) IncidentNew(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := &IncidentForm{
		Action:   "/incidents/new",
		Severity: string(incident.SEV3),
		Status:   string(incident.StatusInvestigating),
		Statuses: statusOptions(""),
	}
	ctx := r.Context()
	traceID := strings.TrimSpace(q.Get("trace"))
	if norm, ok := journeys.NormalizeTraceID(traceID); ok {
		traceID = norm
	}
	f.TraceID = traceID
	errMsg := strings.TrimSpace(q.Get("error"))
	if traceID != "" {
		if t := h.tracePreview(ctx, traceID); t != nil {
			f.Trace = t
			errMsg = cmp.Or(errMsg, t.Error)
		}
	}
	var stepName, journeyName string
	if slug := strings.TrimSpace(q.Get("journey")); slug != "" {
		f.Journeys = slug
		if j, name, ok := h.inc.ResolveStep(ctx, slug, strings.TrimSpace(q.Get("step"))); ok {
			journeyName, stepName = j.Metadata.Name, name
			if line := incidenthttp.StepLine(slug, name); line != "" {
				f.Steps = line
				if traceID != "" {
					f.Step = line
				}
			}
		}
	}
	if at := strings.TrimSpace(q.Get("at")); at != "" {
		// A time that does not parse is shown as given, for the form's
		// validation to point at.
		f.StartedAt = at
		if t, err := httpx.ParseFormTime(at); err == nil {
			// Whole seconds read better, and starting a little before the
			// trace keeps it inside the incident.
			f.StartedAt = httpx.FormTime(t.Truncate(time.Second))
		}
	}
	f.Title = prefillTitle(traceID, journeyName, stepName, errMsg)
	f.SetErrors(nil)
	h.Render(w, r, http.StatusOK, IncidentEdit(h.Site, f))
}

// tracePreview reads a trace for the form to describe, or nil when it
// cannot: the form works without.
func (h *Handler) tracePreview(ctx context.Context, traceID string) *TracePreview {
	if !h.Site.Traces {
		return nil
	}
	t, err := h.traces.Trace(ctx, traceID)
	if err != nil || len(t.Spans) == 0 {
		if err != nil && ctx.Err() == nil {
			h.Log.LogAttrs(ctx, slog.LevelDebug, "preview trace", slog.String("trace_id", traceID), slog.String("error", err.Error()))
		}
		return nil
	}
	wf := layout.NewWaterfall(t)
	p := &TracePreview{Start: wf.Start, Duration: wf.Duration, Spans: len(t.Spans)}
	if len(wf.Rows) > 0 {
		p.RootService, p.RootName = wf.Rows[0].Span.Service, wf.Rows[0].Span.Name
	}
	for _, sp := range t.Spans {
		if sp.Error {
			p.Error = cmp.Or(strings.TrimSpace(sp.StatusMessage), "error")
			break
		}
	}
	return p
}

// maxPrefilledError bounds the error message a prefilled title quotes.
const maxPrefilledError = 150

// prefillTitle proposes a title from what led to the form: the failing
// step and its error, else the trace.
func prefillTitle(traceID, journeyName, stepName, errMsg string) string {
	errMsg = clip(strings.Join(strings.Fields(errMsg), " "), maxPrefilledError)
	where := stepName
	if where != "" && journeyName != "" {
		where = journeyName + " / " + stepName
	}
	switch {
	case errMsg != "" && where != "":
		return where + " failing: " + errMsg
	case errMsg != "":
		return errMsg
	case traceID != "" && where != "":
		return where + ": trace " + shortTrace(traceID)
	case traceID != "":
		return "Trace " + shortTrace(traceID)
	}
	return ""
}

// shortTrace is the start of a trace id, skipping the zeros a 64-bit id
// padded to 128 bits starts with, as the pages show ids.
func shortTrace(id string) string {
	if len(id) == 32 && strings.HasPrefix(id, "0000000000000000") {
		id = id[16:]
	}
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
