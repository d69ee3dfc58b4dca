// Package diffreport turns a comparison of a journey's instances (what
// differs between those that dropped after a step and those that went on,
// or between a step's slow spans and the rest) into a summary fit for a
// post-mortem: the most different attribute values with both groups'
// counts and shares and, when the instances were read one by one, the
// traces of each side. It renders the summary as Markdown.
package diffreport

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// TopAttributes is how many attribute values a summary keeps: the most
// different first, as the comparison ranked them.
const TopAttributes = 10

// Exemplars is how many traces of each side a summarised value keeps.
const Exemplars = 3

// Summary is a comparison, summarised.
type Summary struct {
	Journey string `json:"journey"`
	// Step is 0-based; StepName and NextName are the names of it and of
	// the step after (empty for a slow comparison).
	Step     int       `json:"step"`
	StepName string    `json:"step_name"`
	NextName string    `json:"next_name,omitempty"`
	Compare  string    `json:"compare"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	// Segment narrows the comparison when set.
	Segment *rollup.Segment `json:"segment,omitempty"`
	// Selected and Baseline are the sizes of the groups (the dropped and
	// those that went on, or the slow spans and the rest); InFlight the
	// instances left out because they may yet go on.
	Selected    int64   `json:"selected"`
	Baseline    int64   `json:"baseline"`
	InFlight    int64   `json:"in_flight"`
	ThresholdMS float64 `json:"threshold_ms,omitempty"`
	// Attributes are at most TopAttributes values, most different first.
	Attributes []Attribute `json:"attributes"`
}

// Attribute is one attribute value of a summary.
type Attribute struct {
	Key           string  `json:"key"`
	Value         string  `json:"value"`
	CountSelected int64   `json:"count_selected"`
	CountBaseline int64   `json:"count_baseline"`
	ShareSelected float64 `json:"share_selected"`
	ShareBaseline float64 `json:"share_baseline"`
	PValue        float64 `json:"p_value"`
	Significant   bool    `json:"significant"`
	// ExemplarsSelected and ExemplarsBaseline are trace ids of instances
	// of each side carrying the value at the step, latest first: empty
	// unless the summary was made with an instance set.
	ExemplarsSelected []string `json:"exemplars_selected"`
	ExemplarsBaseline []string `json:"exemplars_baseline"`
}

// Summarize keeps the top values of d, a comparison of j's instances. With
// set (the instances d was computed from, or those of the same range) each
// value gets up to Exemplars traces of each side, within seg; set may be
// nil.
func Summarize(j journeys.Journey, d rollup.Differences, set *rollup.InstanceSet, seg *rollup.Segment) Summary {
	s := Summary{
		Journey: j.Metadata.Name, Step: d.Step, Compare: d.Compare, From: d.From, To: d.To,
		Selected: d.Selected, Baseline: d.Baseline, InFlight: d.InFlight, ThresholdMS: d.ThresholdMS,
		Attributes: []Attribute{},
	}
	if s.Journey == "" {
		s.Journey = j.Metadata.Slug
	}
	if d.Step >= 0 && d.Step < len(j.Spec.Steps) {
		s.StepName = j.Spec.Steps[d.Step].Name
	}
	if d.Compare == rollup.CompareDropped && d.Step+1 < len(j.Spec.Steps) {
		s.NextName = j.Spec.Steps[d.Step+1].Name
	}
	if seg != nil && !seg.All() {
		cp := *seg
		s.Segment = &cp
	}
	threshold := time.Duration(d.ThresholdMS * float64(time.Millisecond))
	for _, a := range d.Attributes[:min(len(d.Attributes), TopAttributes)] {
		x := Attribute{
			Key: a.Key, Value: a.Value, CountSelected: a.CountSelected, CountBaseline: a.CountBaseline,
			ShareSelected: a.ShareSelected, ShareBaseline: a.ShareBaseline, PValue: a.PValue, Significant: a.Significant,
			ExemplarsSelected: []string{}, ExemplarsBaseline: []string{},
		}
		if set != nil {
			sel, base := set.Exemplars(d.Step, d.Compare, threshold, &rollup.Segment{Key: a.Key, Value: a.Value}, Exemplars*4)
			x.ExemplarsSelected = traces(set, sel, seg, d.Step)
			x.ExemplarsBaseline = traces(set, base, seg, d.Step)
		}
		s.Attributes = append(s.Attributes, x)
	}
	return s
}

// traces are the trace ids of up to Exemplars of ex whose instance is in
// seg at step k.
func traces(set *rollup.InstanceSet, ex []rollup.Exemplar, seg *rollup.Segment, k int) []string {
	out := []string{}
	in := map[string]bool{}
	for _, x := range set.Instances {
		if k < len(x.Steps) && set.In(x, k, seg) {
			in[x.Steps[k].TraceID] = true
		}
	}
	for _, e := range ex {
		if len(out) < Exemplars && in[e.TraceID] {
			out = append(out, e.TraceID)
		}
	}
	return out
}

// Markdown renders the summary as a Markdown section: a sentence saying
// what was compared, then a table of the values. Every name and value
// that came from traffic or from a journey is escaped, for HTML (a
// Markdown renderer passes HTML through) and for Markdown (a value must
// not end its table cell, open a link or emphasis).
func (s Summary) Markdown() string {
	var b strings.Builder
	span := fmt.Sprintf("%s to %s", s.From.UTC().Format("2006-01-02 15:04"), s.To.UTC().Format("2006-01-02 15:04 MST"))
	switch s.Compare {
	case rollup.CompareDropped:
		fmt.Fprintf(&b, "### What differs: dropped after %s\n\n", Escape(s.StepName))
		fmt.Fprintf(&b, "%s, %s: %d dropped after **%s** against %d that went on to **%s**",
			Escape(s.Journey), span, s.Selected, Escape(s.StepName), s.Baseline, Escape(s.NextName))
		if s.InFlight > 0 {
			fmt.Fprintf(&b, " (%d still in flight, left out)", s.InFlight)
		}
	default:
		fmt.Fprintf(&b, "### What differs: slow %s\n\n", Escape(s.StepName))
		fmt.Fprintf(&b, "%s, %s: %d spans of **%s** slower than %s against %d others",
			Escape(s.Journey), span, s.Selected, Escape(s.StepName), formatMS(s.ThresholdMS), s.Baseline)
	}
	if s.Segment != nil {
		fmt.Fprintf(&b, ", within %s = %s", Escape(s.Segment.Key), Escape(s.Segment.Value))
	}
	b.WriteString(".\n\n")
	if len(s.Attributes) == 0 {
		b.WriteString("No attribute value tells the two groups apart.\n")
		return b.String()
	}
	exemplars := false
	for _, a := range s.Attributes {
		exemplars = exemplars || len(a.ExemplarsSelected)+len(a.ExemplarsBaseline) > 0
	}
	b.WriteString("| Attribute | Value | Selected | Baseline | p-value |")
	if exemplars {
		b.WriteString(" Traces (selected) | Traces (baseline) |")
	}
	b.WriteString("\n|---|---|---:|---:|---:|")
	if exemplars {
		b.WriteString("---|---|")
	}
	b.WriteString("\n")
	for _, a := range s.Attributes {
		p := fmt.Sprintf("%.2g", a.PValue)
		if a.Significant {
			p = "**" + p + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %d (%.1f%%) | %d (%.1f%%) | %s |", Escape(a.Key), Escape(a.Value),
			a.CountSelected, 100*a.ShareSelected, a.CountBaseline, 100*a.ShareBaseline, p)
		if exemplars {
			fmt.Fprintf(&b, " %s | %s |", codes(a.ExemplarsSelected), codes(a.ExemplarsBaseline))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nBold p-values pass the false discovery rate of 5% (Benjamini–Hochberg).\n")
	return b.String()
}

func formatMS(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.3g s", v/1000)
	}
	return fmt.Sprintf("%.3g ms", v)
}

func codes(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		// Nothing is unescaped inside a code span, so nothing but what a
		// trace id is made of may go in.
		out[i] = "`" + strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' {
				return r
			}
			return -1
		}, id) + "`"
	}
	return strings.Join(out, " ")
}

// markdownSpecial are the characters that could end a table cell or start
// Markdown syntax inside one.
var markdownSpecial = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"#", `\#`, "~", `\~`, "!", `\!`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

// Escape makes s plain text in Markdown and in the HTML it renders to:
// Markdown's characters are backslashed, line breaks become spaces, then
// HTML's become entities (in that order, so that the entities' own & and
// # are left for the renderer to decode).
func Escape(s string) string {
	return html.EscapeString(markdownSpecial.Replace(s))
}
