package preview_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/preview"
	"github.com/waymarkhq/waymark/internal/sourcetest"
	"github.com/waymarkhq/waymark/journeys"
)

// TestLiveTempoPreview previews the shop journey, narrowed to traffic of
// its own environment, on the Tempo of WAYMARK_TEST_TEMPO_URL: it must be
// the truth of what was sent.
func TestLiveTempoPreview(t *testing.T) {
	live := sourcetest.LiveTempo(t)
	t.Parallel()
	cfg := demo.DefaultConfig()
	cfg.Seed = time.Now().UnixNano()
	cfg.Environment = sourcetest.Environment()
	cfg.Sessions = 200
	cfg.Duration = 3 * time.Minute
	cfg.Start = time.Now().Add(-5 * time.Minute).Truncate(time.Second)
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()
	from, to := cfg.Start.Truncate(time.Minute), time.Now().Truncate(time.Minute).Add(time.Minute)
	ours := journeys.Matcher{Key: "resource.deployment.environment", Op: journeys.OpEq, Value: journeys.StringValue(cfg.Environment)}
	j := example(t, "shop-checkout.yaml")
	for i := range j.Spec.Steps {
		j.Spec.Steps[i].Match.Attributes = []journeys.Matcher{ours}
	}
	last := j.Spec.Steps[demo.NumSteps-1].Match
	live.Send(t, tr.OTLP(), last, truth.Steps[demo.NumSteps-1].RootSpans, from, to)

	got, err := preview.New(live.Source, preview.Options{}).Run(context.Background(), preview.Request{Journey: j, From: from, To: to})
	require.NoError(t, err)
	require.False(t, got.Partial)
	for k, s := range got.Steps {
		require.Equal(t, int64(truth.Steps[k].RootSpans), s.Spans, s.Name)
		require.Equal(t, int64(truth.Steps[k].Errors), s.Errors, s.Name)
		require.Equal(t, p95(truth.Steps[k].Latency.Durations), s.P95, s.Name)
		require.Equal(t, int64(truth.Funnel[k].Sessions), got.Funnel.Steps[k].Reached, s.Name)
	}
}
