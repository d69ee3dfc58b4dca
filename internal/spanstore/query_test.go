package spanstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/journeys"
)

// shop is a small, hand-checked data set: the cart service's spans 1..7 and
// one payments span, all on 2024-03-10 between 12:00 and 12:01.
func shop(t testing.TB) []*tracepb.ResourceSpans {
	t0 := at("2024-03-10T12:00:00Z")
	id := func(n int) string { return fmt.Sprintf("%016x", n) }
	trace := func(n int) string { return fmt.Sprintf("%032x", 0x100+n) }
	srv, cli, internal := tracepb.Span_SPAN_KIND_SERVER, tracepb.Span_SPAN_KIND_CLIENT, tracepb.Span_SPAN_KIND_INTERNAL
	errCode := tracepb.Status_STATUS_CODE_ERROR
	return []*tracepb.ResourceSpans{
		resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "cart"), kv("service.version", "1.4.2"), kv("deployment.environment", "prod")},
			spec{trace: trace(1), span: id(1), name: "POST /cart/items", kind: srv, start: t0, dur: 120 * time.Millisecond,
				attrs: []*commonpb.KeyValue{kv("user.tier", "gold"), kv("items", 3), kv("order.total", 12.5), kv("vip", true), kv("http.status_code", 200)}},
			spec{trace: trace(2), span: id(2), name: "POST /cart/items", kind: srv, start: t0.Add(time.Second), dur: 900 * time.Millisecond,
				status: errCode, msg: "out of stock",
				attrs: []*commonpb.KeyValue{kv("user.tier", "silver"), kv("items", 1), kv("order.total", 3.0), kv("vip", false), kv("http.status_code", 500)}},
			spec{trace: trace(3), span: id(3), name: "GET /cart", kind: srv, start: t0.Add(2 * time.Second), dur: 30 * time.Millisecond,
				attrs: []*commonpb.KeyValue{kv("user.tier", "gold"), kv("items", 0), kv("http.status_code", 200)}},
			spec{trace: trace(4), span: id(4), name: "POST /cart/items", kind: cli, start: t0.Add(3 * time.Second), dur: 40 * time.Millisecond,
				attrs: []*commonpb.KeyValue{kv("user.tier", "bronze"), kv("items", 10)}},
			spec{trace: trace(6), span: id(6), name: "POST /cart/checkout", kind: internal, start: t0.Add(5 * time.Second), dur: 2 * time.Second,
				attrs: []*commonpb.KeyValue{kv("user.tier", 7), kv("items", "3"), kv("order.total", 1e21), kv("tags", []any{"a"})}},
		),
		resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "cart"), kv("service.version", "1.5.0")},
			spec{trace: trace(7), span: id(7), name: "POST /cart/items", kind: srv, start: t0.Add(6 * time.Second), dur: 80 * time.Millisecond,
				attrs: []*commonpb.KeyValue{kv("user.tier", "gold"), kv("items", 2), kv("order.total", 7.25)}},
		),
		resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "payments")},
			spec{trace: trace(5), span: id(5), name: "POST /cart/items", kind: srv, start: t0.Add(4 * time.Second), dur: 10 * time.Millisecond,
				attrs: []*commonpb.KeyValue{kv("user.tier", "gold")}},
		),
	}
}

func loadShop(t testing.TB) *Store {
	t.Helper()
	store := NewStore(pgtest.New(t), nil)
	n, err := store.Insert(context.Background(), shop(t))
	require.NoError(t, err)
	require.Equal(t, int64(7), n)
	return store
}

// fetch returns the spans of q with their selected attributes.
func fetch(t testing.TB, s *Store, q journeys.SpanQuery) ([]journeys.Span, journeys.FetchStats) {
	t.Helper()
	var got []journeys.Span
	stats, err := s.FetchSpans(context.Background(), q, func(sp journeys.Span) error {
		sp.Attrs = slices.Clone(sp.Attrs) // only valid during the call
		got = append(got, sp)
		return nil
	})
	require.NoError(t, err)
	slices.SortFunc(got, func(a, b journeys.Span) int { return strings.Compare(a.SpanID, b.SpanID) })
	return got, stats
}

func spanNums(spans []journeys.Span) []int {
	out := []int{}
	for _, sp := range spans {
		var n int
		_, _ = fmt.Sscanf(sp.SpanID, "%x", &n)
		out = append(out, n)
	}
	return out
}

