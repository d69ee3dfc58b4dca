package suggest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/sourcetest"
	"github.com/waymarkhq/waymark/internal/suggest"
)

// BenchmarkSuggestDemoHour asks the editor's questions over one hour of
// `waymark demo` traffic at its default rate (7,200 sessions), through
// both sources: warm (answered from the cache, as while typing) and cold
// (the source asked every time, its own caches warm). The goal is 150 ms.
func BenchmarkSuggestDemoHour(b *testing.B) {
	live := demo.DefaultLiveConfig()
	cfg := live.Model
	cfg.Seed = 1
	cfg.Start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	cfg.Duration = time.Hour
	cfg.Sessions = int(live.Rate * time.Hour.Seconds())
	tr, err := demo.Plan(cfg)
	require.NoError(b, err)
	clock := func() time.Time { return cfg.Start.Add(time.Hour) }
	pay := suggest.Query{Service: "payment_svc", Span: "POST /payments"}
	questions := []struct {
		name string
		ask  func(*suggest.Suggester) ([]suggest.Suggestion, error)
	}{
		{"services", func(s *suggest.Suggester) ([]suggest.Suggestion, error) {
			return s.Services(context.Background(), suggest.Query{})
		}},
		{"span-names", func(s *suggest.Suggester) ([]suggest.Suggestion, error) {
			return s.SpanNames(context.Background(), suggest.Query{Service: "payment_svc"})
		}},
		{"kinds", func(s *suggest.Suggester) ([]suggest.Suggestion, error) { return s.Kinds(context.Background(), pay) }},
		{"keys", func(s *suggest.Suggester) ([]suggest.Suggestion, error) { return s.Keys(context.Background(), pay) }},
		{"values", func(s *suggest.Suggester) ([]suggest.Suggestion, error) {
			return s.Values(context.Background(), "span.user.tier", pay)
		}},
		{"value-keys", func(s *suggest.Suggester) ([]suggest.Suggestion, error) {
			return s.ValueKeys(context.Background(), pay)
		}},
		{"correlation-keys", func(s *suggest.Suggester) ([]suggest.Suggestion, error) {
			return s.CorrelationKeys(context.Background(), suggest.Query{})
		}},
	}
	for _, src := range sourcetest.Sources(b, tr.OTLP()) {
		for _, q := range questions {
			for _, warm := range []bool{true, false} {
				mode := "cold"
				ttl := time.Duration(-1)
				if warm {
					mode, ttl = "warm", 0
				}
				b.Run(src.Name+"/"+q.name+"/"+mode, func(b *testing.B) {
					s := suggest.New(src.Source, suggest.Options{Now: clock, TTL: ttl})
					got, err := q.ask(s)
					require.NoError(b, err)
					require.NotEmpty(b, got)
					for b.Loop() {
						if _, err := q.ask(s); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
