package tempo

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/journeys"
)

// Source defaults.
const (
	// DefaultLimit is the traces asked per search. Tempo's own cap is
	// 256Ki (query_frontend.search.max_result_limit). Every search
	// inspects the blocks its range touches, so fewer, fuller searches
	// cost Tempo less than many small ones: a minute read in two halves
	// costs it about 30% more than in one search.
	DefaultLimit           = 50_000
	DefaultSpansPerSpanSet = 100
	DefaultInitialSlice    = time.Hour
	DefaultMinSlice        = time.Second
	// DefaultParallel is how many slices of one query are searched at once.
	DefaultParallel = 4
	// MaxSlice is the widest search Tempo's query frontend accepts by
	// default (max_duration 168h).
	MaxSlice = 168 * time.Hour
)

// SourceOptions tunes how a Source searches.
type SourceOptions struct {
	// Limit is the traces asked per search (default 1000). A search that
	// returns Limit traces was cut short and is split.
	Limit int
	// SpansPerSpanSet is spss (default 100, Tempo's default maximum
	// max_spans_per_span_set). A trace with more matching spans than this
	// is fetched whole and matched here.
	SpansPerSpanSet int
	// InitialSlice is the width of the first searches (default 1h, at most
	// 168h). Slices that hit the limit are halved; quiet ones grow back.
	InitialSlice time.Duration
	// MinSlice is the narrowest slice before giving up (default and
	// minimum 1s: Tempo's search range is in whole seconds).
	MinSlice time.Duration
	// Parallel is how many slices of one fetch are searched at once
	// (default 4); the client's MaxConcurrent caps all requests besides.
	Parallel int
	// Logger defaults to slog.Default.
	Logger *slog.Logger
}

// Source answers rollup.TraceSource from Tempo.
type Source struct {
	c    *Client
	opts SourceOptions
	log  *slog.Logger

	mu sync.Mutex
	// density is the traces per second the last fetch of each query found,
	// so that the next one cuts slices expected to hold half the limit
	// instead of discovering the width by searches cut short.
	density map[string]float64
}

// NewSource returns a Source over c.
func NewSource(c *Client, o SourceOptions) *Source {
	if o.Limit <= 0 {
		o.Limit = DefaultLimit
	}
	if o.SpansPerSpanSet <= 0 {
		o.SpansPerSpanSet = DefaultSpansPerSpanSet
	}
	if o.MinSlice < time.Second {
		o.MinSlice = DefaultMinSlice
	}
	o.MinSlice = o.MinSlice.Truncate(time.Second)
	if o.InitialSlice <= 0 {
		o.InitialSlice = DefaultInitialSlice
	}
	o.InitialSlice = min(max(o.InitialSlice, o.MinSlice), MaxSlice)
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	lg := o.Logger
	if lg == nil {
		lg = c.log
	}
	return &Source{c: c, opts: o, log: lg, density: map[string]float64{}}
}

// Client returns the client the source searches with.
func (s *Source) Client() *Client { return s.c }

// FetchSpans streams every span matching q.Pattern that starts in
// [q.From, q.To), each exactly once.
//
// Tempo caps each search at limit traces and spss spans per trace, and a
// capped search returns an arbitrary subset (the first shard to fill the
// limit wins), not the newest traces. So [From, To) is cut into slices, and
// a slice counts only when Tempo says it finished every job below the
// limit; otherwise it is halved and searched again. Tempo filters a search's
// time range per trace, not per span, so a trace crossing a slice edge comes
// back in both slices: spans are kept by their own start, which each slice
// owns exactly. Halving cannot shrink one trace's spanset, so a trace with
// more than spss matching spans is fetched whole and matched here with the
// same pattern semantics.
func (s *Source) FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error) {
	var stats journeys.FetchStats
	if q.To.Before(q.From) {
		return stats, fmt.Errorf("fetch spans: from %s is after to %s", q.From.UTC().Format(time.RFC3339Nano), q.To.UTC().Format(time.RFC3339Nano))
	}
	query, err := CompilePattern(q.Pattern, q.Select)
	if err != nil {
		return stats, fmt.Errorf("fetch spans: %w", err)
	}
	compiled, err := q.Pattern.Compile()
	if err != nil {
		return stats, fmt.Errorf("fetch spans: %w", err)
	}
	f := &fetcher{
		s:        s,
		q:        q,
		query:    query,
		compiled: compiled,
		sel:      newSelector(q.Select),
		attrs:    make([]string, len(q.Select)),
		fn:       fn,
		stats:    &stats,
	}
	if err := f.run(ctx); err != nil {
		return stats, err
	}
	return stats, nil
}

