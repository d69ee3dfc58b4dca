package pipeline

import (
	"errors"
	"net/http"
	"slices"

	"github.com/waymarkhq/waymark/internal/sampling"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// SamplingPage is the policy form and, when its inputs are valid, the
// configuration they give.
type SamplingPage struct {
	// Journeys are every journey's slug, to pick from; Picked those asked
	// for (none means all).
	Journeys []string
	Picked   []string
	KeepRate string
	StepRate string
	Wait     string
	// Errors maps a field to what is wrong with it.
	Errors map[string]string
	// Policy is the configuration, empty when the form has errors or
	// there are no journeys yet.
	Policy string
	// APIPath is the same policy from the JSON API, for scripts.
	APIPath string
	CopyJS  string
	// Version is the collector-contrib release the policy is checked
	// against.
	Version string
}

// Sampling shows the collector tail_sampling policy derived from the
// journeys, with a copy button: what to paste into a collector so that
// every failed or slow journey step keeps its trace.
func (h *Handler) Sampling(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := SamplingPage{
		Picked:   q["journey"],
		KeepRate: q.Get("keep_rate"),
		StepRate: q.Get("step_keep_rate"),
		Wait:     q.Get("decision_wait"),
		CopyJS:   h.Site.CopyJS,
		Version:  sampling.ProcessorVersion,
		APIPath:  "/api/v1/sampling/policy",
	}
	defaults := sampling.DefaultOptions()
	if p.KeepRate == "" {
		p.KeepRate = journeyhttp.FormatRate(defaults.KeepRate)
	}
	if p.StepRate == "" {
		p.StepRate = journeyhttp.FormatRate(defaults.StepKeepRate)
	}
	if p.Wait == "" {
		p.Wait = journeyhttp.DurationText(defaults.DecisionWait)
	}
	recs, err := h.store.ListJourneys(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	for _, rec := range recs {
		p.Journeys = append(p.Journeys, rec.Journey.Metadata.Slug)
	}
	status := http.StatusOK
	req, err := journeyhttp.ParseSamplingRequest(q)
	if err == nil {
		var out []byte
		out, err = journeyhttp.SamplingPolicy(recs, req)
		p.Policy = string(out)
	}
	var bad *httpx.Error
	switch {
	case errors.As(err, &bad) && bad.Status < 500 && len(bad.Fields) > 0:
		p.Errors = bad.Fields
		if len(p.Journeys) > 0 {
			// The form is shown again beside its messages, and a
			// script reading the status learns the request was bad.
			status = http.StatusBadRequest
		}
	case err != nil:
		h.Fail(w, r, err)
		return
	}
	if r.URL.RawQuery != "" {
		p.APIPath += "?" + r.URL.RawQuery
	}
	h.Render(w, r, status, SamplingShow(h.Site, p))
}

func (p SamplingPage) picked(slug string) bool { return slices.Contains(p.Picked, slug) }
