package propagation

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/waymarkhq/waymark/journeys"
)

// Names of the checks, in the order each journey reports them.
const (
	CheckSteps       = "steps"       // every step has spans
	CheckPropagation = "propagation" // trace correlation: later steps share a trace with step 1
	CheckOrphans     = "orphans"     // no span's parent is missing from a complete trace
	CheckCorrelation = "correlation" // attribute correlation: step spans carry the attribute
	CheckSegments    = "segments"    // the spans segments are read from carry them
)

// Checks lists the checks in report order.
var Checks = []string{CheckSteps, CheckPropagation, CheckOrphans, CheckCorrelation, CheckSegments}

// Result is the outcome of every check of every journey.
type Result struct {
	Journeys []JourneyResult
}

// JourneyResult is one journey's checks, in the order of Checks.
type JourneyResult struct {
	Slug   string
	Checks []CheckResult
}

// CheckResult is one check of one journey.
type CheckResult struct {
	Name string
	// Skipped says why the check does not apply; empty when it ran.
	Skipped  string
	Failures []Failure
}

// Failure is one thing wrong, with where to look: the journey, the step
// (1-based) and its service, and a trace that shows it.
type Failure struct {
	Journey  string
	Check    string
	Step     int
	StepName string
	Service  string
	// TraceID is the example trace; empty when there is none (a step
	// without spans).
	TraceID string
	Message string
}

// String is the failure on one line.
func (f Failure) String() string {
	tr := f.TraceID
	if tr == "" {
		tr = "none"
	}
	return fmt.Sprintf("FAIL [%s] %s step %d %q service %s trace %s: %s",
		f.Check, f.Journey, f.Step, f.StepName, f.Service, tr, f.Message)
}

// Failures returns every failure, journey by journey in check order.
func (r Result) Failures() []Failure {
	var out []Failure
	for _, j := range r.Journeys {
		for _, c := range j.Checks {
			out = append(out, c.Failures...)
		}
	}
	return out
}

// Check runs every check of every journey over set. A journey whose
// steps do not compile is an error: it cannot be judged.
func Check(js []journeys.Journey, set *Set) (Result, error) {
	var res Result
	for _, j := range js {
		jr, err := checkJourney(j, set)
		if err != nil {
			return Result{}, fmt.Errorf("journey %s: %w", j.Metadata.Slug, err)
		}
		res.Journeys = append(res.Journeys, jr)
	}
	return res, nil
}

// journeyView is one journey's step spans, found once for all checks.
type journeyView struct {
	j     journeys.Journey
	set   *Set
	steps [][]*Span // per step, in start order
	// inTrace[traceID][k] says the trace holds a span of step k.
	inTrace map[string][]bool
}

func checkJourney(j journeys.Journey, set *Set) (JourneyResult, error) {
	v := &journeyView{j: j, set: set, steps: make([][]*Span, len(j.Spec.Steps)), inTrace: map[string][]bool{}}
	compiled := make([]*journeys.CompiledPattern, len(j.Spec.Steps))
	for k, s := range j.Spec.Steps {
		c, err := s.Match.Compile()
		if err != nil {
			return JourneyResult{}, fmt.Errorf("step %q: %w", s.Name, err)
		}
		compiled[k] = c
	}
	for _, tid := range set.order {
		for _, sp := range set.traces[tid].spans {
			for k, c := range compiled {
				if !c.Matches(sp.Service, sp.Name, sp.Kind, sp.Lookup) {
					continue
				}
				v.steps[k] = append(v.steps[k], sp)
				in := v.inTrace[sp.TraceID]
				if in == nil {
					in = make([]bool, len(compiled))
					v.inTrace[sp.TraceID] = in
				}
				in[k] = true
			}
		}
	}
	for k := range v.steps {
		slices.SortStableFunc(v.steps[k], earlier)
	}
	jr := JourneyResult{Slug: j.Metadata.Slug}
	jr.Checks = append(jr.Checks,
		v.stepsSeen(), v.propagation(), v.orphans(), v.correlation(), v.segments())
	return jr, nil
}

// earlier orders spans by start, then trace and span id, so that the
// example trace of a failure does not depend on file order.
func earlier(a, b *Span) int {
	return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.TraceID, b.TraceID), strings.Compare(a.SpanID, b.SpanID))
}

func (v *journeyView) failure(check string, k int, traceID, msg string) Failure {
	s := v.j.Spec.Steps[k]
	return Failure{Journey: v.j.Metadata.Slug, Check: check, Step: k + 1, StepName: s.Name,
		Service: s.Match.Service, TraceID: traceID, Message: msg}
}

func (v *journeyView) stepsSeen() CheckResult {
	c := CheckResult{Name: CheckSteps}
	for k, s := range v.j.Spec.Steps {
		if len(v.steps[k]) == 0 {
			c.Failures = append(c.Failures, v.failure(CheckSteps, k, "", "no span matches "+describe(s.Match)))
		}
	}
	return c
}

