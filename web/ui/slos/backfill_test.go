package slos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
)

func TestBackfillStatuses(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	from, to := now.Add(-2*time.Hour), now.Add(-time.Hour)
	bf := func(state string, done time.Time, updated time.Duration) rollup.Backfill {
		return rollup.Backfill{State: state, From: from, To: to, DoneThrough: done, UpdatedAt: now.Add(-updated), Error: "boom"}
	}
	tests := []struct {
		name string
		in   []rollup.Backfill
		want []string // states shown
	}{
		{"none", nil, nil},
		{"running", []rollup.Backfill{bf(rollup.BackfillRunning, from, 3*time.Hour)}, []string{"running"}},
		{"pending and running", []rollup.Backfill{bf(rollup.BackfillPending, from, 0), bf(rollup.BackfillRunning, from, 0)}, []string{"pending", "running"}},
		{"done just now", []rollup.Backfill{bf(rollup.BackfillDone, to, 90*time.Second)}, []string{"done"}},
		{"done three minutes ago", []rollup.Backfill{bf(rollup.BackfillDone, to, 3*time.Minute)}, nil},
		{"done long ago", []rollup.Backfill{bf(rollup.BackfillDone, to, 61*time.Minute)}, nil},
		{"failed today", []rollup.Backfill{bf(rollup.BackfillFailed, from, 23*time.Hour)}, []string{"failed"}},
		{"failed yesterday", []rollup.Backfill{bf(rollup.BackfillFailed, from, 25*time.Hour)}, nil},
		{"older finished ones stay hidden", []rollup.Backfill{bf(rollup.BackfillRunning, from, 0), bf(rollup.BackfillDone, to, time.Minute)}, []string{"running"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := BackfillStatusesOf(tt.in, now)
			var states []string
			for _, s := range got {
				states = append(states, s.State)
				require.Equal(t, now, s.Now)
			}
			require.Equal(t, tt.want, states)
		})
	}
	got := BackfillStatusesOf([]rollup.Backfill{bf(rollup.BackfillRunning, from.Add(27*time.Minute), 0)}, now)
	require.Equal(t, []BackfillStatus{{State: "running", From: from, To: to, DoneThrough: from.Add(27 * time.Minute),
		Progress: 0.45, Error: "boom", UpdatedAt: now, Now: now}}, got)
}
