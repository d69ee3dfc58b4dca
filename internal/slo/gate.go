package slo

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Verdict is a gate's answer.
type Verdict string

// Verdicts.
const (
	VerdictPass Verdict = "pass"
	VerdictFail Verdict = "fail"
	// VerdictCannotDecide: too little traffic to tell; the caller chooses
	// whether that blocks a deployment.
	VerdictCannotDecide Verdict = "cannot_decide"
)

// GateResult is the answer of GateBurn with the numbers behind it.
type GateResult struct {
	Verdict Verdict `json:"verdict"`
	// Reason says the verdict in one line.
	Reason    string  `json:"reason"`
	Burn      Burn    `json:"burn"`
	MaxBurn   float64 `json:"max_burn"`
	Objective float64 `json:"objective"`
	MinEvents int64   `json:"min_events"`
}

// GateBurn decides whether a deployment may proceed: it fails when the
// burn over [now-window, now) exceeds maxBurn, and cannot decide on fewer
// than minEvents events (or none). A burn equal to maxBurn passes.
func GateBurn(s Series, window time.Duration, maxBurn, objective float64, minEvents int64, now time.Time) (GateResult, error) {
	eb, err := errorBudget(objective)
	if err != nil {
		return GateResult{}, err
	}
	switch {
	case window <= 0:
		return GateResult{}, fmt.Errorf("gate window %s must be positive", window)
	case !(maxBurn >= 0) || math.IsInf(maxBurn, 1):
		return GateResult{}, fmt.Errorf("maximum burn %v must be a number of at least 0", maxBurn)
	case minEvents < 0:
		return GateResult{}, fmt.Errorf("minimum events %d must not be negative", minEvents)
	}
	b := burnOver(s, window, eb, now)
	r := GateResult{Burn: b, MaxBurn: maxBurn, Objective: objective, MinEvents: minEvents}
	w := journeys.FormatWindow(window)
	switch {
	case b.NoData:
		r.Verdict = VerdictCannotDecide
		r.Reason = fmt.Sprintf("no events in the last %s", w)
	case b.Events.Total < minEvents:
		r.Verdict = VerdictCannotDecide
		r.Reason = fmt.Sprintf("only %d events in the last %s, need at least %d", b.Events.Total, w, minEvents)
	case exceeds(b.Rate, maxBurn):
		r.Verdict = VerdictFail
		r.Reason = fmt.Sprintf("burn %s over the last %s exceeds %s (%d bad of %d events)",
			FormatRate(b.Rate), w, FormatRate(maxBurn), b.Events.Bad(), b.Events.Total)
	default:
		r.Verdict = VerdictPass
		r.Reason = fmt.Sprintf("burn %s over the last %s is within %s (%d bad of %d events)",
			FormatRate(b.Rate), w, FormatRate(maxBurn), b.Events.Bad(), b.Events.Total)
	}
	return r, nil
}

// Stats are the numbers of one traffic segment a canary compares, e.g. one
// service version.
type Stats struct {
	Total  int64         `json:"total"`
	Errors int64         `json:"errors"`
	P95    time.Duration `json:"p95"`
}

// ErrorRate returns Errors / Total, 0 without traffic.
func (s Stats) ErrorRate() float64 {
	if s.Total == 0 {
		return 0
	}
	return float64(s.Errors) / float64(s.Total)
}

func (s Stats) validate(name string) error {
	switch {
	case s.Total < 0 || s.Errors < 0:
		return fmt.Errorf("%s: counts must not be negative (errors %d, total %d)", name, s.Errors, s.Total)
	case s.Errors > s.Total:
		return fmt.Errorf("%s: errors %d exceed total %d", name, s.Errors, s.Total)
	case s.P95 < 0:
		return fmt.Errorf("%s: p95 %s must not be negative", name, s.P95)
	}
	return nil
}

