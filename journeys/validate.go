package journeys

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a journey. They keep rollups, queries and pages bounded.
const (
	MinSteps             = 2
	MaxSteps             = 20
	MaxSegments          = 10
	MaxSLOs              = 20
	MaxMatchers          = 20
	MinCorrelationWindow = time.Second
	MaxCorrelationWindow = 7 * Day
	MinSLOWindow         = time.Hour
	MaxSLOWindow         = 90 * Day
)

const (
	maxNameLen    = 100
	maxOwnerLen   = 100
	maxDescLen    = 2000
	maxServiceLen = 255
	maxPatternLen = 1024

	slugMessage    = "must be 1 to 64 lowercase letters, digits or dashes"
	requiredPhrase = "required"
)

var slugRe = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

// ValidSlug reports whether s can be a journey slug or SLO name.
func ValidSlug(s string) bool { return slugRe.MatchString(s) }

// Validate reports every rule j breaks, as a *ValidationError naming each
// field, or nil. It does not fill defaults: call Normalize first for input
// that may omit apiVersion and kind.
func (j Journey) Validate() error {
	v := &ValidationError{}
	if j.APIVersion != APIVersion {
		v.Add("apiVersion", fmt.Sprintf("must be %q", APIVersion))
	}
	if j.Kind != Kind {
		v.Add("kind", fmt.Sprintf("must be %q", Kind))
	}
	validateMetadata(v, j.Metadata)
	validateSpec(v, j.Spec)
	return v.orNil()
}

func validateMetadata(v *ValidationError, m Metadata) {
	switch {
	case m.Slug == "":
		v.Add("metadata.slug", requiredPhrase)
	case !ValidSlug(m.Slug):
		v.Add("metadata.slug", slugMessage)
	}
	v.CheckText("metadata.name", m.Name, maxNameLen, true, Line)
	v.CheckText("metadata.owner", m.Owner, maxOwnerLen, false, Line)
	v.CheckText("metadata.description", m.Description, maxDescLen, false, Lines)
}

// TextKind is what a text field may hold besides printable characters,
// for CheckText.
type TextKind int

// Kinds of text.
const (
	// Line is one line: no control characters.
	Line TextKind = iota
	// Lines may also hold newlines and tabs.
	Lines
	// Prose may also hold carriage returns, as a browser's textarea sends
	// them.
	Prose
)

// CheckText records on v a missing, too long, or unprintable string at
// path, and reports whether s is fine.
func (v *ValidationError) CheckText(path, s string, max int, required bool, kind TextKind) bool {
	allowed := func(r rune) bool {
		return kind >= Lines && (r == '\n' || r == '\t') || kind == Prose && r == '\r'
	}
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(path, requiredPhrase)
	case !utf8.ValidString(s):
		v.Add(path, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		v.Add(path, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && !allowed(r) }) >= 0:
		if kind >= Lines {
			v.Add(path, "must not contain control characters other than newlines and tabs")
		} else {
			v.Add(path, "must not contain control characters")
		}
	default:
		return true
	}
	return false
}

func validateSpec(v *ValidationError, s Spec) {
	validateCorrelation(v, s.Correlation)
	validateSegments(v, s)
	if s.Value != "" {
		if err := checkAttrKey(s.Value); err != nil {
			v.Add("value", err.Error())
		}
	}
	validateSteps(v, s.Steps)
	validateSLOs(v, s)
}

func validateCorrelation(v *ValidationError, c Correlation) {
	switch {
	case c.By == "":
		v.Add("correlation.by", `required: "trace" or an attribute such as span.session.id`)
		return
	case c.ByTrace():
		if !c.Window.IsZero() {
			v.Add("correlation.window", "must be empty when correlating by trace: a trace is its own window")
		}
		return
	default:
		if err := checkAttrKey(c.By); err != nil {
			v.Add("correlation.by", err.Error())
		}
	}
	switch {
	case c.Window.IsZero():
		v.Add("correlation.window", "required when correlating by attribute, e.g. 30m")
	case !checkDuration(v, "correlation.window", c.Window):
	case c.Window.D <= 0:
		v.Add("correlation.window", "must be positive")
	case c.Window.D < MinCorrelationWindow:
		v.Add("correlation.window", "must be at least 1s")
	case c.Window.D > MaxCorrelationWindow:
		v.Add("correlation.window", "must be at most 7d")
	}
}

