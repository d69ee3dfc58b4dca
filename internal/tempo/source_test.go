package tempo

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

// traceSource mirrors rollup.TraceSource; a copy rather than an import so
// that this package's tests do not build the rollup package.
type traceSource interface {
	FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error)
	Trace(ctx context.Context, traceID string) (journeys.Trace, error)
	AttributeNames(ctx context.Context, from, to time.Time) ([]string, error)
	AttributeValues(ctx context.Context, key string, from, to time.Time) ([]string, error)
}

var _ traceSource = (*Source)(nil)

// collect runs FetchSpans and keys the spans it got, copying Attrs (only
// valid during the call) and counting repeats.
func collect(t *testing.T, s *Source, q journeys.SpanQuery) (map[spanKey]journeys.Span, map[spanKey]int, journeys.FetchStats, error) {
	t.Helper()
	got := map[spanKey]journeys.Span{}
	seen := map[spanKey]int{}
	stats, err := s.FetchSpans(context.Background(), q, func(sp journeys.Span) error {
		k := spanKey{sp.TraceID, sp.SpanID}
		seen[k]++
		sp.Attrs = slices.Clone(sp.Attrs)
		got[k] = sp
		return nil
	})
	return got, seen, stats, err
}

func TestFetchSpansFixtureEqualsTruth(t *testing.T) {
	t.Parallel()
	u, n := replay(t, exchange{
		path:        "/api/search",
		params:      rangeParams(map[string]string{"q": cartQuery, "limit": "2000", "spss": "3"}),
		accept:      "application/json",
		contentType: "application/json",
		file:        "search_cart_select_limit2000_spss3.json",
	}, testAuth)
	src := NewSource(newTestClient(t, u), SourceOptions{Limit: 2000, SpansPerSpanSet: 3})
	got, seen, stats, err := collect(t, src, journeys.SpanQuery{
		Pattern: cartPattern, From: fixtureFrom, To: fixtureTo,
		Select: []string{"span.session.id", "span.user.tier"},
	})
	require.NoError(t, err)
	require.Equal(t, int64(1), n.Load())

	step := readTruthStep(t, "add_to_cart")
	truth := readTruthTraces(t)
	require.Len(t, got, step.Sessions)
	errs := 0
	byTier := map[string][2]int{}
	for k, sp := range got {
		require.Equal(t, 1, seen[k])
		want, ok := truth[sp.TraceID]
		require.True(t, ok, "trace %s (normalised) not in truth", sp.TraceID)
		require.Len(t, sp.TraceID, 32)
		require.Equal(t, want.RootSpanID, sp.SpanID)
		require.Equal(t, want.StartUnixNs, sp.Start.UnixNano())
		require.Equal(t, want.EndUnixNs-want.StartUnixNs, sp.Duration.Nanoseconds())
		require.Equal(t, want.Error, sp.Error)
		require.Equal(t, []string{want.SessionID, want.Tier}, sp.Attrs)
		c := byTier[sp.Attrs[1]]
		c[0]++
		if sp.Error {
			errs++
			c[1]++
		}
		byTier[sp.Attrs[1]] = c
	}
	require.Equal(t, step.Errors, errs)
	for tier, want := range step.ByTier {
		require.Equal(t, [2]int{want.Sessions, want.Errors}, byTier[tier], tier)
	}
	require.Equal(t, journeys.FetchStats{Requests: 1, Spans: 1149, InspectedBytes: 3835572, TotalBlocks: 1, TotalJobs: 4, CompletedJobs: 4}, stats)
	// Leading zeros stripped by search are restored.
	_, ok := got[spanKey{"005d3f81eaf4a07097db2456ef44ee52", ""}]
	require.False(t, ok)
	short := 0
	for k := range got {
		if k.trace[0] == '0' {
			short++
		}
	}
	require.Greater(t, short, 50)
}

