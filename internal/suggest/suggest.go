// Package suggest tells the journey editor what exists in the traces, so
// that nobody has to know service names, span names, kinds or attribute
// keys by heart: services; span names of a service; span kinds; attribute
// keys (scoped span. or resource.) of a service's spans; values of a key;
// keys that tie traces together (correlation) and numeric keys (value).
//
// Every list is []Suggestion, the most frequent first (ties by value),
// over a recent range (the last hour by default, ending at the last whole
// minute), at most Options.Limit long. Counts are real frequencies: how
// many spans carry the value or key.
//
// How each source counts:
//
//   - The embedded store counts in SQL over the spans of the range: a
//     GROUP BY on the column or attribute, and for keys one pass over
//     every span's attributes (jsonb_each).
//   - Tempo answers each list of values with one TraceQL metrics instant
//     query, { filter && key != nil } | count_over_time() by (key), which
//     it computes exactly over the range, where searches would return a
//     capped sample of traces. Keys are the names Tempo's tag search
//     (/api/v2/search/tags with the filter) lists, each counted by a
//     count_over_time() of its own, eight at a time; numeric keys take one
//     more count per key, of the spans where key >= 0 || key < 0.
//   - Correlation keys need to know which traces share a value, which no
//     count can say: both sources read the entry span of each trace (see
//     internal/entryspans) with FetchSpans, which they answer alike, over
//     the last quarter of an hour of the range (Options.CorrelationRange)
//     and at most Options.MaxEntrySpans spans.
//
// Answers are cached per question for Options.TTL (30 s), at most
// Options.CacheSize of them, and concurrent identical questions share one
// call, so that typing does not hammer Tempo. A source that fails gives a
// *SourceError with a one-line reason, cached for Options.ErrorTTL.
package suggest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/entryspans"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/internal/tempo"
	"github.com/waymarkhq/waymark/journeys"
)

// Source is what suggestions are read from; *tempo.Source and
// *spanstore.Store implement it.
type Source interface {
	entryspans.Source
	CountKeys(ctx context.Context, q journeys.KeyQuery) ([]journeys.KeyCount, error)
}

// Suggestion is one value or key and how often it occurs.
type Suggestion struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Query scopes a suggestion: to one service and span name where it makes
// sense, over the last Range.
type Query struct {
	Service string
	Span    string
	// Range is how far back from now to look; 0 means Options.Range.
	Range time.Duration
}

// Defaults of Options.
const (
	DefaultRange     = time.Hour
	MaxRange         = 7 * journeys.Day
	DefaultLimit     = 100
	DefaultTTL       = 30 * time.Second
	DefaultErrorTTL  = 5 * time.Second
	DefaultCacheSize = 1000
	DefaultTimeout   = 10 * time.Second
	// DefaultMaxEntrySpans bounds the spans CorrelationKeys reads.
	DefaultMaxEntrySpans = 200_000
	// DefaultCorrelationRange is how much of the range CorrelationKeys
	// reads, the end of it: reading every entry span is the one costly
	// question, and a quarter of an hour of sessions tells a session id
	// from a tier as well as an hour does.
	DefaultCorrelationRange = 15 * time.Minute
)

