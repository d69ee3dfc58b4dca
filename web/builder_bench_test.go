package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/discover"
	"github.com/waymarkhq/waymark/internal/preview"
	"github.com/waymarkhq/waymark/internal/sourcetest"
	"github.com/waymarkhq/waymark/internal/suggest"
	"github.com/waymarkhq/waymark/web/api"
	"github.com/waymarkhq/waymark/web/builderhttp"
)

// BenchmarkBuilderDemoHour asks the journey builder's endpoints about an
// hour of `waymark demo` traffic at its default rate in the embedded
// store, through the whole web stack (routing, sign-in, JSON): each
// suggestion warm, as while typing (goal 150 ms), the step preview of
// the editor, and the preview of the shop journey over the hour (goal
// 2 s).
//
//	go test ./web -run '^$' -bench BenchmarkBuilderDemoHour -benchtime 20x
func BenchmarkBuilderDemoHour(b *testing.B) {
	live := demo.DefaultLiveConfig()
	cfg := live.Model
	cfg.Seed = 1
	cfg.Start = builderStart
	cfg.Duration = time.Hour
	cfg.Sessions = int(live.Rate * time.Hour.Seconds())
	tr, err := demo.Plan(cfg)
	require.NoError(b, err)
	now := func() time.Time { return cfg.Start.Add(time.Hour + 10*time.Second) }
	src := sourcetest.Store(b, tr.OTLP())
	bb := setupWith(b, func(o *Options) {
		o.Traces = src
		o.Now = now
		o.Builder = builderhttp.New(src, builderhttp.Options{
			Suggest: suggest.Options{Now: now}, Preview: preview.Options{Now: now}, Discover: discover.Options{Now: now},
		})
	})
	get := func(b *testing.B, target string) {
		rec := bb.do(b, http.MethodGet, target, nil)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", target, rec.Code, rec.Body.String())
		}
	}
	for _, q := range []string{
		"/api/v1/suggest/services",
		"/api/v1/suggest/spans?service=payment_svc",
		"/api/v1/suggest/attributes?service=payment_svc&span=POST+/payments",
		"/api/v1/suggest/values?service=payment_svc&span=POST+/payments&key=span.user.tier",
		"/api/v1/suggest/correlation",
		"/journeys/suggest/spans?list=spans-0&step=0&steps%5B0%5D.match.service=payment_svc",
	} {
		b.Run("suggest-warm"+strings.ReplaceAll(q, "/", "_"), func(b *testing.B) {
			get(b, q) // fills the cache
			for b.Loop() {
				get(b, q)
			}
		})
	}
	b.Run("step-preview", func(b *testing.B) {
		for b.Loop() {
			get(b, "/journeys/preview/step?step=0&steps%5B0%5D.match.service=payment_svc&steps%5B0%5D.match.span=POST+/payments")
		}
	})
	b.Run("journey-preview-hour", func(b *testing.B) {
		body := shopYAML(b)
		var got api.PreviewOut
		for b.Loop() {
			rec := bb.do(b, http.MethodPost, "/api/v1/journeys/preview", strings.NewReader(body), "Content-Type", "application/yaml")
			if rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body.String())
			}
			require.NoError(b, json.Unmarshal(rec.Body.Bytes(), &got))
		}
		require.False(b, got.Partial)
		require.Equal(b, int64(tr.Truth().Steps[0].RootSpans), got.Steps[0].Spans)
		b.ReportMetric(float64(got.Spans), "spans/op")
		b.ReportMetric(float64(got.Funnel.Entered), "entered")
	})
	b.Run("suggested-journeys-cold", func(b *testing.B) {
		for b.Loop() {
			svc := builderhttp.New(src, builderhttp.Options{Discover: discover.Options{Now: now}})
			if _, err := svc.Suggested(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