func TestFetchSpansCappedFixtureIsSplit(t *testing.T) {
	t.Parallel()
	// Over the recorded window with limit 200 Tempo was cut short
	// (completedJobs 1 of 4); the source must not take that as complete
	// but search the first half of the window next.
	body := readFixture(t, "search_cart_select_limit200_spss3.json")
	var ranges [][2]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ranges = append(ranges, [2]string{q.Get("start"), q.Get("end")})
		if len(ranges) == 1 {
			_, _ = w.Write(body)
			return
		}
		http.Error(w, "stop here", http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	src := NewSource(newTestClient(t, srv.URL), SourceOptions{Limit: 200, SpansPerSpanSet: 3})
	_, _, stats, err := collect(t, src, journeys.SpanQuery{Pattern: cartPattern, From: fixtureFrom, To: fixtureTo, Select: []string{"span.session.id", "span.user.tier"}})
	require.True(t, IsBadQuery(err))
	require.Equal(t, [][2]string{{"1795506420", "1795508160"}, {"1795506420", "1795507290"}}, ranges)
	require.Equal(t, 2, stats.Requests)
	require.Equal(t, int64(0), stats.Spans)
	require.Equal(t, int64(958893), stats.InspectedBytes)
}

func TestFetchSpansBisection(t *testing.T) {
	t.Parallel()
	base := time.Unix(1795500000, 0)
	// Unaligned edges: spans of traces crossing them must be cut exactly.
	from := base.Add(10*time.Second + 300*time.Millisecond)
	to := base.Add(2*time.Hour - 7*time.Second - 700*time.Millisecond)
	q := journeys.SpanQuery{Pattern: workPattern, From: from, To: to, Select: []string{"span.session.id", "span.user.tier"}}
	query, err := CompilePattern(q.Pattern, q.Select)
	require.NoError(t, err)

	tests := []struct {
		order  string // which subset a capped search returns
		traces int
		limit  int
	}{
		{"shuffle", 5000, 150}, // 20 000 spans
		{"oldest", 1250, 60},
		{"newest", 1250, 60},
	}
	for i, tt := range tests {
		t.Run(tt.order, func(t *testing.T) {
			t.Parallel()
			traces := genTraces(uint64(10+i), tt.traces, base, 2*time.Hour, 90*time.Second, func(int) int { return 4 })
			want := wantSpans(traces, from, to)
			require.Greater(t, len(want), 4*tt.traces*95/100)
			fake := &fakeTempo{t: t, query: query, match: matchWork, traces: traces, order: tt.order, rng: rand.New(rand.NewPCG(7, 7))}
			srv := fake.server()
			src := NewSource(newTestClient(t, srv.URL), SourceOptions{Limit: tt.limit, InitialSlice: time.Hour})
			got, seen, stats, err := collect(t, src, q)
			require.NoError(t, err)
			for k, c := range seen {
				require.Equal(t, 1, c, "span %v delivered %d times", k, c)
			}
			require.Equal(t, len(want), len(got))
			require.Equal(t, want, got)
			require.Equal(t, int64(len(want)), stats.Spans)
			require.Equal(t, fake.searches, stats.Requests)
			require.Equal(t, 0, fake.fetches)
			require.Equal(t, int64(1000*stats.Requests), stats.InspectedBytes)
			require.Equal(t, int64(2*stats.Requests), stats.TotalBlocks)
			require.Equal(t, int64(3*stats.Requests), stats.TotalJobs)
			// Some searches were capped and split.
			require.Less(t, stats.CompletedJobs, stats.TotalJobs)
		})
	}
}

// TestFetchSpansSplitsAnswersTooLarge: a slice whose answer outgrows
// Tempo's internal message limit (a 500 that repeats on every retry) is
// halved like a capped one, without retrying it, and every span still
// arrives once.
func TestFetchSpansSplitsAnswersTooLarge(t *testing.T) {
	t.Parallel()
	for _, grpc := range []bool{false, true} {
		base := time.Unix(1795500000, 0)
		traces := genTraces(5, 600, base, 20*time.Minute, 30*time.Second, func(int) int { return 2 })
		from, to := base, base.Add(20*time.Minute)
		want := wantSpans(traces, from, to)
		q := journeys.SpanQuery{Pattern: workPattern, From: from, To: to, Select: []string{"span.session.id", "span.user.tier"}}
		query, err := CompilePattern(q.Pattern, q.Select)
		require.NoError(t, err)
		fake := &fakeTempo{t: t, query: query, match: matchWork, traces: traces, tooLarge: 100, grpcTooLarge: grpc, rng: rand.New(rand.NewPCG(5, 5))}
		srv := fake.server()
		src := NewSource(newTestClient(t, srv.URL), SourceOptions{Limit: 1000, InitialSlice: time.Hour})
		got, seen, stats, err := collect(t, src, q)
		require.NoError(t, err, "grpc wording %v", grpc)
		for k, c := range seen {
			require.Equal(t, 1, c, "span %v delivered %d times", k, c)
		}
		require.Equal(t, want, got)
		require.Equal(t, fake.searches, stats.Requests, "a too-large answer is not retried")
		require.Greater(t, stats.Requests, 8, "600 traces at most 100 an answer take more than 6 searches, and some failed")
	}
}

func TestFetchSpansBeyondSpss(t *testing.T) {
	t.Parallel()
	base := time.Unix(1795500000, 0)
	// Every third trace has more matching spans than spss; Tempo cannot be
	// made to return them by narrowing the range, so they are fetched
	// whole.
	traces := genTraces(2, 300, base, 20*time.Minute, 3*time.Minute, func(i int) int {
		if i%3 == 0 {
			return 7
		}
		return 2
	})
	from, to := base.Add(90*time.Second), base.Add(18*time.Minute)
	want := wantSpans(traces, from, to)
	q := journeys.SpanQuery{Pattern: workPattern, From: from, To: to, Select: []string{"span.session.id", "span.user.tier"}}
	query, err := CompilePattern(q.Pattern, q.Select)
	require.NoError(t, err)
	fake := &fakeTempo{t: t, query: query, match: matchWork, traces: traces, rng: rand.New(rand.NewPCG(3, 3))}
	srv := fake.server()
	src := NewSource(newTestClient(t, srv.URL), SourceOptions{Limit: 40, SpansPerSpanSet: 3, InitialSlice: 10 * time.Minute})
	got, seen, stats, err := collect(t, src, q)
	require.NoError(t, err)
	for k, c := range seen {
		require.Equal(t, 1, c, "span %v delivered %d times", k, c)
	}
	require.Equal(t, want, got)
	require.Greater(t, fake.fetches, 0)
	require.Equal(t, fake.searches+fake.fetches, stats.Requests)
}

func TestFetchSpansGivesUpAtMinSlice(t *testing.T) {
	t.Parallel()
	base := time.Unix(1795500000, 0)
	// 50 traces in the same second, limit 10: no slice can hold them.
	traces := genTraces(3, 50, base, 500*time.Millisecond, time.Millisecond, func(int) int { return 1 })
	q := journeys.SpanQuery{Pattern: workPattern, From: base.Add(-time.Hour), To: base.Add(time.Hour)}
	query, err := CompilePattern(q.Pattern, q.Select)
	require.NoError(t, err)
	fake := &fakeTempo{t: t, query: query, match: matchWork, traces: traces, rng: rand.New(rand.NewPCG(4, 4))}
	srv := fake.server()
	// One slice at a time, so that the searches can be counted.
	src := NewSource(newTestClient(t, srv.URL), SourceOptions{Limit: 10, Parallel: 1})
	_, _, stats, err := collect(t, src, q)
	require.ErrorContains(t, err, "fetch spans: the 1s slice from 2026-11-24T06:00:00Z is still cut short (10 traces returned, the limit); raise the search limit (now 10) or narrow the pattern")
	// The quiet hour before, then 12 searches from 1h down to 1s (widths
	// stay whole seconds: 3600, 1800, … 7, 3, 1), the first half of each
	// split first.
	require.Equal(t, 13, stats.Requests)
}

func TestFetchSpansStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	u, _ := replay(t, exchange{
		path:        "/api/search",
		params:      rangeParams(map[string]string{"q": cartQuery, "limit": "2000", "spss": "3"}),
		accept:      "application/json",
		contentType: "application/json",
		file:        "search_cart_select_limit2000_spss3.json",
	}, testAuth)
	src := NewSource(newTestClient(t, u), SourceOptions{Limit: 2000, SpansPerSpanSet: 3})
	stop := errors.New("enough")
	calls := 0
	stats, err := src.FetchSpans(context.Background(), journeys.SpanQuery{Pattern: cartPattern, From: fixtureFrom, To: fixtureTo, Select: []string{"span.session.id", "span.user.tier"}},
		func(journeys.Span) error {
			calls++
			if calls == 10 {
				return stop
			}
			return nil
		})
	require.Same(t, stop, err)
	require.Equal(t, 10, calls)
	require.Equal(t, int64(9), stats.Spans)
}

