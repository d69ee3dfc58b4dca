package suggest

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/waymarkhq/waymark/internal/entryspans"
	"github.com/waymarkhq/waymark/journeys"
)

// maxGroupShare is the largest share of traces one value of a
// correlation key may hold: a key whose commonest value ties a tenth of
// all traces together (a tier, a region, a route) segments traffic rather
// than following one user's way through it.
const maxGroupShare = 0.1

// CorrelationKeys lists the span attributes that tie traces together the
// way a session id does, for a journey's correlation: keys on the entry
// span of traces (their earliest server or consumer span) whose values
// each recur on a few traces. A key qualifies when at least two of its
// values are each on the entries of two traces or more, and no value is
// on more than a tenth of the traces carrying the key. Count is the number
// of its values on two traces or more: the journeys it can follow. Only
// the last Options.CorrelationRange of the query's range is read; Query
// scopes nothing else.
func (s *Suggester) CorrelationKeys(ctx context.Context, q Query) ([]Suggestion, error) {
	from, to, err := s.window(q)
	if err != nil {
		return nil, err
	}
	if to.Sub(from) > s.o.CorrelationRange {
		from = to.Add(-s.o.CorrelationRange)
	}
	return s.ask(ctx, cacheKey("correlation", from, to), func(ctx context.Context) ([]Suggestion, error) {
		// The candidates are the span attributes of entry-kind spans, of
		// the kinds there are.
		kinds, err := s.src.CountValues(ctx, journeys.CountQuery{By: journeys.IntrinsicKind, From: from, To: to})
		if err != nil {
			return nil, err
		}
		var cands []journeys.KeyCount
		for _, kind := range entryspans.EntryKinds {
			if !slices.ContainsFunc(kinds, func(v journeys.ValueCount) bool { return v.Value == kind }) {
				continue
			}
			keys, err := s.src.CountKeys(ctx, journeys.KeyQuery{Where: journeys.SpanFilter{Kind: kind}, From: from, To: to, Limit: journeys.MaxCountLimit})
			if err != nil {
				return nil, err
			}
			for _, k := range keys {
				if !strings.HasPrefix(k.Key, "span.") || k.Count < 2 {
					continue
				}
				if i := slices.IndexFunc(cands, func(c journeys.KeyCount) bool { return c.Key == k.Key }); i >= 0 {
					cands[i].Count += k.Count
				} else {
					cands = append(cands, k)
				}
			}
		}
		cands = journeys.SortKeyCounts(cands, entryspans.MaxSelect)
		if len(cands) == 0 {
			return nil, nil
		}
		sel := make([]string, len(cands))
		for i, c := range cands {
			sel[i] = c.Key
		}
		res, err := entryspans.Fetch(ctx, s.src, entryspans.Query{From: from, To: to, Select: sel, MaxSpans: s.o.MaxEntrySpans})
		if err != nil {
			return nil, err
		}
		out := []Suggestion{}
		for i, key := range sel {
			traces := map[string]int64{}
			var with int64
			for _, e := range res.Entries {
				if v := e.Attrs[i]; v != "" {
					traces[v]++
					with++
				}
			}
			var linked, largest int64
			for _, n := range traces {
				if n >= 2 {
					linked++
				}
				largest = max(largest, n)
			}
			if linked >= 2 && float64(largest) <= maxGroupShare*float64(with) {
				out = append(out, Suggestion{Value: key, Count: linked})
			}
		}
		slices.SortFunc(out, func(a, b Suggestion) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
		})
		if len(out) > s.o.Limit {
			out = out[:s.o.Limit]
		}
		return out, nil
	})
}
