package incident

import (
	"fmt"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/rollup"
)

// bigTrace is a trace of n spans under one root, each with a few
// attributes, the size of a busy checkout request.
func bigTrace(b *testing.B, n int) *tracepb.TracesData {
	spans := []span{{id: "1000000000000001", service: "checkout_svc", name: "POST /checkout", kind: tracepb.Span_SPAN_KIND_SERVER,
		dur: time.Second, attrs: map[string]any{"session.id": "s-1", "http.route": "/checkout"}}}
	for i := 1; i < n; i++ {
		spans = append(spans, span{id: fmt.Sprintf("%016x", 0x2000000000000000+i), parent: "1000000000000001",
			service: fmt.Sprintf("svc_%d", i%7), name: fmt.Sprintf("SELECT table_%d", i%13), kind: tracepb.Span_SPAN_KIND_CLIENT,
			start: time.Duration(i) * time.Millisecond, dur: time.Millisecond,
			attrs: map[string]any{"db.system.name": "postgresql", "db.rows": i, "db.query.text": fmt.Sprintf("SELECT * FROM table_%d WHERE id = $1", i%13)}})
	}
	return &tracepb.TracesData{ResourceSpans: otlpTrace(b, declinedID, t0, spans...)}
}

func BenchmarkEncodeSnapshot(b *testing.B) {
	td := bigTrace(b, 1000)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		snap, err := encodeSnapshot(declinedID, td, DefaultSnapshotLimit)
		if err != nil {
			b.Fatal(err)
		}
		size = len(snap.gz)
	}
	b.ReportMetric(float64(size), "gz-bytes")
}

func BenchmarkDecodeSnapshot(b *testing.B) {
	snap, err := encodeSnapshot(declinedID, bigTrace(b, 1000), DefaultSnapshotLimit)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		js, err := decodeSnapshotJSON(snap.gz, snap.uncompressed)
		if err != nil {
			b.Fatal(err)
		}
		td, err := decodeSnapshot(js)
		if err != nil {
			b.Fatal(err)
		}
		if len(domainTrace(declinedID, td).Spans) != 1000 {
			b.Fatal("lost spans")
		}
	}
}

func BenchmarkImpactSVG(b *testing.B) {
	steps := make([][][3]int64, 5)
	for k := range steps {
		for i := range 120 {
			steps[k] = append(steps[k], [3]int64{int64(100 - 10*k + i%7), int64(100 - 10*k), int64(i % 5)})
		}
	}
	s := series(time.Minute, steps...)
	b.ReportAllocs()
	for b.Loop() {
		_ = ImpactSVG(s, t0, t0.Add(120*time.Minute), t0.Add(30*time.Minute), t0.Add(90*time.Minute), ChartOptions{Title: "x"})
	}
}

func BenchmarkRenderPostmortem(b *testing.B) {
	in := validIncident()
	in.ID, in.Status, in.ResolvedAt = 7, StatusResolved, t0.Add(time.Hour)
	var timeline []Event
	for i := range 60 {
		timeline = append(timeline, Event{At: t0.Add(time.Duration(i) * time.Minute), Kind: KindAlert, Title: "alert | x", Detail: "burn", Link: "/slos"})
	}
	var links []LinkedTrace
	for i := range 20 {
		links = append(links, LinkedTrace{TraceID: fmt.Sprintf("%032x", i), Start: t0, Duration: time.Second, RootService: "s", RootName: "n", Error: "e", Note: "note"})
	}
	impacts := []Impact{{Journey: "shop-checkout", Name: "Shop", ValueKey: "span.order.total", From: t0, To: t0.Add(time.Hour),
		Current:  rollup.JourneyStats{Entered: 412, Completed: 97, Steps: []rollup.StepStats{{Spans: 10, ValueSum: 100}}},
		Baseline: rollup.JourneyStats{Entered: 398, Completed: 131, Steps: []rollup.StepStats{{Spans: 140, ValueSum: 28963.25}}}}}
	opts := PostmortemOptions{PublicURL: "https://w.example.com", TraceURLTemplate: "https://t.example.com/{traceID}"}
	b.ReportAllocs()
	for b.Loop() {
		_ = renderPostmortem(in, impacts, timeline, links, opts, t0.Add(2*time.Hour), true)
	}
}
