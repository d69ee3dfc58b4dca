package journeypages

import "github.com/waymarkhq/waymark/web/ui/layout"

// Funnel geometry, in SVG user units.
const (
	funnelW      = 640.0
	funnelBarMax = 500.0
	funnelRowH   = 42.0
	funnelBarH   = 16.0
)

// funnelBar is one step's bar of the funnel.
type funnelBar struct {
	Name    string
	Reached int64
	// Share is Reached over the instances that entered.
	Share float64
	// Geometry of the name, the bar and the value label.
	NameY, BarY, W, LabelX, LabelY float64
}

// funnelBars sizes one bar per step in proportion to the instances that
// reached it.
func funnelBars(steps []MapStep) []funnelBar {
	var top int64
	for _, s := range steps {
		top = max(top, s.Reached)
	}
	var entered int64
	if len(steps) > 0 {
		entered = steps[0].Reached
	}
	bars := make([]funnelBar, len(steps))
	for i, s := range steps {
		b := funnelBar{Name: s.Name, Reached: s.Reached}
		y := float64(i) * funnelRowH
		b.NameY = y + 13
		b.BarY = y + 18
		b.LabelY = y + 31
		if top > 0 {
			b.W = funnelBarMax * float64(s.Reached) / float64(top)
			if s.Reached > 0 {
				// A step reached by few is still visibly there.
				b.W = max(b.W, 2)
			}
		}
		if entered > 0 {
			b.Share = float64(s.Reached) / float64(entered)
		}
		b.LabelX = b.W + 6
		bars[i] = b
	}
	return bars
}

func funnelHeight(n int) string { return layout.SvgNum(float64(max(n, 1)) * funnelRowH) }

func funnelViewBox(n int) string { return "0 0 " + layout.SvgNum(funnelW) + " " + funnelHeight(n) }
