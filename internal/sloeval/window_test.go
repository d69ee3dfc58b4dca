package sloeval_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/journeys"
)

// TestCalendarWindowBudget counts a calendar-month SLO across a month
// boundary: only events since the month began in the SLO's zone count.
// April 2025 begins in Berlin (CEST, UTC+2) at 2025-03-31 22:00 UTC, two
// hours before it begins in UTC.
func TestCalendarWindowBudget(t *testing.T) {
	t.Parallel()
	success := func(name string, edit func(*journeys.SLO)) journeys.SLO {
		s := journeys.SLO{Name: name, Step: "s2", Kind: journeys.SLOSuccess, Objective: 0.8}
		edit(&s)
		return s
	}
	j := shopJourney(
		success("month-berlin", func(s *journeys.SLO) { s.Calendar, s.TimeZone = journeys.CalendarMonth, "Europe/Berlin" }),
		success("month-utc", func(s *journeys.SLO) { s.Calendar = journeys.CalendarMonth }),
		success("week-tuesday-berlin", func(s *journeys.SLO) {
			s.Calendar, s.WeekStart, s.TimeZone = journeys.CalendarWeek, "tuesday", "Europe/Berlin"
		}),
		success("week-sunday-utc", func(s *journeys.SLO) { s.Calendar, s.WeekStart = journeys.CalendarWeek, "sunday" }),
		success("rolling", func(s *journeys.SLO) { s.Window = dur(28 * day) }),
	)
	require.NoError(t, j.Validate())
	f := setup(t, j, alerttest.Options{})

	// Four hours of step s2 before the Berlin month starts (10 spans and 3
	// errors a minute), four after (10 spans, 1 error a minute).
	boundary := time.Date(2025, 3, 31, 22, 0, 0, 0, time.UTC)
	start, end := boundary.Add(-4*time.Hour), boundary.Add(4*time.Hour)
	steps := append(rows(1, start, boundary, time.Minute, 10, 3), rows(1, boundary, end, time.Minute, 10, 1)...)
	f.write(t, start, end, steps, nil)
	f.clock.Set(end)

	aprilUTC := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		slo         string
		from, to    time.Time
		good, total int64
		remaining   float64
	}{
		// 240 minutes × 10 spans, 240 bad: 480 allowed at 0.8, half left.
		{"month-berlin", boundary, time.Date(2025, 4, 30, 22, 0, 0, 0, time.UTC), 2160, 2400, 0.5},
		// 120 minutes since midnight UTC: 1200 spans, 120 bad of 240 allowed.
		{"month-utc", aprilUTC, time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), 1080, 1200, 0.5},
		// Tuesday 1 April in Berlin is the same instant as its month.
		{"week-tuesday-berlin", boundary, boundary.Add(7 * day), 2160, 2400, 0.5},
		// Sunday 30 March UTC: all eight hours, 720 + 240 bad of 960 allowed.
		{"week-sunday-utc", time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 6, 0, 0, 0, 0, time.UTC), 3840, 4800, 0},
		{"rolling", end.Add(-28 * day), end, 3840, 4800, 0},
	}
	for _, tt := range tests {
		t.Run(tt.slo, func(t *testing.T) {
			t.Parallel()
			st, err := f.svc.SLOStatus(f.ctx, "shop", tt.slo, end)
			require.NoError(t, err)
			require.Equal(t, end, st.DataThrough)
			require.Equal(t, tt.from, st.Budget.From.UTC())
			require.Equal(t, tt.to, st.Budget.To.UTC())
			require.Equal(t, tt.good, st.Good)
			require.Equal(t, tt.total, st.Total)
			require.InDelta(t, tt.remaining, st.Budget.Remaining, 1e-9)
			// The burn-down starts where the budget does.
			require.Equal(t, tt.from, st.BurnDown[0].At)
			last := st.BurnDown[len(st.BurnDown)-1]
			require.Equal(t, []int64{tt.good, tt.total}, []int64{last.Good, last.Total})
		})
	}

	// Burn-rate windows of a month scale as 30 days: the workbook's table.
	st, err := f.svc.SLOStatus(f.ctx, "shop", "month-berlin", end)
	require.NoError(t, err)
	var long []time.Duration
	for _, p := range st.Pairs {
		long = append(long, p.LongBurn.Window)
	}
	require.Equal(t, []time.Duration{time.Hour, 6 * time.Hour, day, 3 * day}, long)
	// The last hour: 600 spans, 60 bad.
	require.Equal(t, int64(600), st.Pairs[0].LongBurn.Events.Total)
	require.Equal(t, int64(540), st.Pairs[0].LongBurn.Events.Good)
}
