package tempo

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/faketempo"
	"github.com/waymarkhq/waymark/journeys"
)

func TestCountFilterWritesTraceQL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f     journeys.SpanFilter
		extra []string
		want  string
	}{
		{journeys.SpanFilter{}, nil, `{ }`},
		{journeys.SpanFilter{}, []string{"span.user.tier != nil"}, `{ span.user.tier != nil }`},
		{journeys.SpanFilter{Service: "payment_svc", Kind: "server"}, nil, `{ resource.service.name = "payment_svc" && kind = server }`},
		{journeys.SpanFilter{Service: `a"b`, Span: "POST /x\n"}, nil, `{ resource.service.name = "a\"b" && name = "POST /x\n" }`},
	} {
		got, err := CountFilter(c.f, c.extra...)
		require.NoError(t, err)
		require.Equal(t, c.want, got)
	}
	_, err := CountFilter(journeys.SpanFilter{Kind: "server }"})
	require.ErrorContains(t, err, "unknown span kind")
	_, err = CountFilter(journeys.SpanFilter{Service: "\xff"})
	require.ErrorContains(t, err, "not valid UTF-8")
}

// The recorded instant count by tier of payment root spans is the truth
// of the recorded traffic (84 + 236 + 190 = 510 payments).
func TestCountValuesReadsTheRecordedInstantQuery(t *testing.T) {
	t.Parallel()
	url, n := replay(t, exchange{
		path: "/api/metrics/query",
		params: rangeParams(map[string]string{
			"q": `{ resource.service.name = "payment_svc" && kind = server && span.user.tier != nil } | count_over_time() by (span.user.tier)`,
		}),
		accept: "application/json", contentType: "application/json", file: "metrics_query_instant_count_by_tier.json",
	}, testAuth)
	src := NewSource(newTestClient(t, url), SourceOptions{})
	got, err := src.CountValues(context.Background(), journeys.CountQuery{
		Where: journeys.SpanFilter{Service: "payment_svc", Kind: "server"}, By: "span.user.tier", From: fixtureFrom, To: fixtureTo,
	})
	require.NoError(t, err)
	require.Equal(t, []journeys.ValueCount{
		{Value: "free", Type: journeys.TypeString, Count: 236},
		{Value: "pro", Type: journeys.TypeString, Count: 190},
		{Value: "enterprise", Type: journeys.TypeString, Count: 84},
	}, got)
	require.Equal(t, int64(1), n.Load())
}

// The same spans give Tempo's counts what the embedded store's tests
// expect of it (internal/spanstore count_test.go).
func TestCountsOverTheSample(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	fake := faketempo.New(t, faketempo.Sample(base))
	src := NewSource(newTestClient(t, fake.URL, func(o *Options) { o.Tenant, o.Token = "", "" }), SourceOptions{})
	ctx := context.Background()
	q := func(by string, f journeys.SpanFilter) []journeys.ValueCount {
		t.Helper()
		got, err := src.CountValues(ctx, journeys.CountQuery{Where: f, By: by, From: base, To: base.Add(time.Hour)})
		require.NoError(t, err)
		return got
	}
	str, num := journeys.TypeString, journeys.TypeInt
	require.Equal(t, []journeys.ValueCount{vc("shop", str, 4), vc("auth", str, 1)}, q("resource.service.name", journeys.SpanFilter{}))
	require.Equal(t, []journeys.ValueCount{vc("POST /pay", str, 3), vc("SELECT", str, 1)}, q("name", journeys.SpanFilter{Service: "shop"}))
	require.Equal(t, []journeys.ValueCount{vc("server", str, 4), vc("client", str, 1)}, q("kind", journeys.SpanFilter{}))
	require.Equal(t, []journeys.ValueCount{vc("unset", str, 4), vc("error", str, 1)}, q("status", journeys.SpanFilter{}))
	require.Equal(t, []journeys.ValueCount{vc("free", str, 2), vc("pro", str, 1)}, q("span.user.tier", journeys.SpanFilter{Service: "shop", Span: "POST /pay", Kind: "server"}))
	require.Equal(t, []journeys.ValueCount{vc("200", num, 2), vc("500", str, 2)}, q("span.code", journeys.SpanFilter{}))
	require.Equal(t, []journeys.ValueCount{vc("12.5", journeys.TypeFloat, 1), vc("NaN", journeys.TypeFloat, 1)}, q("span.total", journeys.SpanFilter{}))
	require.Empty(t, q("span.tags", journeys.SpanFilter{}))
	require.Equal(t, []journeys.ValueCount{vc("eu", str, 5)}, q("resource.region", journeys.SpanFilter{}))

	keys, err := src.CountKeys(ctx, journeys.KeyQuery{From: base, To: base.Add(time.Hour), Numeric: true})
	require.NoError(t, err)
	require.Equal(t, []journeys.KeyCount{
		{Key: "resource.region", Count: 5},
		{Key: "resource.service.name", Count: 5},
		{Key: "span.code", Count: 4, Numeric: 3},
		{Key: "span.user.tier", Count: 4},
		{Key: "span.total", Count: 2, Numeric: 1},
		{Key: "span.tags", Count: 1},
	}, keys)
	// One tag search, then a count and a numeric count per key.
	require.Equal(t, 1, fake.Requests()["/api/v2/search/tags"])
	require.Equal(t, 9+2*6, fake.Requests()["/api/metrics/query"])
}

func vc(v string, t journeys.ValueType, n int64) journeys.ValueCount {
	return journeys.ValueCount{Value: v, Type: t, Count: n}
}
