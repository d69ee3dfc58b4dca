// Package rolluptest provides an in-memory trace source for tests of code
// that computes or reads rollups: a slice of spans answering the
// rollup.TraceSource interface with the same semantics as the real sources.
package rolluptest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Span is one span of the in-memory source.
type Span struct {
	Service string
	Name    string
	Kind    string // empty means server
	journeys.Span
	// Attrs holds scoped attributes (span.x, resource.x) in text form.
	Attrs map[string]string
}

// Source is an in-memory rollup.TraceSource. It is safe for concurrent use.
type Source struct {
	mu    sync.Mutex
	spans []Span
	// Err, when set, is returned by every FetchSpans call, as a failing
	// backend would.
	err     error
	queries []journeys.SpanQuery
}

// Add appends spans to the source.
func (s *Source) Add(spans ...Span) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spans = append(s.spans, spans...)
}

// SetError makes every later FetchSpans fail with err (nil to recover).
func (s *Source) SetError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// Queries returns the queries answered so far, in order.
func (s *Source) Queries() []journeys.SpanQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}

func (s *Source) snapshot() ([]Span, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.spans), s.err
}

// FetchSpans calls fn for every span matching q, in the order they were
// added, with q.Select filled from each span's attributes.
func (s *Source) FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error) {
	spans, err := s.snapshot()
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()
	stats := journeys.FetchStats{Requests: 1}
	if err != nil {
		return stats, err
	}
	p, err := q.Pattern.Compile()
	if err != nil {
		return stats, fmt.Errorf("compile pattern: %w", err)
	}
	attrs := make([]string, len(q.Select))
	for _, sp := range spans {
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		if sp.Start.Before(q.From) || !sp.Start.Before(q.To) {
			continue
		}
		kind := sp.Kind
		if kind == "" {
			kind = "server"
		}
		lookup := func(key string) (string, journeys.ValueType, bool) {
			v, ok := sp.Attrs[key]
			return v, journeys.TypeString, ok
		}
		if !p.Matches(sp.Service, sp.Name, kind, lookup) {
			continue
		}
		for i, k := range q.Select {
			attrs[i] = sp.Attrs[k]
		}
		out := sp.Span
		out.Attrs = attrs
		stats.Spans++
		if err := fn(out); err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// Trace returns the spans of one trace.
func (s *Source) Trace(ctx context.Context, traceID string) (journeys.Trace, error) {
	spans, _ := s.snapshot()
	t := journeys.Trace{TraceID: traceID}
	for _, sp := range spans {
		if sp.TraceID != traceID {
			continue
		}
		ts := journeys.TraceSpan{
			SpanID:   sp.SpanID,
			Service:  sp.Service,
			Name:     sp.Name,
			Kind:     sp.Kind,
			Start:    sp.Start,
			Duration: sp.Duration,
			Error:    sp.Error,
		}
		for k, v := range sp.Attrs {
			ts.Attributes = append(ts.Attributes, journeys.KeyValue{Key: k, Value: v})
		}
		slices.SortFunc(ts.Attributes, func(a, b journeys.KeyValue) int {
			if a.Key < b.Key {
				return -1
			}
			if a.Key > b.Key {
				return 1
			}
			return 0
		})
		t.Spans = append(t.Spans, ts)
	}
	if len(t.Spans) == 0 {
		return t, fmt.Errorf("trace %s: %w", traceID, journeys.ErrTraceNotFound)
	}
	return t, nil
}

// AttributeNames lists the attribute keys of spans starting in [from, to).
func (s *Source) AttributeNames(ctx context.Context, from, to time.Time) ([]string, error) {
	spans, _ := s.snapshot()
	var out []string
	for _, sp := range spans {
		if sp.Start.Before(from) || !sp.Start.Before(to) {
			continue
		}
		for k := range sp.Attrs {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// AttributeValues lists the values of key on spans starting in [from, to).
func (s *Source) AttributeValues(ctx context.Context, key string, from, to time.Time) ([]string, error) {
	spans, _ := s.snapshot()
	var out []string
	for _, sp := range spans {
		if sp.Start.Before(from) || !sp.Start.Before(to) {
			continue
		}
		if v, ok := sp.Attrs[key]; ok {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
