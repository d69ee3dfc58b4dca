package suggest_test

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/sourcetest"
	"github.com/waymarkhq/waymark/internal/suggest"
)

// shopTraffic is 400 sessions of the demo shop in [10:00, 10:30) UTC.
func shopTraffic(t testing.TB) *demo.Traffic {
	t.Helper()
	cfg := demo.DefaultConfig()
	cfg.Start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	cfg.Sessions = 400
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	return tr
}

// now puts the traffic inside the default hour: [09:45, 10:45).
func now() time.Time { return time.Date(2026, 3, 2, 10, 45, 20, 0, time.UTC) }

// ranked turns exact counts into the list a suggestion must be.
func ranked(m map[string]int64, limit int) []suggest.Suggestion {
	out := make([]suggest.Suggestion, 0, len(m))
	for v, n := range m {
		out = append(out, suggest.Suggestion{Value: v, Count: n})
	}
	slices.SortFunc(out, func(a, b suggest.Suggestion) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// truth counts what was planned, span by span.
type truth struct {
	services     map[string]int64
	names        map[string]map[string]int64 // service → name
	kinds        map[string]int64
	paymentKeys  map[string]int64 // keys of payment_svc's POST /payments spans
	paymentTiers map[string]int64
	orderTotals  int64
	sessionLinks int64 // sessions with two traces or more
	userLinks    int64 // users with two traces or more
}

func countTruth(tr *demo.Traffic) truth {
	t := truth{services: map[string]int64{}, names: map[string]map[string]int64{}, kinds: map[string]int64{},
		paymentKeys: map[string]int64{}, paymentTiers: map[string]int64{}}
	sessions, users := map[string]int{}, map[string]int{}
	for _, x := range tr.Traces() {
		info := demo.Steps()[x.Step]
		sessions[x.Session.ID]++
		users[x.Session.UserID]++
		for _, sp := range x.Spans {
			t.services[info.Service]++
			if t.names[info.Service] == nil {
				t.names[info.Service] = map[string]int64{}
			}
			t.names[info.Service][sp.Name]++
			t.kinds[sp.Kind.String()]++
			if info.Service == "payment_svc" && sp.Name == "POST /payments" {
				for _, a := range sp.Attrs {
					t.paymentKeys["span."+string(a.Key)]++
					if a.Key == demo.AttrUserTier {
						t.paymentTiers[a.Value.AsString()]++
					}
					if a.Key == demo.AttrOrderTotal {
						t.orderTotals++
					}
				}
				for _, k := range []string{"resource.service.version", "resource.service.namespace", "resource.deployment.environment"} {
					t.paymentKeys[k]++
				}
			}
		}
	}
	for _, n := range sessions {
		if n >= 2 {
			t.sessionLinks++
		}
	}
	for _, n := range users {
		if n >= 2 {
			t.userLinks++
		}
	}
	return t
}

func TestSuggestionsAreExactFrequenciesFromBothSources(t *testing.T) {
	t.Parallel()
	tr := shopTraffic(t)
	want := countTruth(tr)
	require.Len(t, want.services, 5)
	require.Positive(t, want.sessionLinks)
	require.Positive(t, want.userLinks)
	for _, src := range sourcetest.Sources(t, tr.OTLP()) {
		t.Run(src.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := suggest.New(src.Source, suggest.Options{Now: now})
			got, err := s.Services(ctx, suggest.Query{})
			require.NoError(t, err)
			require.Equal(t, ranked(want.services, 100), got)

			for service, names := range want.names {
				got, err := s.SpanNames(ctx, suggest.Query{Service: service})
				require.NoError(t, err)
				require.Equal(t, ranked(names, 100), got, service)
			}
			got, err = s.Kinds(ctx, suggest.Query{})
			require.NoError(t, err)
			require.Equal(t, ranked(want.kinds, 100), got)
			got, err = s.Kinds(ctx, suggest.Query{Service: "payment_svc", Span: "POST /payments"})
			require.NoError(t, err)
			require.Equal(t, []suggest.Suggestion{{Value: "server", Count: want.names["payment_svc"]["POST /payments"]}}, got)

			pay := suggest.Query{Service: "payment_svc", Span: "POST /payments"}
			got, err = s.Keys(ctx, pay)
			require.NoError(t, err)
			require.Equal(t, ranked(want.paymentKeys, 100), got)
			got, err = s.Values(ctx, "span.user.tier", pay)
			require.NoError(t, err)
			require.Equal(t, ranked(want.paymentTiers, 100), got)
			got, err = s.ValueKeys(ctx, suggest.Query{Service: "payment_svc"})
			require.NoError(t, err)
			require.Equal(t, []suggest.Suggestion{{Value: "span.order.total", Count: want.orderTotals}}, got)

			wide := suggest.New(src.Source, suggest.Options{Now: now, CorrelationRange: time.Hour})
			got, err = wide.CorrelationKeys(ctx, suggest.Query{})
			require.NoError(t, err)
			require.Equal(t, ranked(map[string]int64{"span.session.id": want.sessionLinks, "span.user.id": want.userLinks}, 100), got)

			// By default only the last quarter of an hour is read: the
			// traffic ended before it.
			got, err = s.CorrelationKeys(ctx, suggest.Query{})
			require.NoError(t, err)
			require.Empty(t, got)

			// A bounded list keeps the most frequent.
			short := suggest.New(src.Source, suggest.Options{Now: now, Limit: 2})
			got, err = short.Services(ctx, suggest.Query{})
			require.NoError(t, err)
			require.Equal(t, ranked(want.services, 2), got)

			// Nothing outside the range: the hour before the traffic.
			got, err = s.Services(ctx, suggest.Query{Range: 15 * time.Minute})
			require.NoError(t, err)
			require.Empty(t, got)
		})
	}
}

func TestBadQueriesAreRefusedBeforeAskingTheSource(t *testing.T) {
	t.Parallel()
	src := sourcetest.Sources(t, shopTraffic(t).OTLP())[1]
	s := suggest.New(src.Source, suggest.Options{Now: now})
	ctx := context.Background()
	for _, c := range []struct {
		call func() error
		msg  string
	}{
		{func() error { _, err := s.SpanNames(ctx, suggest.Query{}); return err }, "span names need a service"},
		{func() error { _, err := s.Values(ctx, "user.tier", suggest.Query{}); return err }, `invalid attribute key "user.tier"`},
		{func() error { _, err := s.Values(ctx, "duration", suggest.Query{}); return err }, "cannot count values of duration"},
		{func() error { _, err := s.Services(ctx, suggest.Query{Range: -time.Minute}); return err }, "range -1m0s must be positive"},
		{func() error { _, err := s.Services(ctx, suggest.Query{Range: 8 * 24 * time.Hour}); return err }, "longer than 7d"},
	} {
		err := c.call()
		require.ErrorIs(t, err, suggest.ErrBadQuery)
		require.ErrorContains(t, err, c.msg)
	}
	require.Empty(t, src.Fake.Queries())
}

func TestAnswersAreCachedBrieflyPerQuestion(t *testing.T) {
	t.Parallel()
	src := sourcetest.Sources(t, shopTraffic(t).OTLP())[1]
	clock := now()
	s := suggest.New(src.Source, suggest.Options{Now: func() time.Time { return clock }})
	ctx := context.Background()
	first, err := s.Values(ctx, "span.user.tier", suggest.Query{Service: "payment_svc"})
	require.NoError(t, err)
	for range 20 {
		got, err := s.Values(ctx, "span.user.tier", suggest.Query{Service: "payment_svc"})
		require.NoError(t, err)
		require.Equal(t, first, got)
	}
	require.Equal(t, 1, src.Fake.Requests()["/api/metrics/query"])
	// Another question is asked; the same after the TTL is asked again.
	_, err = s.Values(ctx, "span.region", suggest.Query{Service: "payment_svc"})
	require.NoError(t, err)
	require.Equal(t, 2, src.Fake.Requests()["/api/metrics/query"])
	clock = clock.Add(31 * time.Second)
	_, err = s.Values(ctx, "span.user.tier", suggest.Query{Service: "payment_svc"})
	require.NoError(t, err)
	require.Equal(t, 3, src.Fake.Requests()["/api/metrics/query"])
}

func TestADownSourceIsATypedOneLineError(t *testing.T) {
	t.Parallel()
	src := sourcetest.Sources(t, shopTraffic(t).OTLP())[1]
	clock := now()
	s := suggest.New(src.Source, suggest.Options{Now: func() time.Time { return clock }})
	ctx := context.Background()
	src.Fake.SetDown(http.StatusServiceUnavailable)
	_, err := s.Services(ctx, suggest.Query{})
	var se *suggest.SourceError
	require.True(t, errors.As(err, &se), "%v", err)
	require.Equal(t, "Tempo is unavailable (HTTP 503)", err.Error())
	require.NotErrorIs(t, err, suggest.ErrBadQuery)

	// The failure is remembered a few seconds, not asked again per
	// keystroke; once Tempo is back the next question after that works.
	_, err = s.Services(ctx, suggest.Query{})
	require.Equal(t, "Tempo is unavailable (HTTP 503)", err.Error())
	require.Equal(t, 1, src.Fake.Requests()["/api/metrics/query"])
	src.Fake.SetDown(0)
	clock = clock.Add(6 * time.Second)
	got, err := s.Services(ctx, suggest.Query{})
	require.NoError(t, err)
	require.Len(t, got, 5)

	unreachable := suggest.New(sourcetest.TempoSource(t, "http://127.0.0.1:1"), suggest.Options{Now: now})
	_, err = unreachable.Services(ctx, suggest.Query{})
	require.Equal(t, "Tempo cannot be reached", err.Error())
}
