// Package gate answers deployment gates and canary comparisons: whether a
// deploy of a journey's services may proceed on its SLOs' burn over a
// recent window, and whether a candidate segment of its traffic does as
// well as a baseline, step by step. It judges on the numbers the SLO
// evaluations use (internal/sloeval).
package gate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
)

// Options configure a Service.
type Options struct {
	// Now is the clock; tests set it. Nil is time.Now.
	Now func() time.Time
	// CanaryMinEvents is the events each segment of a canary needs per
	// step; 0 takes sloeval.DefaultMinEvents.
	CanaryMinEvents int64
}

// Service runs gates and canaries. It is safe for concurrent use.
type Service struct {
	evals *sloeval.Service
	opts  Options
}

// NewService returns a Service judging on evals' numbers.
func NewService(evals *sloeval.Service, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CanaryMinEvents <= 0 {
		opts.CanaryMinEvents = sloeval.DefaultMinEvents
	}
	return &Service{evals: evals, opts: opts}
}

func (s *Service) now() time.Time { return s.opts.Now() }

// Kinds of gate checks.
const (
	CheckFreshness = "freshness"
	CheckSLO       = "slo"
	CheckCanary    = "canary"
)

// Check is one thing a gate looked at, with its numbers: the
// freshness of the rollups, one SLO's burn, or one step's canary
// comparison.
type Check struct {
	Kind string `json:"kind"`
	// Name is the SLO's or the step's name, or "rollups".
	Name    string      `json:"name"`
	Verdict slo.Verdict `json:"verdict"`
	Reason  string      `json:"reason"`
	// Burn is set for SLO checks, Canary for canary checks.
	Burn   *slo.GateResult   `json:"burn,omitempty"`
	Canary *slo.CanaryResult `json:"canary,omitempty"`
}

// Result is a deployment gate's answer, as GET
// /api/v1/journeys/{slug}/gate returns it: pass, fail or cannot_decide,
// one line saying why, and every check with its numbers.
type Result struct {
	Verdict slo.Verdict `json:"verdict"`
	Reason  string      `json:"reason"`
	Journey string      `json:"journey"`
	// Window is the period judged, ending at DataThrough.
	Window      string    `json:"window"`
	MaxBurn     float64   `json:"max_burn"`
	At          time.Time `json:"at"`
	DataThrough time.Time `json:"data_through,omitzero"`
	// Candidate and Baseline are the compared segments of a canary.
	Candidate *rollup.Segment `json:"candidate,omitempty"`
	Baseline  *rollup.Segment `json:"baseline,omitempty"`
	Checks    []Check         `json:"checks"`
}

// Defaults and limits of gate queries.
const (
	DefaultGateWindow        = time.Hour
	DefaultMaxBurn           = 1.0
	DefaultMaxErrorRateDelta = 0.01
	DefaultMaxP95Ratio       = 1.2
	MinGateWindow            = time.Minute
	MaxGateWindow            = journeys.MaxSLOWindow
)

// Query is what a gate request asks.
type Query struct {
	// MaxBurn is the highest burn rate over Window that passes.
	MaxBurn float64
	Window  time.Duration
	// Candidate and Baseline, both or neither, add a canary comparison.
	Candidate, Baseline *rollup.Segment
	MaxErrorRateDelta   float64
	MaxP95Ratio         float64
}

