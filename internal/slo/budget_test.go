package slo

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

func TestComputeBudget(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-30T00:00:00Z")
	rolling := Rolling(30*journeys.Day, nil)
	tests := []struct {
		name      string
		w         Window
		objective float64
		start     time.Time
		runs      []run
		extra     []Bucket
		now       time.Time

		from, to   string
		events     Counts
		noData     bool
		sli        float64
		eb         float64
		allowedBad float64
		badLeft    float64
		remaining  float64
	}{
		{name: "half spent", w: rolling, objective: 0.99, start: now.Add(-10 * time.Hour), runs: []run{hours(10, 1000, 5)}, now: now,
			from: "2026-05-31T00:00:00Z", to: "2026-06-30T00:00:00Z", events: Counts{Good: 9950, Total: 10000},
			sli: 0.995, eb: 0.01, allowedBad: 100, badLeft: 50, remaining: 0.5},
		{name: "exactly spent", w: rolling, objective: 0.99, start: now.Add(-10 * time.Hour), runs: []run{hours(10, 1000, 10)}, now: now,
			from: "2026-05-31T00:00:00Z", to: "2026-06-30T00:00:00Z", events: Counts{Good: 9900, Total: 10000},
			sli: 0.99, eb: 0.01, allowedBad: 100, badLeft: 0, remaining: 0},
		{name: "overspent goes negative", w: rolling, objective: 0.99, start: now.Add(-10 * time.Hour), runs: []run{hours(10, 1000, 15)}, now: now,
			from: "2026-05-31T00:00:00Z", to: "2026-06-30T00:00:00Z", events: Counts{Good: 9850, Total: 10000},
			sli: 0.985, eb: 0.01, allowedBad: 100, badLeft: -50, remaining: -0.5},
		{name: "three nines", w: rolling, objective: 0.999, start: now.Add(-4 * time.Hour), runs: []run{hours(4, 2500, 1)}, now: now,
			from: "2026-05-31T00:00:00Z", to: "2026-06-30T00:00:00Z", events: Counts{Good: 9996, Total: 10000},
			sli: 0.9996, eb: 0.001, allowedBad: 10, badLeft: 6, remaining: 0.6},
		{name: "no events", w: rolling, objective: 0.99, now: now,
			from: "2026-05-31T00:00:00Z", to: "2026-06-30T00:00:00Z", noData: true, eb: 0.01, remaining: 1},
		{name: "only events inside the window count", w: rolling, objective: 0.99, now: now,
			extra: []Bucket{
				{Start: utc("2026-05-30T23:00:00Z"), Width: time.Hour, Good: 0, Total: 500}, // before the window
				{Start: utc("2026-05-31T00:00:00Z"), Width: time.Hour, Good: 990, Total: 1000},
				{Start: utc("2026-06-29T23:59:00Z"), Width: time.Minute, Good: 95, Total: 100},
				{Start: utc("2026-06-30T00:00:00Z"), Width: time.Minute, Good: 0, Total: 700}, // at now: not yet
			},
			from: "2026-05-31T00:00:00Z", to: "2026-06-30T00:00:00Z", events: Counts{Good: 1085, Total: 1100},
			sli: 1085.0 / 1100, eb: 0.01, allowedBad: 11, badLeft: -4, remaining: 1 - 15.0/1100/0.01},
		{name: "calendar month counts from its first day to now", w: Month(nil), objective: 0.995, now: utc("2026-06-11T00:00:00Z"),
			extra: []Bucket{
				{Start: utc("2026-05-31T23:00:00Z"), Width: time.Hour, Good: 0, Total: 500}, // last month
				{Start: utc("2026-06-01T00:00:00Z"), Width: time.Hour, Good: 1990, Total: 2000},
				{Start: utc("2026-06-10T23:00:00Z"), Width: time.Hour, Good: 2000, Total: 2000},
				{Start: utc("2026-06-20T00:00:00Z"), Width: time.Hour, Good: 0, Total: 9000}, // after now
			},
			from: "2026-06-01T00:00:00Z", to: "2026-07-01T00:00:00Z", events: Counts{Good: 3990, Total: 4000},
			sli: 0.9975, eb: 0.005, allowedBad: 20, badLeft: 10, remaining: 0.5},
		{name: "an objective of 99.5% exactly met leaves exactly nothing", w: rolling, objective: 0.995, start: now.Add(-2 * time.Hour), runs: []run{hours(2, 1000, 5)}, now: now,
			from: "2026-05-31T00:00:00Z", to: "2026-06-30T00:00:00Z", events: Counts{Good: 1990, Total: 2000},
			sli: 0.995, eb: 0.005, allowedBad: 10, badLeft: 0, remaining: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSeries(append(buckets(tt.start, tt.runs...), tt.extra...))
			require.NoError(t, err)
			b, err := ComputeBudget(s, tt.w, tt.objective, tt.now)
			require.NoError(t, err)
			require.Equal(t, utc(tt.from), b.From.UTC())
			require.Equal(t, utc(tt.to), b.To.UTC())
			require.Equal(t, tt.objective, b.Objective)
			require.Equal(t, tt.events, b.Events)
			require.Equal(t, tt.events.Bad(), b.Bad)
			require.Equal(t, tt.noData, b.NoData)
			require.InDelta(t, tt.sli, b.SLI, 1e-12)
			require.Equal(t, tt.eb, b.ErrorBudget) // exactly: rounded to the decimal people typed
			require.InDelta(t, tt.allowedBad, b.AllowedBad, 1e-9)
			require.InDelta(t, tt.badLeft, b.BadLeft, 1e-9)
			require.InDelta(t, tt.remaining, b.Remaining, 1e-12)
		})
	}
}

