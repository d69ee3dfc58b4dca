package sloeval

import (
	"time"

	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
)

// sloWindow returns the window an SLO's budget is counted over. Burn alert
// windows scale with its nominal length (see slo.ScaledPairs).
func sloWindow(def journeys.SLO) (slo.Window, error) {
	return slo.ForSLO(def, time.UTC)
}

// windowLength is how far back from end the budget of w counts: a rolling
// window's length, or the time since the calendar period began.
func windowLength(w slo.Window, end time.Time) time.Duration {
	if !w.IsCalendar() {
		return w.Length()
	}
	from, _ := w.Bounds(end)
	return end.Sub(from)
}