// ParseGateQuery reads a gate request's query string: max_burn (default
// 1), window (default 1h; 28d style durations), and for a canary
// candidate and baseline as key=value segments (span.app.version=1.5.0)
// with max_error_rate_delta (default 0.01) and max_p95_ratio (default
// 1.2). It returns a *fault.Invalid naming each bad parameter.
func ParseGateQuery(v url.Values) (Query, error) {
	q := Query{MaxBurn: DefaultMaxBurn, Window: DefaultGateWindow,
		MaxErrorRateDelta: DefaultMaxErrorRateDelta, MaxP95Ratio: DefaultMaxP95Ratio}
	e := &fault.Invalid{What: "input"}
	num := func(name string, dst *float64, ok func(float64) bool, msg string) {
		raw := v.Get(name)
		if raw == "" {
			return
		}
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || !ok(x) {
			e.Add(name, fmt.Sprintf("%q is not %s", raw, msg))
			return
		}
		*dst = x
	}
	num("max_burn", &q.MaxBurn, func(x float64) bool { return x >= 0 }, "a number of at least 0, e.g. 2")
	num("max_error_rate_delta", &q.MaxErrorRateDelta, func(x float64) bool { return x >= 0 && x <= 1 }, "a number between 0 and 1, e.g. 0.01")
	num("max_p95_ratio", &q.MaxP95Ratio, func(x float64) bool { return x > 0 }, "a positive number, e.g. 1.2")
	if raw := v.Get("window"); raw != "" {
		d, err := journeys.ParseDuration(raw)
		switch {
		case err != nil:
			e.Add("window", fmt.Sprintf("%q is not a duration such as 1h or 30m", raw))
		case d.D < MinGateWindow || d.D > MaxGateWindow:
			e.Add("window", fmt.Sprintf("must be between %s and %s", journeys.FormatWindow(MinGateWindow), journeys.FormatWindow(MaxGateWindow)))
		default:
			q.Window = d.D
		}
	}
	seg := func(name string) *rollup.Segment {
		raw := v.Get(name)
		if raw == "" {
			return nil
		}
		s, err := ParseSegment(raw)
		if err != nil {
			e.Add(name, err.Error())
			return nil
		}
		return &s
	}
	q.Candidate, q.Baseline = seg("candidate"), seg("baseline")
	switch {
	case v.Get("candidate") != "" && v.Get("baseline") == "":
		e.Add("baseline", "required with candidate")
	case v.Get("baseline") != "" && v.Get("candidate") == "":
		e.Add("candidate", "required with baseline")
	}
	return q, e.Err()
}

// ParseSegment reads a segment written key=value, e.g.
// span.app.version=1.5.0; the value may contain "=".
func ParseSegment(raw string) (rollup.Segment, error) {
	k, val, ok := strings.Cut(raw, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" || val == "" {
		return rollup.Segment{}, fmt.Errorf("%q is not key=value, e.g. span.app.version=1.5.0", raw)
	}
	return rollup.Segment{Key: k, Value: val}, nil
}

// validate checks what ParseGateQuery checks, for queries built in code.
func (q Query) validate(slos bool) error {
	e := &fault.Invalid{What: "input"}
	if q.Window < MinGateWindow || q.Window > MaxGateWindow {
		e.Add("window", fmt.Sprintf("must be between %s and %s", journeys.FormatWindow(MinGateWindow), journeys.FormatWindow(MaxGateWindow)))
	}
	if slos && (!(q.MaxBurn >= 0) || math.IsInf(q.MaxBurn, 1)) {
		e.Add("max_burn", "must be a number of at least 0, e.g. 2")
	}
	if (q.Candidate == nil) != (q.Baseline == nil) {
		e.Add("baseline", "candidate and baseline go together")
	}
	if q.Candidate != nil {
		if !(q.MaxErrorRateDelta >= 0 && q.MaxErrorRateDelta <= 1) {
			e.Add("max_error_rate_delta", "must be a number between 0 and 1, e.g. 0.01")
		}
		if !(q.MaxP95Ratio > 0) || math.IsInf(q.MaxP95Ratio, 1) {
			e.Add("max_p95_ratio", "must be a positive number, e.g. 1.2")
		}
	}
	return e.Err()
}

// Values writes q as a query string that ParseGateQuery reads back.
func (q Query) Values() url.Values {
	v := url.Values{}
	v.Set("max_burn", strconv.FormatFloat(q.MaxBurn, 'f', -1, 64))
	v.Set("window", journeys.NewDuration(q.Window).String())
	if q.Candidate != nil && q.Baseline != nil {
		v.Set("candidate", q.Candidate.Key+"="+q.Candidate.Value)
		v.Set("baseline", q.Baseline.Key+"="+q.Baseline.Value)
	}
	v.Set("max_error_rate_delta", strconv.FormatFloat(q.MaxErrorRateDelta, 'f', -1, 64))
	v.Set("max_p95_ratio", strconv.FormatFloat(q.MaxP95Ratio, 'f', -1, 64))
	return v
}

// BadGateRequest is the answer to a gate request whose parameters are
// invalid: cannot decide, saying why.
func BadGateRequest(slug string, err error) Result {
	return Result{Verdict: slo.VerdictCannotDecide, Reason: "bad request: " + err.Error(), Journey: slug, Checks: []Check{}}
}

