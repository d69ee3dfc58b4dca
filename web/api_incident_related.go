package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/internal/incident"
)

// apiIncidentRelated suggests traces for an incident: errors on its steps
// during its window, not linked yet, those failing like the linked traces
// first. ?limit= caps them (1 to 100), ?error= ranks another error first.
func (h *handler) apiIncidentRelated(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	opts := incident.RelatedOptions{Error: strings.TrimSpace(q.Get("error"))}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			h.fail(w, r, paramError("limit", "%q is not a whole number from 1 to 100", v))
			return
		}
		opts.Limit = n
	}
	list, err := h.incidents.Related(r.Context(), id, opts)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	if list == nil {
		list = []incident.Suggestion{}
	}
	h.writeJSON(w, r, http.StatusOK, apiSuggestions{Suggestions: list})
}
