package slo

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

func TestScaledPairs(t *testing.T) {
	t.Parallel()
	const (
		m = time.Minute
		h = time.Hour
		d = journeys.Day
	)
	tests := []struct {
		window time.Duration
		want   [4][2]time.Duration // long, short of page, page, ticket, ticket
	}{
		{30 * d, [4][2]time.Duration{{h, 5 * m}, {6 * h, 30 * m}, {d, 2 * h}, {3 * d, 6 * h}}},
		// 28/30 of each: 5m → 4m40s rounds to 5m.
		{28 * d, [4][2]time.Duration{{56 * m, 5 * m}, {5*h + 36*m, 28 * m}, {22*h + 24*m, h + 52*m}, {67*h + 12*m, 5*h + 36*m}}},
		// 7/30: 5m → 1m10s rounds to 1m.
		{7 * d, [4][2]time.Duration{{14 * m, m}, {h + 24*m, 7 * m}, {5*h + 36*m, 28 * m}, {16*h + 48*m, h + 24*m}}},
		// 1/30: 5m → 10s is floored to a minute, 30m → 1m.
		{d, [4][2]time.Duration{{2 * m, m}, {12 * m, m}, {48 * m, 4 * m}, {2*h + 24*m, 12 * m}}},
		{90 * d, [4][2]time.Duration{{3 * h, 15 * m}, {18 * h, 90 * m}, {3 * d, 6 * h}, {9 * d, 18 * h}}},
		{h, [4][2]time.Duration{{m, m}, {m, m}, {2 * m, m}, {6 * m, m}}},
	}
	for _, tt := range tests {
		t.Run(journeys.FormatWindow(tt.window), func(t *testing.T) {
			t.Parallel()
			got := ScaledPairs(tt.window)
			require.Len(t, got, 4)
			for i, p := range got {
				require.Equal(t, tt.want[i][0], p.Long, "pair %d long", i)
				require.Equal(t, tt.want[i][1], p.Short, "pair %d short", i)
				require.Equal(t, WorkbookPairs()[i].Threshold, p.Threshold)
				require.Equal(t, WorkbookPairs()[i].Severity, p.Severity)
			}
		})
	}
}

func TestWorkbookPairs(t *testing.T) {
	t.Parallel()
	require.Equal(t, []BurnPair{
		{Severity: SeverityPage, Long: time.Hour, Short: 5 * time.Minute, Threshold: 14.4},
		{Severity: SeverityPage, Long: 6 * time.Hour, Short: 30 * time.Minute, Threshold: 6},
		{Severity: SeverityTicket, Long: 24 * time.Hour, Short: 2 * time.Hour, Threshold: 3},
		{Severity: SeverityTicket, Long: 72 * time.Hour, Short: 6 * time.Hour, Threshold: 1},
	}, WorkbookPairs())
}

func TestScaleAlertWindowEdges(t *testing.T) {
	t.Parallel()
	require.Equal(t, MinAlertWindow, ScaleAlertWindow(0, 30*journeys.Day))
	require.Equal(t, MinAlertWindow, ScaleAlertWindow(time.Hour, -time.Hour))
	huge := time.Duration(math.MaxInt64)
	require.Equal(t, huge.Truncate(time.Minute), ScaleAlertWindow(huge, huge))
	require.Equal(t, huge.Truncate(time.Minute), ScaleAlertWindow(huge, 31*journeys.Day))
	require.Equal(t, 2*time.Hour, ScaleAlertWindow(time.Hour, 60*journeys.Day))
}

