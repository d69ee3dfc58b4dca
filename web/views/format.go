package views

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Numbers are shown rounded for people and carried exactly in data-value
// attributes, so that a test or a script can compare a page with the API.

// dataInt is the exact form of a count for data-value.
func dataInt(n int64) string { return strconv.FormatInt(n, 10) }

// dataFloat is the exact form of a number for data-value: the shortest text
// that reads back as the same float64, as encoding/json writes it.
func dataFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// count writes a count with thousands separators: 12,345.
func count(n int64) string {
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

// trimZeros drops trailing zeros after a decimal point, and the point.
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// ratio writes a fraction as a percentage with one decimal, two below 1%,
// so that a rare error still shows: 0.0004 reads 0.04%, 1/3 reads 33.3%.
func ratio(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	v := f * 100
	prec := 1
	if math.Abs(v) < 1 {
		prec = 2
	}
	return trimZeros(strconv.FormatFloat(v, 'f', prec, 64)) + "%"
}

// rate writes a per-minute rate with about three significant digits.
func rate(f float64) string {
	prec := 0
	switch a := math.Abs(f); {
	case a < 10:
		prec = 2
	case a < 100:
		prec = 1
	}
	return trimZeros(strconv.FormatFloat(f, 'f', prec, 64)) + "/min"
}

// millis writes a latency given in milliseconds: 0.42 ms, 8.5 ms, 245 ms,
// 1.25 s, 2m5s.
func millis(ms float64) string {
	switch a := math.Abs(ms); {
	case math.IsNaN(ms) || math.IsInf(ms, 0):
		return "—"
	case a < 1:
		return trimZeros(strconv.FormatFloat(ms, 'f', 2, 64)) + " ms"
	case a < 10:
		return trimZeros(strconv.FormatFloat(ms, 'f', 1, 64)) + " ms"
	case a < 1000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	case a < 60_000:
		return trimZeros(strconv.FormatFloat(ms/1000, 'f', 2, 64)) + " s"
	}
	return time.Duration(ms * float64(time.Millisecond)).Round(time.Second).String()
}

// duration writes a span duration the way millis does.
func duration(d time.Duration) string {
	return millis(float64(d) / float64(time.Millisecond))
}

// clock writes an instant for a status line: the time of day when it is
// on the same UTC day as now, else with its date.
func clock(t, now time.Time, withSeconds bool) string {
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

// shortID is the start of a trace id, enough to tell traces apart on a
// page; the full id is in the link. A 64-bit id padded to 128 bits starts
// with 16 zeros, which tell nothing, so they are skipped.
func shortID(id string) string {
	if len(id) == 32 && strings.HasPrefix(id, "0000000000000000") {
		id = id[16:]
	}
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
