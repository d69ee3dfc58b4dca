package sloeval

import (
	"context"
	"sort"
	"time"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
)

// exemplarRange is the recent period whose bad events an alert cites: the
// long window of the most severe firing pair, else the shortest long
// window of the table.
func exemplarRange(pairs []slo.PairStatus) time.Duration {
	for _, sev := range []slo.Severity{slo.SeverityPage, slo.SeverityTicket} {
		for _, p := range pairs {
			if p.Severity == sev && p.Fires {
				return p.Long
			}
		}
	}
	var d time.Duration
	for _, p := range pairs {
		if d == 0 || p.Long < d {
			d = p.Long
		}
	}
	if d == 0 {
		d = time.Hour
	}
	return d
}

// exemplars returns traces of recent bad events of an SLO from the
// rollups' exemplars: the slowest spans over the threshold for a latency
// SLO, the latest errored ones for a success SLO. Conversion SLOs have
// none: their bad events are journeys that never happened.
func (s *Service) exemplars(ctx context.Context, slug string, j journeys.Journey, c *computed, ev slo.Evaluation) ([]Exemplar, error) {
	if c.def.Kind == journeys.SLOConversion {
		return []Exemplar{}, nil
	}
	end := c.dataThrough
	st, err := s.rollups.Stats(ctx, slug, end.Add(-exemplarRange(ev.Pairs)), end, nil)
	if err != nil {
		return nil, rollupErr(err)
	}
	return pickExemplars(j, c.def, c.step, st), nil
}

func pickExemplars(j journeys.Journey, def journeys.SLO, step int, st rollup.JourneyStats) []Exemplar {
	var out []Exemplar
	for _, ss := range st.Steps {
		if step >= 0 && ss.Step != step {
			continue
		}
		name := ""
		if ss.Step < len(j.Spec.Steps) {
			name = j.Spec.Steps[ss.Step].Name
		}
		switch def.Kind {
		case journeys.SLOLatency:
			for _, e := range ss.Slowest {
				if e.Duration > def.Threshold.D {
					out = append(out, Exemplar{TraceID: e.TraceID, Step: name, Start: e.Start.UTC(), Duration: e.Duration})
				}
			}
		case journeys.SLOSuccess:
			for _, e := range ss.Errored {
				out = append(out, Exemplar{TraceID: e.TraceID, Step: name, Start: e.Start.UTC(), Duration: e.Duration, Error: true})
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if def.Kind == journeys.SLOLatency {
			if out[a].Duration != out[b].Duration {
				return out[a].Duration > out[b].Duration
			}
		} else if !out[a].Start.Equal(out[b].Start) {
			return out[a].Start.After(out[b].Start)
		}
		return out[a].TraceID < out[b].TraceID
	})
	seen := map[string]bool{}
	picked := []Exemplar{}
	for _, e := range out {
		if seen[e.TraceID] || len(picked) == MaxExemplars {
			continue
		}
		seen[e.TraceID] = true
		picked = append(picked, e)
	}
	return picked
}
