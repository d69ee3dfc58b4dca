package journeyhttp

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
)

// RangePreset is a time range the pickers offer, ending now.
type RangePreset struct {
	// Name is how the picker and ?range= spell it.
	Name string
	// D is its length.
	D time.Duration
}

// RangePresets are the ranges offered in one click, shortest first.
var RangePresets = []RangePreset{
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

// MaxRange bounds a range: rollups older than this are gone or too coarse
// to be worth a query that reads every row of a journey.
const MaxRange = 90 * 24 * time.Hour

// Window is the time range a page or the API reports on: rollup
// buckets starting in [From, To).
type Window struct {
	From, To time.Time
	// Preset names the picker's range ("1h"), or is customRange.
	Preset string
}

// Minutes is the length of the window in minutes, for per-minute rates.
func (w Window) Minutes() float64 { return w.To.Sub(w.From).Minutes() }

// ParseWindow reads range, from and to. A preset range ends at now,
// minute-aligned, and ignores from and to; otherwise to defaults to now
// (minute-aligned) and from to an hour before to.
func ParseWindow(q url.Values, now time.Time) (Window, error) {
	end := now.UTC().Truncate(time.Minute)
	name := q.Get("range")
	if name != "" && name != customRange {
		i := slices.IndexFunc(RangePresets, func(p RangePreset) bool { return p.Name == name })
		if i < 0 {
			return Window{}, httpx.ParamError("range", "%q is not one of %s or %s", name, presetNames(), customRange)
		}
		return Window{From: end.Add(-RangePresets[i].D), To: end, Preset: name}, nil
	}
	w := Window{To: end, Preset: customRange}
	var err error
	if v := q.Get("to"); v != "" {
		if w.To, err = httpx.ParseTime("to", v); err != nil {
			return Window{}, err
		}
	}
	w.From = w.To.Add(-defaultRange)
	if v := q.Get("from"); v != "" {
		if w.From, err = httpx.ParseTime("from", v); err != nil {
			return Window{}, err
		}
	}
	switch {
	case !w.From.Before(w.To):
		return Window{}, httpx.ParamError("from", "%s is not before to (%s)", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339))
	case w.To.Sub(w.From) > MaxRange:
		return Window{}, httpx.ParamError("from", "the range from %s to %s is longer than 90 days", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339))
	}
	if name == "" && q.Get("from") == "" && q.Get("to") == "" {
		w.Preset = "1h"
	}
	return w, nil
}

func presetNames() string {
	names := make([]string, len(RangePresets))
	for i, p := range RangePresets {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// ParseSegment reads segment=KEY=VALUE: one value of one of the journey's
// segment keys. Empty means all traffic (nil).
func ParseSegment(raw string, j journeys.Journey) (*rollup.Segment, error) {
	if raw == "" {
		return nil, nil
	}
	key, value, ok := strings.Cut(raw, "=")
	if !ok || key == "" || value == "" {
		return nil, httpx.ParamError("segment", "%q is not of the form KEY=VALUE, such as span.user.tier=pro", raw)
	}
	keys := j.Spec.Segments
	if !slices.Contains(keys, key) {
		if len(keys) == 0 {
			return nil, httpx.ParamError("segment", "%q is not a segment key of this journey, which has none", key)
		}
		return nil, httpx.ParamError("segment", "%q is not a segment key of this journey; its keys are %s", key, strings.Join(keys, ", "))
	}
	if p := httpx.TextProblem(value); p != "" {
		return nil, httpx.ParamError("segment", "the value of %q %s", key, p)
	}
	return &rollup.Segment{Key: key, Value: value}, nil
}

// BadSlug is the answer to a journey slug from the URL that no journey can
// have because Postgres could not even compare it: the same 404 as any
// other unknown journey.
func BadSlug(slug string) error {
	if httpx.TextProblem(slug) == "" {
		return nil
	}
	return fmt.Errorf("journey %q: %w", slug, journeystore.ErrNotFound)
}