func TestBurnOver(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-01T12:00:00Z")
	// 40 good minutes, then 20 minutes with 3 bad of 100.
	s := series(t, now.Add(-time.Hour), minutes(40, 100, 0), minutes(20, 100, 3))
	tests := []struct {
		window    time.Duration
		objective float64
		want      Burn
	}{
		{time.Hour, 0.99, Burn{Window: time.Hour, Events: Counts{Good: 5940, Total: 6000}, Rate: 1}},
		{20 * time.Minute, 0.99, Burn{Window: 20 * time.Minute, Events: Counts{Good: 1940, Total: 2000}, Rate: 3}},
		{5 * time.Minute, 0.999, Burn{Window: 5 * time.Minute, Events: Counts{Good: 485, Total: 500}, Rate: 30}},
		{30 * time.Minute, 0.9, Burn{Window: 30 * time.Minute, Events: Counts{Good: 2940, Total: 3000}, Rate: 0.2}},
		{24 * time.Hour, 0.99, Burn{Window: 24 * time.Hour, Events: Counts{Good: 5940, Total: 6000}, Rate: 1}},
	}
	for _, tt := range tests {
		b, err := BurnOver(s, tt.window, tt.objective, now)
		require.NoError(t, err)
		require.Equal(t, tt.want.Window, b.Window)
		require.Equal(t, tt.want.Events, b.Events)
		require.InDelta(t, tt.want.Rate, b.Rate, 1e-12)
		require.False(t, b.NoData)
	}

	b, err := BurnOver(s, time.Hour, 0.99, now.Add(-2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, Burn{Window: time.Hour, NoData: true}, b)

	_, err = BurnOver(s, 0, 0.99, now)
	require.EqualError(t, err, "burn window 0s must be positive")
}

// lowTraffic is one event a minute for three days: nine bad in the last
// hour, five of them in the last five minutes. Only the 1h/5m pair sees a
// fast burn: 1h 9/60 → 15, 5m 5/5 → 100, 6h 9/360 → 2.5, 30m 5/30 →
// 16.67, 1d 9/1440 → 0.625, 2h 9/120 → 7.5, 3d 9/4320 → 0.2083.
func lowTraffic(tb testing.TB, now time.Time) Series {
	tb.Helper()
	return series(tb, now.Add(-72*time.Hour),
		minutes(4320-56, 1, 0),
		minutes(1, 1, 1), minutes(4, 1, 0),
		minutes(1, 1, 1), minutes(4, 1, 0),
		minutes(1, 1, 1), minutes(4, 1, 0),
		minutes(1, 1, 1), minutes(35, 1, 0),
		minutes(5, 1, 1),
	)
}

func TestBurnTable(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-04T00:00:00Z")
	s := lowTraffic(t, now)
	pairs := ScaledPairs(30 * journeys.Day)

	type row struct {
		long, short         Counts
		longRate, shortRate float64
		enough, fires       bool
	}
	burns := func(enough1 bool, fires1 bool) []row {
		return []row{
			{Counts{51, 60}, Counts{0, 5}, 15, 100, enough1, fires1},
			{Counts{351, 360}, Counts{25, 30}, 2.5, 500.0 / 30, true, false},
			{Counts{1431, 1440}, Counts{111, 120}, 0.625, 7.5, true, false},
			{Counts{4311, 4320}, Counts{351, 360}, 9.0 / 4320 / 0.01, 2.5, true, false},
		}
	}
	tests := []struct {
		name      string
		minEvents int64
		want      []row
		state     State
		reason    string
	}{
		{"guard off", 0, burns(true, true), StatePage, "burn 15× over 1h and 100× over 5m reach 14.4×"},
		{"guard exactly met", 60, burns(true, true), StatePage, "burn 15× over 1h and 100× over 5m reach 14.4×"},
		{"guard one event short", 61, burns(false, false), StateInsufficientTraffic, "only 60 events in the last 1h, need 61 to alert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table, err := BurnTable(s, pairs, 0.99, tt.minEvents, now)
			require.NoError(t, err)
			require.Len(t, table, len(tt.want))
			for i, w := range tt.want {
				p := table[i]
				require.Equal(t, pairs[i], p.BurnPair)
				require.Equal(t, w.long, p.LongBurn.Events, "pair %d long", i)
				require.Equal(t, w.short, p.ShortBurn.Events, "pair %d short", i)
				require.InDelta(t, w.longRate, p.LongBurn.Rate, 1e-9, "pair %d long", i)
				require.InDelta(t, w.shortRate, p.ShortBurn.Rate, 1e-9, "pair %d short", i)
				require.Equal(t, tt.minEvents, p.MinEvents)
				require.Equal(t, w.enough, p.EnoughTraffic, "pair %d enough", i)
				require.Equal(t, w.fires, p.Fires, "pair %d fires", i)
			}
			state, reason := Overall(table)
			require.Equal(t, tt.state, state)
			require.Equal(t, tt.reason, reason)
		})
	}
}