// checkDuration reports a Duration whose spelling does not parse, which
// only a Duration built by hand can have.
func checkDuration(v *ValidationError, path string, d Duration) bool {
	if d.Raw == "" {
		return true
	}
	if _, err := parseDuration(d.Raw); err != nil {
		v.Add(path, err.Error())
		return false
	}
	return true
}

func validateSegments(v *ValidationError, s Spec) {
	if len(s.Segments) > MaxSegments {
		v.Add("segments", fmt.Sprintf("must have at most %d keys, has %d", MaxSegments, len(s.Segments)))
	}
	seen := make(map[string]int, len(s.Segments))
	for i, key := range s.Segments {
		p := index("segments", i)
		if key == "" {
			v.Add(p, requiredPhrase)
			continue
		}
		if err := checkAttrKey(key); err != nil {
			v.Add(p, err.Error())
			continue
		}
		if first, ok := seen[key]; ok {
			v.Add(p, fmt.Sprintf("duplicate segment key %q, also segments[%d]", key, first))
			continue
		}
		seen[key] = i
		if key == s.Correlation.By {
			v.Add(p, "must not be the correlation key: it would make one segment per journey instance")
		}
	}
	for key, a := range s.Attribution {
		p := join("attribution", key)
		switch {
		case !slices.Contains(s.Segments, key):
			v.Add(p, fmt.Sprintf("%q is not one of the segments", key))
		case a != AttributeAtEntry && a != AttributeAtStep:
			v.Add(p, fmt.Sprintf("%q is not entry or step", string(a)))
		}
	}
}

func validateSteps(v *ValidationError, steps []Step) {
	if len(steps) < MinSteps || len(steps) > MaxSteps {
		v.Add("steps", fmt.Sprintf("must have %d to %d steps, has %d", MinSteps, MaxSteps, len(steps)))
	}
	seen := make(map[string]int, len(steps))
	for i, st := range steps {
		p := index("steps", i)
		if v.CheckText(p+".name", st.Name, maxNameLen, true, Line) {
			if first, ok := seen[st.Name]; ok {
				v.Add(p+".name", fmt.Sprintf("duplicate step name %q, also steps[%d]", st.Name, first))
			} else {
				seen[st.Name] = i
			}
		}
		validatePattern(v, p+".match", st.Match)
	}
}

func validatePattern(v *ValidationError, path string, m Pattern) {
	v.CheckText(path+".service", m.Service, maxServiceLen, true, Line)
	switch {
	case m.Span != "" && m.SpanRegex != "":
		v.Add(path+".spanRegex", "set either span or spanRegex, not both")
	case m.Span == "" && m.SpanRegex == "":
		v.Add(path+".span", "required: set span or spanRegex")
	case m.Span != "":
		v.CheckText(path+".span", m.Span, maxPatternLen, true, Line)
	default:
		if v.CheckText(path+".spanRegex", m.SpanRegex, maxPatternLen, true, Line) {
			if _, err := anchored(m.SpanRegex); err != nil {
				v.Add(path+".spanRegex", "invalid regular expression: "+regexpMessage(err))
			}
		}
	}
	if m.Kind != "" && !slices.Contains(spanKinds, m.Kind) {
		v.Add(path+".kind", fmt.Sprintf("unknown span kind %q; use %s", m.Kind, joinOr(spanKinds)))
	}
	if len(m.Attributes) > MaxMatchers {
		v.Add(path+".attributes", fmt.Sprintf("must have at most %d matchers, has %d", MaxMatchers, len(m.Attributes)))
	}
	for i, a := range m.Attributes {
		validateMatcher(v, index(path+".attributes", i), a)
	}
}

