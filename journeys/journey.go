// Package journeys is Waymark's domain: journeys, their steps and span
// patterns, SLO definitions, and the spans and traces they are computed from.
// It is pure Go: no I/O, no HTTP, no database.
package journeys

import (
	"slices"
	"time"
)

// APIVersion and Kind identify the YAML form of a journey. They are a public
// interface: teams keep journey files in git and apply them from CI.
const (
	APIVersion = "waymark/v1"
	Kind       = "Journey"
)

// Journey is an ordered set of steps a user goes through, e.g. login → browse
// → add to cart → checkout → payment. Its shape mirrors the YAML form exactly,
// so that a file applied and exported again comes back byte-identical.
type Journey struct {
	APIVersion string   `yaml:"apiVersion" json:"apiVersion"`
	Kind       string   `yaml:"kind" json:"kind"`
	Metadata   Metadata `yaml:"metadata" json:"metadata"`
	Spec       Spec     `yaml:"spec" json:"spec"`
}

// Metadata names and owns a journey.
type Metadata struct {
	Slug        string `yaml:"slug" json:"slug"`
	Name        string `yaml:"name" json:"name"`
	Owner       string `yaml:"owner,omitempty" json:"owner,omitempty"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
}

// Spec is what a journey measures.
type Spec struct {
	Correlation Correlation `yaml:"correlation" json:"correlation"`
	// Segments are scoped attribute keys to break numbers down by, e.g.
	// span.user.tier. A journey instance is counted in the value it had when
	// it entered step 1.
	Segments []string `yaml:"segments,omitempty" json:"segments,omitempty"`
	// Attribution overrides, per segment key, which span's value a step's
	// spans count under with trace correlation, and whether the key also
	// gets funnel rows by step (see SegmentAttribution).
	Attribution map[string]Attribution `yaml:"attribution,omitempty" json:"attribution,omitempty"`
	// Value is an optional numeric attribute (e.g. span.order.total) summed
	// per step, for revenue at risk.
	Value string `yaml:"value,omitempty" json:"value,omitempty"`
	Steps []Step `yaml:"steps" json:"steps"`
	SLOs  []SLO  `yaml:"slos,omitempty" json:"slos,omitempty"`
}

// Attribution says which span's value of a segment key a step's spans count
// under, when the steps of an instance are spans of one trace.
type Attribution string

// Attributions.
const (
	// AttributeAtEntry counts every step's spans under the value the
	// trace's step-1 span carries: business attributes (user tier, app
	// version, feature flags) live there.
	AttributeAtEntry Attribution = "entry"
	// AttributeAtStep counts each step's spans under their own value:
	// infrastructure attributes (host, pod, zone) belong to the span that
	// ran on them. With either correlation, such a key also counts each
	// instance at each step under its step span's value and whether it
	// went on, so that drops can be traced to the instance that served
	// the step.
	AttributeAtStep Attribution = "step"
)

// stepAttributed are the resource attributes of the infrastructure a span
// ran on: segment keys on them are attributed per step unless the journey
// says otherwise.
var stepAttributed = map[string]bool{
	"resource.host.name": true, "resource.host.id": true,
	"resource.k8s.pod.name": true, "resource.k8s.pod.uid": true, "resource.k8s.node.name": true,
	"resource.k8s.container.name": true, "resource.k8s.namespace.name": true,
	"resource.container.id": true, "resource.container.name": true,
	"resource.cloud.availability_zone": true, "resource.cloud.region": true,
	"resource.service.instance.id": true,
}

// SegmentAttribution returns how segment key counts a step's spans: as
// Attribution says, else AttributeAtStep for the resource attributes of
// hosts, pods, containers, zones and service instances, else
// AttributeAtEntry. Funnels always count an instance at entry, and with
// attribute correlation every span counts under its own value anyway.
func (s Spec) SegmentAttribution(key string) Attribution {
	if a, ok := s.Attribution[key]; ok {
		return a
	}
	if stepAttributed[key] {
		return AttributeAtStep
	}
	return AttributeAtEntry
}

// CorrelateByTrace is the Correlation.By value meaning "all steps are spans of
// one trace".
const CorrelateByTrace = "trace"

// Correlation says how the spans of one journey instance are tied together:
// by trace, or by an attribute (e.g. span.session.id) shared by spans of
// different traces, within Window after entering step 1.
type Correlation struct {
	By     string   `yaml:"by" json:"by"`
	Window Duration `yaml:"window,omitempty" json:"window,omitzero"`
}

// ByTrace reports whether steps are correlated within one trace.
func (c Correlation) ByTrace() bool { return c.By == CorrelateByTrace }

// Step is one named stage of a journey and the spans that stand for it.
type Step struct {
	Name  string  `yaml:"name" json:"name"`
	Match Pattern `yaml:"match" json:"match"`
}

// Pattern selects the spans of a step.
type Pattern struct {
	// Service is resource.service.name, matched exactly.
	Service string `yaml:"service" json:"service"`
	// Span is the span name matched exactly; SpanRegex a RE2 regular
	// expression matched against the whole name (anchored, like TraceQL's
	// =~: "POST /cart" does not match "POST /cart/items"). Exactly one of
	// them is set.
	Span      string `yaml:"span,omitempty" json:"span,omitempty"`
	SpanRegex string `yaml:"spanRegex,omitempty" json:"spanRegex,omitempty"`
	// Kind is an optional span kind: server, client, producer, consumer,
	// internal.
	Kind       string    `yaml:"kind,omitempty" json:"kind,omitempty"`
	Attributes []Matcher `yaml:"attributes,omitempty" json:"attributes,omitempty"`
}

// Matcher compares one attribute of a span with a literal.
type Matcher struct {
	// Key is a scoped attribute (span.x, resource.x) or an intrinsic.
	Key string `yaml:"key" json:"key"`
	Op  Op     `yaml:"op" json:"op"`
	// Value is the literal. Its type is inferred the way TraceQL does: a
	// YAML/JSON number is numeric, true/false boolean, anything else a
	// string. Quote a number in YAML to match it as a string. For the
	// status and kind intrinsics the string is an enum (error, ok, unset;
	// server … unspecified) and for duration a Go duration such as 250ms:
	// TraceQL spells both without quotes.
	Value Value `yaml:"value" json:"value"`
}

// Op is a comparison operator of a Matcher.
type Op string

// Operators a Matcher may use, as TraceQL spells them.
const (
	OpEq       Op = "="
	OpNe       Op = "!="
	OpRegex    Op = "=~"
	OpNotRegex Op = "!~"
	OpGt       Op = ">"
	OpGe       Op = ">="
	OpLt       Op = "<"
	OpLe       Op = "<="
)

// ValueType is the type of a Matcher literal.
type ValueType int

// Literal types.
const (
	TypeString ValueType = iota
	TypeInt
	TypeFloat
	TypeBool
)

// Value is a typed literal. Raw keeps the user's spelling so that the YAML
// form round-trips exactly.
type Value struct {
	Type ValueType
	Raw  string
}

// SLOKind is what an SLO measures.
type SLOKind string

// SLO kinds.
const (
	SLOLatency    SLOKind = "latency"
	SLOSuccess    SLOKind = "success"
	SLOConversion SLOKind = "conversion"
)

// SLO is a service-level objective on one step or on the whole journey.
type SLO struct {
	Name string `yaml:"name" json:"name"`
	// Step names the step the SLO is on; empty means the whole journey (for
	// conversion: the last step, or Step when set).
	Step      string   `yaml:"step,omitempty" json:"step,omitempty"`
	Kind      SLOKind  `yaml:"kind" json:"kind"`
	Threshold Duration `yaml:"threshold,omitempty" json:"threshold,omitzero"`
	Objective float64  `yaml:"objective" json:"objective"`
	// Window is a rolling window such as 28d (DefaultSLOWindow when
	// unset). It is empty when Calendar is set.
	Window Duration `yaml:"window,omitempty" json:"window,omitzero"`
	// Calendar counts the budget over the calendar month or week instead,
	// resetting at its start in TimeZone. YAML and JSON spell it as the
	// window ("window: month"), so it has no key of its own.
	Calendar Calendar `yaml:"-" json:"-"`
	// WeekStart is the first day of a week window: monday (the default)
	// to sunday.
	WeekStart string `yaml:"weekStart,omitempty" json:"weekStart,omitempty"`
	// TimeZone is the IANA zone whose midnight starts a calendar period,
	// e.g. Europe/Berlin; UTC when empty.
	TimeZone string `yaml:"timeZone,omitempty" json:"timeZone,omitempty"`
	// MinEvents is the minimum-traffic guard: an alert window pair whose
	// long window holds fewer events, or whose short window holds fewer
	// than its share of them, cannot fire. Unset takes the server's
	// default; 0 turns the guard off.
	MinEvents Count `yaml:"minEvents,omitempty" json:"minEvents,omitzero"`
	// ResolveAfter is how long a firing alert's condition must stay false
	// before the alert resolves, or a page de-escalates to a ticket
	// (DefaultResolveAfter when unset; 0s for at once).
	ResolveAfter Duration `yaml:"resolveAfter,omitempty" json:"resolveAfter,omitzero"`
}

// Duration is a time.Duration that also accepts days ("28d") and keeps the
// user's spelling so that it round-trips exactly.
type Duration struct {
	D   time.Duration
	Raw string
}

// DefaultSLOWindow is the rolling window of an SLO that sets none.
const DefaultSLOWindow = 28 * Day

// EffectiveWindow returns the SLO's rolling window, DefaultSLOWindow when
// unset. The default is not written into the SLO so that an exported
// journey reads exactly as it was applied. A calendar window has no fixed
// length: it returns the nominal one, 30 days for a month and 7 for a
// week, as burn-rate alert windows scale.
func (s SLO) EffectiveWindow() time.Duration {
	switch s.Calendar {
	case CalendarMonth:
		return nominalMonth
	case CalendarWeek:
		return nominalWeek
	}
	if s.Window.D > 0 {
		return s.Window.D
	}
	return DefaultSLOWindow
}

// Normalize fills an empty apiVersion and kind, which JSON API clients may
// omit. It writes no other defaults.
func (j *Journey) Normalize() {
	if j.APIVersion == "" {
		j.APIVersion = APIVersion
	}
	if j.Kind == "" {
		j.Kind = Kind
	}
}

// StepIndex returns the index of the step with this name, or -1.
func (j Journey) StepIndex(name string) int {
	for i, s := range j.Spec.Steps {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// SelectKeys lists the attributes a rollup must select for each span: the
// correlation key (when correlating by attribute), the segment keys, then
// the value attribute, each once, in that order.
func (j Journey) SelectKeys() []string {
	var keys []string
	add := func(k string) {
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if !j.Spec.Correlation.ByTrace() {
		add(j.Spec.Correlation.By)
	}
	for _, s := range j.Spec.Segments {
		add(s)
	}
	add(j.Spec.Value)
	return keys
}
