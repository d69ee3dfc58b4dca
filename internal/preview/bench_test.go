package preview_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/preview"
	"github.com/waymarkhq/waymark/internal/sourcetest"
)

// demoHour is an hour of `waymark demo` at its default rate (two sessions
// a second, the live model).
func demoHour(b *testing.B) *demo.Traffic {
	b.Helper()
	live := demo.DefaultLiveConfig()
	cfg := live.Model
	cfg.Seed = 1
	cfg.Start = start
	cfg.Duration = time.Hour
	cfg.Sessions = int(live.Rate * time.Hour.Seconds())
	tr, err := demo.Plan(cfg)
	require.NoError(b, err)
	return tr
}

// BenchmarkPreviewDemoHour previews the shop checkout journey over one
// hour of demo traffic: the goal is 2 s against the embedded store.
func BenchmarkPreviewDemoHour(b *testing.B) {
	tr := demoHour(b)
	for _, src := range sourcetest.Sources(b, tr.OTLP()) {
		b.Run(src.Name, func(b *testing.B) {
			p := preview.New(src.Source, preview.Options{Now: func() time.Time { return start.Add(time.Hour) }})
			j := example(b, "shop-checkout.yaml")
			var got *preview.Preview
			for b.Loop() {
				var err error
				got, err = p.Run(context.Background(), preview.Request{Journey: j})
				require.NoError(b, err)
			}
			require.False(b, got.Partial)
			require.Equal(b, int64(tr.Truth().Steps[0].RootSpans), got.Steps[0].Spans)
			b.ReportMetric(float64(got.Spans), "spans/op")
		})
	}
}
