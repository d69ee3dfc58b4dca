package layout

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Waterfall is a trace laid out for reading: spans in tree order, each
// with its bar on the trace's time axis.
type Waterfall struct {
	Start    time.Time
	Duration time.Duration
	Rows     []WaterfallRow
	Services int
	Errors   int
	// Ticks label the time axis at 0, ¼, ½, ¾ and the whole duration.
	Ticks []string
	// PickForm, when set, is the id of a form each span can be ticked
	// for: a box per row, named span, belonging to that form.
	PickForm string
	// Picked are the span ids ticked already.
	Picked map[string]bool
}

// WaterfallRow is one span of the waterfall.
type WaterfallRow struct {
	Span journeys.TraceSpan
	// Depth is the span's distance from its root; Orphan marks a span
	// whose parent is not in the trace (not yet ingested, or dropped),
	// shown as a root.
	Depth  int
	Orphan bool
	// Offset is the span's start from the trace's start. X and W place
	// its bar on an axis of waterfallAxis units.
	Offset time.Duration
	X, W   float64
}

// waterfallAxis is the width of the time axis in SVG user units.
const waterfallAxis = 1000.0

// maxDepthClass is the deepest indentation the stylesheet draws; deeper
// spans are indented as much and still carry their depth.
const maxDepthClass = 24

// NewWaterfall lays out t: parents before their children, siblings by
// start time. Every span appears exactly once, whatever its parent links
// say: a span whose parent is missing, or that sits in a parent cycle,
// becomes a root.
func NewWaterfall(t journeys.Trace) Waterfall {
	n := len(t.Spans)
	w := Waterfall{}
	if n == 0 {
		return w
	}
	start, end := t.Spans[0].Start, t.Spans[0].Start.Add(t.Spans[0].Duration)
	services := map[string]bool{}
	byID := make(map[string]int, n)
	for i, s := range t.Spans {
		if s.Start.Before(start) {
			start = s.Start
		}
		if e := s.Start.Add(s.Duration); e.After(end) {
			end = e
		}
		services[s.Service] = true
		if s.Error {
			w.Errors++
		}
		if _, dup := byID[s.SpanID]; !dup && s.SpanID != "" {
			byID[s.SpanID] = i
		}
	}
	w.Start, w.Duration, w.Services = start, end.Sub(start), len(services)

	order := func(a, b int) int {
		sa, sb := t.Spans[a], t.Spans[b]
		return cmp.Or(sa.Start.Compare(sb.Start), cmp.Compare(sa.Name, sb.Name), cmp.Compare(sa.SpanID, sb.SpanID), cmp.Compare(a, b))
	}
	children := make([][]int, n)
	var roots []int
	orphan := make([]bool, n)
	for i, s := range t.Spans {
		p, ok := byID[s.ParentSpanID]
		if s.ParentSpanID == "" || !ok || p == i {
			roots = append(roots, i)
			orphan[i] = s.ParentSpanID != ""
			continue
		}
		children[p] = append(children[p], i)
	}
	for _, c := range children {
		slices.SortFunc(c, order)
	}
	slices.SortFunc(roots, order)

	total := float64(w.Duration)
	if total <= 0 {
		total = 1
	}
	seen := make([]bool, n)
	type frame struct{ i, depth int }
	var stack []frame
	visit := func(root int, isOrphan bool) {
		stack = append(stack[:0], frame{root, 0})
		for len(stack) > 0 {
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[f.i] {
				continue
			}
			seen[f.i] = true
			s := t.Spans[f.i]
			off := s.Start.Sub(start)
			x := waterfallAxis * float64(off) / total
			wd := max(waterfallAxis*float64(s.Duration)/total, 1)
			w.Rows = append(w.Rows, WaterfallRow{
				Span: s, Depth: f.depth, Orphan: orphan[f.i] || (f.depth == 0 && isOrphan),
				Offset: off, X: x, W: min(wd, waterfallAxis-x),
			})
			c := children[f.i]
			for k := len(c) - 1; k >= 0; k-- {
				if !seen[c[k]] {
					stack = append(stack, frame{c[k], f.depth + 1})
				}
			}
		}
	}
	for _, r := range roots {
		visit(r, false)
	}
	// Spans only reachable through a parent cycle: start from the
	// earliest of what is left, until nothing is.
	for {
		var rest []int
		for i := range n {
			if !seen[i] {
				rest = append(rest, i)
			}
		}
		if len(rest) == 0 {
			break
		}
		visit(slices.MinFunc(rest, order), true)
	}

	for k := range 5 {
		w.Ticks = append(w.Ticks, Duration(time.Duration(float64(w.Duration)*float64(k)/4)))
	}
	return w
}

func depthClass(d int) string { return "depth-" + strconv.Itoa(min(d, maxDepthClass)) }

func kindText(k string) string {
	if k == "" {
		return "unspecified"
	}
	return k
}

func statusText(s journeys.TraceSpan) string {
	if s.StatusMessage != "" {
		return s.StatusMessage
	}
	return "status error"
}

// ExactTime writes an instant to the nanosecond in UTC (RFC 3339).
func ExactTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
