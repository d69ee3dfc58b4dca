package layout

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

var wt0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func tspan(id, parent, service, name string, startMS, durMS int) journeys.TraceSpan {
	return journeys.TraceSpan{
		SpanID: id, ParentSpanID: parent, Service: service, Name: name, Kind: "server",
		Start: wt0.Add(time.Duration(startMS) * time.Millisecond), Duration: time.Duration(durMS) * time.Millisecond,
	}
}

// checkoutTrace is a small trace given out of order, with an error, a
// child of a child and a span whose parent never arrived.
func checkoutTrace() journeys.Trace {
	pay := tspan("c1", "a1", "payment", "POST /pay", 500, 400)
	pay.Error, pay.StatusMessage = true, "card declined"
	return journeys.Trace{TraceID: "0000000000000000000000000000abcd", Spans: []journeys.TraceSpan{
		pay,
		tspan("d1", "b1", "db", "SELECT carts", 150, 100),
		tspan("e1", "zz", "mailer", "send receipt", 200, 50),
		tspan("a1", "", "frontend", "GET /checkout", 0, 1000),
		tspan("b1", "a1", "cart", "POST /cart", 100, 300),
	}}
}

type wfRow struct {
	id     string
	depth  int
	orphan bool
	x, w   float64
}

func rowsOf(w Waterfall) []wfRow {
	var out []wfRow
	for _, r := range w.Rows {
		out = append(out, wfRow{r.Span.SpanID, r.Depth, r.Orphan, r.X, r.W})
	}
	return out
}

func TestNewWaterfall(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		trace journeys.Trace
		want  []wfRow
		dur   time.Duration
		ticks []string
	}{
		{
			name:  "tree order, orphan last by start",
			trace: checkoutTrace(),
			want: []wfRow{
				{"a1", 0, false, 0, 1000}, {"b1", 1, false, 100, 300}, {"d1", 2, false, 150, 100},
				{"c1", 1, false, 500, 400}, {"e1", 0, true, 200, 50},
			},
			dur:   time.Second,
			ticks: []string{"0 ms", "250 ms", "500 ms", "750 ms", "1 s"},
		},
		{
			name: "parent cycle and self parent become roots",
			trace: journeys.Trace{Spans: []journeys.TraceSpan{
				tspan("x", "y", "s", "x", 20, 10), tspan("y", "x", "s", "y", 10, 10),
				tspan("r", "", "s", "root", 0, 100), tspan("self", "self", "s", "self", 50, 0),
			}},
			want: []wfRow{
				{"r", 0, false, 0, 1000}, {"self", 0, true, 500, 1},
				{"y", 0, true, 100, 100}, {"x", 1, false, 200, 100},
			},
			dur:   100 * time.Millisecond,
			ticks: []string{"0 ms", "25 ms", "50 ms", "75 ms", "100 ms"},
		},
		{
			name: "siblings by start, then name; duplicate ids kept",
			trace: journeys.Trace{Spans: []journeys.TraceSpan{
				tspan("r", "", "s", "root", 0, 40), tspan("k2", "r", "s", "b", 10, 10),
				tspan("k1", "r", "s", "a", 10, 10), tspan("k0", "r", "s", "z", 5, 10), tspan("k0", "r", "s", "z", 30, 10),
			}},
			want: []wfRow{
				{"r", 0, false, 0, 1000}, {"k0", 1, false, 125, 250}, {"k1", 1, false, 250, 250},
				{"k2", 1, false, 250, 250}, {"k0", 1, false, 750, 250},
			},
			dur:   40 * time.Millisecond,
			ticks: []string{"0 ms", "10 ms", "20 ms", "30 ms", "40 ms"},
		},
		{
			name:  "one instant span",
			trace: journeys.Trace{Spans: []journeys.TraceSpan{tspan("a", "", "s", "a", 0, 0)}},
			want:  []wfRow{{"a", 0, false, 0, 1}},
			ticks: []string{"0 ms", "0 ms", "0 ms", "0 ms", "0 ms"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := NewWaterfall(tc.trace)
			require.Equal(t, tc.want, rowsOf(w))
			require.Equal(t, tc.dur, w.Duration)
			require.Equal(t, tc.ticks, w.Ticks)
		})
	}
	require.Empty(t, NewWaterfall(journeys.Trace{}).Rows)
}

// FuzzNewWaterfall builds traces with arbitrary parent links and times:
// every span must appear exactly once, parents before children, bars
// inside the axis.
func FuzzNewWaterfall(f *testing.F) {
	f.Add([]byte{0, 0, 10, 1, 0, 5, 2, 1, 7})
	f.Add([]byte{1, 1, 0, 0, 2, 0})
	f.Add([]byte{255, 3, 9, 3, 3, 3, 0, 0, 0, 7, 7, 7})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var tr journeys.Trace
		for i := 0; i+2 < len(b) && len(tr.Spans) < 32; i += 3 {
			parent := ""
			if b[i] != 0 {
				parent = fmt.Sprintf("s%d", int(b[i])%40)
			}
			tr.Spans = append(tr.Spans, journeys.TraceSpan{
				SpanID:       fmt.Sprintf("s%d", len(tr.Spans)%20),
				ParentSpanID: parent,
				Start:        wt0.Add(time.Duration(b[i+1]) * time.Millisecond),
				Duration:     time.Duration(b[i+2]) * time.Millisecond,
			})
		}
		w := NewWaterfall(tr)
		require.Len(t, w.Rows, len(tr.Spans))
		seen := []time.Time{}
		for i, r := range w.Rows {
			require.GreaterOrEqual(t, r.X, 0.0)
			require.GreaterOrEqual(t, r.W, 0.0)
			require.LessOrEqual(t, r.X+r.W, waterfallAxis+1e-9)
			if i == 0 {
				require.Zero(t, r.Depth)
			} else {
				require.LessOrEqual(t, r.Depth, w.Rows[i-1].Depth+1, "a row is at most one deeper than the one above")
			}
			seen = append(seen, r.Span.Start)
		}
		want := make([]time.Time, 0, len(tr.Spans))
		for _, s := range tr.Spans {
			want = append(want, s.Start)
		}
		slices.SortFunc(seen, func(a, b time.Time) int { return a.Compare(b) })
		slices.SortFunc(want, func(a, b time.Time) int { return a.Compare(b) })
		require.Equal(t, want, seen)
	})
}