// Gate decides whether a deployment may proceed on the SLOs of a journey:
// it fails when any SLO burns more than maxBurn over the last window, and
// cannot decide on stale rollups, on too little traffic (the SLO's
// minimum events) or for a journey without SLOs. For an unknown journey
// it returns a cannot_decide result and an error wrapping fault.ErrNotFound
// (HTTP 404); other errors are failures to read.
func (s *Service) Gate(ctx context.Context, slug string, maxBurn float64, window time.Duration) (Result, error) {
	return s.RunGate(ctx, slug, Query{MaxBurn: maxBurn, Window: window})
}

// Canary compares a candidate segment of a journey's traffic with a
// baseline, step by step, over the last window (see slo.Canary): it fails
// when on any step the candidate's error rate is more than
// maxErrorRateDelta above the baseline's or its p95 more than maxP95Ratio
// times the baseline's, and cannot decide on stale rollups, on a segment
// key the journey does not break down by, or on too little traffic.
func (s *Service) Canary(ctx context.Context, slug string, candidate, baseline rollup.Segment, window time.Duration, maxErrorRateDelta, maxP95Ratio float64) (Result, error) {
	return s.gate(ctx, slug, Query{Window: window, Candidate: &candidate, Baseline: &baseline,
		MaxErrorRateDelta: maxErrorRateDelta, MaxP95Ratio: maxP95Ratio}, false)
}

// RunGate answers a whole gate request: the SLO gate, and the canary when
// q has a candidate and a baseline.
func (s *Service) RunGate(ctx context.Context, slug string, q Query) (Result, error) {
	return s.gate(ctx, slug, q, true)
}

func (s *Service) gate(ctx context.Context, slug string, q Query, slos bool) (Result, error) {
	now := s.now().UTC()
	res := Result{Journey: slug, Window: journeys.FormatWindow(q.Window), MaxBurn: q.MaxBurn, At: now,
		Candidate: q.Candidate, Baseline: q.Baseline, Checks: []Check{}}
	if err := q.validate(slos); err != nil {
		return BadGateRequest(slug, err), err
	}
	j, err := s.evals.Journey(ctx, slug)
	if errors.Is(err, fault.ErrNotFound) {
		res.Verdict, res.Reason = slo.VerdictCannotDecide, fmt.Sprintf("journey %q not found", slug)
		return res, err
	}
	if err != nil {
		return Result{}, err
	}
	end, stale, staleReason, err := s.evals.DataEnd(ctx, slug, now)
	if err != nil {
		return Result{}, err
	}
	res.DataThrough = end
	fresh := Check{Kind: CheckFreshness, Name: "rollups", Verdict: slo.VerdictPass,
		Reason: "rollups complete through " + end.Format("2006-01-02 15:04 UTC")}
	if stale {
		fresh.Verdict, fresh.Reason = slo.VerdictCannotDecide, staleReason
	}
	res.Checks = append(res.Checks, fresh)

	if slos {
		if len(j.Record.Journey.Spec.SLOs) == 0 && q.Candidate == nil {
			res.Checks = append(res.Checks, Check{Kind: CheckSLO, Name: "", Verdict: slo.VerdictCannotDecide,
				Reason: fmt.Sprintf("journey %q has no SLOs to judge", slug)})
		}
		for _, def := range j.Record.Journey.Spec.SLOs {
			c, err := s.sloGate(ctx, j, def, q, end)
			if err != nil {
				return Result{}, err
			}
			res.Checks = append(res.Checks, c)
		}
	}
	if q.Candidate != nil && q.Baseline != nil {
		cs, err := s.canaryChecks(ctx, j, q, end)
		if err != nil {
			return Result{}, err
		}
		res.Checks = append(res.Checks, cs...)
	}
	res.Verdict, res.Reason = overall(res.Checks, q, slos)
	return res, nil
}

