package incident

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/journeys"
)

const (
	declinedID = "0af7651916cd43dd8448eb211c80319c"
	okID       = "4bf92f3577b34da6a3ce929d0e0e4736"
)

func TestCreateFromTraceKeepsSnapshot(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	base := t0.Add(12*time.Minute + 345678912*time.Nanosecond)
	spans := append(payment("card declined"), span{id: "1000000000000003", parent: "1000000000000001",
		service: "fraud_svc", name: "fraud_check", kind: tracepb.Span_SPAN_KIND_INTERNAL,
		start: 330 * time.Millisecond, dur: 40 * time.Millisecond, attrs: map[string]any{"score": 0.25, "retries": 2}})
	b.insert(t, declinedID, base, spans...)
	live, err := b.spans.Trace(ctx, declinedID)
	require.NoError(t, err)
	require.Len(t, live.Spans, 3)
	alive, err := b.store.LiveStatus(ctx, declinedID)
	require.NoError(t, err)
	require.True(t, alive)

	// Created from the trace without a start: it starts with the trace.
	in := Incident{Title: "Card payments declined", Severity: SEV2}
	step := StepRef{"shop-checkout", "Payment"}
	created, link, err := b.store.CreateFromTrace(ctx, in, strings.ToUpper(declinedID[1:]), "first report", step, "alice")
	require.NoError(t, err)
	require.Equal(t, base.Truncate(time.Microsecond), created.StartedAt)
	require.Equal(t, created.StartedAt, created.DetectedAt)
	require.Equal(t, []string{"shop-checkout"}, created.Journeys)
	require.Equal(t, []StepRef{step}, created.Steps)

	js, err := b.store.SnapshotJSON(ctx, created.ID, declinedID)
	require.NoError(t, err)
	now := b.clock.Now()
	require.Equal(t, LinkedTrace{
		IncidentID:    created.ID,
		TraceID:       declinedID,
		Note:          "first report",
		LinkedAt:      now,
		LinkedBy:      "alice",
		Step:          step,
		Start:         base.Truncate(time.Microsecond),
		Duration:      420 * time.Millisecond,
		Spans:         3,
		RootService:   "payment_svc",
		RootName:      "POST /payments",
		Error:         "card declined",
		SnapshotBytes: int64(len(js)),
	}, link)
	links, err := b.store.LinkedTraces(ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, []LinkedTrace{link}, links)

	// The snapshot is the whole trace as OTLP, exactly what the source gave.
	want, err := b.spans.TraceOTLP(ctx, declinedID)
	require.NoError(t, err)
	got := &tracepb.TracesData{}
	require.NoError(t, protojson.Unmarshal(js, got))
	require.True(t, proto.Equal(want, got), "snapshot differs from the source's trace")

	// Once the source forgets the trace, the snapshot still renders it.
	tag, err := b.pool.Exec(ctx, `DELETE FROM spans WHERE trace_id = $1`, mustHex(t, declinedID))
	require.NoError(t, err)
	require.EqualValues(t, 3, tag.RowsAffected())
	_, err = b.spans.Trace(ctx, declinedID)
	require.ErrorIs(t, err, journeys.ErrTraceNotFound)
	alive, err = b.store.LiveStatus(ctx, declinedID)
	require.NoError(t, err)
	require.False(t, alive)

	snap, err := b.store.Snapshot(ctx, created.ID, declinedID)
	require.NoError(t, err)
	require.Equal(t, live, snap)

	_, err = b.store.Snapshot(ctx, created.ID, okID)
	require.ErrorIs(t, err, ErrNotFound)
	_, err = b.store.Snapshot(ctx, created.ID, "not hex")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestSnapshotOfDemoTrace(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	cfg := demo.DefaultConfig()
	cfg.Start, cfg.Sessions, cfg.Duration = t0, 40, 10*time.Minute
	tr := b.send(t, cfg)
	in, err := b.store.Create(ctx, validIncident(), "alice")
	require.NoError(t, err)

	// Every trace of the traffic reads back from its snapshot as it read
	// live, after its spans are gone.
	var ids []string
	lives := map[string]journeys.Trace{}
	for _, dt := range tr.Traces()[:12] {
		id := dt.ID.String()
		live, err := b.spans.Trace(ctx, id)
		require.NoError(t, err)
		require.Len(t, live.Spans, len(dt.Spans))
		lives[id] = live
		_, err = b.store.LinkTrace(ctx, in.ID, id, "", StepRef{}, "alice")
		require.NoError(t, err)
		ids = append(ids, id)
	}
	_, err = b.pool.Exec(ctx, `TRUNCATE spans`)
	require.NoError(t, err)
	for _, id := range ids {
		snap, err := b.store.Snapshot(ctx, in.ID, id)
		require.NoError(t, err)
		require.Equal(t, lives[id], snap, "trace %s", id)
	}
}

func TestLinkTraceRejects(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{SnapshotLimit: 400})
	ctx := context.Background()
	in, err := b.store.Create(ctx, validIncident(), "alice")
	require.NoError(t, err)
	b.insert(t, okID, t0, payment("")[:1]...)
	big := payment("card declined")
	for i := range 40 {
		big = append(big, span{id: "20000000000000" + hex.EncodeToString([]byte{byte(i)}), parent: "1000000000000001",
			service: "payment_svc", name: "SELECT ledger", kind: tracepb.Span_SPAN_KIND_CLIENT,
			start: time.Duration(i) * time.Millisecond, dur: time.Millisecond,
			attrs: map[string]any{"db.query.text": strings.Repeat("x", i*7)}})
	}
	b.insert(t, declinedID, t0, big...)

	first, err := b.store.LinkTrace(ctx, in.ID, okID, "", StepRef{}, "alice")
	require.NoError(t, err)
	require.Equal(t, "", first.Error)
	require.Equal(t, 1, first.Spans)

	tests := []struct {
		name  string
		id    int64
		trace string
		note  string
		step  StepRef
		check func(t *testing.T, err error)
	}{
		{"unknown trace", in.ID, "abcdef", "", StepRef{}, func(t *testing.T, err error) {
			require.ErrorIs(t, err, journeys.ErrTraceNotFound)
		}},
		{"twice", in.ID, okID, "", StepRef{}, func(t *testing.T, err error) {
			require.ErrorIs(t, err, ErrConflict)
			require.EqualError(t, err, "trace "+okID+" is already linked to incident 1: conflict")
		}},
		{"twice, id without leading zeros, upper case", in.ID, strings.ToUpper(okID), "", StepRef{}, func(t *testing.T, err error) {
			require.ErrorIs(t, err, ErrConflict)
		}},
		{"unknown incident", in.ID + 1, declinedID, "", StepRef{}, func(t *testing.T, err error) {
			require.ErrorIs(t, err, ErrNotFound)
		}},
		{"malformed id", in.ID, "xyz", "", StepRef{}, func(t *testing.T, err error) {
			require.Equal(t, map[string]string{"trace_id": "must be 1 to 32 hex digits"}, fieldsOf(t, err))
		}},
		{"long note", in.ID, declinedID, strings.Repeat("n", MaxNote+1), StepRef{}, func(t *testing.T, err error) {
			require.Equal(t, map[string]string{"note": "must be at most 2000 characters"}, fieldsOf(t, err))
		}},
		{"unknown step", in.ID, declinedID, "", StepRef{"shop-checkout", "Refund"}, func(t *testing.T, err error) {
			require.Equal(t, map[string]string{"step": `journey "shop-checkout" has no step "Refund"`}, fieldsOf(t, err))
		}},
		{"step without name", in.ID, declinedID, "", StepRef{Journey: "shop-checkout"}, func(t *testing.T, err error) {
			require.Equal(t, map[string]string{"step": "must name a step of the journey"}, fieldsOf(t, err))
		}},
		{"oversized snapshot", in.ID, declinedID, "", StepRef{}, func(t *testing.T, err error) {
			require.ErrorIs(t, err, ErrSnapshotTooLarge)
			var big *SnapshotTooLargeError
			require.True(t, errors.As(err, &big))
			td, ferr := b.spans.TraceOTLP(ctx, declinedID)
			require.NoError(t, ferr)
			js, ferr := protojson.Marshal(td)
			require.NoError(t, ferr)
			require.Equal(t, declinedID, big.TraceID)
			require.Equal(t, 42, big.Spans)
			require.Equal(t, int64(400), big.Limit)
			require.Equal(t, int64(len(js)), big.Uncompressed)
			require.Greater(t, big.Compressed, big.Limit)
			require.Contains(t, err.Error(), "trace "+declinedID+" snapshot is ")
			require.Contains(t, err.Error(), "42 spans), over the 400 B limit")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.store.LinkTrace(ctx, tt.id, tt.trace, tt.note, tt.step, "bob")
			require.Error(t, err)
			tt.check(t, err)
		})
	}
	links, err := b.store.LinkedTraces(ctx, in.ID)
	require.NoError(t, err)
	require.Equal(t, []LinkedTrace{first}, links)

	// Creating from an oversized or unknown trace stores no incident.
	_, _, err = b.store.CreateFromTrace(ctx, Incident{Title: "x", Severity: SEV4}, declinedID, "", StepRef{}, "bob")
	require.ErrorIs(t, err, ErrSnapshotTooLarge)
	_, _, err = b.store.CreateFromTrace(ctx, Incident{Title: "x", Severity: SEV4}, "abc", "", StepRef{}, "bob")
	require.ErrorIs(t, err, journeys.ErrTraceNotFound)
	_, _, err = b.store.CreateFromTrace(ctx, Incident{Severity: SEV4}, okID, "", StepRef{}, "bob")
	require.Equal(t, map[string]string{"title": "required"}, fieldsOf(t, err))
	require.Equal(t, 1, b.count(t, "incidents"))
	require.Equal(t, 1, b.count(t, "incident_traces"))

	require.NoError(t, b.store.UnlinkTrace(ctx, in.ID, okID))
	require.ErrorIs(t, b.store.UnlinkTrace(ctx, in.ID, okID), ErrNotFound)
	require.ErrorIs(t, b.store.UnlinkTrace(ctx, in.ID, "zz"), ErrNotFound)
	require.Equal(t, 0, b.count(t, "incident_traces"))
}

