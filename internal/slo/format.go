package slo

import (
	"math"
	"strconv"
	"time"
)

// reaches reports whether v is at least limit, counting values within a
// relative 1e-9 of it as equal: 144 bad of 1000 events at a 1% budget is a
// burn of exactly 14.4 to a person, but 14.399999999999999 in floating
// point.
func reaches(v, limit float64) bool {
	return v >= limit || math.Abs(v-limit) <= 1e-9*math.Abs(limit)
}

// exceeds reports whether v is above limit by more than rounding noise.
func exceeds(v, limit float64) bool { return !reaches(limit, v) }

// FormatRate writes a burn rate or ratio as "14.4×", to two decimals.
func FormatRate(x float64) string { return FormatNumber(x) + "×" }

// FormatPercent writes a share as "0.5%", to two decimals.
func FormatPercent(x float64) string { return FormatNumber(x*100) + "%" }

// FormatNumber writes x to at most two decimals: 14.4, 0.5, 3.
func FormatNumber(x float64) string {
	v := math.Round(x*100) / 100
	if v == 0 {
		v = 0 // not -0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// formatClock writes an instant for a reason, in loc: 12:03 UTC on now's
// day, 2 Jan 12:03 UTC on another.
func formatClock(t time.Time, loc *time.Location, now time.Time) string {
	lt, ln := t.In(loc), now.In(loc)
	if lt.Year() == ln.Year() && lt.YearDay() == ln.YearDay() {
		return lt.Format("15:04 MST")
	}
	return lt.Format("2 Jan 15:04 MST")
}
