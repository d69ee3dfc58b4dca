package slo

import (
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Severity is how urgently a burn-rate alert wants a person.
type Severity string

// Severities, most urgent first.
const (
	SeverityPage   Severity = "page"
	SeverityTicket Severity = "ticket"
)

// BurnPair is one row of a multi-window multi-burn-rate alert table: it
// fires when the burn over both its long and its short window reaches
// Threshold. The long window makes the alert significant, the short one
// makes it stop soon after the burn does.
type BurnPair struct {
	Severity  Severity      `json:"severity"`
	Long      time.Duration `json:"long"`
	Short     time.Duration `json:"short"`
	Threshold float64       `json:"threshold"`
}

// WorkbookWindow is the SLO window the Google SRE workbook's alert table
// is written for.
const WorkbookWindow = 30 * journeys.Day

// MinAlertWindow is the shortest alert window scaling yields: rollups keep
// 1-minute buckets, so a shorter window would hold no complete bucket.
const MinAlertWindow = time.Minute

// WorkbookPairs returns the alert table of the Google SRE workbook for a
// 30-day window: page at 2% of the budget in 1h or 5% in 6h, ticket at 10%
// in 1d or 10% in 3d.
func WorkbookPairs() []BurnPair {
	return []BurnPair{
		{Severity: SeverityPage, Long: time.Hour, Short: 5 * time.Minute, Threshold: 14.4},
		{Severity: SeverityPage, Long: 6 * time.Hour, Short: 30 * time.Minute, Threshold: 6},
		{Severity: SeverityTicket, Long: journeys.Day, Short: 2 * time.Hour, Threshold: 3},
		{Severity: SeverityTicket, Long: 3 * journeys.Day, Short: 6 * time.Hour, Threshold: 1},
	}
}

// ScaledPairs returns WorkbookPairs with every window scaled to an SLO
// window: by sloWindow / WorkbookWindow, rounded to the minute, and at
// least MinAlertWindow. Pyrra scales the same way from its own table,
// written for 28 days; ours is the workbook's, for 30. A 28-day SLO pages
// on 56m/5m (4m40s rounded) and 5h36m/28m; a 1-day SLO on 2m/1m (10s
// floored to a minute) and 12m/1m. Thresholds stay: a burn rate is already relative to the
// window, so the same rate spends the same share of any window's budget in
// the same share of its length.
func ScaledPairs(sloWindow time.Duration) []BurnPair {
	pairs := WorkbookPairs()
	for i := range pairs {
		pairs[i].Long = ScaleAlertWindow(pairs[i].Long, sloWindow)
		pairs[i].Short = ScaleAlertWindow(pairs[i].Short, sloWindow)
	}
	return pairs
}

// ScaleAlertWindow scales an alert window d of the workbook's table to an
// SLO window: d × sloWindow / WorkbookWindow, rounded to the minute, at
// least MinAlertWindow.
func ScaleAlertWindow(d, sloWindow time.Duration) time.Duration {
	if d <= 0 || sloWindow <= 0 {
		return MinAlertWindow
	}
	// d × sloWindow overflows int64 for windows of weeks; take the 128-bit
	// product.
	hi, lo := bits.Mul64(uint64(d), uint64(sloWindow))
	if hi >= uint64(WorkbookWindow) {
		return time.Duration(math.MaxInt64).Truncate(time.Minute)
	}
	q, _ := bits.Div64(hi, lo, uint64(WorkbookWindow))
	if q > math.MaxInt64-uint64(time.Minute) {
		return time.Duration(math.MaxInt64).Truncate(time.Minute)
	}
	v := time.Duration(q).Round(time.Minute)
	return max(v, MinAlertWindow)
}

// Burn is the burn rate over one window ending now: (bad/total) / (1 -
// objective). 1 spends the budget exactly over the SLO window; 14.4 spends
// 2% of a 30-day budget in an hour.
type Burn struct {
	Window time.Duration `json:"window"`
	Events Counts        `json:"events"`
	Rate   float64       `json:"rate"`
	// NoData is true when the window holds no events; Rate is then 0.
	NoData bool `json:"no_data"`
}

// BurnOver returns the burn of an SLO with this objective over
// [now-window, now).
func BurnOver(s Series, window time.Duration, objective float64, now time.Time) (Burn, error) {
	eb, err := errorBudget(objective)
	if err != nil {
		return Burn{}, err
	}
	if window <= 0 {
		return Burn{}, fmt.Errorf("burn window %s must be positive", window)
	}
	return burnOver(s, window, eb, now), nil
}

func burnOver(s Series, window time.Duration, eb float64, now time.Time) Burn {
	c := s.Sum(now.Add(-window), now)
	return Burn{Window: window, Events: c, Rate: burnRate(c, eb), NoData: c.Total == 0}
}

// PairStatus is one evaluated row of an alert table.
type PairStatus struct {
	BurnPair
	LongBurn  Burn `json:"long_burn"`
	ShortBurn Burn `json:"short_burn"`
	// MinEvents is the SLO's minimum-traffic guard, which the long window
	// must hold, and ShortMinEvents the share of it the short window must
	// hold (see ShortMinEvents). EnoughTraffic is true when both do; a
	// pair without enough traffic cannot fire.
	MinEvents      int64 `json:"min_events"`
	ShortMinEvents int64 `json:"short_min_events"`
	EnoughTraffic  bool  `json:"enough_traffic"`
	// Fires is true when the pair has enough traffic and both burns reach
	// the threshold.
	Fires bool `json:"fires"`
}

// ShortMinEvents is how many events the short window of a pair must hold
// under a guard of minEvents over its long window: the guard scaled by
// short/long and rounded up, at least 1; 0 when the guard is off. At
// steady traffic the short window sees that share of the long window's
// events, so both face the same density of evidence: a 2m/1m pair under a
// guard of 20 needs 10 events in its minute, a 1h/5m pair under 100 needs
// 9. Without it a short window of a handful of events could reach any
// threshold with one error and, with its long window still burning from
// an earlier incident, fire on noise.
func ShortMinEvents(minEvents int64, short, long time.Duration) int64 {
	if minEvents <= 0 || short <= 0 || long <= 0 {
		return 0
	}
	if short >= long {
		return minEvents
	}
	// minEvents × short overflows int64 for large guards; take the 128-bit
	// product and round the quotient up.
	hi, lo := bits.Mul64(uint64(minEvents), uint64(short))
	q, r := bits.Div64(hi, lo, uint64(long))
	if r != 0 {
		q++
	}
	return max(int64(q), 1)
}

// BurnTable evaluates every pair at now. A pair fires when its long window
// holds at least minEvents events and its short window at least
// ShortMinEvents (the minimum-traffic guard, off at 0), and the burn over
// both windows reaches its threshold. A window without events burns 0 and
// so never fires.
func BurnTable(s Series, pairs []BurnPair, objective float64, minEvents int64, now time.Time) ([]PairStatus, error) {
	eb, err := errorBudget(objective)
	if err != nil {
		return nil, err
	}
	if minEvents < 0 {
		return nil, fmt.Errorf("minimum events %d must not be negative", minEvents)
	}
	if err := validatePairs(pairs); err != nil {
		return nil, err
	}
	return burnTable(s, pairs, eb, minEvents, now), nil
}

func burnTable(s Series, pairs []BurnPair, eb float64, minEvents int64, now time.Time) []PairStatus {
	out := make([]PairStatus, len(pairs))
	for i, p := range pairs {
		st := PairStatus{
			BurnPair:       p,
			LongBurn:       burnOver(s, p.Long, eb, now),
			ShortBurn:      burnOver(s, p.Short, eb, now),
			MinEvents:      minEvents,
			ShortMinEvents: ShortMinEvents(minEvents, p.Short, p.Long),
		}
		st.EnoughTraffic = st.LongBurn.Events.Total >= minEvents && st.ShortBurn.Events.Total >= st.ShortMinEvents
		st.Fires = st.EnoughTraffic && !st.LongBurn.NoData && !st.ShortBurn.NoData &&
			reaches(st.LongBurn.Rate, p.Threshold) && reaches(st.ShortBurn.Rate, p.Threshold)
		out[i] = st
	}
	return out
}

func validatePairs(pairs []BurnPair) error {
	if len(pairs) == 0 {
		return fmt.Errorf("alert table has no window pairs")
	}
	for i, p := range pairs {
		switch {
		case p.Severity != SeverityPage && p.Severity != SeverityTicket:
			return fmt.Errorf("alert pair %d: unknown severity %q; use page or ticket", i, p.Severity)
		case p.Short <= 0 || p.Long <= 0:
			return fmt.Errorf("alert pair %d: windows %s and %s must be positive", i, p.Long, p.Short)
		case p.Short > p.Long:
			return fmt.Errorf("alert pair %d: short window %s is longer than long window %s", i, p.Short, p.Long)
		case !(p.Threshold > 0) || math.IsInf(p.Threshold, 1):
			return fmt.Errorf("alert pair %d: threshold %v must be a positive number", i, p.Threshold)
		}
	}
	return nil
}
