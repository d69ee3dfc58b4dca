package journeypages

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

func TestSLOWindowText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		o    journeys.SLO
		want string
	}{
		{journeys.SLO{}, "—"},
		{journeys.SLO{Window: journeys.Duration{D: 7 * 24 * time.Hour, Raw: "7d"}}, "7d"},
		{journeys.SLO{Calendar: journeys.CalendarMonth}, "calendar month (UTC)"},
		{journeys.SLO{Calendar: journeys.CalendarWeek, WeekStart: "sunday", TimeZone: "Asia/Tokyo"}, "calendar week from Sunday (Asia/Tokyo)"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, sloWindowText(tt.o))
	}
}

func TestSparkDeployX(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		at    time.Time
		n     int
		x     float64
		shown bool
	}{
		{"first point", from, 61, 0, true},
		{"middle", from.Add(30 * time.Minute), 61, 80, true},
		{"within a point", from.Add(30*time.Minute + 30*time.Second), 61, 81.33333333333333, true},
		{"last point", from.Add(60*time.Minute + 59*time.Second), 61, 160, true},
		{"after the line", from.Add(61 * time.Minute), 61, 0, false},
		{"before the line", from.Add(-time.Second), 61, 0, false},
		{"one point", from.Add(30 * time.Second), 1, 80, true},
		{"no points", from, 0, 0, false},
	}
	for _, tt := range tests {
		x, ok := sparkDeployX(tt.at, from, time.Minute, tt.n)
		require.Equal(t, tt.shown, ok, tt.name)
		require.InDelta(t, tt.x, x, 1e-9, tt.name)
	}
}
