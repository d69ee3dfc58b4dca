package demo

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// DailyPattern makes the session start rate follow the time of day, as a
// shop's traffic does: quiet at night, a peak in the early afternoon and a
// shoulder in the evening, and optionally another level at weekends.
//
// The rate is the same for every run: it depends on the wall-clock time of
// each session start only, never on the seed. It is constant within each
// UTC minute, so that Plan and Run can draw starts from it exactly.
type DailyPattern struct {
	Enabled bool `json:"enabled"`
	// Night is the quietest rate, around 02:00, as a fraction of the
	// peak around 13:00, in (0, 1].
	Night float64 `json:"night"`
	// Weekend multiplies the rate on Saturdays and Sundays (1 for none).
	Weekend float64 `json:"weekend"`
	// Zone is the IANA time zone whose clock the curve follows, e.g.
	// "Europe/Paris"; "" and "UTC" are UTC.
	Zone string `json:"zone,omitempty"`
}

// The curve's shape: a broad peak at 13:00 and a narrower evening
// shoulder at 20:30 on a flat night, each a periodic bump over 24 hours.
const (
	peakHour, peakWidth     = 13.0, 2.0
	shoulderHour, shoulderK = 20.5, 7.0
	shoulderWeight          = 0.45
	minutesPerDay           = 24 * 60
)

func bump(h, at, k float64) float64 {
	return math.Exp(k * (math.Cos(2*math.Pi*(h-at)/24) - 1))
}

// rateCurve is a resolved DailyPattern: the relative session start rate of
// every minute, scaled so that its mean over a weekday is 1. A disabled
// pattern is the constant 1.
type rateCurve struct {
	on      bool
	loc     *time.Location
	day     [minutesPerDay]float64
	weekend float64
}

func (d DailyPattern) validate() error {
	if !d.Enabled {
		return nil
	}
	var errs []error
	if math.IsNaN(d.Night) || d.Night <= 0 || d.Night > 1 {
		errs = append(errs, fmt.Errorf("daily.night must be in (0, 1], got %v", d.Night))
	}
	if err := checkMult("daily.weekend", d.Weekend); err != nil {
		errs = append(errs, err)
	}
	if _, err := d.location(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (d DailyPattern) location() (*time.Location, error) {
	if d.Zone == "" || d.Zone == "UTC" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(d.Zone)
	if err != nil {
		return nil, fmt.Errorf("daily.zone %q: not a known time zone", d.Zone)
	}
	return loc, nil
}

// newRateCurve resolves d, which must be valid.
func newRateCurve(d DailyPattern) *rateCurve {
	c := &rateCurve{on: d.Enabled, weekend: 1}
	if !d.Enabled {
		return c
	}
	c.loc, _ = d.location()
	if c.loc == nil {
		c.loc = time.UTC
	}
	c.weekend = d.Weekend
	raw := make([]float64, minutesPerDay)
	lo, hi := math.Inf(1), math.Inf(-1)
	for m := range raw {
		h := (float64(m) + 0.5) / 60
		raw[m] = bump(h, peakHour, peakWidth) + shoulderWeight*bump(h, shoulderHour, shoulderK)
		lo, hi = min(lo, raw[m]), max(hi, raw[m])
	}
	var sum float64
	for m, r := range raw {
		c.day[m] = d.Night + (1-d.Night)*(r-lo)/(hi-lo)
		sum += c.day[m]
	}
	mean := sum / minutesPerDay
	for m := range c.day {
		c.day[m] /= mean
	}
	return c
}

// at is the relative rate during the UTC minute holding t, read on the
// local clock at the middle of that minute.
func (c *rateCurve) at(t time.Time) float64 {
	if !c.on {
		return 1
	}
	mid := t.Truncate(time.Minute).Add(30 * time.Second).In(c.loc)
	f := c.day[mid.Hour()*60+mid.Minute()]
	if wd := mid.Weekday(); wd == time.Saturday || wd == time.Sunday {
		f *= c.weekend
	}
	return f
}

// integral is ∫ rate over [from, to), in seconds at rate 1.
func (c *rateCurve) integral(from, to time.Time) float64 {
	if !to.After(from) {
		return 0
	}
	if !c.on {
		return to.Sub(from).Seconds()
	}
	var sum float64
	for a := from; a.Before(to); {
		b := a.Truncate(time.Minute).Add(time.Minute)
		if b.After(to) {
			b = to
		}
		sum += c.at(a) * b.Sub(a).Seconds()
		a = b
	}
	return sum
}

// advance returns the instant after t at which w more seconds at rate 1
// have passed on the curve: Run's next session start, w being an
// exponential gap at the mean rate.
func (c *rateCurve) advance(t time.Time, w float64) time.Time {
	if !c.on {
		return t.Add(time.Duration(w * float64(time.Second)))
	}
	for {
		end := t.Truncate(time.Minute).Add(time.Minute)
		g := c.at(t)
		span := end.Sub(t).Seconds() * g
		if span >= w {
			return t.Add(time.Duration(w / g * float64(time.Second)))
		}
		w -= span
		t = end
	}
}

// windowCDF maps a uniform fraction of a window to an instant in it with
// the curve's density: Plan's session starts. Pieces are the window's
// parts in each UTC minute.
type windowCDF struct {
	from, to time.Time
	starts   []time.Time
	rates    []float64
	cum      []float64 // ∫ rate from the window's start to each piece's start
	total    float64
}

func newWindowCDF(c *rateCurve, from, to time.Time) *windowCDF {
	w := &windowCDF{from: from, to: to}
	for a := from; a.Before(to); {
		b := a.Truncate(time.Minute).Add(time.Minute)
		if b.After(to) {
			b = to
		}
		g := c.at(a)
		w.starts = append(w.starts, a)
		w.rates = append(w.rates, g)
		w.cum = append(w.cum, w.total)
		w.total += g * b.Sub(a).Seconds()
		a = b
	}
	return w
}

// at returns the instant below which fraction u (in [0, 1)) of the
// window's sessions start.
func (w *windowCDF) at(u float64) time.Time {
	target := u * w.total
	i := sort.Search(len(w.cum), func(i int) bool { return w.cum[i] > target }) - 1
	i = max(i, 0)
	t := w.starts[i].Add(time.Duration((target - w.cum[i]) / w.rates[i] * float64(time.Second)))
	// Rounding must not carry a start out of its piece or the window.
	if i+1 < len(w.starts) && !t.Before(w.starts[i+1]) {
		t = w.starts[i+1].Add(-1)
	}
	if !t.Before(w.to) {
		t = w.to.Add(-1)
	}
	return t
}

// HourCount is the session starts of one UTC hour of the window.
type HourCount struct {
	Hour time.Time `json:"hour"`
	// Sessions counts the sessions that started in the hour and sent at
	// least one trace.
	Sessions int `json:"sessions"`
	// Expected is the model's mean number of session starts in the part
	// of the hour inside the window, cut sessions included: the curve's
	// share of Plan's sessions, or Run's rate over the hour.
	Expected float64 `json:"expected"`
}
