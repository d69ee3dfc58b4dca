package demo

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Anomaly metrics.
const (
	// MetricConversion: fewer sessions go on to the step from the one
	// before.
	MetricConversion = "conversion"
	// MetricLatency: the step's root spans (and so their children) take
	// longer.
	MetricLatency = "latency"
)

// Anomaly is a stretch of time in which one step behaves differently for
// one segment, with nothing deployed: what an anomaly detector should
// find on its own. Nothing in the traffic marks it; only the truth lists
// it.
type Anomaly struct {
	Metric string `json:"metric"`
	// Step is the step key. A conversion anomaly is on the way into Step
	// from the step before, so it cannot be on the first step.
	Step string `json:"step"`
	// SegmentKey and SegmentValue restrict the anomaly to sessions with
	// that value of user.tier, region or app.version; empty for every
	// session.
	SegmentKey   string `json:"segment_key,omitempty"`
	SegmentValue string `json:"segment_value,omitempty"`
	// The anomaly is active in [From, To). A conversion anomaly holds for
	// sessions that finish the previous step while it is active (that is
	// when they choose whether to go on), a latency anomaly for root spans
	// that start while it is.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Factor multiplies the probability of going on to Step (conversion)
	// or Step's root span duration (latency).
	Factor float64 `json:"factor"`
}

// AnomalySchedule places anomalies at seeded times: one in every Every of
// traffic, counted from its start (Plan's Start, the moment Run starts),
// lasting a seeded time in [MinFor, MaxFor] at a seeded offset. Each is a
// conversion drop by ConversionFactor or a latency rise by LatencyFactor,
// of a seeded step and segment (a region, a user tier, or every session).
// Latency anomalies avoid the bad deploy's step, whose latency the deploy
// already changes.
type AnomalySchedule struct {
	Enabled          bool          `json:"enabled"`
	Every            time.Duration `json:"every"`
	MinFor           time.Duration `json:"min_for"`
	MaxFor           time.Duration `json:"max_for"`
	ConversionFactor float64       `json:"conversion_factor"`
	LatencyFactor    float64       `json:"latency_factor"`
}

