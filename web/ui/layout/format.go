package layout

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Numbers are shown rounded for people and carried exactly in data-value
// attributes, so that a test or a script can compare a page with the API.

// DataInt is the exact form of a count for data-value.
func DataInt(n int64) string { return strconv.FormatInt(n, 10) }

// DataFloat is the exact form of a number for data-value: the shortest text
// that reads back as the same float64, as encoding/json writes it.
func DataFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Count writes a count with thousands separators: 12,345.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TrimZeros drops trailing zeros after a decimal point, and the point.
func TrimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Ratio writes a fraction as a percentage with one decimal, two below 1%,
// so that a rare error still shows: 0.0004 reads 0.04%, 1/3 reads 33.3%.
func Ratio(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	v := f * 100
	prec := 1
	if math.Abs(v) < 1 {
		prec = 2
	}
	return TrimZeros(strconv.FormatFloat(v, 'f', prec, 64)) + "%"
}

// Rate writes a per-minute rate with about three significant digits.
func Rate(f float64) string {
	prec := 0
	switch a := math.Abs(f); {
	case a < 10:
		prec = 2
	case a < 100:
		prec = 1
	}
	return TrimZeros(strconv.FormatFloat(f, 'f', prec, 64)) + "/min"
}

// Millis writes a latency given in milliseconds: 0.42 ms, 8.5 ms, 245 ms,
// 1.25 s, 2m5s.
func Millis(ms float64) string {
	switch a := math.Abs(ms); {
	case math.IsNaN(ms) || math.IsInf(ms, 0):
		return "—"
	case a < 1:
		return TrimZeros(strconv.FormatFloat(ms, 'f', 2, 64)) + " ms"
	case a < 10:
		return TrimZeros(strconv.FormatFloat(ms, 'f', 1, 64)) + " ms"
	case a < 1000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	case a < 60_000:
		return TrimZeros(strconv.FormatFloat(ms/1000, 'f', 2, 64)) + " s"
	}
	return time.Duration(ms * float64(time.Millisecond)).Round(time.Second).String()
}

// Duration writes a span duration the way millis does.
func Duration(d time.Duration) string {
	return Millis(float64(d) / float64(time.Millisecond))
}

// Clock writes an instant for a status line: the time of day when it is
// on the same UTC day as now, else with its date.
func Clock(t, now time.Time, withSeconds bool) string {
	t = t.UTC()
	layout := "15:04"
	if withSeconds {
		layout = "15:04:05"
	}
	if y, m, d := t.Date(); y != now.UTC().Year() || m != now.UTC().Month() || d != now.UTC().Day() {
		layout = "2006-01-02 " + layout
	}
	return t.Format(layout) + " UTC"
}

// ShortID is the start of a trace id, enough to tell traces apart on a
// page; the full id is in the link. A 64-bit id padded to 128 bits starts
// with 16 zeros, which tell nothing, so they are skipped.
func ShortID(id string) string {
	if len(id) == 32 && strings.HasPrefix(id, "0000000000000000") {
		id = id[16:]
	}
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// Itoa writes n in decimal, for templates.
func Itoa(n int) string { return strconv.Itoa(n) }

// WindowText writes an SLO or alert window as alerts and notifications
// do (journeys.FormatWindow): 28d, 5h36m, and 24h for a single day.
func WindowText(d time.Duration) string { return journeys.FormatWindow(d) }
