package spanstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/faketempo"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/journeys"
)

// countFixture stores faketempo.Sample(base) in a fresh store.
func countFixture(t *testing.T, base time.Time) *Store {
	t.Helper()
	s := NewStore(pgtest.New(t), nil)
	_, err := s.Insert(context.Background(), faketempo.Sample(base))
	require.NoError(t, err)
	return s
}

func TestCountValuesCountsEachValueExactly(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s := countFixture(t, base)
	ctx := context.Background()
	q := func(by string, f journeys.SpanFilter) []journeys.ValueCount {
		t.Helper()
		got, err := s.CountValues(ctx, journeys.CountQuery{Where: f, By: by, From: base, To: base.Add(time.Hour)})
		require.NoError(t, err)
		return got
	}
	str, num := journeys.TypeString, journeys.TypeInt
	require.Equal(t, []journeys.ValueCount{vc("shop", str, 4), vc("auth", str, 1)}, q("resource.service.name", journeys.SpanFilter{}))
	require.Equal(t, []journeys.ValueCount{vc("POST /pay", str, 3), vc("SELECT", str, 1)}, q("name", journeys.SpanFilter{Service: "shop"}))
	require.Equal(t, []journeys.ValueCount{vc("server", str, 4), vc("client", str, 1)}, q("kind", journeys.SpanFilter{}))
	require.Equal(t, []journeys.ValueCount{vc("unset", str, 4), vc("error", str, 1)}, q("status", journeys.SpanFilter{}))
	require.Equal(t, []journeys.ValueCount{vc("free", str, 2), vc("pro", str, 2)}, q("span.user.tier", journeys.SpanFilter{}))
	require.Equal(t, []journeys.ValueCount{vc("free", str, 2), vc("pro", str, 1)}, q("span.user.tier", journeys.SpanFilter{Service: "shop", Span: "POST /pay", Kind: "server"}))
	// The int 500 and the string "500" are one value, typed as a tie
	// goes; the array is none.
	require.Equal(t, []journeys.ValueCount{vc("200", num, 2), vc("500", str, 2)}, q("span.code", journeys.SpanFilter{}))
	require.Equal(t, []journeys.ValueCount{vc("12.5", journeys.TypeFloat, 1), vc("NaN", journeys.TypeFloat, 1)}, q("span.total", journeys.SpanFilter{}))
	require.Empty(t, q("span.tags", journeys.SpanFilter{}))
	require.Equal(t, []journeys.ValueCount{vc("eu", str, 5)}, q("resource.region", journeys.SpanFilter{}))

	_, err := s.CountValues(ctx, journeys.CountQuery{By: "duration", From: base, To: base.Add(time.Hour)})
	require.ErrorContains(t, err, "cannot count values of duration")
	_, err = s.CountValues(ctx, journeys.CountQuery{By: "name", Where: journeys.SpanFilter{Kind: "sever"}, From: base, To: base.Add(time.Hour)})
	require.ErrorContains(t, err, `unknown span kind "sever"`)
}

func TestCountKeysCountsSpansCarryingEachKey(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s := countFixture(t, base)
	got, err := s.CountKeys(context.Background(), journeys.KeyQuery{From: base, To: base.Add(time.Hour), Numeric: true})
	require.NoError(t, err)
	require.Equal(t, []journeys.KeyCount{
		{Key: "resource.region", Count: 5},
		{Key: "resource.service.name", Count: 5},
		{Key: "span.code", Count: 4, Numeric: 3},
		{Key: "span.user.tier", Count: 4},
		{Key: "span.total", Count: 2, Numeric: 1},
		{Key: "span.tags", Count: 1},
	}, got)
	got, err = s.CountKeys(context.Background(), journeys.KeyQuery{Where: journeys.SpanFilter{Service: "shop", Span: "SELECT"}, From: base, To: base.Add(time.Hour), Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []journeys.KeyCount{{Key: "resource.region", Count: 1}, {Key: "resource.service.name", Count: 1}}, got)
}

func vc(v string, t journeys.ValueType, n int64) journeys.ValueCount {
	return journeys.ValueCount{Value: v, Type: t, Count: n}
}
