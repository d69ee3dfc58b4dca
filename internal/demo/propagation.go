package demo

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// PropagationBreak scripts a release that loses trace context on one hop:
// while it is active, the service of Step runs Version, which starts a
// trace of its own for the child span Span instead of continuing the
// step's trace (as when work moves onto a worker pool or behind a client
// that no longer injects traceparent). Outside its windows the service
// runs Fixed, which propagates again, or its usual version before the
// first window. It is no deploy marker and changes no error or latency:
// only a trace-correlated journey sees it, as step spans without their
// first step, and `waymark check` names the hop.
type PropagationBreak struct {
	Enabled bool   `json:"enabled"`
	Step    string `json:"step"`
	Span    string `json:"span"`
	Version string `json:"version"`
	// Fixed is the version after the first window; "" keeps the
	// service's usual version throughout.
	Fixed string `json:"fixed,omitempty"`
	// Active from After past the traffic's start, for For, and again every
	// Every when Every > 0, like BadDeploy; a step is affected when its
	// root span starts while the break is active.
	After time.Duration `json:"after"`
	For   time.Duration `json:"for"`
	Every time.Duration `json:"every,omitempty"`
}

func (b PropagationBreak) validate() error {
	if !b.Enabled {
		return nil
	}
	var errs []error
	i := StepIndex(b.Step)
	if i < 0 {
		errs = append(errs, fmt.Errorf("propagation_break.step: unknown step %q", b.Step))
	} else if !slices.ContainsFunc(shop[i].Children, func(c ChildInfo) bool { return c.Name == b.Span }) {
		errs = append(errs, fmt.Errorf("propagation_break.span: step %s has no child span %q", b.Step, b.Span))
	}
	if b.Version == "" {
		errs = append(errs, errors.New("propagation_break.version is required"))
	}
	if b.After < 0 || b.For <= 0 || b.Every < 0 || (b.Every > 0 && b.Every < b.For) {
		errs = append(errs, fmt.Errorf("propagation_break timing must satisfy after >= 0, for > 0 and every = 0 or every >= for (after %s, for %s, every %s)", b.After, b.For, b.Every))
	}
	return errors.Join(errs...)
}

func (b PropagationBreak) active(start, t time.Time) bool {
	return b.Enabled && scheduleActive(b.After, b.For, b.Every, start, t)
}

func (b PropagationBreak) windows(start, end time.Time) []Window {
	if !b.Enabled {
		return nil
	}
	return scheduleWindows(b.After, b.For, b.Every, start, end)
}

// version is the service version of step i at t, and whether it breaks
// propagation.
func (p *planner) version(i int, t time.Time) (string, bool) {
	// A deployed release reports its own version, as the deploy marker
	// says.
	if d := p.cfg.BadDeploy; d.ServiceVersion != "" && d.Step == shop[i].Key && d.active(p.start, t) {
		return d.ServiceVersion, false
	}
	b := p.cfg.PropagationBreak
	if !b.Enabled || b.Step != shop[i].Key {
		return shop[i].ServiceVersion, false
	}
	switch {
	case b.active(p.start, t):
		return b.Version, true
	case b.Fixed != "" && !t.Before(p.start.Add(b.After)):
		return b.Fixed, false
	}
	return shop[i].ServiceVersion, false
}

// breakStream seeds the trace ids of broken spans apart from the sessions'
// draws, so that a break leaves every other id and timing alone.
const breakStream = 0xb4ea_c0de

// newTraceID draws the id of the trace a broken span of session idx
// starts.
func (p *planner) newTraceID(idx int) trace.TraceID {
	return traceID(rand.New(rand.NewPCG(uint64(p.cfg.Seed)^breakStream, uint64(idx))))
}

// BrokenSpan is a span that lost its trace context: it was sent as the
// root of a trace of its own instead of inside its step's trace.
type BrokenSpan struct {
	Step           string `json:"step"`
	Service        string `json:"service"`
	ServiceVersion string `json:"service_version"`
	Span           string `json:"span"`
	SpanID         string `json:"span_id"`
	// TraceID is the step's trace, which the span should have been in;
	// NewTraceID the trace it started.
	TraceID    string `json:"trace_id"`
	NewTraceID string `json:"new_trace_id"`
}