type fetcher struct {
	s        *Source
	q        journeys.SpanQuery
	query    string
	compiled *journeys.CompiledPattern
	sel      []selector
	fn       func(journeys.Span) error

	// mu serialises what slices searched at once share: the caller's fn
	// (called one span at a time), the stats, and the traces fetched whole
	// (a trace crossing a slice edge is needed by both slices).
	mu    sync.Mutex
	attrs []string
	stats *journeys.FetchStats
	whole map[string]*tracepb.TracesData
	// found and searched add up the traces and seconds of the slices that
	// counted, for the density the next fetch plans by.
	found    int
	searched time.Duration
}

// callbackError marks an error returned by the caller's fn, which is
// passed back unwrapped.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// slice is one search range, [from, to).
type slice struct{ from, to time.Time }

// run searches [From, To) in slices of the width the last fetch's density
// suggests (InitialSlice without one), up to Parallel at once. A slice cut
// short is split in two, and its halves searched in its place.
func (f *fetcher) run(ctx context.Context) error {
	o := f.s.opts
	width := f.s.width(f.query)
	var queue []slice
	for from := f.q.From; from.Before(f.q.To); {
		to := from.Add(width).Truncate(time.Second)
		if !to.After(from) {
			to = from.Add(width)
		}
		if to.After(f.q.To) {
			to = f.q.To
		}
		queue = append(queue, slice{from, to})
		from = to
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	var qmu sync.Mutex
	cond := sync.NewCond(&qmu)
	busy := 0
	var firstErr error
	fail := func(err error) {
		qmu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel(err)
		}
		qmu.Unlock()
		cond.Broadcast()
	}
	for range min(o.Parallel, max(len(queue), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				qmu.Lock()
				for len(queue) == 0 && busy > 0 && firstErr == nil {
					cond.Wait()
				}
				if len(queue) == 0 || firstErr != nil {
					qmu.Unlock()
					cond.Broadcast()
					return
				}
				sl := queue[0]
				queue = queue[1:]
				busy++
				qmu.Unlock()

				halves, err := f.search(ctx, sl)
				qmu.Lock()
				busy--
				queue = append(halves, queue...)
				qmu.Unlock()
				cond.Broadcast()
				if err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		var cbErr *callbackError
		if errors.As(firstErr, &cbErr) {
			return cbErr.err
		}
		return firstErr
	}
	if f.searched > 0 {
		f.s.setDensity(f.query, float64(f.found)/f.searched.Seconds())
	}
	return nil
}

// search searches one slice and emits its spans, or returns its halves
// when Tempo cut it short.
func (f *fetcher) search(ctx context.Context, sl slice) ([]slice, error) {
	o := f.s.opts
	res, err := f.s.c.searchWire(ctx, SearchRequest{
		Query:           f.query,
		Start:           sl.from,
		End:             sl.to,
		Limit:           o.Limit,
		SpansPerSpanSet: o.SpansPerSpanSet,
	})
	f.mu.Lock()
	f.stats.Requests++
	if err == nil {
		f.addMetrics(res.Metrics)
	}
	f.mu.Unlock()
	capped, why := false, ""
	switch {
	case IsTooLarge(err):
		// A slice planned without a density (the first fetch of a
		// pattern, a preview) can hold more than Tempo can pass between
		// its own components: narrower slices can.
		capped, why = true, "the answer outgrew Tempo's message limit"
	case err != nil:
		return nil, fmt.Errorf("fetch spans: %w", err)
	default:
		capped, why = f.capped(res)
	}
	if capped {
		w := sl.to.Sub(sl.from)
		if w <= o.MinSlice {
			return nil, fmt.Errorf("fetch spans: the %s slice from %s is still cut short (%s); raise the search limit (now %d) or narrow the pattern",
				w, sl.from.UTC().Format(time.RFC3339), why, o.Limit)
		}
		mid := sl.from.Add(max(w/2, o.MinSlice)).Truncate(time.Second)
		if !mid.After(sl.from) || !mid.Before(sl.to) {
			mid = sl.from.Add(w / 2)
		}
		f.s.log.LogAttrs(ctx, slog.LevelDebug, "tempo search cut short, splitting slice",
			slog.Time("from", sl.from), slog.Duration("width", w), slog.String("reason", why))
		return []slice{{sl.from, mid}, {mid, sl.to}}, nil
	}
	if err := f.emit(ctx, res, sl.from, sl.to); err != nil {
		var cbErr *callbackError
		if errors.As(err, &cbErr) {
			return nil, err
		}
		return nil, fmt.Errorf("fetch spans: %w", err)
	}
	f.mu.Lock()
	f.found += len(res.Traces)
	f.searched += sl.to.Sub(sl.from)
	f.mu.Unlock()
	return nil, nil
}

// fill is the share of the limit a planned slice is expected to hold:
// close to it, for few searches, with room for traffic to grow before a
// search is cut short and repeated in halves.
const fill = 0.7

// width is the slice width for query: what fill × the limit of traces took
// in the last fetch of it, between MinSlice and InitialSlice.
func (s *Source) width(query string) time.Duration {
	s.mu.Lock()
	d, ok := s.density[query]
	s.mu.Unlock()
	if !ok {
		return s.opts.InitialSlice
	}
	if d <= 0 {
		return s.opts.InitialSlice
	}
	w := time.Duration(float64(s.opts.Limit) * fill / d * float64(time.Second))
	return min(max(w.Truncate(time.Second), s.opts.MinSlice), s.opts.InitialSlice)
}

func (s *Source) setDensity(query string, d float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.density[query] = d
}

func (f *fetcher) addMetrics(m wireQueryMetrics) {
	f.stats.InspectedBytes += int64(m.InspectedBytes)
	f.stats.TotalBlocks += int64(m.TotalBlocks)
	f.stats.TotalJobs += int64(m.TotalJobs)
	f.stats.CompletedJobs += int64(m.CompletedJobs)
}

// capped reports whether a search may have left traces out.
func (f *fetcher) capped(res wireSearchResponse) (bool, string) {
	if n := len(res.Traces); n >= f.s.opts.Limit {
		return true, fmt.Sprintf("%d traces returned, the limit", n)
	}
	if c, t := res.Metrics.CompletedJobs, res.Metrics.TotalJobs; c < t {
		return true, fmt.Sprintf("%d of %d jobs completed", c, t)
	}
	return false, ""
}

type spanKey struct{ trace, span string }

// emit calls fn for every span of res that starts in [from, to), one slice
// at a time.
func (f *fetcher) emit(ctx context.Context, res wireSearchResponse, from, to time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := make(map[spanKey]struct{}, len(res.Traces))
	fromNs, toNs := from.UnixNano(), to.UnixNano()
	var truncated []truncatedTrace
	for i := range res.Traces {
		t := &res.Traces[i]
		tid, ok := journeys.NormalizeTraceID(t.TraceID)
		if !ok {
			return fmt.Errorf("search returned an invalid trace id %q", truncate(t.TraceID, 64))
		}
		sets, err := t.sets()
		if err != nil {
			return err
		}
		matched := 0
		cut := false
		for _, ss := range sets {
			matched = max(matched, int(ss.Matched))
			if int(ss.Matched) > len(ss.Spans) {
				cut = true
			}
		}
		if cut {
			truncated = append(truncated, truncatedTrace{id: tid, matched: matched})
			continue
		}
		for _, ss := range sets {
			for j := range ss.Spans {
				sp := &ss.Spans[j]
				start := int64(sp.StartTimeUnixNano)
				if start < fromNs || start >= toNs {
					continue
				}
				sid := normalizeSpanID(sp.SpanID)
				k := spanKey{tid, sid}
				if _, dup := seen[k]; dup {
					continue
				}
				seen[k] = struct{}{}
				for a, sel := range f.sel {
					f.attrs[a] = sel.fromSearch(sp)
				}
				st := searchAttr(sp, "status")
				if err := f.call(journeys.Span{
					TraceID:  tid,
					SpanID:   sid,
					Start:    time.Unix(0, start),
					Duration: time.Duration(sp.DurationNanos),
					Error:    st == "error",
					Attrs:    f.attrs,
				}); err != nil {
					return err
				}
			}
		}
	}
	for _, tt := range truncated {
		if err := f.emitWhole(ctx, tt, from, to, seen); err != nil {
			return err
		}
	}
	return nil
}

func (f *fetcher) call(sp journeys.Span) error {
	if err := f.fn(sp); err != nil {
		return &callbackError{err}
	}
	f.stats.Spans++
	return nil
}

type truncatedTrace struct {
	id      string
	matched int
}

// emitWhole fetches a trace whose spanset Tempo cut at spss and matches its
// spans here.
func (f *fetcher) emitWhole(ctx context.Context, tt truncatedTrace, from, to time.Time, seen map[spanKey]struct{}) error {
	td := f.whole[tt.id]
	if td == nil {
		var err error
		td, err = f.s.c.TraceOTLP(ctx, tt.id, TraceOptions{Start: from, End: to, Protobuf: true})
		f.stats.Requests++
		if err != nil {
			return fmt.Errorf("fetch whole trace beyond spss: %w", err)
		}
	}
	if f.whole == nil {
		f.whole = map[string]*tracepb.TracesData{}
	}
	f.whole[tt.id] = td
	fromNs, toNs := uint64(from.UnixNano()), uint64(to.UnixNano())
	matched := 0
	for _, rs := range td.GetResourceSpans() {
		res := rs.GetResource().GetAttributes()
		service := ValueText(findKV(res, "service.name"))
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				kind := KindName(sp.GetKind())
				lookup := otlpLookup(sp, res)
				if !f.compiled.Matches(service, sp.GetName(), kind, lookup) {
					continue
				}
				matched++
				if sp.GetStartTimeUnixNano() < fromNs || sp.GetStartTimeUnixNano() >= toNs {
					continue
				}
				k := spanKey{tt.id, hex.EncodeToString(sp.GetSpanId())}
				if _, dup := seen[k]; dup {
					continue
				}
				seen[k] = struct{}{}
				for a, sel := range f.sel {
					f.attrs[a] = sel.fromOTLP(sp, res)
				}
				var dur time.Duration
				if e, s := sp.GetEndTimeUnixNano(), sp.GetStartTimeUnixNano(); e > s {
					dur = time.Duration(e - s)
				}
				if err := f.call(journeys.Span{
					TraceID:  tt.id,
					SpanID:   k.span,
					Start:    time.Unix(0, int64(sp.GetStartTimeUnixNano())),
					Duration: dur,
					Error:    sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR,
					Attrs:    f.attrs,
				}); err != nil {
					return err
				}
			}
		}
	}
	if matched != tt.matched {
		// Tempo and the local matcher disagree on what the pattern means;
		// worth knowing, since the two sources must give the same numbers.
		f.s.log.LogAttrs(ctx, slog.LevelWarn, "tempo and local pattern match disagree on a trace",
			slog.String("trace_id", tt.id), slog.Int("tempo_matched", tt.matched), slog.Int("local_matched", matched),
			slog.String("query", f.query))
	}
	return nil
}

