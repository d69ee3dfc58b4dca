package journeyform

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/internal/draft"
	"github.com/waymarkhq/waymark/internal/suggest"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

func yamlError(path, msg string) layout.FieldError {
	return layout.FieldError{Path: path, Message: msg}
}

// ready readies a form for the builder: suggestions and previews when the
// builder reads a trace source, with the services to offer at once.
func (h *Handler) ready(ctx context.Context, f *JourneyForm) {
	f.Live = h.live
	if !h.live {
		return
	}
	f.Services = h.suggestions(ctx, "services-0", "services", "", suggest.Query{})
	// The span names of each step whose service is known, so that they
	// are there without JavaScript too.
	f.SpanLists = make([]Suggestions, len(f.Steps))
	for i, s := range f.Steps {
		list := "spans-" + strconv.Itoa(i)
		f.SpanLists[i] = Suggestions{List: list}
		if s.Service != "" && f.Services.Error == "" {
			f.SpanLists[i] = h.suggestions(ctx, list, "spans", "", suggest.Query{Service: s.Service})
		}
	}
}

// previewForm runs the "Preview journey" button: the form's journey over
// the range picked, nothing saved. Fields the preview cannot read are
// shown beside them, as a save would.
func (h *Handler) previewForm(w http.ResponseWriter, r *http.Request, f *JourneyForm) {
	f.PreviewRange = r.PostForm.Get("preview.range")
	rows := *f
	rows.Steps = append([]StepForm(nil), f.Steps...)
	rows.SLOs = append([]SLOForm(nil), f.SLOs...)
	dropBlankRows(&rows)
	j, errs := formJourney(&rows)
	if len(errs) == 0 {
		var fields map[string]string
		f.Preview, fields, f.PreviewMessage = h.runPreview(r.Context(), j, f.PreviewRange)
		errs = fields
	}
	if len(errs) > 0 {
		f.PreviewMessage = "Fix the problems above to preview the journey."
		if len(rows.Steps) != len(f.Steps) {
			// Indexes in errs are of the filled rows; show them on those.
			f.Steps, f.SLOs = rows.Steps, rows.SLOs
		}
	}
	padSteps(f)
	f.SetErrors(formMessages(errs, len(rows.Steps)))
	h.ready(r.Context(), f)
	h.Render(w, r, http.StatusOK, JourneyEdit(h.Site, f))
}

// previewYAML runs the YAML tab's dry run.
func (h *Handler) previewYAML(w http.ResponseWriter, r *http.Request, f JourneyYAMLForm) {
	f.PreviewRange = r.PostForm.Get("preview.range")
	js, err := journeys.DecodeYAML([]byte(f.Text))
	switch {
	case err != nil:
		f.PreviewMessage = "The YAML does not read; fix it to run a dry run."
		var ve *journeys.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Paths() {
				f.Errors = append(f.Errors, yamlError(p, ve.Fields[p]))
			}
		}
	case len(js) != 1:
		f.PreviewMessage = fmt.Sprintf("found %d journeys; a dry run takes one at a time", len(js))
	default:
		var fields map[string]string
		f.Preview, fields, f.PreviewMessage = h.runPreview(r.Context(), js[0], f.PreviewRange)
		for _, p := range (&journeys.ValidationError{Fields: fields}).Paths() {
			f.Errors = append(f.Errors, yamlError(p, fields[p]))
		}
		if len(fields) > 0 {
			f.PreviewMessage = "Fix the problems above to run a dry run."
		}
	}
	f.Live = h.live
	h.Render(w, r, http.StatusOK, JourneyYAML(h.Site, f))
}

// errTooFew is fewer spans picked than a journey has steps.
var errTooFew = httpx.Errorf(http.StatusBadRequest, "pick at least %d spans, one per step", journeys.MinSteps)

// tooFew reports whether err is errTooFew.
func tooFew(err error) bool { return errors.Is(err, errTooFew) }

// maxDraftTraces bounds the traces one draft reads.
const maxDraftTraces = 20

// draftForm fills a new journey's form from spans ticked in a trace,
// ?trace=ID&span=ID&span=ID…, or picked across traces (a session's),
// ?pick=TRACE:SPAN&pick=TRACE:SPAN…
func (h *Handler) draftForm(ctx context.Context, q url.Values) (*JourneyForm, error) {
	var picks []draft.Pick
	traceID := strings.TrimSpace(q.Get("trace"))
	if traceID != "" {
		for _, s := range q["span"] {
			picks = append(picks, draft.Pick{TraceID: traceID, SpanID: strings.TrimSpace(s)})
		}
	}
	for _, p := range q["pick"] {
		t, s, ok := strings.Cut(strings.TrimSpace(p), ":")
		if !ok {
			return nil, httpx.ParamError("pick", "%q is not TRACE:SPAN, a trace id and a span id", p)
		}
		picks = append(picks, draft.Pick{TraceID: t, SpanID: s})
	}
	var traces []journeys.Trace
	seen := map[string]bool{}
	for _, p := range picks {
		id, ok := journeys.NormalizeTraceID(p.TraceID)
		if !ok {
			return nil, httpx.Errorf(http.StatusBadRequest, "%q is not a trace id: expected 1 to 32 hexadecimal characters", p.TraceID)
		}
		if seen[id] {
			continue
		}
		if seen[id] = true; len(seen) > maxDraftTraces {
			return nil, httpx.Errorf(http.StatusBadRequest, "pick spans of at most %d traces", maxDraftTraces)
		}
		t, err := h.traces.Trace(ctx, id)
		if err != nil {
			return nil, httpx.Missing(err, "trace %s", id)
		}
		traces = append(traces, t)
	}
	if len(picks) < journeys.MinSteps {
		return nil, errTooFew
	}
	d, err := draft.FromTraces(traces, picks)
	if err != nil {
		if errors.Is(err, draft.ErrSelection) {
			return nil, httpx.Errorf(http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), draft.ErrSelection.Error()+": "))
		}
		return nil, fmt.Errorf("draft journey: %w", err)
	}
	f := journeyForm(d.Journey)
	f.SegmentOffers, f.ValueOffers = d.Segments, d.Values
	from := strconv.Itoa(len(traces)) + " traces"
	if len(traces) == 1 {
		from = "trace " + traces[0].TraceID
	}
	f.Origin = fmt.Sprintf("Drafted from %d spans of %s: one step per span, correlated by %s. Check the names and save.",
		len(d.Journey.Spec.Steps), from, d.Journey.Spec.Correlation.By)
	return f, nil
}

// suggestedForm fills a new journey's form with a journey proposed from
// traffic: ?suggested=SLUG.
func (h *Handler) suggestedForm(ctx context.Context, slug string) (*JourneyForm, error) {
	res, err := h.builder.Suggested(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range res.Candidates {
		if c.Journey.Metadata.Slug == slug {
			f := journeyForm(c.Journey)
			f.Origin = "Suggested from traffic: " + c.Summary + ". Check the names and save."
			return f, nil
		}
	}
	return nil, httpx.Errorf(http.StatusNotFound, "no suggested journey %q in the last hour's traffic; see /journeys/suggested", slug)
}