func (s *Service) sloGate(ctx context.Context, j sloeval.LiveJourney, def journeys.SLO, q Query, end time.Time) (Check, error) {
	check := Check{Kind: CheckSLO, Name: def.Name}
	step, err := sloeval.StepIndex(j.Record.Journey, def)
	if err != nil {
		return check, err
	}
	minEvents, err := s.evals.Guard(ctx, j, def)
	if err != nil {
		return check, err
	}
	// A conversion SLO's window holds the cohorts that closed in it, as
	// everywhere (rollup.Store.SLI): a gate cannot judge sessions that
	// have not had their correlation window yet.
	series, err := s.evals.Series(ctx, j.Slug(), def, step, end, []time.Duration{q.Window})
	if err != nil {
		return check, err
	}
	r, err := slo.GateBurn(series, q.Window, q.MaxBurn, def.Objective, minEvents, end)
	if err != nil {
		return check, fmt.Errorf("gate on SLO %q: %w", def.Name, err)
	}
	check.Verdict, check.Reason, check.Burn = r.Verdict, def.Name+": "+r.Reason, &r
	if def.Kind == journeys.SLOConversion {
		w := rollup.Window(j.Record.Journey)
		check.Reason += fmt.Sprintf(" (journeys whose %s window closed then: entered %s to %s before the rollups' end)",
			journeys.FormatWindow(w), journeys.FormatWindow(q.Window+w), journeys.FormatWindow(w))
	}
	return check, nil
}

func (s *Service) canaryChecks(ctx context.Context, j sloeval.LiveJourney, q Query, end time.Time) ([]Check, error) {
	jr := j.Record.Journey
	for _, seg := range []*rollup.Segment{q.Candidate, q.Baseline} {
		if !slices.Contains(jr.Spec.Segments, seg.Key) {
			return []Check{{Kind: CheckCanary, Name: seg.Key, Verdict: slo.VerdictCannotDecide,
				Reason: fmt.Sprintf("%s is not a segment of journey %q; add it to spec.segments", seg.Key, j.Slug())}}, nil
		}
	}
	from := end.Add(-q.Window)
	cand, err := s.evals.Stats(ctx, j.Slug(), from, end, q.Candidate)
	if err != nil {
		return nil, err
	}
	base, err := s.evals.Stats(ctx, j.Slug(), from, end, q.Baseline)
	if err != nil {
		return nil, err
	}
	stats := func(st rollup.JourneyStats, k int) slo.Stats {
		if k >= len(st.Steps) {
			return slo.Stats{}
		}
		x := st.Steps[k]
		return slo.Stats{Total: x.Spans, Errors: x.Errors, P95: time.Duration(math.Round(x.P95 * float64(time.Millisecond)))}
	}
	var out []Check
	for k, step := range jr.Spec.Steps {
		r, err := slo.Canary(stats(cand, k), stats(base, k), q.MaxErrorRateDelta, q.MaxP95Ratio, s.opts.CanaryMinEvents)
		if err != nil {
			return nil, fmt.Errorf("canary on step %q: %w", step.Name, err)
		}
		out = append(out, Check{Kind: CheckCanary, Name: step.Name, Verdict: r.Verdict, Reason: step.Name + ": " + r.Reason, Canary: &r})
	}
	return out, nil
}

// overall is the gate's verdict: fail when any check fails (bad events
// seen are evidence even on stale data), else cannot decide when any
// check cannot, else pass; with one line saying why.
func overall(checks []Check, q Query, slos bool) (slo.Verdict, string) {
	var failed, unsure []string
	nSLO, nCanary := 0, 0
	for _, c := range checks {
		switch c.Verdict {
		case slo.VerdictFail:
			failed = append(failed, c.Reason)
		case slo.VerdictCannotDecide:
			unsure = append(unsure, c.Reason)
		}
		switch {
		case c.Kind == CheckSLO && c.Burn != nil:
			nSLO++
		case c.Kind == CheckCanary && c.Canary != nil:
			nCanary++
		}
	}
	switch {
	case len(failed) > 0:
		return slo.VerdictFail, strings.Join(failed, "; ")
	case len(unsure) > 0:
		return slo.VerdictCannotDecide, strings.Join(unsure, "; ")
	}
	var parts []string
	if slos && nSLO > 0 {
		noun := "SLOs burn"
		if nSLO == 1 {
			noun = "SLO burns"
		}
		parts = append(parts, fmt.Sprintf("%d %s within %s over the last %s", nSLO, noun, slo.FormatRate(q.MaxBurn), journeys.FormatWindow(q.Window)))
	}
	if nCanary > 0 {
		parts = append(parts, fmt.Sprintf("candidate %s=%s within limits of baseline %s=%s on %d steps",
			q.Candidate.Key, q.Candidate.Value, q.Baseline.Key, q.Baseline.Value, nCanary))
	}
	return slo.VerdictPass, strings.Join(parts, "; ")
}