// CanaryResult is the answer of Canary with the numbers behind it.
type CanaryResult struct {
	Verdict   Verdict `json:"verdict"`
	Reason    string  `json:"reason"`
	Candidate Stats   `json:"candidate"`
	Baseline  Stats   `json:"baseline"`
	// ErrorRateDelta is the candidate's error rate minus the baseline's.
	ErrorRateDelta float64 `json:"error_rate_delta"`
	// P95Ratio is the candidate's p95 over the baseline's; 0 when the
	// baseline's is 0 and the candidate's is not.
	P95Ratio          float64 `json:"p95_ratio"`
	MaxErrorRateDelta float64 `json:"max_error_rate_delta"`
	MaxP95Ratio       float64 `json:"max_p95_ratio"`
	MinEvents         int64   `json:"min_events"`
}

// Canary compares a candidate segment (a new version, a flag turned on)
// with its baseline. It fails when the candidate's error rate is more than
// maxErrorRateDelta above the baseline's (0.01 is one percentage point) or
// its p95 more than maxP95Ratio times the baseline's, and cannot decide
// when either segment has fewer than minEvents events (or none), or the
// baseline's p95 is 0 while the candidate's is not. Values equal to a
// limit pass.
func Canary(candidate, baseline Stats, maxErrorRateDelta, maxP95Ratio float64, minEvents int64) (CanaryResult, error) {
	if err := candidate.validate("candidate"); err != nil {
		return CanaryResult{}, err
	}
	if err := baseline.validate("baseline"); err != nil {
		return CanaryResult{}, err
	}
	switch {
	case !(maxErrorRateDelta >= 0 && maxErrorRateDelta <= 1):
		return CanaryResult{}, fmt.Errorf("maximum error rate delta %v must be between 0 and 1, e.g. 0.01 for one percentage point", maxErrorRateDelta)
	case !(maxP95Ratio > 0) || math.IsInf(maxP95Ratio, 1):
		return CanaryResult{}, fmt.Errorf("maximum p95 ratio %v must be a positive number, e.g. 1.2", maxP95Ratio)
	case minEvents < 0:
		return CanaryResult{}, fmt.Errorf("minimum events %d must not be negative", minEvents)
	}
	r := CanaryResult{
		Candidate:         candidate,
		Baseline:          baseline,
		ErrorRateDelta:    candidate.ErrorRate() - baseline.ErrorRate(),
		MaxErrorRateDelta: maxErrorRateDelta,
		MaxP95Ratio:       maxP95Ratio,
		MinEvents:         minEvents,
	}
	switch {
	case baseline.P95 > 0:
		r.P95Ratio = float64(candidate.P95) / float64(baseline.P95)
	case candidate.P95 == 0:
		r.P95Ratio = 1
	}

	for _, seg := range []struct {
		name string
		s    Stats
	}{{"candidate", candidate}, {"baseline", baseline}} {
		if seg.s.Total == 0 || seg.s.Total < minEvents {
			r.Verdict = VerdictCannotDecide
			r.Reason = fmt.Sprintf("%s has %d events, need at least %d", seg.name, seg.s.Total, max(minEvents, 1))
			return r, nil
		}
	}
	if baseline.P95 == 0 && candidate.P95 > 0 {
		r.Verdict = VerdictCannotDecide
		r.Reason = fmt.Sprintf("baseline p95 is 0, so candidate p95 %s cannot be compared", candidate.P95)
		return r, nil
	}

	errs := fmt.Sprintf("error rate %s vs baseline %s (%s pp, limit +%s pp)",
		FormatPercent(candidate.ErrorRate()), FormatPercent(baseline.ErrorRate()),
		signed(r.ErrorRateDelta*100), FormatNumber(maxErrorRateDelta*100))
	lat := fmt.Sprintf("p95 %s vs baseline %s (%s, limit %s)",
		candidate.P95, baseline.P95, FormatRate(r.P95Ratio), FormatRate(maxP95Ratio))
	var failed []string
	if exceeds(r.ErrorRateDelta, maxErrorRateDelta) {
		failed = append(failed, errs)
	}
	if exceeds(r.P95Ratio, maxP95Ratio) {
		failed = append(failed, lat)
	}
	if len(failed) > 0 {
		r.Verdict = VerdictFail
		r.Reason = "candidate " + strings.Join(failed, "; ")
		return r, nil
	}
	r.Verdict = VerdictPass
	r.Reason = "candidate " + errs + "; " + lat
	return r, nil
}

// signed writes x to two decimals with its sign: +1.5, -0.25, +0.
func signed(x float64) string {
	s := FormatNumber(x)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}
