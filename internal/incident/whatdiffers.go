package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/waymarkhq/waymark/internal/diffreport"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// DiffReader compares two groups of a journey's instances; the rollup
// store is one. A StatsReader that is one too gives post-mortems their
// "what differs" sections.
type DiffReader interface {
	Differences(ctx context.Context, j journeys.Journey, q rollup.DiffQuery) (rollup.Differences, error)
}

// whatDiffers compares, over the impact's window, the instances that
// dropped after each affected step of the journey with those that went
// on, and the step's slow spans with the rest. Without named steps it
// takes the transition that lost the most. A comparison that cannot be
// made (the last step has no drop-off) is left out.
func (s *Store) whatDiffers(ctx context.Context, in Incident, j journeys.Journey, imp Impact) ([]diffreport.Summary, error) {
	dr, ok := s.cfg.Stats.(DiffReader)
	if !ok || imp.Missing || len(j.Spec.Steps) == 0 {
		return nil, nil
	}
	var steps []int
	for _, ref := range in.Steps {
		if ref.Journey != imp.Journey {
			continue
		}
		for k, st := range j.Spec.Steps {
			if st.Name == ref.Step {
				steps = append(steps, k)
			}
		}
	}
	if len(steps) == 0 {
		worst, lost := -1, int64(0)
		cur := imp.Current.Steps
		for k := 0; k+1 < len(cur); k++ {
			if d := (cur[k].Reached - cur[k].InFlight) - (cur[k+1].Reached - cur[k+1].InFlight); d > lost {
				worst, lost = k, d
			}
		}
		if worst < 0 {
			return nil, nil
		}
		steps = []int{worst}
	}
	var out []diffreport.Summary
	for _, k := range steps {
		for _, what := range []string{rollup.CompareDropped, rollup.CompareSlow} {
			if what == rollup.CompareDropped && k+1 >= len(j.Spec.Steps) {
				continue
			}
			d, err := dr.Differences(ctx, j, rollup.DiffQuery{Slug: imp.Journey, From: imp.From, To: imp.To, Step: k, Compare: what})
			if errors.Is(err, rollup.ErrBadComparison) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("what differs at step %d of %q: %w", k+1, imp.Journey, err)
			}
			out = append(out, diffreport.Summarize(j, d, nil, nil))
		}
	}
	return out, nil
}

// subsection renders a summary one heading level down, under its
// journey's impact.
func subsection(s diffreport.Summary) string {
	md := s.Markdown()
	if strings.HasPrefix(md, "### ") {
		md = "#" + md
	}
	return md
}