func TestFetchSpansErrors(t *testing.T) {
	t.Parallel()
	t.Run("bad query from Tempo", func(t *testing.T) {
		t.Parallel()
		u, n := replay(t, exchange{
			path:   "/api/search",
			params: rangeParams(map[string]string{"q": cartQuery, "limit": "50000", "spss": "100"}),
			accept: "application/json", status: 400, contentType: "text/plain; charset=utf-8",
			file: "error_search_malformed_traceql.txt",
		}, testAuth)
		_, err := NewSource(newTestClient(t, u), SourceOptions{}).FetchSpans(context.Background(),
			journeys.SpanQuery{Pattern: cartPattern, From: fixtureFrom, To: fixtureTo, Select: []string{"span.session.id", "span.user.tier"}},
			func(journeys.Span) error { return nil })
		require.True(t, IsBadQuery(err))
		require.ErrorContains(t, err, "fetch spans: search: tempo /api/search: status 400: invalid TraceQL query")
		require.Equal(t, int64(1), n.Load())
	})
	t.Run("invalid pattern sends nothing", func(t *testing.T) {
		t.Parallel()
		u, n := replay(t, exchange{path: "/never"}, testAuth)
		_, err := NewSource(newTestClient(t, u), SourceOptions{}).FetchSpans(context.Background(),
			journeys.SpanQuery{Pattern: journeys.Pattern{Service: "s"}, From: fixtureFrom, To: fixtureTo},
			func(journeys.Span) error { return nil })
		require.ErrorContains(t, err, "neither span nor spanRegex")
		_, err = NewSource(newTestClient(t, u), SourceOptions{}).FetchSpans(context.Background(),
			journeys.SpanQuery{Pattern: cartPattern, From: fixtureTo, To: fixtureFrom},
			func(journeys.Span) error { return nil })
		require.ErrorContains(t, err, "is after to")
		require.Equal(t, int64(0), n.Load())
	})
	t.Run("empty window sends nothing", func(t *testing.T) {
		t.Parallel()
		u, n := replay(t, exchange{path: "/never"}, testAuth)
		stats, err := NewSource(newTestClient(t, u), SourceOptions{}).FetchSpans(context.Background(),
			journeys.SpanQuery{Pattern: cartPattern, From: fixtureFrom, To: fixtureFrom},
			func(journeys.Span) error { return nil })
		require.NoError(t, err)
		require.Equal(t, journeys.FetchStats{}, stats)
		require.Equal(t, int64(0), n.Load())
	})
}

