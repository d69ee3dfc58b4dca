// Package entryspans reads the span each trace enters by: its earliest
// server or consumer span, the request or message that started the work.
// Suggestions look at them for keys that tie traces together (a session
// id), and discovery mines their sequences for journeys.
//
// They are read with rollup.TraceSource.FetchSpans, so that Tempo and the
// embedded store, which answer FetchSpans exactly alike, give the same
// entries on the same traffic: one query per service, kind (server,
// consumer) and span name, the services and names coming from counts of
// the range's spans, or one query matching every name for a service with
// more than 20.
package entryspans

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Source is what entries are read from: both trace sources implement it.
type Source interface {
	FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error)
	CountValues(ctx context.Context, q journeys.CountQuery) ([]journeys.ValueCount, error)
}

// EntryKinds are the span kinds that start work in a trace.
var EntryKinds = []string{"server", "consumer"}

// Defaults and bounds of a fetch.
const (
	// DefaultMaxSpans bounds the entry-kind spans one fetch reads.
	DefaultMaxSpans = 500_000
	// MaxServices bounds the services read, the busiest first.
	MaxServices = 100
	// MaxSelect bounds the attributes selected per span.
	MaxSelect = 20
	// maxNamed is how many entry span names of one service and kind are
	// read one by one; more are read with one regular expression.
	maxNamed = 20
)

// Query asks for the entries of the traces whose entry-kind spans start
// in [From, To).
type Query struct {
	From, To time.Time
	// Select lists scoped attributes each Entry carries in Attrs, in
	// order (at most MaxSelect).
	Select []string
	// MaxSpans bounds the server and consumer spans read (default
	// DefaultMaxSpans); reaching it makes the result partial.
	MaxSpans int
	// All returns every server and consumer span instead of each trace's
	// earliest, for what happens inside traces.
	All bool
}

// Entry is the entry span of one trace.
type Entry struct {
	TraceID string
	SpanID  string
	Service string
	Name    string
	Kind    string
	Start   time.Time
	Error   bool
	// Attrs holds the values of Query.Select in order; "" is absent.
	Attrs []string
}

// Result is what a fetch found.
type Result struct {
	// Entries holds one entry per trace (every server and consumer span
	// with Query.All), ordered by start, then trace and span id.
	Entries []Entry
	// Spans counts the server and consumer spans read.
	Spans int64
	// Services lists the services read, busiest first.
	Services []string
	// Partial is set when the fetch stopped early (Reason says why): the
	// span cap was reached or the context's deadline passed. Entries then
	// hold what was read, which may differ between sources.
	Partial bool
	Reason  string
}

var errCap = errors.New("span cap reached")

// Fetch reads the entries of q from src. Cancellation is an error; a
// deadline that passes after some spans were read gives a partial result.
func Fetch(ctx context.Context, src Source, q Query) (Result, error) {
	if len(q.Select) > MaxSelect {
		return Result{}, fmt.Errorf("fetch entry spans: at most %d attributes may be selected, got %d", MaxSelect, len(q.Select))
	}
	for _, k := range q.Select {
		if _, err := journeys.ParseKey(k); err != nil {
			return Result{}, fmt.Errorf("fetch entry spans: %w", err)
		}
	}
	maxSpans := q.MaxSpans
	if maxSpans <= 0 {
		maxSpans = DefaultMaxSpans
	}
	var res Result
	// Only the services that have spans of a kind are read for it.
	type pair struct{ service, kind string }
	var pairs []pair
	for _, kind := range EntryKinds {
		vals, err := src.CountValues(ctx, journeys.CountQuery{
			Where: journeys.SpanFilter{Kind: kind}, By: "resource.service.name", From: q.From, To: q.To, Limit: MaxServices,
		})
		if err != nil {
			return Result{}, fmt.Errorf("fetch entry spans: list services: %w", err)
		}
		for _, v := range vals {
			pairs = append(pairs, pair{v.Value, kind})
			if !slices.Contains(res.Services, v.Value) {
				res.Services = append(res.Services, v.Value)
			}
		}
	}

	best := map[string]*Entry{}
	var all []Entry
	var patterns []journeys.Pattern
	for _, pr := range pairs {
		// A service's few entry names are read one by one, by the index
		// on service and name, rather than every span of the service
		// through a regular expression; a service with many names is read
		// whole.
		names, err := src.CountValues(ctx, journeys.CountQuery{
			Where: journeys.SpanFilter{Service: pr.service, Kind: pr.kind}, By: journeys.IntrinsicName, From: q.From, To: q.To, Limit: maxNamed + 1,
		})
		if err != nil {
			return Result{}, fmt.Errorf("fetch entry spans: list span names of %s: %w", pr.service, err)
		}
		if len(names) > maxNamed {
			patterns = append(patterns, journeys.Pattern{Service: pr.service, SpanRegex: ".*", Kind: pr.kind})
			continue
		}
		for _, n := range names {
			patterns = append(patterns, journeys.Pattern{Service: pr.service, Span: n.Value, Kind: pr.kind})
		}
	}
	for _, pat := range patterns {
		service, kind := pat.Service, pat.Kind
		sq := journeys.SpanQuery{
			Pattern: pat,
			From:    q.From, To: q.To,
			Select: append([]string{journeys.IntrinsicName}, q.Select...),
		}
		_, err := src.FetchSpans(ctx, sq, func(s journeys.Span) error {
			if res.Spans >= int64(maxSpans) {
				return errCap
			}
			res.Spans++
			start := s.Start.UTC()
			if !q.All {
				if e := best[s.TraceID]; e != nil && !earlier(start, s.SpanID, e.Start, e.SpanID) {
					return nil
				}
			}
			e := Entry{
				TraceID: s.TraceID, SpanID: s.SpanID, Service: service, Name: s.Attrs[0], Kind: kind,
				Start: start, Error: s.Error, Attrs: slices.Clone(s.Attrs[1:]),
			}
			if q.All {
				all = append(all, e)
			} else {
				best[s.TraceID] = &e
			}
			return nil
		})
		switch {
		case err == nil:
		case errors.Is(err, errCap):
			res.Partial, res.Reason = true, fmt.Sprintf("stopped after %d server and consumer spans", maxSpans)
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
			res.Partial, res.Reason = true, "ran out of time"
		default:
			return Result{}, fmt.Errorf("fetch entry spans of %s: %w", service, err)
		}
		if res.Partial {
			break
		}
	}
	res.Entries = all
	if !q.All {
		res.Entries = make([]Entry, 0, len(best))
		for _, e := range best {
			res.Entries = append(res.Entries, *e)
		}
	}
	slices.SortFunc(res.Entries, func(a, b Entry) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.TraceID, b.TraceID), strings.Compare(a.SpanID, b.SpanID))
	})
	return res, nil
}

// earlier orders spans by start, then span id, so that the entry of a
// trace does not depend on the order spans arrive in.
func earlier(at time.Time, id string, than time.Time, thanID string) bool {
	if c := at.Compare(than); c != 0 {
		return c < 0
	}
	return id < thanID
}