// An SLO exactly at its objective shows no budget left, not a sliver of
// floating-point noise.
func TestComputeBudgetExactlyAtObjective(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-30T00:00:00Z")
	for _, o := range []struct {
		objective  float64
		total, bad int64
	}{{0.99, 100, 1}, {0.995, 1000, 5}, {0.999, 1000, 1}, {0.9995, 10000, 5}, {0.95, 100, 5}, {0.9, 10, 1}} {
		s := series(t, now.Add(-time.Hour), hours(1, o.total, o.bad))
		b, err := ComputeBudget(s, Rolling(28*journeys.Day, nil), o.objective, now)
		require.NoError(t, err)
		require.Zero(t, b.Remaining, "objective %v", o.objective)
	}
}

func TestObjectiveErrors(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-30T00:00:00Z")
	for _, tt := range []struct {
		objective float64
		want      string
	}{
		{0, "objective 0 must be between 0 and 1, exclusive, e.g. 0.995"},
		{1, "objective 1 must be between 0 and 1, exclusive, e.g. 0.995"},
		{-0.5, "objective -0.5 must be between 0 and 1, exclusive, e.g. 0.995"},
		{99.5, "objective 99.5 must be between 0 and 1, exclusive, e.g. 0.995"},
		{math.NaN(), "objective NaN must be between 0 and 1, exclusive, e.g. 0.995"},
		{0.9999999999999, "objective 0.9999999999999 leaves no error budget; use at most 0.999999999999"},
	} {
		_, err := ComputeBudget(Series{}, Rolling(28*journeys.Day, nil), tt.objective, now)
		require.EqualError(t, err, tt.want)
		_, err = BurnOver(Series{}, time.Hour, tt.objective, now)
		require.EqualError(t, err, tt.want)
		_, err = ForecastExhaustion(Series{}, Month(nil), tt.objective, 0, now)
		require.EqualError(t, err, tt.want)
	}
}

