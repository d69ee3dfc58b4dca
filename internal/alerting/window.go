package alerting

import (
	"strings"
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

// windowSpec is the window as payloads spell it: a duration such as 28d
// (the default included), month or week.
func windowSpec(def journeys.SLO) string {
	if def.IsCalendar() {
		return string(def.Calendar)
	}
	return journeys.NewDuration(def.EffectiveWindow()).String()
}

// weekStartSpec is the first day of a week window in lower case, empty for
// other windows.
func weekStartSpec(def journeys.SLO) string {
	if def.Calendar != journeys.CalendarWeek {
		return ""
	}
	return strings.ToLower(def.FirstWeekday().String())
}

// zoneSpec is the time zone of a calendar window, empty for rolling ones.
func zoneSpec(def journeys.SLO) string {
	if !def.IsCalendar() {
		return ""
	}
	if def.TimeZone == "" {
		return "UTC"
	}
	return def.TimeZone
}
