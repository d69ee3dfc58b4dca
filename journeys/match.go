package journeys

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// AttrLookup returns the value of one span attribute and its type, ok false
// when the span does not have it. key is as a Matcher spells it: span.x,
// resource.x, or the intrinsics status (error, ok or unset), statusMessage
// and duration (nanoseconds, TypeInt). Numbers and booleans are in their
// strconv text form. The name and kind intrinsics are not looked up: they
// are arguments of Matches.
type AttrLookup func(key string) (value string, typ ValueType, ok bool)

// CompiledPattern is a Pattern ready to match many spans: regular
// expressions compiled and literals parsed once. It is safe for concurrent
// use.
type CompiledPattern struct {
	service  string
	span     string
	spanRe   *regexp.Regexp
	kind     string
	matchers []compiledMatcher
}

type compiledMatcher struct {
	key string
	op  Op
	typ ValueType
	str string
	re  *regexp.Regexp
	i   int64
	f   float64
	b   bool
}

// anchored compiles expr so that it must match the whole text, as TraceQL's
// =~ and !~ do.
func anchored(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		// Compile the expression alone for a message that names the user's
		// text, not our wrapping.
		if _, err2 := regexp.Compile(expr); err2 != nil {
			return nil, err2
		}
		return nil, err
	}
	return re, nil
}

// Compile prepares p for matching. It fails on what Validate reports about
// a pattern that would make matching meaningless: a bad regular
// expression, an unknown operator, or an operator and literal that do not
// go together.
func (p Pattern) Compile() (*CompiledPattern, error) {
	c := &CompiledPattern{service: p.Service, span: p.Span, kind: p.Kind}
	switch {
	case p.Span != "" && p.SpanRegex != "":
		return nil, fmt.Errorf("compile pattern: both span and spanRegex set")
	case p.Span == "" && p.SpanRegex == "":
		return nil, fmt.Errorf("compile pattern: neither span nor spanRegex set")
	case p.SpanRegex != "":
		re, err := anchored(p.SpanRegex)
		if err != nil {
			return nil, fmt.Errorf("compile spanRegex: %w", err)
		}
		c.spanRe = re
	}
	c.matchers = make([]compiledMatcher, 0, len(p.Attributes))
	for i, m := range p.Attributes {
		cm, err := compileMatcher(m)
		if err != nil {
			return nil, fmt.Errorf("compile attributes[%d]: %w", i, err)
		}
		c.matchers = append(c.matchers, cm)
	}
	return c, nil
}

func compileMatcher(m Matcher) (compiledMatcher, error) {
	if _, err := ParseKey(m.Key); err != nil {
		return compiledMatcher{}, err
	}
	if _, err := checkOpValue(m); err != nil {
		return compiledMatcher{}, err
	}
	cm := compiledMatcher{key: m.Key, op: m.Op, typ: m.Value.Type}
	var err error
	switch m.Value.Type {
	case TypeString:
		cm.str = m.Value.Raw
		if m.Key == IntrinsicDuration {
			// Duration literals are strings in the file and nanoseconds
			// in the lookup.
			d, derr := parseDuration(m.Value.Raw)
			if derr != nil {
				return compiledMatcher{}, derr
			}
			cm.typ, cm.i, cm.f = TypeInt, int64(d), float64(d)
		}
		if m.Op == OpRegex || m.Op == OpNotRegex {
			cm.re, err = anchored(m.Value.Raw)
		}
	case TypeInt:
		cm.i, err = m.Value.Int()
		cm.f = float64(cm.i)
	case TypeFloat:
		cm.f, err = m.Value.Float()
	case TypeBool:
		cm.b, err = m.Value.Bool()
	}
	return cm, err
}

// checkOpValue reports an operator that is unknown or does not fit the
// literal's type or the key, and which field ("op" or "value") to blame.
func checkOpValue(m Matcher) (field string, err error) {
	if !m.Op.valid() {
		return "op", fmt.Errorf("unknown operator %q", string(m.Op))
	}
	if err := m.Value.check(); err != nil {
		return "value", err
	}
	t := m.Value.Type
	switch m.Key {
	case IntrinsicStatus, IntrinsicKind:
		allowed := statusValues
		if m.Key == IntrinsicKind {
			allowed = matchKinds
		}
		if m.Op != OpEq && m.Op != OpNe {
			return "op", fmt.Errorf("%s supports only = and !=", m.Key)
		}
		if t != TypeString || !slices.Contains(allowed, m.Value.Raw) {
			return "value", fmt.Errorf("%s is one of %s", m.Key, joinOr(allowed))
		}
		return "", nil
	case IntrinsicDuration:
		if m.Op == OpRegex || m.Op == OpNotRegex {
			return "op", fmt.Errorf("operator %s does not apply to duration", m.Op)
		}
		if t != TypeString {
			return "value", fmt.Errorf(`duration needs a duration literal such as "250ms"`)
		}
		d, err := parseDuration(m.Value.Raw)
		if err != nil {
			return "value", err
		}
		if d < 0 {
			return "value", fmt.Errorf("duration must not be negative")
		}
		return "", nil
	case IntrinsicName, IntrinsicStatusMessage:
		if t != TypeString {
			return "value", fmt.Errorf("%s is a string; quote the value", m.Key)
		}
	}
	switch m.Op {
	case OpRegex, OpNotRegex:
		if t != TypeString {
			return "value", fmt.Errorf("operator %s needs a string, not %s", m.Op, t.withArticle())
		}
		if _, err := anchored(m.Value.Raw); err != nil {
			return "value", fmt.Errorf("invalid regular expression: %s", regexpMessage(err))
		}
	case OpGt, OpGe, OpLt, OpLe:
		if t != TypeInt && t != TypeFloat {
			return "value", fmt.Errorf("operator %s needs a number, not %s", m.Op, t.withArticle())
		}
	}
	return "", nil
}

