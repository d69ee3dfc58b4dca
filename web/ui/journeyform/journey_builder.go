package journeyform

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

// draftForm fills a new journey's form from spans ticked in a trace:
// ?trace=ID&span=ID&span=ID…
func (h *Handler) draftForm(ctx context.Context, q url.Values) (*JourneyForm, error) {
	traceID := strings.TrimSpace(q.Get("trace"))
	t, err := h.traces.Trace(ctx, traceID)
	if err != nil {
		return nil, httpx.Missing(err, "trace %q", traceID)
	}
	d, err := draft.FromTrace(t, q["span"])
	if err != nil {
		if errors.Is(err, draft.ErrSelection) {
			return nil, httpx.Errorf(http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), draft.ErrSelection.Error()+": "))
		}
		return nil, fmt.Errorf("draft journey from trace %s: %w", traceID, err)
	}
	f := journeyForm(d.Journey)
	f.SegmentOffers, f.ValueOffers = d.Segments, d.Values
	f.Origin = fmt.Sprintf("Drafted from %d spans of trace %s: one step per span, correlated by %s. Check the names and save.",
		len(d.Journey.Spec.Steps), traceID, d.Journey.Spec.Correlation.By)
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
