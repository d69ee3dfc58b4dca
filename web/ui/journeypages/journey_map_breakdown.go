package journeypages

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/a-h/templ"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// breakdownRows bounds the values the breakdown compares: the most
// entered, one rollup read each.
const breakdownRows = 8

// Breakdown compares the values of one segment key side by side: how many
// of each reached every step, and how many completed.
type Breakdown struct {
	// Key is the segment key compared; Keys all the journey's, offered.
	Key   string
	Keys  []string
	Steps []string
	Rows  []BreakdownRow
	// More counts the values seen in the range beyond the rows shown.
	More int
}

// BreakdownRow is one value of the key.
type BreakdownRow struct {
	Value string
	// Param is the segment query value, KEY=VALUE, that maps this value
	// alone.
	Param   string
	Reached []int64
	// Conversion is the share of those entering that completed.
	Conversion float64
	// Selected marks the value the map is filtered to.
	Selected bool
}

// breakdownKey is the segment key the breakdown compares: ?by=, else the
// journey's first.
func breakdownKey(j journeys.Journey, by string) (string, error) {
	keys := j.Spec.Segments
	if by == "" {
		if len(keys) == 0 {
			return "", nil
		}
		return keys[0], nil
	}
	if !slices.Contains(keys, by) {
		if len(keys) == 0 {
			return "", httpx.ParamError("by", "%q is not a segment key of this journey, which has none", by)
		}
		return "", httpx.ParamError("by", "%q is not a segment key of this journey; its keys are %s", by, strings.Join(keys, ", "))
	}
	return by, nil
}

// readBreakdown reads the numbers of the most entered values of key over
// win, all traffic, one Stats read per value, side by side.
func (h *Handler) readBreakdown(ctx context.Context, j journeys.Journey, win journeyhttp.Window, key string, vals []rollup.SegmentValue, seg *rollup.Segment) (*Breakdown, error) {
	b := &Breakdown{Key: key, Keys: j.Spec.Segments}
	for _, s := range j.Spec.Steps {
		b.Steps = append(b.Steps, s.Name)
	}
	if len(vals) > breakdownRows {
		b.More = len(vals) - breakdownRows
		vals = vals[:breakdownRows]
	}
	b.Rows = make([]BreakdownRow, len(vals))
	errs := make([]error, len(vals))
	var wg sync.WaitGroup
	for i, v := range vals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := h.rollups.Stats(ctx, j.Metadata.Slug, win.From, win.To, &rollup.Segment{Key: key, Value: v.Value})
			if err != nil {
				errs[i] = httpx.Missing(fmt.Errorf("read stats of %s=%s: %w", key, v.Value, err), "journey %q", j.Metadata.Slug)
				return
			}
			row := BreakdownRow{Value: v.Value, Param: key + "=" + v.Value, Conversion: st.Conversion,
				Selected: seg != nil && seg.Key == key && seg.Value == v.Value}
			for k := range b.Steps {
				var n int64
				if k < len(st.Steps) {
					n = st.Steps[k].Reached
				}
				row.Reached = append(row.Reached, n)
			}
			b.Rows[i] = row
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// breakdownOf is the map's breakdown table, or nil without one.
func breakdownOf(m JourneyMap) templ.Component {
	if m.Stats == nil || m.Stats.Breakdown == nil {
		return nil
	}
	return breakdownTable(m, m.Stats.Breakdown)
}
