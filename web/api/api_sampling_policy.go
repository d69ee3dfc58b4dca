package api

import (
	"net/http"

	"github.com/waymarkhq/waymark/internal/sampling"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// SamplingPolicy answers the collector tail_sampling configuration for the
// journeys (?journey=, repeatable; every one by default): the same bytes
// `waymark sampling policy` prints for the same options, as YAML with
// comments or, with format=json, as JSON.
func (h *Handler) SamplingPolicy(w http.ResponseWriter, r *http.Request) {
	req, err := journeyhttp.ParseSamplingRequest(r.URL.Query())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	recs, err := h.store.ListJourneys(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	out, err := journeyhttp.SamplingPolicy(recs, req)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	ct := "application/yaml; charset=utf-8"
	if req.Opts.Format == sampling.FormatJSON {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}
