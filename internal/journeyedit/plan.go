package journeyedit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/journeys"
)

// Plan is what Put would do with a journey, worked out without changing
// anything: for `waymark journeys apply --dry-run`.
type Plan struct {
	Slug    string
	Outcome Outcome
	// Before is the stored journey, nil when Put would create it.
	Before *journeystore.JourneyRecord
	// Diff is a unified diff of the stored YAML to the applied one, empty
	// when unchanged.
	Diff string
}

// Plan returns what Put(j) would do now. j must be valid.
func (s *Service) Plan(ctx context.Context, j journeys.Journey) (Plan, error) {
	if err := j.Validate(); err != nil {
		return Plan{}, err
	}
	slug := j.Metadata.Slug
	next, err := journeystore.Source(j)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Slug: slug, Outcome: Created}
	cur, err := s.store.GetJourney(ctx, slug)
	switch {
	case errors.Is(err, journeystore.ErrNotFound):
		p.Diff = unifiedDiff(slug+" (none)", slug+" (applied)", "", next)
		return p, nil
	case err != nil:
		return Plan{}, err
	}
	p.Before = &cur
	prev, err := journeystore.Source(cur.Journey)
	if err != nil {
		return Plan{}, err
	}
	if prev == next {
		p.Outcome = Unchanged
		return p, nil
	}
	p.Outcome = Updated
	p.Diff = unifiedDiff(fmt.Sprintf("%s (version %d)", slug, cur.Version), slug+" (applied)", prev, next)
	return p, nil
}

// diffContext is how many unchanged lines a hunk shows around a change.
const diffContext = 3

// maxDiffLines bounds the line-by-line comparison (quadratic); journeys
// are far smaller, and a larger pair is shown as replaced whole.
const maxDiffLines = 4000

// unifiedDiff is the unified diff of a to b, line by line, in the form
// `diff -u` prints.
func unifiedDiff(nameA, nameB, a, b string) string {
	x, y := lines(a), lines(b)
	ops := diffLines(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk: from the change back diffContext lines, forward until
		// more than 2×diffContext unchanged lines separate it from the next.
		start := max(i-diffContext, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*diffContext {
				end = min(end+diffContext, len(ops))
				break
			}
			end = run
		}
		aStart, bStart, aLen, bLen := ops[start].a, ops[start].b, 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				aLen++
			}
			if op.kind != '-' {
				bLen++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
		for _, op := range ops[start:end] {
			out.WriteByte(op.kind)
			out.WriteString(op.text)
			out.WriteByte('\n')
		}
		i = end
	}
	return out.String()
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// diffOp is one line of a diff: kept (' '), removed ('-') or added ('+'),
// with its 0-based positions in both sides.
type diffOp struct {
	kind byte
	text string
	a, b int
}

// diffLines is a shortest edit script from x to y by longest common
// subsequence.
func diffLines(x, y []string) []diffOp {
	if len(x) > maxDiffLines || len(y) > maxDiffLines {
		var ops []diffOp
		for i, l := range x {
			ops = append(ops, diffOp{'-', l, i, 0})
		}
		for j, l := range y {
			ops = append(ops, diffOp{'+', l, len(x), j})
		}
		return ops
	}
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	w := len(y) + 1
	lcs := make([]int32, (len(x)+1)*w)
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, diffOp{' ', x[i], i, j})
			i++
			j++
		case i < len(x) && (j == len(y) || lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
			ops = append(ops, diffOp{'-', x[i], i, j})
			i++
		default:
			ops = append(ops, diffOp{'+', y[j], i, j})
			j++
		}
	}
	return ops
}