func findKV(kvs []*commonpb.KeyValue, key string) *commonpb.AnyValue {
	for _, kv := range kvs {
		if kv.GetKey() == key {
			return kv.GetValue()
		}
	}
	return nil
}

func valueType(v *commonpb.AnyValue) journeys.ValueType {
	switch v.GetValue().(type) {
	case *commonpb.AnyValue_IntValue:
		return journeys.TypeInt
	case *commonpb.AnyValue_DoubleValue:
		return journeys.TypeFloat
	case *commonpb.AnyValue_BoolValue:
		return journeys.TypeBool
	}
	return journeys.TypeString
}

func statusText(sp *tracepb.Span) string {
	switch sp.GetStatus().GetCode() {
	case tracepb.Status_STATUS_CODE_ERROR:
		return "error"
	case tracepb.Status_STATUS_CODE_OK:
		return "ok"
	}
	return "unset"
}

// otlpLookup answers journeys.AttrLookup for a span of a whole trace.
func otlpLookup(sp *tracepb.Span, res []*commonpb.KeyValue) journeys.AttrLookup {
	return func(key string) (string, journeys.ValueType, bool) {
		switch key {
		case journeys.IntrinsicStatus:
			return statusText(sp), journeys.TypeString, true
		case journeys.IntrinsicStatusMessage:
			return sp.GetStatus().GetMessage(), journeys.TypeString, true
		case journeys.IntrinsicDuration:
			var d uint64
			if e, s := sp.GetEndTimeUnixNano(), sp.GetStartTimeUnixNano(); e > s {
				d = e - s
			}
			return strconv.FormatUint(d, 10), journeys.TypeInt, true
		}
		k, err := journeys.ParseKey(key)
		if err != nil {
			return "", 0, false
		}
		kvs := sp.GetAttributes()
		if k.Scope == journeys.ScopeResource {
			kvs = res
		}
		v := findKV(kvs, k.Name)
		if v == nil {
			return "", 0, false
		}
		return ValueText(v), valueType(v), true
	}
}