func (a Anomaly) validate(name string) error {
	var errs []error
	i := StepIndex(a.Step)
	switch {
	case i < 0:
		errs = append(errs, fmt.Errorf("%s.step: unknown step %q", name, a.Step))
	case a.Metric == MetricConversion && i == 0:
		errs = append(errs, fmt.Errorf("%s.step: a conversion anomaly needs a step before %q", name, a.Step))
	}
	if a.Metric != MetricConversion && a.Metric != MetricLatency {
		errs = append(errs, fmt.Errorf("%s.metric: want %s or %s, got %q", name, MetricConversion, MetricLatency, a.Metric))
	}
	switch {
	case a.SegmentKey == "" && a.SegmentValue != "":
		errs = append(errs, fmt.Errorf("%s: segment_value %q without a segment_key", name, a.SegmentValue))
	case a.SegmentKey != "" && !isSegmentKey(a.SegmentKey):
		errs = append(errs, fmt.Errorf("%s.segment_key: unknown segment key %q (want one of %v)", name, a.SegmentKey, segmentKeys))
	case a.SegmentKey != "" && a.SegmentValue == "":
		errs = append(errs, fmt.Errorf("%s: segment_key %q without a segment_value", name, a.SegmentKey))
	}
	if a.From.IsZero() || !a.To.After(a.From) {
		errs = append(errs, fmt.Errorf("%s: want from < to, got from %s, to %s", name, a.From.Format(time.RFC3339), a.To.Format(time.RFC3339)))
	}
	if err := checkMult(name+".factor", a.Factor); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s AnomalySchedule) validate() error {
	if !s.Enabled {
		return nil
	}
	var errs []error
	if s.MinFor <= 0 || s.MaxFor < s.MinFor || s.Every < s.MaxFor || s.Every > maxDuration {
		errs = append(errs, fmt.Errorf("anomaly_schedule timing must satisfy 0 < min_for <= max_for <= every <= %s (min_for %s, max_for %s, every %s)", maxDuration, s.MinFor, s.MaxFor, s.Every))
	}
	if err := checkMult("anomaly_schedule.conversion_factor", s.ConversionFactor); err != nil {
		errs = append(errs, err)
	}
	if err := checkMult("anomaly_schedule.latency_factor", s.LatencyFactor); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// matches reports whether the anomaly holds for s at t.
func (a *Anomaly) matches(s *Session, t time.Time) bool {
	return !t.Before(a.From) && t.Before(a.To) && (a.SegmentKey == "" || s.Segment(a.SegmentKey) == a.SegmentValue)
}

// anomalyStream seeds the schedule's draws apart from the sessions', so
// that turning the schedule on or off leaves every session's own draws
// alone.
const anomalyStream = 0xa40_3a1e

// scheduled draws the anomaly of slot k, which starts at slotStart.
func (p *planner) scheduled(k int, slotStart time.Time) Anomaly {
	s := p.cfg.AnomalySchedule
	r := rand.New(rand.NewPCG(uint64(p.cfg.Seed)^anomalyStream, uint64(k)))
	// Every slot draws the same numbers in the same order.
	latency := r.IntN(2) == 1
	uStep := r.Float64()
	seg := r.IntN(3)
	tier, region := pick(r, p.cfg.Tiers), pick(r, p.cfg.Regions)
	dur := s.MinFor + time.Duration(r.Int64N(int64(s.MaxFor-s.MinFor)+1))
	off := time.Duration(r.Int64N(int64(s.Every-dur) + 1))

	a := Anomaly{Metric: MetricConversion, Factor: s.ConversionFactor}
	var steps []int
	if latency {
		a.Metric, a.Factor = MetricLatency, s.LatencyFactor
		for i := range NumSteps {
			if !(p.cfg.BadDeploy.Enabled && p.cfg.BadDeploy.Step == shop[i].Key) {
				steps = append(steps, i)
			}
		}
	} else {
		for i := 1; i < NumSteps; i++ {
			steps = append(steps, i)
		}
	}
	a.Step = shop[steps[min(int(uStep*float64(len(steps))), len(steps)-1)]].Key
	switch seg {
	case 1:
		a.SegmentKey, a.SegmentValue = AttrRegion, region
	case 2:
		a.SegmentKey, a.SegmentValue = AttrUserTier, tier
	}
	a.From = slotStart.Add(off)
	a.To = a.From.Add(dur)
	return a
}

// scheduleUntil places the schedule's anomalies of every slot that starts
// at or before t. Slots are placed in order, so a later call only adds.
func (p *planner) scheduleUntil(t time.Time) {
	s := p.cfg.AnomalySchedule
	if !s.Enabled {
		return
	}
	for {
		slotStart := p.start.Add(time.Duration(p.slots) * s.Every)
		if slotStart.After(t) {
			return
		}
		p.anomalies = append(p.anomalies, p.scheduled(p.slots, slotStart))
		p.slots++
	}
}

// anomalyFactor multiplies what metric is for step i of s at t by every
// anomaly active then.
func (p *planner) anomalyFactor(metric string, i int, s *Session, t time.Time) float64 {
	if len(p.anomalies) == 0 && !p.cfg.AnomalySchedule.Enabled {
		return 1
	}
	p.scheduleUntil(t)
	f := 1.0
	for k := range p.anomalies {
		a := &p.anomalies[k]
		if a.Metric == metric && a.Step == shop[i].Key && a.matches(s, t) {
			f *= a.Factor
		}
	}
	return f
}

// anomaliesIn returns the anomalies placed so far that overlap [from, to),
// in start order.
func anomaliesIn(all []Anomaly, from, to time.Time) []Anomaly {
	out := []Anomaly{}
	for _, a := range all {
		if a.From.Before(to) && a.To.After(from) {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b Anomaly) int { return a.From.Compare(b.From) })
	return out
}
