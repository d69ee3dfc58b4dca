package tempo

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/waymarkhq/waymark/journeys"
)

// Counting costs Tempo one TraceQL metrics query per question: an instant
// count_over_time() over the range, which Tempo answers exactly from the
// spans it holds, instead of searches that return capped samples of
// traces. Values are one query grouped by the field; keys are the tag
// names Tempo lists for the filter, then one count per key (two with
// numeric counts), run countParallel at a time.
const (
	// countParallel is how many count queries of one CountKeys run at once;
	// the client's MaxConcurrent caps everything besides.
	countParallel = 8
	// maxCountedKeys bounds the keys one CountKeys counts: each costs a
	// query. Tempo lists names in alphabetical order; names past the bound
	// are left out.
	maxCountedKeys = 200
)

// CountFilter compiles a span filter and extra conditions into a TraceQL
// spanset filter: { resource.service.name = "x" && name = "y" && kind =
// server && … }, or { } for every span.
func CountFilter(f journeys.SpanFilter, extra ...string) (string, error) {
	if err := f.Check(); err != nil {
		return "", err
	}
	var parts []string
	var b strings.Builder
	if f.Service != "" {
		b.WriteString("resource.service.name = ")
		if err := writeString(&b, "service", f.Service); err != nil {
			return "", err
		}
		parts = append(parts, b.String())
		b.Reset()
	}
	if f.Span != "" {
		b.WriteString("name = ")
		if err := writeString(&b, "span", f.Span); err != nil {
			return "", err
		}
		parts = append(parts, b.String())
		b.Reset()
	}
	if f.Kind != "" {
		parts = append(parts, "kind = "+f.Kind)
	}
	parts = append(parts, extra...)
	if len(parts) == 0 {
		return "{ }", nil
	}
	return "{ " + strings.Join(parts, " && ") + " }", nil
}

// CountValues counts, per value of q.By, the spans starting in
// [q.From, q.To) that match q.Where and carry it: one instant metrics
// query, { filter && by != nil } | count_over_time() by (by). Tempo writes
// a missing attribute as the string "nil", hence the != nil.
func (s *Source) CountValues(ctx context.Context, q journeys.CountQuery) ([]journeys.ValueCount, error) {
	if err := q.Check(); err != nil {
		return nil, fmt.Errorf("count values: %w", err)
	}
	var extra []string
	switch q.By {
	case journeys.IntrinsicName, journeys.IntrinsicKind, journeys.IntrinsicStatus:
	default:
		extra = append(extra, q.By+" != nil")
	}
	filter, err := CountFilter(q.Where, extra...)
	if err != nil {
		return nil, fmt.Errorf("count values: %w", err)
	}
	res, err := s.c.MetricsQuery(ctx, MetricsRequest{
		Query: filter + " | count_over_time() by (" + q.By + ")",
		Start: q.From,
		End:   q.To,
	})
	if err != nil {
		return nil, fmt.Errorf("count values of %s: %w", q.By, err)
	}
	var out []journeys.ValueCount
	for _, se := range res.Series {
		var label *Attribute
		for i := range se.Labels {
			if se.Labels[i].Key == q.By {
				label = &se.Labels[i]
			}
		}
		if label == nil {
			continue
		}
		vc := journeys.ValueCount{Value: label.Value, Count: seriesCount(se)}
		switch label.Type {
		case TypeString, TypeEmpty:
			vc.Type = journeys.TypeString
		case TypeInt:
			vc.Type = journeys.TypeInt
		case TypeDouble:
			vc.Type = journeys.TypeFloat
		case TypeBool:
			vc.Type = journeys.TypeBool
		default:
			// Arrays, maps and bytes compare with no literal.
			continue
		}
		out = append(out, vc)
	}
	return journeys.MergeValueCounts(out, q.EffectiveLimit()), nil
}

// seriesCount is an instant count: its value, or the sum of its samples
// when a server answers with a range.
func seriesCount(se Series) int64 {
	v := se.Value
	if len(se.Samples) > 0 {
		v = 0
		for _, sm := range se.Samples {
			v += sm.Value
		}
	}
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return int64(math.Round(v))
}

// CountKeys counts, per scoped attribute key, the spans starting in
// [q.From, q.To) that match q.Where and carry it. The names are those
// Tempo's tag search lists for the filter; each is then counted with
// { filter && key != nil } | count_over_time(), and with q.Numeric its
// numbers with { filter && key != nil && (key >= 0 || key < 0) }, which
// strings, booleans and NaN all fail.
func (s *Source) CountKeys(ctx context.Context, q journeys.KeyQuery) ([]journeys.KeyCount, error) {
	if err := q.Check(); err != nil {
		return nil, fmt.Errorf("count keys: %w", err)
	}
	filter, err := CountFilter(q.Where)
	if err != nil {
		return nil, fmt.Errorf("count keys: %w", err)
	}
	tq := filter
	if tq == "{ }" {
		tq = ""
	}
	tags, err := s.c.SearchTags(ctx, TagsRequest{Query: tq, Start: q.From, End: q.To})
	if err != nil {
		return nil, fmt.Errorf("count keys: %w", err)
	}
	var keys []string
	seen := map[string]bool{}
	for _, sc := range tags.Scopes {
		if sc.Name != journeys.ScopeSpan && sc.Name != journeys.ScopeResource {
			continue
		}
		for _, t := range sc.Tags {
			k := sc.Name + "." + t
			if _, err := journeys.ParseKey(k); err != nil || seen[k] {
				continue
			}
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if len(keys) > maxCountedKeys {
		keys = keys[:maxCountedKeys]
	}
	out := make([]journeys.KeyCount, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(countParallel)
	var mu sync.Mutex
	count := func(i int, cond string, numeric bool) {
		g.Go(func() error {
			f, err := CountFilter(q.Where, cond)
			if err != nil {
				return err
			}
			res, err := s.c.MetricsQuery(gctx, MetricsRequest{Query: f + " | count_over_time()", Start: q.From, End: q.To})
			if err != nil {
				return fmt.Errorf("count spans with %s: %w", keys[i], err)
			}
			var n int64
			for _, se := range res.Series {
				n += seriesCount(se)
			}
			mu.Lock()
			defer mu.Unlock()
			if numeric {
				out[i].Numeric = n
			} else {
				out[i].Count = n
			}
			return nil
		})
	}
	for i, k := range keys {
		out[i].Key = k
		count(i, k+" != nil", false)
		if q.Numeric {
			count(i, k+" != nil && ("+k+" >= 0 || "+k+" < 0)", true)
		}
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("count keys: %w", err)
	}
	return journeys.SortKeyCounts(out, q.EffectiveLimit()), nil
}
