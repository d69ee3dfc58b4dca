package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/suggest"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// suggestions is the answer of every suggestion endpoint.
type suggestions struct {
	Values []suggest.Suggestion `json:"values"`
}

// Suggest lists what the traces hold, most frequent first, for the
// editor's autocomplete: /api/v1/suggest/{what} where what is services,
// spans (?service=), kinds, attributes (?service=&span=), values (?key=,
// optionally ?service=&span=), correlation or value-keys; ?range= (15m,
// 1h, 6h, 24h, 7d or a Go duration) sets how far back to look, an hour by
// default.
func (h *Handler) Suggest(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sq := suggest.Query{Service: strings.TrimSpace(q.Get("service")), Span: strings.TrimSpace(q.Get("span"))}
	rng, err := SuggestRange(q.Get("range"))
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	sq.Range = rng
	what := chi.URLParam(r, "what")
	if what == "spans" && sq.Service == "" {
		h.Fail(w, r, httpx.ParamError("service", "name the service whose span names to list"))
		return
	}
	items, err := h.builder.Suggest(r.Context(), what, strings.TrimSpace(q.Get("key")), sq)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.WriteJSON(w, r, http.StatusOK, suggestions{Values: items})
}

// SuggestRange reads a suggestion's ?range=: a preset of the range picker
// or a Go duration; empty is the suggester's default.
func SuggestRange(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	if i := slices.IndexFunc(journeyhttp.RangePresets, func(p journeyhttp.RangePreset) bool { return p.Name == v }); i >= 0 {
		return journeyhttp.RangePresets[i].D, nil
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, httpx.ParamError("range", "%q is not a duration such as 15m, 1h or 24h", v)
	case d <= 0:
		return 0, httpx.ParamError("range", "%q must be positive", v)
	case d > suggest.MaxRange:
		return 0, httpx.ParamError("range", "%q is longer than %s", v, journeys.NewDuration(suggest.MaxRange))
	}
	return d, nil
}