// selector resolves one SpanQuery.Select key on a span, from a search
// result or from a whole trace.
type selector struct {
	key journeys.Key
}

func newSelector(keys []string) []selector {
	out := make([]selector, len(keys))
	for i, s := range keys {
		k, _ := journeys.ParseKey(s) // validated by CompilePattern
		out[i] = selector{key: k}
	}
	return out
}

// fromSearch maps Tempo's unscoped result keys back: span.session.id is
// returned as session.id.
func (s selector) fromSearch(sp *wireSpan) string {
	switch {
	case s.key.Scope != "":
	case s.key.Name == journeys.IntrinsicDuration:
		return strconv.FormatInt(int64(sp.DurationNanos), 10)
	case s.key.Name == journeys.IntrinsicName:
		return sp.Name
	}
	v := searchAttr(sp, s.key.Name)
	return v
}

func (s selector) fromOTLP(sp *tracepb.Span, res []*commonpb.KeyValue) string {
	if s.key.Scope == "" {
		switch s.key.Name {
		case journeys.IntrinsicName:
			return sp.GetName()
		case journeys.IntrinsicKind:
			return KindName(sp.GetKind())
		}
	}
	v, _, _ := otlpLookup(sp, res)(s.key.String())
	return v
}

func searchAttr(sp *wireSpan, key string) string {
	for i := range sp.Attributes {
		if sp.Attributes[i].Key == key {
			return sp.Attributes[i].Value.Text
		}
	}
	return ""
}