// The minimum-traffic guard: a pair below the minimum cannot fire, and the
// state is insufficient_traffic unless another pair fires with enough
// traffic.
func TestMinimumTrafficGuard(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-04T00:00:00Z")
	start := now.Add(-72 * time.Hour)
	// One event a minute, every 20th bad over the last day: a burn of 5
	// everywhere within it, 1.67 over 3 days.
	var slowBurn []run
	slowBurn = append(slowBurn, minutes(2880, 1, 0))
	for range 72 {
		slowBurn = append(slowBurn, minutes(19, 1, 0), minutes(1, 1, 1))
	}
	tests := []struct {
		name      string
		s         Series
		minEvents int64
		state     State
		reason    string
	}{
		{"quiet and busy enough", series(t, start, minutes(4320, 100, 0)), 100, StateOK, "no alert window burns at its threshold"},
		{"quiet but too little traffic for the 1h window", series(t, start, minutes(4320, 1, 0)), 100, StateInsufficientTraffic, "only 60 events in the last 1h, need 100 to alert"},
		{"no traffic at all", Series{}, 1, StateInsufficientTraffic, "no events in the last 1h, need 1 to alert"},
		{"no traffic with the guard off", Series{}, 0, StateOK, "no alert window burns at its threshold"},
		{"fast burn hidden by the guard", lowTraffic(t, now), 100, StateInsufficientTraffic, "only 60 events in the last 1h, need 100 to alert"},
		{"ticket pair with enough traffic wins over the guard", series(t, start, slowBurn...), 100, StateTicket, "burn 5× over 24h and 5× over 2h reach 3×"},
		{"every pair short of traffic", series(t, start, slowBurn...), 5000, StateInsufficientTraffic, "only 60 events in the last 1h, need 5000 to alert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table, err := BurnTable(tt.s, ScaledPairs(30*journeys.Day), 0.99, tt.minEvents, now)
			require.NoError(t, err)
			state, reason := Overall(table)
			require.Equal(t, tt.state, state)
			require.Equal(t, tt.reason, reason)
		})
	}
}

func TestBurnTableErrors(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-04T00:00:00Z")
	ok := WorkbookPairs()
	tests := []struct {
		name      string
		pairs     []BurnPair
		minEvents int64
		want      string
	}{
		{"negative minimum", ok, -1, "minimum events -1 must not be negative"},
		{"no pairs", nil, 0, "alert table has no window pairs"},
		{"unknown severity", []BurnPair{{Severity: "warn", Long: time.Hour, Short: time.Minute, Threshold: 1}}, 0, `alert pair 0: unknown severity "warn"; use page or ticket`},
		{"zero window", []BurnPair{{Severity: SeverityPage, Long: time.Hour, Threshold: 1}}, 0, "alert pair 0: windows 1h0m0s and 0s must be positive"},
		{"short longer than long", []BurnPair{{Severity: SeverityPage, Long: time.Minute, Short: time.Hour, Threshold: 1}}, 0, "alert pair 0: short window 1h0m0s is longer than long window 1m0s"},
		{"zero threshold", []BurnPair{{Severity: SeverityTicket, Long: time.Hour, Short: time.Minute}}, 0, "alert pair 0: threshold 0 must be a positive number"},
		{"NaN threshold", []BurnPair{{Severity: SeverityTicket, Long: time.Hour, Short: time.Minute, Threshold: math.NaN()}}, 0, "alert pair 0: threshold NaN must be a positive number"},
		{"infinite threshold", []BurnPair{{Severity: SeverityTicket, Long: time.Hour, Short: time.Minute, Threshold: math.Inf(1)}}, 0, "alert pair 0: threshold +Inf must be a positive number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := BurnTable(Series{}, tt.pairs, 0.99, tt.minEvents, now)
			require.EqualError(t, err, tt.want)
		})
	}
}

// A burn that is exactly the threshold to a person fires, whatever
// floating point makes of it.
func TestBurnAtThresholdFires(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-04T00:00:00Z")
	tests := []struct {
		total, bad int64
		objective  float64
		threshold  float64
	}{
		{1000, 144, 0.99, 14.4},
		{1000, 60, 0.99, 6},
		{1000, 30, 0.99, 3},
		{1000, 10, 0.99, 1},
		{100000, 72, 0.9995, 1.44},
		{10000, 72, 0.995, 1.44},
		{1000, 432, 0.97, 14.4},
		{3, 1, 0.9, 10.0 / 3},
	}
	for _, tt := range tests {
		s := series(t, now.Add(-time.Minute), minutes(1, tt.total, tt.bad))
		pair := BurnPair{Severity: SeverityPage, Long: time.Hour, Short: 5 * time.Minute, Threshold: tt.threshold}
		table, err := BurnTable(s, []BurnPair{pair}, tt.objective, 0, now)
		require.NoError(t, err)
		require.True(t, table[0].Fires, "%d of %d at %v: burn %v", tt.bad, tt.total, tt.objective, table[0].LongBurn.Rate)

		// One bad event fewer does not.
		s = series(t, now.Add(-time.Minute), minutes(1, tt.total, tt.bad-1))
		table, err = BurnTable(s, []BurnPair{pair}, tt.objective, 0, now)
		require.NoError(t, err)
		require.False(t, table[0].Fires, "%d of %d at %v: burn %v", tt.bad-1, tt.total, tt.objective, table[0].LongBurn.Rate)
	}
}