func TestSnapshotCodec(t *testing.T) {
	t.Parallel()
	td := &tracepb.TracesData{ResourceSpans: otlpTrace(t, declinedID, t0, payment("card declined")...)}
	snap, err := encodeSnapshot(declinedID, td, DefaultSnapshotLimit)
	require.NoError(t, err)
	js, err := decodeSnapshotJSON(snap.gz, snap.uncompressed)
	require.NoError(t, err)
	got, err := decodeSnapshot(js)
	require.NoError(t, err)
	require.True(t, proto.Equal(td, got))

	_, err = decodeSnapshotJSON(snap.gz, snap.uncompressed-1)
	require.EqualError(t, err, "decompress snapshot: "+itoa(snap.uncompressed)+" bytes, recorded "+itoa(snap.uncompressed-1))
	_, err = decodeSnapshotJSON([]byte("not gzip"), 10)
	require.ErrorContains(t, err, "decompress snapshot: ")
	_, err = decodeSnapshot([]byte(`{"resourceSpans": 3}`))
	require.ErrorContains(t, err, "decode snapshot: ")
}

func TestFactsOf(t *testing.T) {
	t.Parallel()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name  string
		trace journeys.Trace
		want  traceFacts
	}{
		{"empty", journeys.Trace{}, traceFacts{}},
		{"root and late child", journeys.Trace{Spans: []journeys.TraceSpan{
			{SpanID: "a", Service: "s", Name: "root", Start: at(0), Duration: 100 * time.Millisecond},
			{SpanID: "b", ParentSpanID: "a", Start: at(50), Duration: 200 * time.Millisecond, Error: true,
				Attributes: []journeys.KeyValue{{Key: "exception.type", Value: "TimeoutError"}}},
		}}, traceFacts{start: at(0), duration: 250 * time.Millisecond, spans: 2, rootSvc: "s", rootName: "root", errMsg: "TimeoutError"}},
		{"orphan root, bare error", journeys.Trace{Spans: []journeys.TraceSpan{
			{SpanID: "b", ParentSpanID: "zz", Service: "x", Name: "orphan", Start: at(10), Duration: 5 * time.Millisecond, Error: true, StatusMessage: "  "},
		}}, traceFacts{start: at(10), duration: 5 * time.Millisecond, spans: 1, rootSvc: "x", rootName: "orphan", errMsg: "error"}},
		{"cycle: no root, first span stands in", journeys.Trace{Spans: []journeys.TraceSpan{
			{SpanID: "a", ParentSpanID: "b", Service: "p", Name: "one", Start: at(0), Duration: time.Millisecond},
			{SpanID: "b", ParentSpanID: "a", Service: "q", Name: "two", Start: at(1), Duration: time.Millisecond, Error: true, StatusMessage: "boom"},
		}}, traceFacts{start: at(0), duration: 2 * time.Millisecond, spans: 2, rootSvc: "p", rootName: "one", errMsg: "boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, factsOf(tt.trace))
		})
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	td := &tracepb.TracesData{ResourceSpans: otlpTrace(f, declinedID, t0, payment("card declined")...)}
	snap, err := encodeSnapshot(declinedID, td, DefaultSnapshotLimit)
	if err != nil {
		f.Fatal(err)
	}
	js, _ := protojson.Marshal(td)
	f.Add(snap.gz, snap.uncompressed)
	f.Add(js, int64(len(js)))
	f.Add([]byte{0x1f, 0x8b, 8, 0}, int64(5))
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`), int64(0))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		if size < 0 || size > 1<<20 {
			size = 1 << 20
		}
		if js, err := decodeSnapshotJSON(b, size); err == nil {
			b = js
		}
		td, err := decodeSnapshot(b)
		if err != nil {
			return
		}
		tr := domainTrace(declinedID, td)
		_ = factsOf(tr)
	})
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
