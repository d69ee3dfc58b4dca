package journeys

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMergeValueCountsOrdersAsEverySourceMust(t *testing.T) {
	t.Parallel()
	got := MergeValueCounts([]ValueCount{
		{Value: "b", Type: TypeString, Count: 2},
		{Value: "500", Type: TypeInt, Count: 3},
		{Value: "a", Type: TypeString, Count: 2},
		{Value: "500", Type: TypeString, Count: 1},
		{Value: "z", Type: TypeString, Count: 0},
		{Value: "7", Type: TypeFloat, Count: 2},
		{Value: "7", Type: TypeInt, Count: 2},
	}, 3)
	require.Equal(t, []ValueCount{
		{Value: "500", Type: TypeInt, Count: 4},
		{Value: "7", Type: TypeInt, Count: 4},
		{Value: "a", Type: TypeString, Count: 2},
	}, got)
	require.Empty(t, MergeValueCounts(nil, 10))
	require.Equal(t, []KeyCount{{Key: "span.b", Count: 3}, {Key: "span.a", Count: 1}, {Key: "span.c", Count: 1}},
		SortKeyCounts([]KeyCount{{Key: "span.c", Count: 1}, {Key: "span.x"}, {Key: "span.b", Count: 3}, {Key: "span.a", Count: 1}, {Key: "span.d", Count: 1}}, 3))
}

func TestCountQueriesSourcesCannotAnswerAreRefused(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for by, msg := range map[string]string{
		"duration":  "cannot count values of duration",
		"user.tier": `invalid attribute key "user.tier"`,
		"":          "empty attribute key",
	} {
		require.ErrorContains(t, CountQuery{By: by, From: at, To: at}.Check(), msg)
	}
	require.NoError(t, CountQuery{By: "status", From: at, To: at}.Check())
	require.ErrorContains(t, CountQuery{By: "name", From: at, To: at.Add(-time.Second)}.Check(), "ends (2026-02-28T23:59:59Z) before it starts")
	require.ErrorContains(t, KeyQuery{Where: SpanFilter{Kind: "span"}}.Check(), `unknown span kind "span"`)
	require.Equal(t, DefaultCountLimit, CountQuery{}.EffectiveLimit())
	require.Equal(t, MaxCountLimit, KeyQuery{Limit: 5000}.EffectiveLimit())
}