func TestFetchSpansMatching(t *testing.T) {
	t.Parallel()
	store := loadShop(t)
	from, to := at("2024-03-10T12:00:00Z"), at("2024-03-10T12:01:00Z")
	m := func(key string, op journeys.Op, v journeys.Value) journeys.Matcher {
		return journeys.Matcher{Key: key, Op: op, Value: v}
	}
	str, num, flt, boo := journeys.StringValue, journeys.IntValue, journeys.FloatValue, journeys.BoolValue

	for _, tc := range []struct {
		name    string
		pattern journeys.Pattern
		want    []int
	}{
		{"exact name", journeys.Pattern{Service: "cart", Span: "POST /cart/items"}, []int{1, 2, 4, 7}},
		{"exact name other service", journeys.Pattern{Service: "payments", Span: "POST /cart/items"}, []int{5}},
		{"unknown service", journeys.Pattern{Service: "nope", Span: "POST /cart/items"}, []int{}},
		{"regex", journeys.Pattern{Service: "cart", SpanRegex: "POST /cart/.*"}, []int{1, 2, 4, 6, 7}},
		{"regex is anchored", journeys.Pattern{Service: "cart", SpanRegex: "cart"}, []int{}},
		{"regex alternation", journeys.Pattern{Service: "cart", SpanRegex: "GET /cart|POST /cart/checkout"}, []int{3, 6}},
		{"kind server", journeys.Pattern{Service: "cart", SpanRegex: ".*", Kind: "server"}, []int{1, 2, 3, 7}},
		{"kind client", journeys.Pattern{Service: "cart", Span: "POST /cart/items", Kind: "client"}, []int{4}},
		{"string =", pat(m("span.user.tier", journeys.OpEq, str("gold"))), []int{1, 3, 7}},
		{"string != skips absent and other types", pat(m("span.user.tier", journeys.OpNe, str("gold"))), []int{2, 4}},
		{"string =~", pat(m("span.user.tier", journeys.OpRegex, str("s.*|b.*"))), []int{2, 4}},
		{"string !~", pat(m("span.user.tier", journeys.OpNotRegex, str("gold"))), []int{2, 4}},
		{"int =", pat(m("span.items", journeys.OpEq, num(3))), []int{1}},
		{"string literal for an int attribute", pat(m("span.items", journeys.OpEq, str("3"))), []int{6}},
		{"int literal for a string attribute", pat(m("span.user.tier", journeys.OpEq, num(7))), []int{6}},
		{"int !=", pat(m("span.items", journeys.OpNe, num(3))), []int{2, 3, 4, 7}},
		{"int >", pat(m("span.items", journeys.OpGt, num(2))), []int{1, 4}},
		{"int >=", pat(m("span.items", journeys.OpGe, num(2))), []int{1, 4, 7}},
		{"int <", pat(m("span.items", journeys.OpLt, num(2))), []int{2, 3}},
		{"int <=", pat(m("span.items", journeys.OpLe, num(1))), []int{2, 3}},
		{"float >", pat(m("span.order.total", journeys.OpGt, flt(7.25))), []int{1, 6}},
		{"float >=", pat(m("span.order.total", journeys.OpGe, flt(7.25))), []int{1, 6, 7}},
		{"float =", pat(m("span.order.total", journeys.OpEq, flt(3))), []int{2}},
		{"int literal against floats", pat(m("span.order.total", journeys.OpLt, num(8))), []int{2, 7}},
		{"float literal against ints", pat(m("span.items", journeys.OpGt, flt(2.5))), []int{1, 4}},
		{"bool =", pat(m("span.vip", journeys.OpEq, boo(true))), []int{1}},
		{"bool !=", pat(m("span.vip", journeys.OpNe, boo(true))), []int{2}},
		{"resource string", pat(m("resource.service.version", journeys.OpEq, str("1.5.0"))), []int{7}},
		{"resource regex", pat(m("resource.deployment.environment", journeys.OpRegex, str("pr.*"))), []int{1, 2, 3, 4, 6}},
		{"status error", pat(m("status", journeys.OpEq, str("error"))), []int{2}},
		{"status unset", pat(m("status", journeys.OpEq, str("unset"))), []int{1, 3, 4, 6, 7}},
		{"status message", pat(m("statusMessage", journeys.OpRegex, str("out of .*"))), []int{2}},
		{"duration", pat(m("duration", journeys.OpGt, str("100ms"))), []int{1, 2, 6}},
		{"duration exact", pat(m("duration", journeys.OpEq, str("80ms"))), []int{7}},
		{"array attributes compare with nothing", pat(m("span.tags", journeys.OpEq, str("a"))), []int{}},
		{"two matchers", pat(m("span.user.tier", journeys.OpEq, str("gold")), m("span.items", journeys.OpGt, num(2))), []int{1}},
		{"kind intrinsic", pat(m("kind", journeys.OpEq, str("client"))), []int{4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, stats := fetch(t, store, journeys.SpanQuery{Pattern: tc.pattern, From: from, To: to})
			require.Equal(t, tc.want, spanNums(got))
			require.Equal(t, int64(len(tc.want)), stats.Spans)
			require.Equal(t, 1, stats.Requests)
		})
	}
}

