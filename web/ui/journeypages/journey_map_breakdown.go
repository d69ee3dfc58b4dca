package journeypages

import (
	"context"
	"fmt"
	"slices"
	"strings"

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

// readBreakdown reads what the most entered values of key reached over
// win, all traffic, in one funnel read.
func (h *Handler) readBreakdown(ctx context.Context, j journeys.Journey, win journeyhttp.Window, key string, vals []rollup.SegmentValue, seg *rollup.Segment) (*Breakdown, error) {
	b := &Breakdown{Key: key, Keys: j.Spec.Segments}
	for _, s := range j.Spec.Steps {
		b.Steps = append(b.Steps, s.Name)
	}
	if len(vals) > breakdownRows {
		b.More = len(vals) - breakdownRows
		vals = vals[:breakdownRows]
	}
	if len(vals) == 0 {
		return b, nil
	}
	names := make([]string, len(vals))
	for i, v := range vals {
		names[i] = v.Value
	}
	reached, err := h.rollups.SegmentReached(ctx, j.Metadata.Slug, key, names, win.From, win.To)
	if err != nil {
		return nil, httpx.Missing(fmt.Errorf("read what the values of %s reached: %w", key, err), "journey %q", j.Metadata.Slug)
	}
	for _, v := range vals {
		got := reached[v.Value]
		row := BreakdownRow{Value: v.Value, Param: key + "=" + v.Value,
			Selected: seg != nil && seg.Key == key && seg.Value == v.Value}
		for k := range b.Steps {
			var n int64
			if k < len(got) {
				n = got[k]
			}
			row.Reached = append(row.Reached, n)
		}
		// As the map's overall conversion: the last step reached over
		// the first.
		if len(got) > 0 && got[0] > 0 {
			row.Conversion = float64(got[len(got)-1]) / float64(got[0])
		}
		b.Rows = append(b.Rows, row)
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
