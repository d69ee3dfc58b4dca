package incidents

import (
	"net/http"

	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentList lists incidents, latest start first: ?status= (repeatable),
// ?journey=, and ?from= / ?to= (RFC 3339) keep those in any of the
// statuses, affecting the journey, and whose window overlaps the range.
func (h *Handler) IncidentList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := incidenthttp.ParseFilter(q)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	// One more than shown tells whether there are more.
	f.Limit = incidenthttp.ListLimit + 1
	list, err := h.incidents.List(r.Context(), f)
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	recs, err := h.store.ListJourneys(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	l := IncidentList{
		Incidents: list,
		Filter: IncidentFilter{
			Statuses: q["status"], Journey: q.Get("journey"), From: q.Get("from"), To: q.Get("to"),
		},
		Limit: incidenthttp.ListLimit,
	}
	if len(list) > incidenthttp.ListLimit {
		l.Incidents, l.Truncated = list[:incidenthttp.ListLimit], true
	}
	for _, rec := range recs {
		l.Journeys = append(l.Journeys, rec.Journey.Metadata.Slug)
	}
	h.Render(w, r, http.StatusOK, IncidentListPage(h.Site, l))
}
