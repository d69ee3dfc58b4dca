package layout

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// DeployMark is a deploy marker on a chart.
type DeployMark struct {
	X      float64
	Label  string
	Title  string
	LabelY float64
	// End is set for a marker near the right edge, whose label is drawn
	// to its left so that it stays on the chart.
	End bool
}

// LabelX is where a marker's label starts (or ends, with End).
func (d DeployMark) LabelX() float64 {
	if d.End {
		return d.X - 3
	}
	return d.X + 3
}

// Anchor is the SVG text-anchor of the marker's label.
func (d DeployMark) Anchor() string {
	if d.End {
		return "end"
	}
	return "start"
}

// Dash is s, or an em dash when s is empty.
func Dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// PathHas reports whether path is field or lies beneath it, so that
// steps[0].match.attributes[1].op is shown beside steps[0].match.attributes.
func PathHas(field, path string) bool {
	if path == field {
		return true
	}
	if field == "" || !strings.HasPrefix(path, field) {
		return false
	}
	c := path[len(field)]
	return c == '.' || c == '['
}

// Percent writes a share as a percentage: 0.995 is 99.5%.
func Percent(f float64) string {
	// Rounded so that 0.995 reads 99.5%, not 99.49999999999999%.
	return strconv.FormatFloat(math.Round(f*100*1e6)/1e6, 'f', -1, 64) + "%"
}

// Plural writes a count with its noun: 1 step, 3 steps.
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// SortErrors orders errors by the position of their field on the form, then
// by path, so the summary reads top to bottom like the form.
func SortErrors(errs []FieldError, order []string) {
	rank := func(path string) int {
		best, at := -1, len(order)
		for i, f := range order {
			if PathHas(f, path) && len(f) > best {
				best, at = len(f), i
			}
		}
		return at
	}
	sort.SliceStable(errs, func(i, j int) bool {
		ri, rj := rank(errs[i].Path), rank(errs[j].Path)
		if ri != rj {
			return ri < rj
		}
		return errs[i].Path < errs[j].Path
	})
}

// TextRows sizes a text box to its content plus a free line, at least 2.
func TextRows(s string) string {
	return strconv.Itoa(max(2, min(12, strings.Count(s, "\n")+2)))
}

// WithCurrent returns options plus cur when cur is not one of them, so that a
// value from an imported file is never silently dropped.
func WithCurrent(options []string, cur string) []string {
	for _, o := range options {
		if o == cur {
			return options
		}
	}
	return append(options, cur)
}

// PlaceErrors orders messages as the fields appear and files each under
// the deepest field its path lies beneath ("" when none).
func PlaceErrors(fields map[string]string, order []string) ([]FieldError, map[string][]FieldError) {
	errs := make([]FieldError, 0, len(fields))
	for p, m := range fields {
		errs = append(errs, FieldError{Path: p, Message: m})
	}
	SortErrors(errs, order)
	placed := map[string][]FieldError{}
	for _, e := range errs {
		best := ""
		for _, field := range order {
			if PathHas(field, e.Path) && len(field) > len(best) {
				best = field
			}
		}
		placed[best] = append(placed[best], e)
	}
	return errs, placed
}
