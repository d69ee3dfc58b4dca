package spanstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/journeys"
)

func TestReadsBeforeACutoffAndFindsWhatArrivedAfter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewStore(pgtest.New(t), nil)
	base := time.Now().UTC().Truncate(time.Minute).Add(-time.Hour)
	n := 0
	insert := func(service, name string, start time.Time) {
		n++
		res := []*commonpb.KeyValue{kv("service.name", service)}
		_, err := s.Insert(ctx, []*tracepb.ResourceSpans{resourceSpans(t, res, spec{
			trace: fmt.Sprintf("%032x", n), span: fmt.Sprintf("%016x", n), name: name,
			kind: tracepb.Span_SPAN_KIND_SERVER, start: start, dur: time.Millisecond,
		})})
		require.NoError(t, err)
	}
	pay := journeys.Pattern{Service: "pay", Span: "POST /pay"}
	count := func(q journeys.SpanQuery) int {
		var c int
		_, err := s.FetchSpans(ctx, q, func(journeys.Span) error { c++; return nil })
		require.NoError(t, err)
		return c
	}

	insert("pay", "POST /pay", base.Add(10*time.Minute))
	insert("pay", "POST /pay", base.Add(20*time.Minute))
	// The database stamps arrivals: a cutoff after them reads both, one
	// before them neither.
	time.Sleep(20 * time.Millisecond)
	var dbNow time.Time
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT now()`).Scan(&dbNow))
	cutoff, err := s.Cutoff(ctx)
	require.NoError(t, err)
	require.WithinDuration(t, dbNow.Add(-DefaultIngestMargin), cutoff, 5*time.Second)
	q := journeys.SpanQuery{Pattern: pay, From: base, To: base.Add(time.Hour)}
	q.ReceivedBefore = dbNow
	require.Equal(t, 2, count(q))
	q.ReceivedBefore = dbNow.Add(-time.Hour)
	require.Zero(t, count(q))

	// The rollups read [0, 30m) with the cutoff dbNow; then spans of
	// minutes 5 and 25 arrive, and one of another service.
	reads := []journeys.Read{{From: base, To: base.Add(30 * time.Minute), Before: dbNow}}
	lq := journeys.LateQuery{Steps: []journeys.Pattern{pay, {Service: "cart", SpanRegex: "^POST"}}, From: base, To: base.Add(30 * time.Minute), Reads: reads}
	_, late, _, err := s.FirstLate(ctx, lq)
	require.NoError(t, err)
	require.False(t, late, "what was read is not late")

	time.Sleep(20 * time.Millisecond)
	insert("pay", "POST /pay", base.Add(25*time.Minute+10*time.Second))
	insert("pay", "GET /health", base.Add(time.Minute)) // another span name: not a step
	insert("other", "POST /pay", base.Add(2*time.Minute))
	first, late, _, err := s.FirstLate(ctx, lq)
	require.NoError(t, err)
	require.True(t, late)
	require.Equal(t, base.Add(25*time.Minute), first)

	// A regex step matches any name of its service.
	insert("cart", "POST /cart", base.Add(5*time.Minute+30*time.Second))
	first, late, _, err = s.FirstLate(ctx, lq)
	require.NoError(t, err)
	require.True(t, late)
	require.Equal(t, base.Add(5*time.Minute), first)

	// Only arrivals since the previous check are looked at.
	lq.Since = time.Now().Add(time.Hour)
	_, late, _, err = s.FirstLate(ctx, lq)
	require.NoError(t, err)
	require.False(t, late)

	// Spans of minutes read after they arrived are not late.
	lq.Since = time.Time{}
	lq.Reads = []journeys.Read{{From: base, To: base.Add(30 * time.Minute), Before: time.Now().Add(time.Hour)}}
	_, late, _, err = s.FirstLate(ctx, lq)
	require.NoError(t, err)
	require.False(t, late)
}
