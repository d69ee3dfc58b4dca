package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/deploy/gate"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/web/httpx"
)

// gateAnswer is a gate's JSON: the gate package's result, which `waymark
// gate` decodes, and beside it on a 4xx the error object every API error
// has, so that other clients read the one error shape.
type gateAnswer struct {
	gate.Result
	Error *httpx.ErrorBody `json:"error,omitempty"`
}

// JourneyGate decides whether a deployment may proceed on a journey's
// SLOs: ?max_burn= (default 1) over ?window= (default 1h), and a canary
// with ?candidate=KEY=VALUE&baseline=KEY=VALUE and optionally
// ?max_error_rate_delta= and ?max_p95_ratio=. It answers 200 with the
// verdict, pass, fail or cannot_decide; 400 naming each bad parameter;
// 404 for an unknown journey, with a cannot_decide verdict either way.
func (h *Handler) JourneyGate(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	q, err := gate.ParseGateQuery(r.URL.Query())
	if err != nil {
		var ve *fault.Invalid
		if !errors.As(err, &ve) {
			h.Fail(w, r, err)
			return
		}
		res := gate.BadGateRequest(slug, err)
		res.At = h.Now().UTC()
		h.WriteJSON(w, r, http.StatusBadRequest, gateAnswer{
			Result: res,
			Error:  &httpx.ErrorBody{Message: "bad gate parameters: " + ve.Error(), Fields: ve.Fields},
		})
		return
	}
	res, err := h.alerting.RunGate(r.Context(), slug, q)
	var ve *fault.Invalid
	switch {
	case errors.Is(err, fault.ErrNotFound):
		if res.Verdict == "" {
			// Deleted between the gate's reads.
			res = gate.Result{Verdict: slo.VerdictCannotDecide, Reason: fmt.Sprintf("journey %q not found", slug),
				Journey: slug, Checks: []gate.Check{}}
		}
		h.WriteJSON(w, r, http.StatusNotFound, gateAnswer{Result: res, Error: &httpx.ErrorBody{Message: res.Reason}})
		return
	case errors.As(err, &ve):
		h.WriteJSON(w, r, http.StatusBadRequest, gateAnswer{
			Result: res,
			Error:  &httpx.ErrorBody{Message: "bad gate parameters: " + ve.Error(), Fields: ve.Fields},
		})
		return
	case err != nil:
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, gateAnswer{Result: res})
}
