package demo

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/tempo"
	"github.com/waymarkhq/waymark/journeys"
)

// TestLiveTempoAnswersTheTruth sends planned shop traffic to a real Tempo
// and checks that the Tempo source returns exactly what was sent, per step
// and per segment. It runs when WAYMARK_TEST_TEMPO_URL names Tempo's HTTP
// API; the OTLP/HTTP endpoint defaults to the same host on port 4318
// (WAYMARK_TEST_TEMPO_OTLP_URL overrides it) and WAYMARK_TEST_TEMPO_TENANT
// sets X-Scope-OrgID. Each run marks its spans with a deployment.environment
// of its own, so other traffic in that Tempo does not disturb the counts.
func TestLiveTempoAnswersTheTruth(t *testing.T) {
	base := os.Getenv("WAYMARK_TEST_TEMPO_URL")
	if base == "" {
		t.Skip("WAYMARK_TEST_TEMPO_URL is not set")
	}
	t.Parallel()
	otlp := os.Getenv("WAYMARK_TEST_TEMPO_OTLP_URL")
	if otlp == "" {
		u, err := url.Parse(base)
		require.NoError(t, err)
		otlp = "http://" + u.Hostname() + ":4318"
	}
	tenant := os.Getenv("WAYMARK_TEST_TEMPO_TENANT")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	cfg := DefaultConfig()
	cfg.Seed = time.Now().UnixNano()
	cfg.Environment = fmt.Sprintf("waymark-live-%d", cfg.Seed)
	cfg.Sessions = 300
	// Recent data: Tempo accepts spans only a little older than now.
	cfg.Duration = 4 * time.Minute
	cfg.Start = time.Now().Add(-5 * time.Minute).Truncate(time.Second)
	tr, err := Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()
	var headers map[string]string
	if tenant != "" {
		headers = map[string]string{"X-Scope-OrgID": tenant}
	}
	require.NoError(t, tr.send(ctx, otlp, headers))

	c, err := tempo.New(tempo.Options{BaseURL: base, Tenant: tenant})
	require.NoError(t, err)
	src := tempo.NewSource(c, tempo.SourceOptions{})
	from, to := cfg.Start, tr.End().Add(time.Minute)
	ours := journeys.Matcher{Key: "resource.deployment.environment", Op: journeys.OpEq, Value: journeys.StringValue(cfg.Environment)}
	pattern := func(p journeys.Pattern) journeys.Pattern {
		p.Attributes = append(append([]journeys.Matcher(nil), p.Attributes...), ours)
		return p
	}

	// Tempo makes spans searchable a few seconds after it accepts them.
	last := NumSteps - 1
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got := fetch(t, src, pattern(Steps()[last].Pattern()), from, to)
		if got.spans == truth.Steps[last].RootSpans || time.Now().After(deadline) {
			break
		}
		time.Sleep(3 * time.Second)
	}

	for i, info := range Steps() {
		want := truth.Steps[i]
		got := fetch(t, src, pattern(info.Pattern()), from, to)
		require.Equal(t, want.RootSpans, got.spans, info.Key)
		require.Equal(t, want.Errors, got.errors, info.Key)
		require.Equal(t, want.Latency.Durations, got.durations, info.Key)
		require.Equal(t, want.ValueCents, got.valueCents, info.Key)
		for _, k := range segmentKeys {
			for v, seg := range want.By[k] {
				require.Equal(t, seg.Sessions, got.by[k][v].Sessions, "%s %s=%s", info.Key, k, v)
				require.Equal(t, seg.Errors, got.by[k][v].Errors, "%s %s=%s", info.Key, k, v)
			}
		}
		for _, ch := range want.Children {
			got := fetch(t, src, pattern(info.ChildPattern(ch.Name)), from, to)
			require.Equal(t, ch.Spans, got.spans, ch.Name)
			require.Equal(t, ch.ErrorSpans, got.errors, ch.Name)
		}
	}
}
