package journeyhttp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
)

// The stand-ins of a server without rollups or a trace source answer every
// read as unavailable, in words that say why.
func TestOffStandIns(t *testing.T) {
	t.Parallel()
	ctx, at := context.Background(), time.Unix(0, 0)
	var off RollupsOff
	_, e1 := off.Stats(ctx, "shop", at, at, nil)
	_, e2 := off.Series(ctx, "shop", at, at, time.Minute, nil)
	_, e3 := off.SegmentValues(ctx, "shop", "k", at, at)
	_, e4 := off.Backfills(ctx, "shop", 1)
	_, e5 := off.Freshness(ctx, "shop")
	_, e6 := off.AllFreshness(ctx)
	var j journeys.Journey
	_, e7 := off.Differences(ctx, j, rollup.DiffQuery{})
	_, e8 := off.Anomalies(ctx, j, rollup.AnomalyQuery{})
	_, e9 := off.WeekHeatmap(ctx, "shop", 0, at, at, time.UTC)
	_, e10 := off.EndpointHeatmap(ctx, j, at, at)
	_, e11 := off.RevenueAtRisk(ctx, j, at, at, nil)
	for _, err := range []error{e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11} {
		require.ErrorIs(t, err, httpx.ErrNoRollups)
		require.True(t, errors.Is(err, fault.ErrUnavailable))
	}
	_, err := TracesOff{}.Trace(ctx, "abc")
	require.ErrorIs(t, err, httpx.ErrNoTraces)
	e := httpx.Classify(err)
	require.Equal(t, 503, e.Status)
	require.Equal(t, "trace source not configured", e.Msg)
}
