package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentRelated suggests traces for an incident: errors on its steps
// during its window, not linked yet, those failing like the linked traces
// first. ?limit= caps them (1 to 100), ?error= ranks another error first.
func (h *Handler) IncidentRelated(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	q := r.URL.Query()
	opts := incident.RelatedOptions{Error: strings.TrimSpace(q.Get("error"))}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			h.Fail(w, r, httpx.ParamError("limit", "%q is not a whole number from 1 to 100", v))
			return
		}
		opts.Limit = n
	}
	list, err := h.incidents.Related(r.Context(), id, opts)
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	if list == nil {
		list = []incident.Suggestion{}
	}
	h.WriteJSON(w, r, http.StatusOK, apiSuggestions{Suggestions: list})
}
