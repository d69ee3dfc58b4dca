package suggest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/sourcetest"
	"github.com/waymarkhq/waymark/internal/suggest"
	"github.com/waymarkhq/waymark/journeys"
)

// TestLiveTempoSuggestions sends shop traffic of an environment of its own
// to the Tempo of WAYMARK_TEST_TEMPO_URL and checks the counts it
// suggests: exact for what only this traffic carries, at least the truth
// for what other traffic may share.
func TestLiveTempoSuggestions(t *testing.T) {
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
	truth := countTruth(tr)
	to := time.Now().Truncate(time.Minute).Add(time.Minute)
	pay := demo.Steps()[demo.NumSteps-1].Pattern()
	pay.Attributes = []journeys.Matcher{{Key: "resource.deployment.environment", Op: journeys.OpEq, Value: journeys.StringValue(cfg.Environment)}}
	live.Send(t, tr.OTLP(), pay, tr.Truth().Steps[demo.NumSteps-1].RootSpans, cfg.Start.Truncate(time.Minute), to)

	ctx := context.Background()
	s := suggest.New(live.Source, suggest.Options{Now: func() time.Time { return to }})
	envs, err := s.Values(ctx, "resource.deployment.environment", suggest.Query{})
	require.NoError(t, err)
	require.Contains(t, envs, suggest.Suggestion{Value: cfg.Environment, Count: int64(tr.Truth().Spans)})
	services, err := s.Services(ctx, suggest.Query{})
	require.NoError(t, err)
	for service, n := range truth.services {
		i := indexOf(services, service)
		require.GreaterOrEqual(t, i, 0, service)
		require.GreaterOrEqual(t, services[i].Count, n, service)
	}
	names, err := s.SpanNames(ctx, suggest.Query{Service: "payment_svc"})
	require.NoError(t, err)
	for name, n := range truth.names["payment_svc"] {
		i := indexOf(names, name)
		require.GreaterOrEqual(t, i, 0, name)
		require.GreaterOrEqual(t, names[i].Count, n, name)
	}
	keys, err := s.Keys(ctx, suggest.Query{Service: "payment_svc", Span: "POST /payments"})
	require.NoError(t, err)
	for key, n := range truth.paymentKeys {
		i := indexOf(keys, key)
		require.GreaterOrEqual(t, i, 0, key)
		require.GreaterOrEqual(t, keys[i].Count, n, key)
	}
}

func indexOf(list []suggest.Suggestion, v string) int {
	for i, s := range list {
		if s.Value == v {
			return i
		}
	}
	return -1
}
