package entryspans_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/entryspans"
	"github.com/waymarkhq/waymark/internal/sourcetest"
)

func TestEachTraceEntersByItsRootThroughBothSources(t *testing.T) {
	t.Parallel()
	cfg := demo.DefaultConfig()
	cfg.Start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	cfg.Sessions = 120
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	var want []entryspans.Entry
	for _, x := range tr.Traces() {
		root := x.Root()
		want = append(want, entryspans.Entry{
			TraceID: x.ID.String(), SpanID: root.ID.String(), Service: demo.Steps()[x.Step].Service, Name: root.Name, Kind: "server",
			Start: root.Start.UTC(), Error: root.Error, Attrs: []string{x.Session.ID, x.Session.Tier},
		})
	}
	sortEntries(want)
	q := entryspans.Query{From: cfg.Start, To: cfg.Start.Add(time.Hour), Select: []string{"span.session.id", "span.user.tier"}}
	for _, src := range sourcetest.Sources(t, tr.OTLP()) {
		t.Run(src.Name, func(t *testing.T) {
			t.Parallel()
			got, err := entryspans.Fetch(context.Background(), src.Source, q)
			require.NoError(t, err)
			require.False(t, got.Partial)
			require.Equal(t, want, got.Entries)
			require.Equal(t, int64(len(want)), got.Spans)
			require.ElementsMatch(t, []string{"auth_svc", "product_svc", "cart_svc", "checkout_svc", "payment_svc"}, got.Services)

			// Every server span is an entry span: with one per trace, All
			// gives the same.
			all := q
			all.All = true
			got, err = entryspans.Fetch(context.Background(), src.Source, all)
			require.NoError(t, err)
			require.Equal(t, want, got.Entries)

			capped := q
			capped.MaxSpans = 7
			got, err = entryspans.Fetch(context.Background(), src.Source, capped)
			require.NoError(t, err)
			require.True(t, got.Partial)
			require.Equal(t, "stopped after 7 server and consumer spans", got.Reason)
			require.Len(t, got.Entries, 7)
		})
	}
	_, err = entryspans.Fetch(context.Background(), sourcetest.Sources(t, nil)[0].Source, entryspans.Query{Select: []string{"session.id"}})
	require.ErrorContains(t, err, `invalid attribute key "session.id"`)
}

func sortEntries(es []entryspans.Entry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && less(es[j], es[j-1]); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

func less(a, b entryspans.Entry) bool {
	if !a.Start.Equal(b.Start) {
		return a.Start.Before(b.Start)
	}
	if a.TraceID != b.TraceID {
		return a.TraceID < b.TraceID
	}
	return a.SpanID < b.SpanID
}
