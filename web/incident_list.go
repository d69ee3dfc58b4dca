package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// incidentListLimit is how many incidents the list page shows.
const incidentListLimit = 200

// incidentList lists incidents, latest start first: ?status= (repeatable),
// ?journey=, and ?from= / ?to= (RFC 3339) keep those in any of the
// statuses, affecting the journey, and whose window overlaps the range.
func (h *handler) incidentList(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	q := r.URL.Query()
	f, err := parseIncidentFilter(q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// One more than shown tells whether there are more.
	f.Limit = incidentListLimit + 1
	list, err := h.incidents.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	recs, err := h.store.ListJourneys(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := views.IncidentList{
		Incidents: list,
		Filter: views.IncidentFilter{
			Statuses: q["status"], Journey: q.Get("journey"), From: q.Get("from"), To: q.Get("to"),
		},
		Limit: incidentListLimit,
	}
	if len(list) > incidentListLimit {
		l.Incidents, l.Truncated = list[:incidentListLimit], true
	}
	for _, rec := range recs {
		l.Journeys = append(l.Journeys, rec.Journey.Metadata.Slug)
	}
	h.render(w, r, http.StatusOK, views.IncidentListPage(h.site, l))
}

// parseIncidentFilter reads the list's filter, as the page and the API
// take it. Each bad parameter is a 400 naming it.
func parseIncidentFilter(q url.Values) (incident.Filter, error) {
	var f incident.Filter
	for _, raw := range q["status"] {
		// status=a,b reads as status=a&status=b; an empty value (the
		// "any" of a form) keeps everything.
		for _, s := range strings.Split(raw, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			st := incident.Status(s)
			if !st.Valid() {
				return f, paramError("status", "%q is not one of investigating, identified, monitoring or resolved", s)
			}
			if !slices.Contains(f.Statuses, st) {
				f.Statuses = append(f.Statuses, st)
			}
		}
	}
	if j := strings.TrimSpace(q.Get("journey")); j != "" {
		if !journeys.ValidSlug(j) {
			return f, paramError("journey", "%q is not a journey slug", j)
		}
		f.Journey = j
	}
	var err error
	if v := strings.TrimSpace(q.Get("from")); v != "" {
		if f.From, err = parseTime("from", v); err != nil {
			return f, err
		}
	}
	if v := strings.TrimSpace(q.Get("to")); v != "" {
		if f.To, err = parseTime("to", v); err != nil {
			return f, err
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, paramError("from", "%s is not before to (%s)", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	if v := strings.TrimSpace(q.Get("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > incident.MaxListLimit {
			return f, paramError("limit", "%q is not a whole number from 1 to %d", v, incident.MaxListLimit)
		}
		f.Limit = n
	}
	return f, nil
}