// pat matches every cart span, then the matchers.
func pat(ms ...journeys.Matcher) journeys.Pattern {
	return journeys.Pattern{Service: "cart", SpanRegex: ".*", Attributes: ms}
}

func TestFetchSpansSelect(t *testing.T) {
	t.Parallel()
	store := loadShop(t)
	got, _ := fetch(t, store, journeys.SpanQuery{
		Pattern: journeys.Pattern{Service: "cart", SpanRegex: ".*"},
		From:    at("2024-03-10T12:00:00Z"), To: at("2024-03-10T12:01:00Z"),
		Select: []string{"span.user.tier", "resource.service.version", "span.items", "span.order.total", "span.vip",
			"span.missing", "resource.service.name", "span.tags", "name", "status", "duration"},
	})
	t0 := at("2024-03-10T12:00:00Z")
	tr := func(n int) string { return fmt.Sprintf("%032x", 0x100+n) }
	require.Equal(t, []journeys.Span{
		{TraceID: tr(1), SpanID: "0000000000000001", Start: t0, Duration: 120 * time.Millisecond,
			Attrs: []string{"gold", "1.4.2", "3", "12.5", "true", "", "cart", "", "POST /cart/items", "unset", "120000000"}},
		{TraceID: tr(2), SpanID: "0000000000000002", Start: t0.Add(time.Second), Duration: 900 * time.Millisecond, Error: true,
			Attrs: []string{"silver", "1.4.2", "1", "3", "false", "", "cart", "", "POST /cart/items", "error", "900000000"}},
		{TraceID: tr(3), SpanID: "0000000000000003", Start: t0.Add(2 * time.Second), Duration: 30 * time.Millisecond,
			Attrs: []string{"gold", "1.4.2", "0", "", "", "", "cart", "", "GET /cart", "unset", "30000000"}},
		{TraceID: tr(4), SpanID: "0000000000000004", Start: t0.Add(3 * time.Second), Duration: 40 * time.Millisecond,
			Attrs: []string{"bronze", "1.4.2", "10", "", "", "", "cart", "", "POST /cart/items", "unset", "40000000"}},
		{TraceID: tr(6), SpanID: "0000000000000006", Start: t0.Add(5 * time.Second), Duration: 2 * time.Second,
			Attrs: []string{"7", "1.4.2", "3", "1e+21", "", "", "cart", `["a"]`, "POST /cart/checkout", "unset", "2000000000"}},
		{TraceID: tr(7), SpanID: "0000000000000007", Start: t0.Add(6 * time.Second), Duration: 80 * time.Millisecond,
			Attrs: []string{"gold", "1.5.0", "2", "7.25", "", "", "cart", "", "POST /cart/items", "unset", "80000000"}},
	}, got)
}

