package spanstore

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// spansAt is one request's worth of spans, one per start time, each in its
// own trace.
func spansAt(t testing.TB, seq int, starts ...time.Time) *tracepb.ResourceSpans {
	specs := make([]spec, len(starts))
	for i, s := range starts {
		specs[i] = spec{
			trace: fmt.Sprintf("%08x%08x%016x", seq+1, i+1, 1), span: fmt.Sprintf("%016x", i+1),
			name: "GET /", start: s, dur: time.Millisecond,
		}
	}
	return resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "shop")}, specs...)
}

func exportResponse(t testing.TB, resp response) *coltracepb.ExportTraceServiceResponse {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	out := &coltracepb.ExportTraceServiceResponse{}
	require.NoError(t, proto.Unmarshal(resp.body, out))
	return out
}

// partitions lists the daily partitions of spans.
func (b *bundle) partitions(t testing.TB) []string {
	t.Helper()
	rows, err := b.pool.Query(context.Background(),
		`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'spans'::regclass ORDER BY 1`)
	require.NoError(t, err)
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Err())
	return names
}

func refusedCount(t testing.TB, s *Store, reason string) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, s.refused.WithLabelValues(reason).Write(&m))
	return m.GetCounter().GetValue()
}

func TestRefusesSpansOutsideTheWindow(t *testing.T) {
	t.Parallel()
	now := at("2026-12-03T14:00:00Z")
	b := setup(t, Config{MaxSpanAge: 7 * 24 * time.Hour, Now: func() time.Time { return now }}, true)

	rs := spansAt(t, 0,
		now.Add(-7*24*time.Hour),                 // the oldest accepted
		now.Add(-7*24*time.Hour-time.Nanosecond), // too old
		now.Add(-365*24*time.Hour),               // too old
		now,
		now.Add(time.Hour),             // the latest accepted
		now.Add(time.Hour+time.Second), // too far ahead
		at("2100-01-01T00:00:00Z"),     // too far ahead
	)
	out := exportResponse(t, postProto(t, b.url, rs))
	want := "4 spans not stored: 2 started more than 7d ago, 2 start more than 1h in the future; " +
		"accepted start times are 2026-11-26T14:00:00Z to 2026-12-03T15:00:00Z"
	require.Equal(t, int64(4), out.GetPartialSuccess().GetRejectedSpans())
	require.Equal(t, want, out.GetPartialSuccess().GetErrorMessage())

	// The rest of the request is stored.
	require.Equal(t, 3, b.count(t))
	require.Equal(t, []string{"spans_20261126", "spans_20261203", "spans_20261204"}, b.partitions(t))
	require.Equal(t, 2.0, refusedCount(t, b.store, ReasonTooOld))
	require.Equal(t, 2.0, refusedCount(t, b.store, ReasonTooFarAhead))

	// JSON clients read the same partial success; a request refused
	// whole stores nothing and is still a 200.
	body, err := protojson.Marshal(&coltracepb.ExportTraceServiceRequest{
		ResourceSpans: []*tracepb.ResourceSpans{spansAt(t, 1, at("2099-03-01T00:00:00Z"))}})
	require.NoError(t, err)
	resp := post(t, b.url, contentTypeJSON, "", body)
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	require.JSONEq(t, `{"partialSuccess": {"rejectedSpans": "1", "errorMessage": "1 spans not stored: 1 start more than 1h in the future; `+
		`accepted start times are 2026-11-26T14:00:00Z to 2026-12-03T15:00:00Z"}}`, string(resp.body))
	require.Equal(t, 3, b.count(t))
	require.Equal(t, 3.0, refusedCount(t, b.store, ReasonTooFarAhead))

	// The store's collector exports the counter by reason.
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(b.store.Collector()))
	fams, err := reg.Gather()
	require.NoError(t, err)
	var text strings.Builder
	enc := expfmt.NewEncoder(&text, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range fams {
		require.NoError(t, enc.Encode(f))
	}
	require.Equal(t, `# HELP waymark_otlp_spans_refused_total Spans the OTLP receiver did not store because their start time is outside the accepted window, by reason.
# TYPE waymark_otlp_spans_refused_total counter
waymark_otlp_spans_refused_total{reason="too_far_ahead"} 3
waymark_otlp_spans_refused_total{reason="too_old"} 2
`, text.String())
}

// TestWindowFollowsRetention: unconfigured, the receiver accepts any past
// span until retention runs, and from then on refuses what it would drop.
func TestWindowFollowsRetention(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, true)
	now := time.Now()

	out := exportResponse(t, postProto(t, b.url, spansAt(t, 0, now.Add(-30*24*time.Hour))))
	require.Nil(t, out.GetPartialSuccess())
	require.Equal(t, 1, b.count(t))

	// The retention is measured from the call, which a slow first write
	// may have put seconds after now.
	_, err := b.store.DropBefore(context.Background(), time.Now().Add(-7*24*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 0, b.count(t))

	out = exportResponse(t, postProto(t, b.url, spansAt(t, 1, now.Add(-30*24*time.Hour), now.Add(-6*24*time.Hour), now.Add(-time.Minute))))
	require.Equal(t, int64(1), out.GetPartialSuccess().GetRejectedSpans())
	require.True(t, strings.HasPrefix(out.GetPartialSuccess().GetErrorMessage(), "1 spans not stored: 1 started more than 7d ago; accepted start times are "),
		out.GetPartialSuccess().GetErrorMessage())
	require.Equal(t, 2, b.count(t))
}

// TestPartitionsStayBounded sends spans on many distinct days far in the
// future and the past: none of those days may get a partition.
func TestPartitionsStayBounded(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, true)
	now := time.Now().UTC()
	_, err := b.store.DropBefore(context.Background(), now.Add(-7*24*time.Hour))
	require.NoError(t, err)

	const requests, days = 4, 60
	day := 24 * time.Hour
	for i := range requests {
		starts := []time.Time{now}
		for d := range days {
			starts = append(starts, at("2100-01-01T12:00:00Z").Add(time.Duration(i*days+d)*day))
			starts = append(starts, at("2001-01-01T12:00:00Z").Add(time.Duration(i*days+d)*day))
		}
		out := exportResponse(t, postProto(t, b.url, spansAt(t, i, starts...)))
		require.Equal(t, int64(2*days), out.GetPartialSuccess().GetRejectedSpans())
	}
	require.Equal(t, requests, b.count(t))
	today := dayOf(now.UnixNano())
	got := b.partitions(t)
	require.Equal(t, []string{partitionName(today), partitionName(today + 1)}, got)
	require.Equal(t, float64(requests*days), refusedCount(t, b.store, ReasonTooOld))
	require.Equal(t, float64(requests*days), refusedCount(t, b.store, ReasonTooFarAhead))
	require.True(t, slices.IsSorted(got))
}

// TestWindowDisabled: negative bounds accept any start time.
func TestWindowDisabled(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{MaxSpanAge: -1, MaxSpanAhead: -1}, true)
	_, err := b.store.DropBefore(context.Background(), time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	out := exportResponse(t, postProto(t, b.url, spansAt(t, 0, at("2001-01-01T00:00:00Z"), at("2200-01-01T00:00:00Z"))))
	require.Nil(t, out.GetPartialSuccess())
	require.Equal(t, 2, b.count(t))
}

func TestSpell(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		7 * 24 * time.Hour: "7d", 36 * time.Hour: "36h", time.Hour: "1h", 90 * time.Minute: "1h30m",
		30 * time.Second: "30s", 5 * time.Minute: "5m", time.Hour + time.Second: "1h0m1s",
	} {
		require.Equal(t, want, spell(d), d.String())
	}
}
