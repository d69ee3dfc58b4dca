package slo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

func TestWindowString(t *testing.T) {
	t.Parallel()
	berlin := mustLoc(t, "Europe/Berlin")
	for _, tt := range []struct {
		w    Window
		want string
	}{
		{Rolling(28*journeys.Day, nil), "28d"},
		{Rolling(36*time.Hour, time.UTC), "36h"},
		{Rolling(time.Hour, nil), "1h"},
		{Rolling(90*journeys.Day, berlin), "90d"},
		{Month(berlin), "calendar:month"},
		{Week(time.Monday, nil), "calendar:week:monday"},
		{Week(time.Sunday, berlin), "calendar:week:sunday"},
		{Week(time.Saturday, nil), "calendar:week:saturday"},
	} {
		require.Equal(t, tt.want, tt.w.String())
	}
}

func TestWindowBounds(t *testing.T) {
	t.Parallel()
	berlin := mustLoc(t, "Europe/Berlin")
	havana := mustLoc(t, "America/Havana")
	tests := []struct {
		name     string
		w        Window
		now      time.Time
		from, to string // UTC
		length   time.Duration
	}{
		{"rolling 28d", Rolling(28*journeys.Day, berlin), utc("2026-03-29T12:34:56Z"),
			"2026-03-01T12:34:56Z", "2026-03-29T12:34:56Z", 672 * time.Hour},

		// Month lengths, UTC.
		{"31-day month", Month(nil), utc("2026-01-15T10:00:00Z"), "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", 31 * 24 * time.Hour},
		{"30-day month", Month(nil), utc("2026-04-30T23:59:59Z"), "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z", 30 * 24 * time.Hour},
		{"28-day February", Month(nil), utc("2026-02-10T00:00:00Z"), "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", 28 * 24 * time.Hour},
		{"29-day February", Month(nil), utc("2028-02-29T12:00:00Z"), "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z", 29 * 24 * time.Hour},
		{"December rolls into the next year", Month(nil), utc("2026-12-31T23:00:00Z"), "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", 31 * 24 * time.Hour},
		{"first instant of a month", Month(nil), utc("2026-03-01T00:00:00Z"), "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", 31 * 24 * time.Hour},
		{"last instant of a month", Month(nil), utc("2026-03-01T00:00:00Z").Add(-time.Nanosecond), "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", 28 * 24 * time.Hour},

		// Months in Berlin, across daylight-saving changes.
		{"Berlin March loses an hour", Month(berlin), utc("2026-03-29T12:00:00Z"), "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z", 743 * time.Hour},
		{"Berlin October gains an hour", Month(berlin), utc("2026-10-25T12:00:00Z"), "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", 745 * time.Hour},
		{"Berlin month by local date, not UTC", Month(berlin), utc("2026-02-28T23:30:00Z"), "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z", 743 * time.Hour},

		// Weeks.
		{"UTC Monday week", Week(time.Monday, nil), utc("2026-03-29T12:00:00Z"), "2026-03-23T00:00:00Z", "2026-03-30T00:00:00Z", 168 * time.Hour},
		{"UTC week at its first instant", Week(time.Monday, nil), utc("2026-03-23T00:00:00Z"), "2026-03-23T00:00:00Z", "2026-03-30T00:00:00Z", 168 * time.Hour},
		{"UTC week at its last instant", Week(time.Monday, nil), utc("2026-03-23T00:00:00Z").Add(-time.Nanosecond), "2026-03-16T00:00:00Z", "2026-03-23T00:00:00Z", 168 * time.Hour},
		{"Wednesday week", Week(time.Wednesday, nil), utc("2026-03-24T12:00:00Z"), "2026-03-18T00:00:00Z", "2026-03-25T00:00:00Z", 168 * time.Hour},
		{"Berlin spring week is 167h", Week(time.Monday, berlin), utc("2026-03-29T10:00:00Z"), "2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z", 167 * time.Hour},
		{"Berlin Sunday week starting on the short day", Week(time.Sunday, berlin), utc("2026-03-29T00:30:00Z"), "2026-03-28T23:00:00Z", "2026-04-04T22:00:00Z", 167 * time.Hour},
		{"Berlin autumn week is 169h", Week(time.Monday, berlin), utc("2026-10-20T08:00:00Z"), "2026-10-18T22:00:00Z", "2026-10-25T23:00:00Z", 169 * time.Hour},
		{"Berlin in the repeated hour", Week(time.Monday, berlin), utc("2026-10-25T01:30:00Z"), "2026-10-18T22:00:00Z", "2026-10-25T23:00:00Z", 169 * time.Hour},
		{"Berlin first instant of a week", Week(time.Monday, berlin), utc("2026-10-25T23:00:00Z"), "2026-10-25T23:00:00Z", "2026-11-01T23:00:00Z", 168 * time.Hour},
		{"Berlin Sunday evening local is Monday UTC-wise earlier", Week(time.Monday, berlin), utc("2026-03-29T21:59:59Z"), "2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z", 167 * time.Hour},

		// Havana skips midnight itself in spring and repeats it in autumn.
		{"Havana week starts at 01:00 when midnight is skipped", Week(time.Sunday, havana), utc("2026-03-08T17:00:00Z"), "2026-03-08T05:00:00Z", "2026-03-15T04:00:00Z", 167 * time.Hour},
		{"Havana week before the skipped midnight", Week(time.Sunday, havana), utc("2026-03-08T04:59:59Z"), "2026-03-01T05:00:00Z", "2026-03-08T05:00:00Z", 168 * time.Hour},
		{"Havana week starts at the first of two midnights", Week(time.Sunday, havana), utc("2026-11-01T04:30:00Z"), "2026-11-01T04:00:00Z", "2026-11-08T05:00:00Z", 169 * time.Hour},
		{"Havana month in spring", Month(havana), utc("2026-03-08T17:00:00Z"), "2026-03-01T05:00:00Z", "2026-04-01T04:00:00Z", 743 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			from, to := tt.w.Bounds(tt.now)
			require.Equal(t, utc(tt.from), from.UTC(), "from")
			require.Equal(t, utc(tt.to), to.UTC(), "to")
			require.Equal(t, tt.length, to.Sub(from))
			require.False(t, tt.now.Before(from), "now before from")
			if tt.w.IsCalendar() {
				require.True(t, tt.now.Before(to), "now not before to")
			}
		})
	}
}

