package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/alerting"
	"github.com/waymarkhq/waymark/internal/slo"
)

// gateAnswer is a gate's JSON: the alerting package's result, which `waymark
// gate` decodes, and beside it on a 4xx the error object every API error
// has, so that other clients read the one error shape.
type gateAnswer struct {
	alerting.GateResult
	Error *apiErrorBody `json:"error,omitempty"`
}

// apiJourneyGate decides whether a deployment may proceed on a journey's
// SLOs: ?max_burn= (default 1) over ?window= (default 1h), and a canary
// with ?candidate=KEY=VALUE&baseline=KEY=VALUE and optionally
// ?max_error_rate_delta= and ?max_p95_ratio=. It answers 200 with the
// verdict, pass, fail or cannot_decide; 400 naming each bad parameter;
// 404 for an unknown journey, with a cannot_decide verdict either way.
func (h *handler) apiJourneyGate(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	q, err := alerting.ParseGateQuery(r.URL.Query())
	if err != nil {
		var ve *alerting.ValidationError
		if !errors.As(err, &ve) {
			h.fail(w, r, err)
			return
		}
		res := alerting.BadGateRequest(slug, err)
		res.At = h.now().UTC()
		h.writeJSON(w, r, http.StatusBadRequest, gateAnswer{
			GateResult: res,
			Error:      &apiErrorBody{Message: "bad gate parameters: " + ve.Error(), Fields: ve.Fields},
		})
		return
	}
	if h.alerting == nil {
		h.fail(w, r, errNoAlerting)
		return
	}
	res, err := h.alerting.RunGate(r.Context(), slug, q)
	var ve *alerting.ValidationError
	switch {
	case errors.Is(err, alerting.ErrNotFound):
		if res.Verdict == "" {
			// Deleted between the gate's reads.
			res = alerting.GateResult{Verdict: slo.VerdictCannotDecide, Reason: fmt.Sprintf("journey %q not found", slug),
				Journey: slug, Checks: []alerting.GateCheck{}}
		}
		h.writeJSON(w, r, http.StatusNotFound, gateAnswer{GateResult: res, Error: &apiErrorBody{Message: res.Reason}})
		return
	case errors.As(err, &ve):
		h.writeJSON(w, r, http.StatusBadRequest, gateAnswer{
			GateResult: res,
			Error:      &apiErrorBody{Message: "bad gate parameters: " + ve.Error(), Fields: ve.Fields},
		})
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusOK, gateAnswer{GateResult: res})
}