// normalizeSpanID pads a hex span id to 16 characters, in case a server
// strips leading zeros as Tempo does for trace ids.
func normalizeSpanID(id string) string {
	if len(id) >= 16 {
		return id
	}
	return "0000000000000000"[:16-len(id)] + id
}

// Trace returns one whole trace, or an error wrapping
// journeys.ErrTraceNotFound.
func (s *Source) Trace(ctx context.Context, traceID string) (journeys.Trace, error) {
	return s.c.TraceByID(ctx, traceID, TraceOptions{Protobuf: true})
}

// TraceOTLP returns one whole trace as OTLP, for incident snapshots that
// must outlive Tempo's retention.
func (s *Source) TraceOTLP(ctx context.Context, traceID string) (*tracepb.TracesData, error) {
	return s.c.TraceOTLP(ctx, traceID, TraceOptions{Protobuf: true})
}

// AttributeNames lists the span and resource attribute names seen in
// [from, to), scoped (span.user.tier) and sorted.
func (s *Source) AttributeNames(ctx context.Context, from, to time.Time) ([]string, error) {
	res, err := s.c.SearchTags(ctx, TagsRequest{Start: from, End: to})
	if err != nil {
		return nil, fmt.Errorf("attribute names: %w", err)
	}
	set := map[string]struct{}{}
	for _, sc := range res.Scopes {
		if sc.Name == "intrinsic" || sc.Name == "" {
			continue
		}
		for _, t := range sc.Tags {
			set[sc.Name+"."+t] = struct{}{}
		}
	}
	return sortedKeys(set), nil
}

// AttributeValues lists the values of one scoped attribute seen in
// [from, to), sorted.
func (s *Source) AttributeValues(ctx context.Context, key string, from, to time.Time) ([]string, error) {
	if _, err := journeys.ParseKey(key); err != nil {
		return nil, fmt.Errorf("attribute values: %w", err)
	}
	res, err := s.c.SearchTagValues(ctx, TagValuesRequest{Tag: key, Start: from, End: to})
	if err != nil {
		return nil, fmt.Errorf("attribute values: %w", err)
	}
	set := map[string]struct{}{}
	for _, v := range res.Values {
		set[v.Value] = struct{}{}
	}
	return sortedKeys(set), nil
}

func sortedKeys(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// searchWire is Search without converting to the public types, for the
// hot path of FetchSpans.
func (c *Client) searchWire(ctx context.Context, r SearchRequest) (wireSearchResponse, error) {
	q, err := searchParams(r)
	if err != nil {
		return wireSearchResponse{}, fmt.Errorf("search: %w", err)
	}
	resp, err := c.get(ctx, c.endpoint("/api/search", q), "application/json")
	if err != nil {
		return wireSearchResponse{}, fmt.Errorf("search: %w", err)
	}
	var w wireSearchResponse
	if err := json.Unmarshal(resp.body, &w); err != nil {
		return wireSearchResponse{}, fmt.Errorf("search: decode response: %w", err)
	}
	return w, nil
}