func TestFetchSpansErrors(t *testing.T) {
	t.Parallel()
	store := loadShop(t)
	from, to := at("2024-03-10T12:00:00Z"), at("2024-03-10T12:01:00Z")
	for _, tc := range []struct {
		name string
		q    journeys.SpanQuery
		msg  string
	}{
		{"bad regex", journeys.SpanQuery{Pattern: journeys.Pattern{Service: "cart", SpanRegex: "("}, From: from, To: to}, "compile spanRegex"},
		{"no name", journeys.SpanQuery{Pattern: journeys.Pattern{Service: "cart"}, From: from, To: to}, "neither span nor spanRegex"},
		{"bad select", journeys.SpanQuery{Pattern: journeys.Pattern{Service: "cart", Span: "x"}, From: from, To: to, Select: []string{".x"}}, `select: invalid attribute key ".x"`},
		{"backwards", journeys.SpanQuery{Pattern: journeys.Pattern{Service: "cart", Span: "x"}, From: to, To: from}, "time range ends (2024-03-10T12:00:00Z) before it starts (2024-03-10T12:01:00Z)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := store.FetchSpans(context.Background(), tc.q, func(journeys.Span) error { return nil })
			require.ErrorContains(t, err, tc.msg)
		})
	}

	// fn's error stops the stream and comes back as it is.
	stop := errors.New("stop")
	calls := 0
	stats, err := store.FetchSpans(context.Background(), journeys.SpanQuery{Pattern: pat(), From: from, To: to}, func(journeys.Span) error {
		calls++
		return stop
	})
	require.Same(t, stop, err)
	require.Equal(t, 1, calls)
	require.Equal(t, int64(1), stats.Spans)
}

func TestFetchSpansBoundaries(t *testing.T) {
	t.Parallel()
	store := NewStore(pgtest.New(t), nil)
	// Spans one nanosecond apart around both ends of the range, and around
	// midnight, so that they fall in two daily partitions.
	from := at("2024-03-10T23:59:59.999999998Z")
	to := at("2024-03-11T00:00:00.000000002Z")
	var specs []spec
	for i, ts := range []time.Time{
		from.Add(-1), from, from.Add(1), // 1, 2, 3 (day 1)
		at("2024-03-11T00:00:00Z"), to.Add(-1), to, to.Add(1), // 4, 5, 6, 7 (day 2)
	} {
		specs = append(specs, spec{trace: fmt.Sprintf("%032x", i+1), span: fmt.Sprintf("%016x", i+1), name: "tick", start: ts, dur: time.Nanosecond})
	}
	_, err := store.Insert(context.Background(), []*tracepb.ResourceSpans{resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "clock")}, specs...)})
	require.NoError(t, err)
	require.Equal(t, []string{"spans_20240310", "spans_20240311", "spans_20240312"}, partitions(t, store))

	p := journeys.Pattern{Service: "clock", Span: "tick"}
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []int
	}{
		{"across midnight", from, to, []int{2, 3, 4, 5}},
		{"day 1 only", from, at("2024-03-11T00:00:00Z"), []int{2, 3}},
		{"day 2 only", at("2024-03-11T00:00:00Z"), to, []int{4, 5}},
		{"one nanosecond", from, from.Add(1), []int{2}},
		{"empty", from, from, []int{}},
		{"everything", time.Time{}, at("2100-01-01T00:00:00Z"), []int{1, 2, 3, 4, 5, 6, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _ := fetch(t, store, journeys.SpanQuery{Pattern: p, From: tc.from, To: tc.to})
			require.Equal(t, tc.want, spanNums(got))
			for _, sp := range got {
				require.Equal(t, specs[spanNums([]journeys.Span{sp})[0]-1].start.UTC(), sp.Start)
			}
		})
	}
}

func partitions(t testing.TB, s *Store) []string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(),
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

func TestTrace(t *testing.T) {
	t.Parallel()
	store := loadShop(t)
	ctx := context.Background()

	for _, id := range []string{"00000000000000000000000000000102", "102", "0102", "00000000000000000000000000000102"} {
		got, err := store.Trace(ctx, id)
		require.NoError(t, err, id)
		require.Equal(t, "00000000000000000000000000000102", got.TraceID)
		require.Len(t, got.Spans, 1)
		require.Equal(t, "0000000000000002", got.Spans[0].SpanID)
		require.Equal(t, "out of stock", got.Spans[0].StatusMessage)
	}
	for _, id := range []string{"999", "", "xyz", strings.Repeat("1", 33)} {
		_, err := store.Trace(ctx, id)
		require.ErrorIs(t, err, journeys.ErrTraceNotFound, id)
		_, err = store.TraceOTLP(ctx, id)
		require.ErrorIs(t, err, journeys.ErrTraceNotFound, id)
	}
	_, err := store.Trace(ctx, "999")
	require.EqualError(t, err, "get trace 00000000000000000000000000000999: trace not found")
}

