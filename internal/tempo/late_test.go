package tempo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

// paymentPerMinute is the payment root spans of the recording by minute
// of start, from its traces.jsonl.
var paymentPerMinute = map[int64]int64{
	1795506540: 4, 1795506600: 12, 1795506660: 15, 1795506720: 28, 1795506780: 17, 1795506840: 27,
	1795506900: 32, 1795506960: 27, 1795507020: 25, 1795507080: 17, 1795507140: 20, 1795507200: 23,
	1795507260: 21, 1795507320: 22, 1795507380: 25, 1795507440: 17, 1795507500: 30, 1795507560: 18,
	1795507620: 24, 1795507680: 19, 1795507740: 22, 1795507800: 18, 1795507860: 21, 1795507920: 21,
	1795507980: 4, 1795508040: 1,
}

func TestFirstLateComparesTempoCountsWithTheRollups(t *testing.T) {
	t.Parallel()
	// count_over_time of the payment root spans, recorded per tier: the
	// source adds the series up.
	body := readFixture(t, "metrics_query_range_count_by_tier_server.json")
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/api/metrics/query_range", r.URL.Path)
		require.Equal(t, "60s", r.URL.Query().Get("step"))
		queries = append(queries, r.URL.Query().Get("q"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	src := NewSource(newTestClient(t, srv.URL), SourceOptions{})
	pay := journeys.Pattern{Service: "payment_svc", Span: "POST /payments", Kind: "server"}
	counted := map[int64]int64{}
	for k, v := range paymentPerMinute {
		counted[k] = v
	}
	q := journeys.LateQuery{
		Steps: []journeys.Pattern{pay}, From: fixtureFrom, To: fixtureTo,
		Counted: func(step int, b time.Time) int64 {
			require.Zero(t, step)
			return counted[b.Unix()]
		},
	}
	cutoff, err := src.Cutoff(context.Background())
	require.NoError(t, err)
	require.True(t, cutoff.IsZero(), "Tempo keeps no arrival times")

	// Tempo's sample at 07:50 counts [07:49, 07:50): every minute agrees.
	_, late, _, err := src.FirstLate(context.Background(), q)
	require.NoError(t, err)
	require.False(t, late)
	require.Equal(t, []string{`{ resource.service.name = "payment_svc" && name = "POST /payments" && kind = server } | count_over_time()`}, queries)

	// Two spans of 08:00 and one of 07:55 came late: the earlier counts.
	counted[1795507200] -= 2
	counted[1795506900]--
	first, late, _, err := src.FirstLate(context.Background(), q)
	require.NoError(t, err)
	require.True(t, late)
	require.Equal(t, time.Unix(1795506900, 0).UTC(), first)
}