// describe spells a pattern for a message.
func describe(p journeys.Pattern) string {
	parts := []string{"service " + p.Service}
	if p.SpanRegex != "" {
		parts = append(parts, fmt.Sprintf("span =~ %q", p.SpanRegex))
	} else {
		parts = append(parts, fmt.Sprintf("span %q", p.Span))
	}
	if p.Kind != "" {
		parts = append(parts, "kind "+p.Kind)
	}
	switch n := len(p.Attributes); n {
	case 0:
	case 1:
		parts = append(parts, "1 attribute matcher")
	default:
		parts = append(parts, fmt.Sprintf("%d attribute matchers", n))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// propagation finds, for a journey correlated by trace, the traces that
// hold spans of later steps but none of step 1. Each such trace starts
// at the first step it holds, m: the hop from step m-1's service to step
// m's lost the trace context. Traces are grouped by m.
func (v *journeyView) propagation() CheckResult {
	c := CheckResult{Name: CheckPropagation}
	switch {
	case !v.j.Spec.Correlation.ByTrace():
		c.Skipped = "correlated by " + v.j.Spec.Correlation.By + ", not by trace"
		return c
	case len(v.steps[0]) == 0:
		c.Skipped = "step 1 has no spans"
		return c
	}
	broken := make([][]string, len(v.j.Spec.Steps)) // trace ids by first step held
	example := make([]*Span, len(v.j.Spec.Steps))
	for k := 1; k < len(v.steps); k++ {
		for _, sp := range v.steps[k] {
			in := v.inTrace[sp.TraceID]
			if in[0] {
				continue
			}
			m := slices.Index(in, true)
			if m != k {
				continue // counted at its first step
			}
			if !slices.Contains(broken[m], sp.TraceID) {
				broken[m] = append(broken[m], sp.TraceID)
			}
			if example[m] == nil || earlier(sp, example[m]) < 0 {
				example[m] = sp
			}
		}
	}
	steps := v.j.Spec.Steps
	for m := 1; m < len(steps); m++ {
		n := len(broken[m])
		if n == 0 {
			continue
		}
		msg := fmt.Sprintf("trace context lost between %s (step %d) and %s: %s this step without step 1 %q",
			steps[m-1].Match.Service, m, steps[m].Match.Service, plural(n, "trace reaches", "traces reach"), steps[0].Name)
		c.Failures = append(c.Failures, v.failure(CheckPropagation, m, example[m].TraceID, msg))
	}
	return c
}

// orphans finds spans whose parent is missing from a trace that holds a
// span of the journey and otherwise looks complete: the trace has a root
// span (one without a parent), so it was recorded from its start, and a
// missing parent means a span between the two was never exported. Traces
// without a root are left alone: they began outside what was recorded
// (a test client that does not export, say). Orphans are grouped by
// service and span name; the step named is the journey's first step in
// the example trace.
func (v *journeyView) orphans() CheckResult {
	c := CheckResult{Name: CheckOrphans}
	type group struct {
		service, name string
		n             int
		example       *Span
	}
	groups := map[[2]string]*group{}
	for _, tid := range v.set.order {
		in := v.inTrace[tid]
		t := v.set.traces[tid]
		if in == nil || t.roots == 0 {
			continue
		}
		for _, sp := range t.spans {
			if sp.ParentID == "" || t.ids[sp.ParentID] {
				continue
			}
			key := [2]string{sp.Service, sp.Name}
			g := groups[key]
			if g == nil {
				g = &group{service: sp.Service, name: sp.Name}
				groups[key] = g
			}
			g.n++
			if g.example == nil || earlier(sp, g.example) < 0 {
				g.example = sp
			}
		}
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	slices.SortFunc(list, func(a, b *group) int { return earlier(a.example, b.example) })
	for _, g := range list {
		t := v.set.traces[g.example.TraceID]
		k := slices.Index(v.inTrace[t.id], true)
		root := t.root()
		msg := fmt.Sprintf("%s %q of %s with a parent span missing from the trace (root %q of %s): the parent's service did not export its span",
			plural(g.n, "span", "spans"), g.name, g.service, root.Name, root.Service)
		f := v.failure(CheckOrphans, k, t.id, msg)
		f.Service = g.service
		c.Failures = append(c.Failures, f)
	}
	return c
}

// root is the earliest root span of a trace that has one.
func (t *trace) root() *Span {
	var r *Span
	for _, sp := range t.spans {
		if sp.ParentID == "" && (r == nil || earlier(sp, r) < 0) {
			r = sp
		}
	}
	return r
}

// correlation finds, for a journey correlated by an attribute, step spans
// that lack it: they cannot be tied to their session.
func (v *journeyView) correlation() CheckResult {
	c := CheckResult{Name: CheckCorrelation}
	key := v.j.Spec.Correlation.By
	if v.j.Spec.Correlation.ByTrace() {
		c.Skipped = "correlated by trace"
		return c
	}
	for k := range v.steps {
		if f, ok := v.lacking(CheckCorrelation, k, key, "the correlation attribute"); ok {
			c.Failures = append(c.Failures, f)
		}
	}
	return c
}

// segments finds spans that lack a segment attribute, among the spans
// segments are read from: with trace correlation a journey instance
// counts in the values of its step-1 span, so only step 1 needs them; with
// attribute correlation every step's span counts in its own.
func (v *journeyView) segments() CheckResult {
	c := CheckResult{Name: CheckSegments}
	if len(v.j.Spec.Segments) == 0 {
		c.Skipped = "the journey has no segments"
		return c
	}
	steps := len(v.steps)
	if v.j.Spec.Correlation.ByTrace() {
		steps = 1
	}
	for k := 0; k < steps; k++ {
		for _, key := range v.j.Spec.Segments {
			if f, ok := v.lacking(CheckSegments, k, key, "segment"); ok {
				c.Failures = append(c.Failures, f)
			}
		}
	}
	return c
}

// lacking reports the spans of step k without attribute key.
func (v *journeyView) lacking(check string, k int, key, what string) (Failure, bool) {
	var n int
	var example *Span
	for _, sp := range v.steps[k] {
		if sp.Has(key) {
			continue
		}
		n++
		if example == nil {
			example = sp // spans are in start order
		}
	}
	if n == 0 {
		return Failure{}, false
	}
	msg := fmt.Sprintf("spans without %s %s: %d of %d", what, key, n, len(v.steps[k]))
	return v.failure(check, k, example.TraceID, msg), true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