func TestAttributeNamesAndValues(t *testing.T) {
	t.Parallel()
	store := loadShop(t)
	ctx := context.Background()
	from, to := at("2024-03-10T12:00:00Z"), at("2024-03-10T12:01:00Z")

	names, err := store.AttributeNames(ctx, from, to)
	require.NoError(t, err)
	require.Equal(t, []string{
		"resource.deployment.environment", "resource.service.name", "resource.service.version",
		"span.http.status_code", "span.items", "span.order.total", "span.tags", "span.user.tier", "span.vip",
	}, names)

	// Only the spans in range count: the first two seconds hold spans 1, 2.
	names, err = store.AttributeNames(ctx, from, from.Add(2*time.Second))
	require.NoError(t, err)
	require.Equal(t, []string{
		"resource.deployment.environment", "resource.service.name", "resource.service.version",
		"span.http.status_code", "span.items", "span.order.total", "span.user.tier", "span.vip",
	}, names)

	names, err = store.AttributeNames(ctx, to, to.Add(time.Hour))
	require.NoError(t, err)
	require.Empty(t, names)

	for _, tc := range []struct {
		key      string
		from, to time.Time
		want     []string
	}{
		{"span.user.tier", from, to, []string{"7", "bronze", "gold", "silver"}},
		{"span.items", from, to, []string{"0", "1", "10", "2", "3"}},
		{"span.order.total", from, to, []string{"12.5", "1e+21", "3", "7.25"}},
		{"span.vip", from, to, []string{"false", "true"}},
		{"resource.service.name", from, to, []string{"cart", "payments"}},
		{"resource.service.version", from, to, []string{"1.4.2", "1.5.0"}},
		{"span.user.tier", from, from.Add(time.Second), []string{"gold"}},
		{"span.nope", from, to, []string{}},
		{"name", from, to, []string{"GET /cart", "POST /cart/checkout", "POST /cart/items"}},
		{"kind", from, to, []string{"client", "internal", "server"}},
		{"status", from, to, []string{"error", "unset"}},
	} {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			got, err := store.AttributeValues(ctx, tc.key, tc.from, tc.to)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}

	_, err = store.AttributeValues(ctx, "user.tier", from, to)
	require.ErrorContains(t, err, `invalid attribute key "user.tier"`)
	_, err = store.AttributeValues(ctx, "duration", from, to)
	require.EqualError(t, err, "list attribute values: duration has no list of values")
}

func TestAttributeValuesCap(t *testing.T) {
	t.Parallel()
	store := NewStore(pgtest.New(t), nil)
	t0 := at("2024-03-10T12:00:00Z")
	var specs []spec
	for i := range MaxAttributeValues + 5 {
		specs = append(specs, spec{trace: fmt.Sprintf("%032x", i+1), span: fmt.Sprintf("%016x", i+1), name: "x",
			start: t0, dur: time.Millisecond, attrs: []*commonpb.KeyValue{kv("n", fmt.Sprintf("v%04d", i))}})
	}
	_, err := store.Insert(context.Background(), []*tracepb.ResourceSpans{resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "s")}, specs...)})
	require.NoError(t, err)
	got, err := store.AttributeValues(context.Background(), "span.n", t0, t0.Add(time.Second))
	require.NoError(t, err)
	require.Len(t, got, MaxAttributeValues)
	require.Equal(t, "v0000", got[0])
	require.Equal(t, fmt.Sprintf("v%04d", MaxAttributeValues-1), got[len(got)-1])
}

func TestDropBefore(t *testing.T) {
	t.Parallel()
	store := NewStore(pgtest.New(t), nil)
	ctx := context.Background()
	var specs []spec
	for i, ts := range []string{"2024-03-08T23:59:59.999999999Z", "2024-03-09T00:00:00Z", "2024-03-10T12:00:00Z", "2024-03-11T00:00:00Z"} {
		specs = append(specs, spec{trace: fmt.Sprintf("%032x", i+1), span: fmt.Sprintf("%016x", i+1), name: "x", start: at(ts), dur: 1})
	}
	_, err := store.Insert(ctx, []*tracepb.ResourceSpans{resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "s")}, specs...)})
	require.NoError(t, err)
	require.Equal(t, []string{"spans_20240308", "spans_20240309", "spans_20240310", "spans_20240311", "spans_20240312"}, partitions(t, store))

	// A cutoff anywhere in the 10th keeps the 10th.
	dropped, err := store.DropBefore(ctx, at("2024-03-10T23:00:00+02:00"))
	require.NoError(t, err)
	require.Equal(t, []string{"spans_20240308", "spans_20240309"}, dropped)
	require.Equal(t, []string{"spans_20240310", "spans_20240311", "spans_20240312"}, partitions(t, store))

	dropped, err = store.DropBefore(ctx, at("2024-03-10T00:00:00Z"))
	require.NoError(t, err)
	require.Empty(t, dropped)

	got, _ := fetch(t, store, journeys.SpanQuery{Pattern: journeys.Pattern{Service: "s", Span: "x"}, From: time.Time{}, To: at("2100-01-01T00:00:00Z")})
	require.Equal(t, []int{3, 4}, spanNums(got))

	// Writing to a dropped day again recreates it, even though this store
	// believed it existed.
	store.mu.Lock()
	store.days[dayOf(at("2024-03-08T12:00:00Z").UnixNano())] = true
	store.mu.Unlock()
	n, err := store.Insert(ctx, []*tracepb.ResourceSpans{resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "s")}, specs[0])})
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	require.Equal(t, []string{"spans_20240308", "spans_20240309", "spans_20240310", "spans_20240311", "spans_20240312"}, partitions(t, store))
}

