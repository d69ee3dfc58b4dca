package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/journeys"
)

// rangePreset is a time range the pickers offer, ending now.
type rangePreset struct {
	name string
	d    time.Duration
}

// rangePresets are the ranges offered in one click, shortest first.
var rangePresets = []rangePreset{
	{"15m", 15 * time.Minute},
	{"1h", time.Hour},
	{"6h", 6 * time.Hour},
	{"24h", 24 * time.Hour},
	{"7d", 7 * 24 * time.Hour},
}

// customRange is the range picker's value for explicit from and to.
const customRange = "custom"

// defaultRange is what a page or the API reports on when asked nothing.
const defaultRange = time.Hour

// maxRange bounds a range: rollups older than this are gone or too coarse
// to be worth a query that reads every row of a journey.
const maxRange = 90 * 24 * time.Hour

// timeWindow is the time range a page or the API reports on: rollup
// buckets starting in [From, To).
type timeWindow struct {
	From, To time.Time
	// Preset names the picker's range ("1h"), or is customRange.
	Preset string
}

// Minutes is the length of the window in minutes, for per-minute rates.
func (w timeWindow) Minutes() float64 { return w.To.Sub(w.From).Minutes() }

// paramError is a 400 naming the query parameter at fault.
func paramError(param, format string, args ...any) *httpError {
	msg := fmt.Sprintf(format, args...)
	return &httpError{status: http.StatusBadRequest, msg: param + ": " + msg, fields: map[string]string{param: msg}}
}

// parseWindow reads range, from and to. A preset range ends at now,
// minute-aligned, and ignores from and to; otherwise to defaults to now
// (minute-aligned) and from to an hour before to.
func parseWindow(q url.Values, now time.Time) (timeWindow, error) {
	end := now.UTC().Truncate(time.Minute)
	name := q.Get("range")
	if name != "" && name != customRange {
		i := slices.IndexFunc(rangePresets, func(p rangePreset) bool { return p.name == name })
		if i < 0 {
			return timeWindow{}, paramError("range", "%q is not one of %s or %s", name, presetNames(), customRange)
		}
		return timeWindow{From: end.Add(-rangePresets[i].d), To: end, Preset: name}, nil
	}
	w := timeWindow{To: end, Preset: customRange}
	var err error
	if v := q.Get("to"); v != "" {
		if w.To, err = parseTime("to", v); err != nil {
			return timeWindow{}, err
		}
	}
	w.From = w.To.Add(-defaultRange)
	if v := q.Get("from"); v != "" {
		if w.From, err = parseTime("from", v); err != nil {
			return timeWindow{}, err
		}
	}
	switch {
	case !w.From.Before(w.To):
		return timeWindow{}, paramError("from", "%s is not before to (%s)", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339))
	case w.To.Sub(w.From) > maxRange:
		return timeWindow{}, paramError("from", "the range from %s to %s is longer than 90 days", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339))
	}
	if name == "" && q.Get("from") == "" && q.Get("to") == "" {
		w.Preset = "1h"
	}
	return w, nil
}

func parseTime(param, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, paramError(param, "%q is not an RFC3339 time such as 2026-03-01T10:00:00Z", v)
	}
	return t.UTC(), nil
}

func presetNames() string {
	names := make([]string, len(rangePresets))
	for i, p := range rangePresets {
		names[i] = p.name
	}
	return strings.Join(names, ", ")
}

// parseSegment reads segment=KEY=VALUE: one value of one of the journey's
// segment keys. Empty means all traffic (nil).
func parseSegment(raw string, j journeys.Journey) (*rollup.Segment, error) {
	if raw == "" {
		return nil, nil
	}
	key, value, ok := strings.Cut(raw, "=")
	if !ok || key == "" || value == "" {
		return nil, paramError("segment", "%q is not of the form KEY=VALUE, such as span.user.tier=pro", raw)
	}
	keys := j.Spec.Segments
	if !slices.Contains(keys, key) {
		if len(keys) == 0 {
			return nil, paramError("segment", "%q is not a segment key of this journey, which has none", key)
		}
		return nil, paramError("segment", "%q is not a segment key of this journey; its keys are %s", key, strings.Join(keys, ", "))
	}
	if p := textProblem(value); p != "" {
		return nil, paramError("segment", "the value of %q %s", key, p)
	}
	return &rollup.Segment{Key: key, Value: value}, nil
}

// textProblem says why Postgres cannot take s as text (SQLSTATE 22021),
// or returns "" when it can: a query parameter that reaches SQL must be
// refused with a 4xx before, not fail the query with a 500.
func textProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character"
	}
	return ""
}

// badSlug is the answer to a journey slug from the URL that no journey can
// have because Postgres could not even compare it: the same 404 as any
// other unknown journey.
func badSlug(slug string) error {
	if textProblem(slug) == "" {
		return nil
	}
	return notFoundJourney(slug, store.ErrNotFound)
}