// Options tune a Suggester.
type Options struct {
	// Name names the source in errors; by default "Tempo" or "the
	// embedded span store" after the source's type.
	Name          string
	Range         time.Duration
	Limit         int
	TTL           time.Duration
	ErrorTTL      time.Duration
	CacheSize     int
	Timeout       time.Duration
	MaxEntrySpans int
	// CorrelationRange is how much of the end of the range
	// CorrelationKeys reads (default DefaultCorrelationRange).
	CorrelationRange time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Suggester answers the editor's questions about one source. It is safe
// for concurrent use.
type Suggester struct {
	src   Source
	o     Options
	cache *cache
}

// New returns a Suggester reading src.
func New(src Source, o Options) *Suggester {
	if o.Name == "" {
		switch src.(type) {
		case *tempo.Source:
			o.Name = "Tempo"
		case *spanstore.Store:
			o.Name = "the embedded span store"
		default:
			o.Name = "the trace source"
		}
	}
	if o.Range <= 0 {
		o.Range = DefaultRange
	}
	o.Range = min(o.Range, MaxRange)
	if o.Limit <= 0 {
		o.Limit = DefaultLimit
	}
	o.Limit = min(o.Limit, journeys.MaxCountLimit)
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.ErrorTTL == 0 {
		o.ErrorTTL = DefaultErrorTTL
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxEntrySpans <= 0 {
		o.MaxEntrySpans = DefaultMaxEntrySpans
	}
	if o.CorrelationRange <= 0 {
		o.CorrelationRange = DefaultCorrelationRange
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Suggester{src: src, o: o, cache: newCache(o.CacheSize, o.TTL, o.ErrorTTL, o.Now)}
}

// window is [from, to) of q: Range back from the last whole minute, so
// that questions asked within a minute share their answer.
func (s *Suggester) window(q Query) (time.Time, time.Time, error) {
	r := q.Range
	switch {
	case r == 0:
		r = s.o.Range
	case r < 0:
		return time.Time{}, time.Time{}, badQuery("range %s must be positive", r)
	case r > MaxRange:
		return time.Time{}, time.Time{}, badQuery("range %s is longer than %s", r, journeys.NewDuration(MaxRange))
	}
	to := s.o.Now().UTC().Truncate(time.Minute)
	return to.Add(-r), to, nil
}

// ask answers one question through the cache. The source is asked with a
// context of its own, so that a caller giving up (the next keystroke)
// does not fail the others waiting on the same answer.
func (s *Suggester) ask(ctx context.Context, key string, fn func(ctx context.Context) ([]Suggestion, error)) ([]Suggestion, error) {
	items, _, err := s.cache.get(key, func() ([]Suggestion, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.o.Timeout)
		defer cancel()
		items, err := fn(cctx)
		return items, sourceError(s.o.Name, err)
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return slices.Clone(items), nil
}

func cacheKey(parts ...any) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(0)
		}
		switch v := p.(type) {
		case time.Time:
			b.WriteString(strconv.FormatInt(v.UnixNano(), 10))
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

func checkFilter(f journeys.SpanFilter) error {
	if err := f.Check(); err != nil {
		return badQuery("%s", err)
	}
	return nil
}

// values counts q.By over the filter.
func (s *Suggester) values(ctx context.Context, kind string, f journeys.SpanFilter, by string, q Query) ([]Suggestion, error) {
	if err := checkFilter(f); err != nil {
		return nil, err
	}
	from, to, err := s.window(q)
	if err != nil {
		return nil, err
	}
	cq := journeys.CountQuery{Where: f, By: by, From: from, To: to, Limit: s.o.Limit}
	if err := cq.Check(); err != nil {
		return nil, badQuery("%s", err)
	}
	return s.ask(ctx, cacheKey(kind, f.Service, f.Span, f.Kind, by, from, to), func(ctx context.Context) ([]Suggestion, error) {
		vals, err := s.src.CountValues(ctx, cq)
		if err != nil {
			return nil, err
		}
		out := make([]Suggestion, len(vals))
		for i, v := range vals {
			out[i] = Suggestion{Value: v.Value, Count: v.Count}
		}
		return out, nil
	})
}

// Services lists the services that sent spans, by spans sent.
func (s *Suggester) Services(ctx context.Context, q Query) ([]Suggestion, error) {
	return s.values(ctx, "services", journeys.SpanFilter{}, "resource.service.name", q)
}

// SpanNames lists the span names of q.Service.
func (s *Suggester) SpanNames(ctx context.Context, q Query) ([]Suggestion, error) {
	if q.Service == "" {
		return nil, badQuery("span names need a service")
	}
	return s.values(ctx, "names", journeys.SpanFilter{Service: q.Service}, journeys.IntrinsicName, q)
}

// Kinds lists the span kinds of the spans of q.Service (and q.Span), or of
// every span.
func (s *Suggester) Kinds(ctx context.Context, q Query) ([]Suggestion, error) {
	return s.values(ctx, "kinds", journeys.SpanFilter{Service: q.Service, Span: q.Span}, journeys.IntrinsicKind, q)
}

// Values lists the values of key (span.x, resource.x, or the intrinsics
// name, kind and status) on the spans of q.Service and q.Span, or of every
// span.
func (s *Suggester) Values(ctx context.Context, key string, q Query) ([]Suggestion, error) {
	return s.values(ctx, "values", journeys.SpanFilter{Service: q.Service, Span: q.Span}, key, q)
}

// Keys lists the attribute keys, scoped (span.x, resource.x), that the
// spans of q.Service (and q.Span) carry, by the spans that carry each.
// resource.service.name is left out: the pattern names the service.
func (s *Suggester) Keys(ctx context.Context, q Query) ([]Suggestion, error) {
	f := journeys.SpanFilter{Service: q.Service, Span: q.Span}
	if err := checkFilter(f); err != nil {
		return nil, err
	}
	from, to, err := s.window(q)
	if err != nil {
		return nil, err
	}
	return s.ask(ctx, cacheKey("keys", f.Service, f.Span, from, to), func(ctx context.Context) ([]Suggestion, error) {
		keys, err := s.src.CountKeys(ctx, journeys.KeyQuery{Where: f, From: from, To: to, Limit: s.o.Limit + 1})
		if err != nil {
			return nil, err
		}
		out := make([]Suggestion, 0, len(keys))
		for _, k := range keys {
			if k.Key != "resource.service.name" && len(out) < s.o.Limit {
				out = append(out, Suggestion{Value: k.Key, Count: k.Count})
			}
		}
		return out, nil
	})
}

// notValues are name endings of numeric attributes that are codes,
// positions or identifiers rather than amounts: summing them means
// nothing.
var notValues = []string{"status_code", ".code", ".port", "_index", ".index", ".id", "_id", ".pid"}

// ValueKeys lists the span attributes of q.Service (and q.Span) that hold
// a number on every span that carries them, for a journey's value (the
// amount summed per step, such as span.order.total), by the spans that
// carry each. Codes, ports, indexes and ids are left out; so are
// resource attributes, which describe the process rather than the
// business.
func (s *Suggester) ValueKeys(ctx context.Context, q Query) ([]Suggestion, error) {
	f := journeys.SpanFilter{Service: q.Service, Span: q.Span}
	if err := checkFilter(f); err != nil {
		return nil, err
	}
	from, to, err := s.window(q)
	if err != nil {
		return nil, err
	}
	return s.ask(ctx, cacheKey("valuekeys", f.Service, f.Span, from, to), func(ctx context.Context) ([]Suggestion, error) {
		keys, err := s.src.CountKeys(ctx, journeys.KeyQuery{Where: f, From: from, To: to, Numeric: true, Limit: journeys.MaxCountLimit})
		if err != nil {
			return nil, err
		}
		var out []Suggestion
		for _, k := range keys {
			if !strings.HasPrefix(k.Key, "span.") || k.Numeric == 0 || k.Numeric != k.Count || hasSuffix(k.Key, notValues) {
				continue
			}
			out = append(out, Suggestion{Value: k.Key, Count: k.Count})
		}
		if len(out) > s.o.Limit {
			out = out[:s.o.Limit]
		}
		return out, nil
	})
}

func hasSuffix(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}