func TestForecast(t *testing.T) {
	t.Parallel()
	berlin := mustLoc(t, "Europe/Berlin")
	rolling := Rolling(30*journeys.Day, berlin)
	now := utc("2026-11-26T01:00:00Z")
	start := now.Add(-30 * journeys.Day)
	june11 := utc("2026-06-11T00:00:00Z")
	june27 := utc("2026-06-27T00:00:00Z")
	tests := []struct {
		name     string
		w        Window
		lookback time.Duration
		start    time.Time
		runs     []run
		now      time.Time

		outcome  ForecastOutcome
		at       string
		ends     string
		burn     float64
		sentence string
	}{
		{
			// R = 1 - (360/72000)/0.01 = 0.5 at a 24h burn of (48/2400)/0.01
			// = 2: 0.5 × 30d / 2 = 7.5d.
			name: "rolling runs out", w: rolling, start: start, now: now,
			runs:    []run{hours(3, 100, 100), hours(1, 100, 12), hours(692, 100, 0), hours(24, 100, 2)},
			outcome: ForecastRunsOut, at: "2026-12-03T13:00:00Z", burn: 2,
			sentence: "at the last 24h's burn the budget runs out on 3 Dec 14:00",
		},
		{
			// Burn (18/600)/0.01 = 3 over 6h: 0.5 × 30d / 3 = 5d.
			name: "rolling with a 6h lookback", w: rolling, lookback: 6 * time.Hour, start: start, now: now,
			runs:    []run{hours(3, 100, 100), hours(1, 100, 42), hours(710, 100, 0), hours(6, 100, 3)},
			outcome: ForecastRunsOut, at: "2026-12-01T01:00:00Z", burn: 3,
			sentence: "at the last 6h's burn the budget runs out on 1 Dec 02:00",
		},
		{
			name: "rolling into next year", w: rolling, start: utc("2026-12-28T12:00:00Z").Add(-30 * journeys.Day), now: utc("2026-12-28T12:00:00Z"),
			runs:    []run{hours(3, 100, 100), hours(1, 100, 12), hours(692, 100, 0), hours(24, 100, 2)},
			outcome: ForecastRunsOut, at: "2027-01-05T00:00:00Z", burn: 2,
			sentence: "at the last 24h's burn the budget runs out on 5 Jan 2027 01:00",
		},
		{
			// Burn 0.25: 0.5 × 30d / 0.25 = 60d, beyond the window.
			name: "rolling burn too low", w: rolling, start: start, now: now,
			runs:    []run{hours(3, 100, 100), hours(1, 100, 54), hours(692, 100, 0), hours(6, 100, 1), hours(18, 100, 0)},
			outcome: ForecastOutlasts, burn: 0.25,
			sentence: "at the last 24h's burn the budget does not run out",
		},
		{
			name: "no bad events lately", w: rolling, start: start, now: now,
			runs:    []run{hours(3, 100, 100), hours(717, 100, 0)},
			outcome: ForecastNoBurn, burn: 0,
			sentence: "no budget burned in the last 24h",
		},
		{
			name: "no events at all", w: rolling, now: now,
			outcome: ForecastNoBurn, burn: 0,
			sentence: "no budget burned in the last 24h",
		},
		{
			name: "already spent", w: rolling, start: now.Add(-10 * time.Hour), now: now,
			runs:    []run{hours(10, 1000, 20)},
			outcome: ForecastExhausted, burn: 2,
			sentence: "the budget is spent",
		},
		{
			// June 1–10: B0 = 120 of T0 = 24000; the last day 48 bad of 2400.
			// (120 + 48d) / (24000 + 2400d) = 0.01 at d = 5 days.
			name: "calendar month runs out", w: Month(nil), start: utc("2026-06-01T00:00:00Z"), now: june11,
			runs:    []run{hours(1, 100, 72), hours(215, 100, 0), hours(24, 100, 2)},
			outcome: ForecastRunsOut, at: "2026-06-16T00:00:00Z", ends: "2026-07-01T00:00:00Z", burn: 2,
			sentence: "at the last 24h's burn the budget runs out on 16 Jun 00:00",
		},
		{
			// Would take 13 more days; the month ends in 4.
			name: "calendar month ends first", w: Month(nil), start: utc("2026-06-01T00:00:00Z"), now: june27,
			runs:    []run{hours(2, 100, 100), hours(1, 100, 64), hours(597, 100, 0), hours(24, 100, 2)},
			outcome: ForecastOutlasts, ends: "2026-07-01T00:00:00Z", burn: 2,
			sentence: "at the last 24h's burn the budget lasts until the window resets on 1 Jul 00:00",
		},
		{
			name: "calendar burn of exactly 1 never gets there", w: Month(nil), start: utc("2026-06-01T00:00:00Z"), now: june11,
			runs:    []run{hours(1, 100, 72), hours(215, 100, 0), hours(24, 100, 1)},
			outcome: ForecastOutlasts, ends: "2026-07-01T00:00:00Z", burn: 1,
			sentence: "at the last 24h's burn the budget lasts until the window resets on 1 Jul 00:00",
		},
		{
			// A new week with no events yet: at a burn of 2 its first
			// events are already over budget.
			name: "calendar period without events yet", w: Week(time.Monday, berlin), start: utc("2026-06-07T22:00:00Z").Add(-24 * time.Hour), now: utc("2026-06-07T22:00:00Z"),
			runs:    []run{hours(24, 100, 2)},
			outcome: ForecastRunsOut, at: "2026-06-07T22:00:00Z", ends: "2026-06-14T22:00:00Z", burn: 2,
			sentence: "at the last 24h's burn the budget runs out on 8 Jun 00:00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := series(t, tt.start, tt.runs...)
			f, err := ForecastExhaustion(s, tt.w, 0.99, tt.lookback, tt.now)
			require.NoError(t, err)
			require.Equal(t, tt.outcome, f.Outcome)
			if tt.at == "" {
				require.True(t, f.At.IsZero(), "at %s", f.At)
			} else {
				require.Equal(t, utc(tt.at), f.At.UTC())
			}
			if tt.ends == "" {
				require.True(t, f.Ends.IsZero())
			} else {
				require.Equal(t, utc(tt.ends), f.Ends.UTC())
			}
			lb := tt.lookback
			if lb == 0 {
				lb = DefaultLookback
			}
			require.Equal(t, lb, f.Burn.Window)
			require.InDelta(t, tt.burn, f.Burn.Rate, 1e-12)
			require.Equal(t, tt.sentence, f.Sentence())
		})
	}
}

func TestForecastErrors(t *testing.T) {
	t.Parallel()
	_, err := ForecastExhaustion(Series{}, Month(nil), 0.99, -time.Hour, utc("2026-06-11T00:00:00Z"))
	require.EqualError(t, err, "forecast lookback -1h0m0s must be positive")
	require.Equal(t, "no forecast", Forecast{}.Sentence())
}
