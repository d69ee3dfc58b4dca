package journeys

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SpanFilter narrows the spans a count reads. Empty fields match every
// span.
type SpanFilter struct {
	// Service is resource.service.name, matched exactly.
	Service string
	// Span is the span name, matched exactly.
	Span string
	// Kind is a span kind: server, client, producer, consumer, internal.
	Kind string
}

// Check reports a filter no source can answer: an unknown kind.
func (f SpanFilter) Check() error {
	if f.Kind != "" && !slices.Contains(spanKinds, f.Kind) {
		return fmt.Errorf("unknown span kind %q; use %s", f.Kind, joinOr(spanKinds))
	}
	return nil
}

// CountQuery asks a trace source how many of the spans that start in
// [From, To) and match Where carry each value of By, so that the editor
// can suggest what exists, most frequent first.
type CountQuery struct {
	Where SpanFilter
	// By is what is counted: resource.service.name, a scoped attribute
	// (span.x, resource.x), or the intrinsics name, kind and status. Spans
	// without the attribute are not counted.
	By   string
	From time.Time
	To   time.Time
	// Limit is how many values come back, the most frequent first; 0 or
	// less means DefaultCountLimit.
	Limit int
}

// DefaultCountLimit is how many values or keys a count returns when its
// query sets no limit.
const DefaultCountLimit = 100

// MaxCountLimit bounds CountQuery.Limit and KeyQuery.Limit.
const MaxCountLimit = 1000

// EffectiveLimit is Limit within (0, MaxCountLimit], DefaultCountLimit
// when unset.
func (q CountQuery) EffectiveLimit() int { return effectiveLimit(q.Limit) }

func effectiveLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultCountLimit
	case n > MaxCountLimit:
		return MaxCountLimit
	}
	return n
}

// Check reports a query no source can answer.
func (q CountQuery) Check() error {
	if err := q.Where.Check(); err != nil {
		return err
	}
	if q.To.Before(q.From) {
		return fmt.Errorf("time range ends (%s) before it starts (%s)", q.To.UTC().Format(time.RFC3339), q.From.UTC().Format(time.RFC3339))
	}
	switch q.By {
	case IntrinsicName, IntrinsicKind, IntrinsicStatus:
		return nil
	}
	k, err := ParseKey(q.By)
	if err != nil {
		return err
	}
	if k.IsIntrinsic() {
		return fmt.Errorf("cannot count values of %s: use name, kind, status or an attribute", q.By)
	}
	return nil
}

// ValueCount is one value of a counted field and how many spans carry it.
// Type is the value's type on those spans; a value spelled the same with
// two types (the int 500 and the string "500") is counted once, with the
// type of the larger share.
type ValueCount struct {
	Value string
	Type  ValueType
	Count int64
}

// KeyQuery asks a trace source which attributes the spans that start in
// [From, To) and match Where carry, and how many spans carry each.
type KeyQuery struct {
	Where SpanFilter
	From  time.Time
	To    time.Time
	// Numeric also counts, per key, the spans whose value is a number,
	// which costs some sources a query per key.
	Numeric bool
	// Limit is how many keys come back, those on the most spans first; 0
	// or less means DefaultCountLimit.
	Limit int
}

// EffectiveLimit is Limit within (0, MaxCountLimit], DefaultCountLimit
// when unset.
func (q KeyQuery) EffectiveLimit() int { return effectiveLimit(q.Limit) }

// Check reports a query no source can answer.
func (q KeyQuery) Check() error {
	if err := q.Where.Check(); err != nil {
		return err
	}
	if q.To.Before(q.From) {
		return fmt.Errorf("time range ends (%s) before it starts (%s)", q.To.UTC().Format(time.RFC3339), q.From.UTC().Format(time.RFC3339))
	}
	return nil
}

// KeyCount is one attribute key (scoped: span.x or resource.x) and how
// many spans carry it.
type KeyCount struct {
	Key   string
	Count int64
	// Numeric counts the spans whose value is an int or a double other
	// than NaN; it is only filled when KeyQuery.Numeric is set.
	Numeric int64
}

// MergeValueCounts puts counts in the order every source returns them:
// the same text merged into one value (with the type most of its spans
// have, ties to the lower type), then the most frequent first, ties by
// value, cut at limit. Sources call it so that they agree to the byte.
func MergeValueCounts(in []ValueCount, limit int) []ValueCount {
	type acc struct {
		total  int64
		byType map[ValueType]int64
	}
	merged := make(map[string]*acc, len(in))
	for _, v := range in {
		if v.Count <= 0 {
			continue
		}
		a := merged[v.Value]
		if a == nil {
			a = &acc{byType: map[ValueType]int64{}}
			merged[v.Value] = a
		}
		a.total += v.Count
		a.byType[v.Type] += v.Count
	}
	out := make([]ValueCount, 0, len(merged))
	for val, a := range merged {
		best, bestN := TypeString, int64(-1)
		for t, n := range a.byType {
			if n > bestN || (n == bestN && t < best) {
				best, bestN = t, n
			}
		}
		out = append(out, ValueCount{Value: val, Type: best, Count: a.total})
	}
	slices.SortFunc(out, func(x, y ValueCount) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), strings.Compare(x.Value, y.Value))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// SortKeyCounts puts key counts in the order every source returns them:
// on the most spans first, ties by key, cut at limit.
func SortKeyCounts(in []KeyCount, limit int) []KeyCount {
	out := slices.DeleteFunc(slices.Clone(in), func(k KeyCount) bool { return k.Count <= 0 })
	slices.SortFunc(out, func(x, y KeyCount) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), strings.Compare(x.Key, y.Key))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