func TestDropBeforeFinishesInterruptedRuns(t *testing.T) {
	t.Parallel()
	store := NewStore(pgtest.New(t), nil)
	ctx := context.Background()
	_, err := store.Insert(ctx, []*tracepb.ResourceSpans{resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "s")},
		spec{trace: fmt.Sprintf("%032x", 1), span: fmt.Sprintf("%016x", 1), name: "x", start: at("2024-03-08T10:00:00Z"), dur: 1})})
	require.NoError(t, err)
	// A crash between detach and drop leaves a lone table behind.
	_, err = store.pool.Exec(ctx, `ALTER TABLE spans DETACH PARTITION spans_20240308`)
	require.NoError(t, err)
	dropped, err := store.DropBefore(ctx, at("2024-03-10T00:00:00Z"))
	require.NoError(t, err)
	require.Equal(t, []string{"spans_20240308", "spans_20240309"}, dropped)
	var left int
	require.NoError(t, store.pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname LIKE 'spans\_2024%'`).Scan(&left))
	require.Equal(t, 0, left)
}

func TestConcurrentPartitionCreation(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	// Separate stores stand for separate processes: none knows what the
	// others created.
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			store := NewStore(pool, nil)
			var specs []spec
			for d := range 3 {
				specs = append(specs, spec{trace: fmt.Sprintf("%032x", w+1), span: fmt.Sprintf("%016x", d+1), name: "x",
					start: at("2024-03-10T12:00:00Z").AddDate(0, 0, d), dur: 1})
			}
			_, errs[w] = store.Insert(ctx, []*tracepb.ResourceSpans{resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "s")}, specs...)})
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	store := NewStore(pool, nil)
	require.Equal(t, []string{"spans_20240310", "spans_20240311", "spans_20240312", "spans_20240313"}, partitions(t, store))
	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM spans`).Scan(&n))
	require.Equal(t, writers*3, n)
}

func TestFetchSpansReadsSamplingWeights(t *testing.T) {
	t.Parallel()
	store := NewStore(pgtest.New(t), nil)
	t0 := at("2024-03-10T12:00:00Z")
	srv := tracepb.Span_SPAN_KIND_SERVER
	one := func(n int, ts string) spec {
		return spec{trace: fmt.Sprintf("%032x", n), span: fmt.Sprintf("%016x", n), name: "GET /", kind: srv,
			start: t0.Add(time.Duration(n) * time.Second), dur: time.Millisecond, traceState: ts}
	}
	_, err := store.Insert(context.Background(), []*tracepb.ResourceSpans{
		resourceSpans(t, []*commonpb.KeyValue{kv("service.name", "web")},
			one(1, ""), one(2, "ot=th:8"), one(3, "vendor=x,ot=rv:abcdefabcdefab;th:c"), one(4, "ot=th:zz")),
	})
	require.NoError(t, err)
	got, _ := fetch(t, store, journeys.SpanQuery{Pattern: journeys.Pattern{Service: "web", Span: "GET /"},
		From: t0, To: t0.Add(time.Minute)})
	var weights []float64
	for _, sp := range got {
		weights = append(weights, sp.Weight)
	}
	// Unsampled and unreadable thresholds say nothing (0: count as one);
	// th:8 keeps half, th:c a quarter.
	require.Equal(t, []float64{0, 2, 4, 0}, weights)
}