func TestSourceTrace(t *testing.T) {
	t.Parallel()
	const id = "41d28e2bd50f8cf38ecfe11a08212417"
	u, _ := replay(t, exchange{path: "/api/v2/traces/" + id, accept: "application/protobuf", contentType: "application/protobuf", file: "trace_by_id_v2.pb"}, testAuth)
	src := NewSource(newTestClient(t, u), SourceOptions{})
	tr, err := src.Trace(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, paymentTrace(), tr)
	td, err := src.TraceOTLP(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, paymentTrace(), withID(ConvertTrace(td), id))
}

func withID(tr journeys.Trace, id string) journeys.Trace {
	tr.TraceID = id
	return tr
}

func TestNewSourceDefaults(t *testing.T) {
	t.Parallel()
	c := newTestClient(t, "http://tempo")
	tests := []struct {
		in, want SourceOptions
	}{
		{SourceOptions{}, SourceOptions{Limit: 50000, SpansPerSpanSet: 100, InitialSlice: time.Hour, MinSlice: time.Second, Parallel: 4}},
		{SourceOptions{InitialSlice: 1000 * time.Hour, MinSlice: 1500 * time.Millisecond}, SourceOptions{Limit: 50000, SpansPerSpanSet: 100, InitialSlice: 168 * time.Hour, MinSlice: time.Second, Parallel: 4}},
		{SourceOptions{InitialSlice: time.Millisecond, MinSlice: 5 * time.Second, Limit: 10, SpansPerSpanSet: 3, Parallel: 1}, SourceOptions{Limit: 10, SpansPerSpanSet: 3, InitialSlice: 5 * time.Second, MinSlice: 5 * time.Second, Parallel: 1}},
	}
	for _, tt := range tests {
		got := NewSource(c, tt.in).opts
		got.Logger = nil
		require.Equal(t, tt.want, got)
	}
}