// valid reports whether op is one of the operators TraceQL has.
func (op Op) valid() bool {
	switch op {
	case OpEq, OpNe, OpRegex, OpNotRegex, OpGt, OpGe, OpLt, OpLe:
		return true
	}
	return false
}

// Matches reports whether a span matches p. It compiles p on every call;
// loops over many spans should Compile once and use CompiledPattern.Matches.
// A pattern that does not compile matches nothing.
func (p Pattern) Matches(service, name, kind string, attr AttrLookup) bool {
	c, err := p.Compile()
	if err != nil {
		return false
	}
	return c.Matches(service, name, kind, attr)
}

// Matches reports whether a span with this resource.service.name, name,
// kind (server, client, producer, consumer, internal, unspecified) and
// attributes matches, with TraceQL's semantics: exact service, exact or
// fully anchored regex name, and every matcher true. A matcher on an
// attribute the span lacks, or holds with a type the literal cannot be
// compared with, is false, whatever its operator.
func (c *CompiledPattern) Matches(service, name, kind string, attr AttrLookup) bool {
	if service != c.service {
		return false
	}
	if c.spanRe != nil {
		if !c.spanRe.MatchString(name) {
			return false
		}
	} else if name != c.span {
		return false
	}
	if c.kind != "" && kind != c.kind {
		return false
	}
	for i := range c.matchers {
		m := &c.matchers[i]
		var (
			val string
			typ ValueType
			ok  bool
		)
		switch m.key {
		case IntrinsicName:
			val, typ, ok = name, TypeString, true
		case IntrinsicKind:
			val, typ, ok = kind, TypeString, true
		default:
			if attr != nil {
				val, typ, ok = attr(m.key)
			}
		}
		if !ok || !m.match(val, typ) {
			return false
		}
	}
	return true
}

func (m *compiledMatcher) match(val string, typ ValueType) bool {
	switch m.typ {
	case TypeString:
		if typ != TypeString {
			return false
		}
		switch m.op {
		case OpEq:
			return val == m.str
		case OpNe:
			return val != m.str
		case OpRegex:
			return m.re.MatchString(val)
		case OpNotRegex:
			return !m.re.MatchString(val)
		}
		return false
	case TypeBool:
		if typ != TypeBool {
			return false
		}
		b, err := strconv.ParseBool(val)
		if err != nil {
			return false
		}
		switch m.op {
		case OpEq:
			return b == m.b
		case OpNe:
			return b != m.b
		}
		return false
	}
	// Numbers: int against int compares exactly, anything with a float in
	// floating point, as TraceQL does.
	switch typ {
	case TypeInt:
		i, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			if m.key == IntrinsicDuration {
				return m.matchDurationText(val)
			}
			return false
		}
		if m.typ == TypeInt {
			return compareOrdered(i, m.i, m.op)
		}
		return compareOrdered(float64(i), m.f, m.op)
	case TypeFloat:
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return false
		}
		return compareOrdered(f, m.f, m.op)
	case TypeString:
		if m.key == IntrinsicDuration {
			return m.matchDurationText(val)
		}
	}
	return false
}

// matchDurationText accepts a duration looked up in Go's text form (1.5s)
// rather than nanoseconds.
func (m *compiledMatcher) matchDurationText(val string) bool {
	d, err := time.ParseDuration(val)
	if err != nil {
		return false
	}
	return compareOrdered(int64(d), m.i, m.op)
}

func compareOrdered[T int64 | float64](a, b T, op Op) bool {
	switch op {
	case OpEq:
		return a == b
	case OpNe:
		return a != b
	case OpGt:
		return a > b
	case OpGe:
		return a >= b
	case OpLt:
		return a < b
	case OpLe:
		return a <= b
	}
	return false
}