func validateMatcher(v *ValidationError, path string, m Matcher) {
	keyOK := false
	if m.Key == "" {
		v.Add(path+".key", requiredPhrase)
	} else if _, err := ParseKey(m.Key); err != nil {
		v.Add(path+".key", err.Error())
	} else {
		keyOK = true
	}
	if m.Op == "" {
		v.Add(path+".op", requiredPhrase)
		return
	}
	if m.Value.Type == TypeString && !v.CheckText(path+".value", m.Value.Raw, maxPatternLen, false, Lines) {
		return
	}
	if !keyOK && m.Op.valid() {
		// Without a key only the literal itself can be checked.
		m.Key = "span.x"
	}
	if field, err := checkOpValue(m); err != nil {
		v.Add(path+"."+field, err.Error())
	}
}

func validateSLOs(v *ValidationError, s Spec) {
	if len(s.SLOs) > MaxSLOs {
		v.Add("slos", fmt.Sprintf("must have at most %d SLOs, has %d", MaxSLOs, len(s.SLOs)))
	}
	seen := make(map[string]int, len(s.SLOs))
	for i, o := range s.SLOs {
		p := index("slos", i)
		switch {
		case o.Name == "":
			v.Add(p+".name", requiredPhrase)
		case !ValidSlug(o.Name):
			v.Add(p+".name", slugMessage)
		default:
			if first, ok := seen[o.Name]; ok {
				v.Add(p+".name", fmt.Sprintf("duplicate SLO name %q, also slos[%d]", o.Name, first))
			} else {
				seen[o.Name] = i
			}
		}
		validateSLO(v, p, o, s)
	}
}

func validateSLO(v *ValidationError, p string, o SLO, s Spec) {
	switch o.Kind {
	case "":
		v.Add(p+".kind", requiredPhrase)
	case SLOLatency, SLOSuccess, SLOConversion:
	default:
		v.Add(p+".kind", fmt.Sprintf("unknown SLO kind %q; use latency, success or conversion", o.Kind))
	}

	step := -1
	if o.Step != "" {
		for i, st := range s.Steps {
			if st.Name == o.Step {
				step = i
				break
			}
		}
		if step < 0 {
			v.Add(p+".step", fmt.Sprintf("no step named %q", o.Step))
		}
	}
	switch {
	case o.Kind == SLOLatency && o.Step == "":
		v.Add(p+".step", "required for a latency SLO")
	case o.Kind == SLOConversion && step == 0:
		v.Add(p+".step", "must not be the first step: conversion is measured from it")
	}

	switch {
	case o.Kind != SLOLatency:
		if !o.Threshold.IsZero() {
			v.Add(p+".threshold", "only latency SLOs have a threshold")
		}
	case o.Threshold.IsZero():
		v.Add(p+".threshold", "required for a latency SLO, e.g. 800ms")
	case !checkDuration(v, p+".threshold", o.Threshold):
	case o.Threshold.D <= 0:
		v.Add(p+".threshold", "must be positive")
	}

	if !(o.Objective > 0 && o.Objective < 1) {
		v.Add(p+".objective", "must be between 0 and 1, exclusive, e.g. 0.995")
	}
	validateAlerting(v, p, o)

	if !validateWindow(v, p, o) {
		return
	}
	// A conversion cohort is final only once the correlation window has
	// passed; an SLO window no longer than that would never hold one.
	c := s.Correlation
	if o.Kind == SLOConversion && !c.ByTrace() && c.Window.D >= MinCorrelationWindow && c.Window.D <= MaxCorrelationWindow &&
		o.EffectiveWindow() <= c.Window.D {
		v.Add(p+".window", fmt.Sprintf("must be longer than the correlation window (%s)", c.Window))
	}
}