func TestWindowAccessors(t *testing.T) {
	t.Parallel()
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		w        Window
		kind     WindowKind
		length   time.Duration
		nominal  time.Duration
		calendar bool
		loc      string
	}{
		{Rolling(28*journeys.Day, nil), KindRolling, 28 * journeys.Day, 28 * journeys.Day, false, "UTC"},
		{Month(berlin), KindMonth, 0, 30 * journeys.Day, true, "Europe/Berlin"},
		{Week(time.Sunday, berlin), KindWeek, 0, 7 * journeys.Day, true, "Europe/Berlin"},
		{mustForSLO(t, journeys.SLO{}, nil), KindRolling, 28 * journeys.Day, 28 * journeys.Day, false, "UTC"},
		{mustForSLO(t, journeys.SLO{Window: journeys.NewDuration(7 * journeys.Day)}, berlin), KindRolling, 7 * journeys.Day, 7 * journeys.Day, false, "Europe/Berlin"},
		{mustForSLO(t, journeys.SLO{Calendar: journeys.CalendarMonth, TimeZone: "Europe/Berlin"}, nil), KindMonth, 0, 30 * journeys.Day, true, "Europe/Berlin"},
		{mustForSLO(t, journeys.SLO{Calendar: journeys.CalendarWeek, WeekStart: "sunday"}, berlin), KindWeek, 0, 7 * journeys.Day, true, "UTC"},
		{Window{}, KindRolling, 0, 0, false, "UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.w.String(), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.kind, tt.w.Kind())
			require.Equal(t, tt.length, tt.w.Length())
			require.Equal(t, tt.nominal, tt.w.Nominal())
			require.Equal(t, tt.calendar, tt.w.IsCalendar())
			require.Equal(t, tt.loc, tt.w.Location().String())
		})
	}
	require.Equal(t, time.Sunday, Week(time.Sunday, nil).WeekStart())
}

func mustForSLO(t *testing.T, s journeys.SLO, loc *time.Location) Window {
	t.Helper()
	w, err := ForSLO(s, loc)
	require.NoError(t, err)
	return w
}

func TestForSLORejectsAnUnknownZone(t *testing.T) {
	t.Parallel()
	_, err := ForSLO(journeys.SLO{Name: "x", Calendar: journeys.CalendarMonth, TimeZone: "Mars/Olympus"}, nil)
	require.ErrorContains(t, err, `window of SLO "x": `)
}

// TestBoundsHoldNow checks, across zones with odd transitions and
// instants on them, that every kind of window contains now and that a
// calendar period is between six and 32 days long.
func TestBoundsHoldNow(t *testing.T) {
	t.Parallel()
	nows := []time.Time{
		utc("2026-03-29T01:30:00Z"), utc("2026-10-25T00:59:59Z"), utc("2026-03-08T05:00:00Z"), utc("2028-02-29T23:59:59Z"),
	}
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/Havana", "Australia/Lord_Howe"} {
		loc := mustLoc(t, zone)
		windows := []Window{Rolling(time.Hour, loc), Rolling(36*time.Hour, loc), Rolling(28*journeys.Day, loc), Month(loc)}
		for d := time.Sunday; d <= time.Saturday; d++ {
			windows = append(windows, Week(d, loc))
		}
		for _, w := range windows {
			for _, now := range nows {
				from, to := w.Bounds(now)
				require.False(t, now.Before(from), "%s in %s: now %s before from %s", w, zone, now, from)
				if w.IsCalendar() {
					require.True(t, now.Before(to), "%s in %s: now %s not before to %s", w, zone, now, to)
					require.GreaterOrEqual(t, to.Sub(from), 6*24*time.Hour)
					require.LessOrEqual(t, to.Sub(from), 32*24*time.Hour)
				} else {
					require.Equal(t, now, to)
					require.Equal(t, w.Length(), to.Sub(from))
				}
			}
		}
	}
}

func TestInvalidWindows(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-11T00:00:00Z")
	tests := []struct {
		name string
		w    Window
		want string
	}{
		{"zero window", Window{}, "rolling SLO window 0s must be positive"},
		{"negative rolling", Rolling(-time.Hour, nil), "rolling SLO window -1h0m0s must be positive"},
		{"week starting on day 9", Week(time.Weekday(9), nil), "calendar week starts on 9, which is not a weekday"},
		{"unknown kind", Window{kind: 7}, "unknown SLO window kind 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ComputeBudget(Series{}, tt.w, 0.99, now)
			require.EqualError(t, err, tt.want)
			_, err = ForecastExhaustion(Series{}, tt.w, 0.99, 0, now)
			require.EqualError(t, err, tt.want)
			ev := Evaluate(Prior{State: StateTicket}, Inputs{Window: tt.w, Objective: 0.99}, now)
			require.EqualError(t, ev.Err, "evaluate SLO: "+tt.want)
			require.Equal(t, StateTicket, ev.State)
		})
	}
}
