package journeyhttp

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/web/httpx"
)

// Query is what a request for a journey's numbers names: the journey of
// the URL's {slug}, a time window (?range=, ?from=, ?to=) and a segment
// (?segment=KEY=VALUE, nil for all traffic).
type Query struct {
	// Record is the journey, as stored.
	Record journeystore.JourneyRecord
	// Window is the time range to report on.
	Window Window
	// Segment is the traffic to count, nil for all.
	Segment *rollup.Segment
}

// ReadQuery reads the journey, window and segment a request asks about,
// the same for the map and the stats API: the window first, so that a bad
// range is a 400 even for an unknown journey.
func ReadQuery(r *http.Request, st *journeystore.Store, now time.Time) (Query, error) {
	slug := chi.URLParam(r, "slug")
	q := r.URL.Query()
	win, err := ParseWindow(q, now)
	if err != nil {
		return Query{}, err
	}
	if err := BadSlug(slug); err != nil {
		return Query{}, err
	}
	rec, err := st.GetJourney(r.Context(), slug)
	if err != nil {
		return Query{}, httpx.Missing(err, "journey %q", slug)
	}
	seg, err := ParseSegment(q.Get("segment"), rec.Journey)
	if err != nil {
		return Query{}, err
	}
	return Query{Record: rec, Window: win, Segment: seg}, nil
}
