package tempo

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

// TestLiveTempo talks to a real Tempo at WAYMARK_TEST_TEMPO_URL (with
// WAYMARK_TEST_TEMPO_TENANT as X-Scope-OrgID when set). It checks the
// client against what the server really answers; the demo traffic
// generator extends it to compare fetched spans with its ground truth.
func TestLiveTempo(t *testing.T) {
	base := os.Getenv("WAYMARK_TEST_TEMPO_URL")
	if base == "" {
		t.Skip("WAYMARK_TEST_TEMPO_URL is not set")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := New(Options{BaseURL: base, Tenant: os.Getenv("WAYMARK_TEST_TEMPO_TENANT"), MaxRetries: 2})
	require.NoError(t, err)

	require.NoError(t, c.Echo(ctx))
	bi, err := c.BuildInfo(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, bi.Version)
	require.NotEmpty(t, bi.GoVersion)

	// A search round trip: whatever is there decodes, and each trace found
	// can be fetched by the id search gives (leading zeros stripped).
	to := time.Now()
	from := to.Add(-time.Hour)
	res, err := c.Search(ctx, SearchRequest{Query: "{ }", Start: from, End: to, Limit: 5, SpansPerSpanSet: 1})
	require.NoError(t, err)
	require.LessOrEqual(t, len(res.Traces), 5)
	require.GreaterOrEqual(t, res.Metrics.TotalJobs, res.Metrics.CompletedJobs)
	for _, tr := range res.Traces {
		id, ok := journeys.NormalizeTraceID(tr.TraceID)
		require.True(t, ok, tr.TraceID)
		for _, protobuf := range []bool{false, true} {
			got, err := c.TraceByID(ctx, tr.TraceID, TraceOptions{Start: from, End: to, Protobuf: protobuf})
			require.NoError(t, err)
			require.Equal(t, id, got.TraceID)
			require.NotEmpty(t, got.Spans)
		}
	}

	// Malformed TraceQL is a typed 400 with Tempo's message.
	_, err = c.Search(ctx, SearchRequest{Query: "{ resource.service.name = ", Start: from, End: to})
	require.True(t, IsBadQuery(err), "%v", err)

	// An unknown id is not found, not an empty trace.
	_, err = c.TraceByID(ctx, "0123456789abcdef0123456789abcdef", TraceOptions{Start: from, End: to})
	require.ErrorIs(t, err, journeys.ErrTraceNotFound)
}
