package journeys

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type attr struct {
	v string
	t ValueType
}

// lookup serves attributes from a map, as a span store would.
func lookup(attrs map[string]attr) AttrLookup {
	return func(key string) (string, ValueType, bool) {
		a, ok := attrs[key]
		return a.v, a.t, ok
	}
}

func TestMatcherSemantics(t *testing.T) {
	t.Parallel()
	str := func(s string) attr { return attr{s, TypeString} }
	num := func(i int64) attr { return attr{strconv.FormatInt(i, 10), TypeInt} }
	flt := func(s string) attr { return attr{s, TypeFloat} }
	bl := func(b bool) attr { return attr{strconv.FormatBool(b), TypeBool} }
	absent := attr{t: -1}

	tests := []struct {
		name string
		op   Op
		lit  Value
		attr attr // t -1: the span lacks the attribute
		want bool
	}{
		// string
		{"str = equal", OpEq, StringValue("POST"), str("POST"), true},
		{"str = differs", OpEq, StringValue("POST"), str("GET"), false},
		{"str = case sensitive", OpEq, StringValue("POST"), str("post"), false},
		{"str != differs", OpNe, StringValue("POST"), str("GET"), true},
		{"str != equal", OpNe, StringValue("POST"), str("POST"), false},
		{"str =~ full match", OpRegex, StringValue("PO.*"), str("POST"), true},
		{"str =~ anchored at end", OpRegex, StringValue("PO"), str("POST"), false},
		{"str =~ anchored at start", OpRegex, StringValue("OST"), str("POST"), false},
		{"str =~ alternation anchored", OpRegex, StringValue("GET|POST"), str("POSTX"), false},
		{"str =~ alternation", OpRegex, StringValue("GET|POST"), str("GET"), true},
		{"str =~ user anchors", OpRegex, StringValue("^POST$"), str("POST"), true},
		{"str =~ flags", OpRegex, StringValue("(?i)post"), str("POST"), true},
		{"str !~ full match", OpNotRegex, StringValue("PO.*"), str("POST"), false},
		{"str !~ partial is no match", OpNotRegex, StringValue("PO"), str("POST"), true},
		{"str = empty literal", OpEq, StringValue(""), str(""), true},
		{"str literal vs int attr", OpEq, StringValue("200"), num(200), false},
		{"str != vs int attr", OpNe, StringValue("200"), num(404), false},
		{"str =~ vs int attr", OpRegex, StringValue("2.*"), num(200), false},
		{"str !~ vs bool attr", OpNotRegex, StringValue("x"), bl(true), false},
		// int
		{"int = int", OpEq, IntValue(200), num(200), true},
		{"int = other int", OpEq, IntValue(200), num(201), false},
		{"int != int", OpNe, IntValue(200), num(201), true},
		{"int != same int", OpNe, IntValue(200), num(200), false},
		{"int > smaller", OpGt, IntValue(499), num(500), true},
		{"int > equal", OpGt, IntValue(500), num(500), false},
		{"int >= equal", OpGe, IntValue(500), num(500), true},
		{"int >= smaller", OpGe, IntValue(500), num(499), false},
		{"int < larger", OpLt, IntValue(500), num(499), true},
		{"int < equal", OpLt, IntValue(500), num(500), false},
		{"int <= equal", OpLe, IntValue(500), num(500), true},
		{"int <= larger", OpLe, IntValue(500), num(501), false},
		{"int negative", OpLt, IntValue(0), num(-3), true},
		{"int exact beyond float precision", OpEq, IntValue(1<<53 + 1), num(1<<53 + 1), true},
		{"int differs beyond float precision", OpEq, IntValue(1<<53 + 1), num(1 << 53), false},
		{"int yaml spelling", OpEq, Value{Type: TypeInt, Raw: "0x1F"}, num(31), true},
		{"int = float attr", OpEq, IntValue(2), flt("2"), true},
		{"int < float attr", OpLt, IntValue(2), flt("1.5"), true},
		{"int > float attr", OpGt, IntValue(2), flt("1.5"), false},
		{"int vs string attr", OpEq, IntValue(200), str("200"), false},
		{"int != string attr", OpNe, IntValue(200), str("404"), false},
		{"int vs bool attr", OpEq, IntValue(1), bl(true), false},
		{"int vs unparsable int attr", OpEq, IntValue(1), attr{"x", TypeInt}, false},
		// float
		{"float = float", OpEq, FloatValue(1.5), flt("1.5"), true},
		{"float != float", OpNe, FloatValue(1.5), flt("1.25"), true},
		{"float > int attr", OpGt, FloatValue(99.5), num(100), true},
		{"float >= int attr", OpGe, FloatValue(100), num(100), true},
		{"float < int attr", OpLt, FloatValue(99.5), num(100), false},
		{"float <= float attr", OpLe, FloatValue(0.1), flt("0.1"), true},
		{"float = int attr", OpEq, FloatValue(100), num(100), true},
		{"float exponent literal", OpEq, Value{Type: TypeFloat, Raw: "1e3"}, num(1000), true},
		{"float vs string attr", OpEq, FloatValue(1.5), str("1.5"), false},
		{"float vs unparsable attr", OpEq, FloatValue(1.5), attr{"x", TypeFloat}, false},
		// bool
		{"bool = true", OpEq, BoolValue(true), bl(true), true},
		{"bool = false vs true", OpEq, BoolValue(false), bl(true), false},
		{"bool != ", OpNe, BoolValue(false), bl(true), true},
		{"bool != same", OpNe, BoolValue(true), bl(true), false},
		{"bool True spelling", OpEq, Value{Type: TypeBool, Raw: "True"}, bl(true), true},
		{"bool vs string attr", OpEq, BoolValue(true), str("true"), false},
		{"bool vs int attr", OpEq, BoolValue(true), num(1), false},
		// absent attribute: false whatever the operator, as in TraceQL
		{"absent =", OpEq, StringValue("x"), absent, false},
		{"absent !=", OpNe, StringValue("x"), absent, false},
		{"absent =~", OpRegex, StringValue(".*"), absent, false},
		{"absent !~", OpNotRegex, StringValue("x"), absent, false},
		{"absent >", OpGt, IntValue(0), absent, false},
		{"absent >=", OpGe, IntValue(0), absent, false},
		{"absent <", OpLt, FloatValue(0), absent, false},
		{"absent <=", OpLe, FloatValue(0), absent, false},
		{"absent bool !=", OpNe, BoolValue(true), absent, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			attrs := map[string]attr{"span.other": str("x")}
			if tt.attr.t >= 0 {
				attrs["span.x"] = tt.attr
			}
			p := Pattern{Service: "svc", Span: "op", Attributes: []Matcher{{Key: "span.x", Op: tt.op, Value: tt.lit}}}
			c, err := p.Compile()
			require.NoError(t, err)
			require.Equal(t, tt.want, c.Matches("svc", "op", "server", lookup(attrs)))
			require.Equal(t, tt.want, p.Matches("svc", "op", "server", lookup(attrs)))
		})
	}
}

func TestPatternMatches(t *testing.T) {
	t.Parallel()
	attrs := lookup(map[string]attr{
		"span.http.request.method":        {"POST", TypeString},
		"span.http.response.status_code":  {"201", TypeInt},
		"resource.deployment.environment": {"prod", TypeString},
		"status":                          {"error", TypeString},
		"statusMessage":                   {"card declined", TypeString},
		"duration":                        {"1500000000", TypeInt},
	})
	base := Pattern{Service: "cart_svc", Span: "POST /cart/items"}
	with := func(f func(*Pattern)) Pattern {
		p := base
		f(&p)
		return p
	}
	m := func(key string, op Op, v Value) func(*Pattern) {
		return func(p *Pattern) { p.Attributes = []Matcher{{Key: key, Op: op, Value: v}} }
	}
	tests := []struct {
		name    string
		p       Pattern
		service string
		span    string
		kind    string
		attrs   AttrLookup
		want    bool
	}{
		{"exact service and name", base, "cart_svc", "POST /cart/items", "server", attrs, true},
		{"other service", base, "cart", "POST /cart/items", "server", attrs, false},
		{"service is not a prefix match", base, "cart_svc2", "POST /cart/items", "server", attrs, false},
		{"other name", base, "cart_svc", "POST /cart", "server", attrs, false},
		{"name exact, not regex", with(func(p *Pattern) { p.Span = "POST /cart/.*" }), "cart_svc", "POST /cart/items", "server", attrs, false},
		{"spanRegex full match", with(func(p *Pattern) { p.Span, p.SpanRegex = "", "POST /cart/.*" }), "cart_svc", "POST /cart/items", "", attrs, true},
		{"spanRegex anchored", with(func(p *Pattern) { p.Span, p.SpanRegex = "", "POST /cart" }), "cart_svc", "POST /cart/items", "", attrs, false},
		{"spanRegex ^ prefix still anchored at end", with(func(p *Pattern) { p.Span, p.SpanRegex = "", "^POST /log" }), "cart_svc", "POST /login", "", attrs, false},
		{"kind matches", with(func(p *Pattern) { p.Kind = "server" }), "cart_svc", "POST /cart/items", "server", attrs, true},
		{"kind differs", with(func(p *Pattern) { p.Kind = "server" }), "cart_svc", "POST /cart/items", "client", attrs, false},
		{"no kind matches any", base, "cart_svc", "POST /cart/items", "internal", attrs, true},
		{"resource attribute", with(m("resource.deployment.environment", OpEq, StringValue("prod"))), "cart_svc", "POST /cart/items", "", attrs, true},
		{"span attribute not found under resource", with(m("resource.http.request.method", OpEq, StringValue("POST"))), "cart_svc", "POST /cart/items", "", attrs, false},
		{"nil lookup: attribute absent", with(m("span.http.request.method", OpNe, StringValue("GET"))), "cart_svc", "POST /cart/items", "", nil, false},
		{"nil lookup without matchers", base, "cart_svc", "POST /cart/items", "", nil, true},
		{"all matchers must hold", with(func(p *Pattern) {
			p.Attributes = []Matcher{
				{Key: "span.http.request.method", Op: OpEq, Value: StringValue("POST")},
				{Key: "span.http.response.status_code", Op: OpGe, Value: IntValue(500)},
			}
		}), "cart_svc", "POST /cart/items", "", attrs, false},
		{"both matchers hold", with(func(p *Pattern) {
			p.Attributes = []Matcher{
				{Key: "span.http.request.method", Op: OpEq, Value: StringValue("POST")},
				{Key: "span.http.response.status_code", Op: OpLt, Value: IntValue(300)},
			}
		}), "cart_svc", "POST /cart/items", "", attrs, true},
		{"intrinsic name", with(m("name", OpRegex, StringValue("POST .*"))), "cart_svc", "POST /cart/items", "", nil, true},
		{"intrinsic kind", with(m("kind", OpNe, StringValue("client"))), "cart_svc", "POST /cart/items", "server", nil, true},
		{"intrinsic kind unspecified", with(m("kind", OpEq, StringValue("unspecified"))), "cart_svc", "POST /cart/items", "unspecified", nil, true},
		{"intrinsic status", with(m("status", OpEq, StringValue("error"))), "cart_svc", "POST /cart/items", "", attrs, true},
		{"intrinsic status !=", with(m("status", OpNe, StringValue("error"))), "cart_svc", "POST /cart/items", "", attrs, false},
		{"intrinsic statusMessage", with(m("statusMessage", OpRegex, StringValue("card .*"))), "cart_svc", "POST /cart/items", "", attrs, true},
		{"intrinsic duration >", with(m("duration", OpGt, StringValue("1s"))), "cart_svc", "POST /cart/items", "", attrs, true},
		{"intrinsic duration <=", with(m("duration", OpLe, StringValue("1.5s"))), "cart_svc", "POST /cart/items", "", attrs, true},
		{"intrinsic duration <", with(m("duration", OpLt, StringValue("1500ms"))), "cart_svc", "POST /cart/items", "", attrs, false},
		{"intrinsic duration as text", with(m("duration", OpGe, StringValue("2s"))), "cart_svc", "POST /cart/items", "",
			lookup(map[string]attr{"duration": {"2.5s", TypeString}}), true},
		{"intrinsic duration as float", with(m("duration", OpGt, StringValue("2s"))), "cart_svc", "POST /cart/items", "",
			lookup(map[string]attr{"duration": {"2.5e9", TypeFloat}}), true},
		{"invalid pattern matches nothing", with(func(p *Pattern) { p.SpanRegex = "x" }), "cart_svc", "POST /cart/items", "", attrs, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.p.Matches(tt.service, tt.span, tt.kind, tt.attrs))
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Pattern
		want string
	}{
		{"both names", Pattern{Service: "s", Span: "a", SpanRegex: "a"}, "compile pattern: both span and spanRegex set"},
		{"no name", Pattern{Service: "s"}, "compile pattern: neither span nor spanRegex set"},
		{"bad span regex", Pattern{Service: "s", SpanRegex: "(a"}, "compile spanRegex: error parsing regexp: missing closing ): `(a`"},
		{"bad key", Pattern{Service: "s", Span: "a", Attributes: []Matcher{{Key: "x", Op: OpEq, Value: StringValue("v")}}},
			`compile attributes[0]: invalid attribute key "x": use span.<name>, resource.<name> or one of name, status, statusMessage, kind, duration`},
		{"bad op", Pattern{Service: "s", Span: "a", Attributes: []Matcher{{Key: "span.x", Op: "=>", Value: StringValue("v")}}},
			`compile attributes[0]: unknown operator "=>"`},
		{"bad value regex", Pattern{Service: "s", Span: "a", Attributes: []Matcher{{Key: "span.x", Op: OpRegex, Value: StringValue("[")}}},
			"compile attributes[0]: invalid regular expression: missing closing ]: `[`"},
		{"ordering on string", Pattern{Service: "s", Span: "a", Attributes: []Matcher{{Key: "span.x", Op: OpGt, Value: StringValue("5")}}},
			"compile attributes[0]: operator > needs a number, not a string"},
		{"bad int", Pattern{Service: "s", Span: "a", Attributes: []Matcher{{Key: "span.x", Op: OpEq, Value: Value{Type: TypeInt, Raw: "5x"}}}},
			`compile attributes[0]: invalid int "5x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tt.p.Compile()
			require.Nil(t, c)
			require.EqualError(t, err, tt.want)
		})
	}
}

// negated pairs an operator with the one true exactly when it is false, for
// a present attribute of a comparable type.
var negated = map[Op]Op{OpEq: OpNe, OpNe: OpEq, OpRegex: OpNotRegex, OpNotRegex: OpRegex, OpGt: OpLe, OpLe: OpGt, OpLt: OpGe, OpGe: OpLt}

func FuzzMatch(f *testing.F) {
	f.Add("svc", "POST /x", "", "server", "span.a", "=", uint8(TypeString), "v", "v", uint8(TypeString))
	f.Add("svc", "", "GET /.*", "", "span.a", "=~", uint8(TypeString), "a|b(", "a", uint8(TypeString))
	f.Add("svc", "op", "", "client", "span.n", ">=", uint8(TypeInt), "0x10", "16", uint8(TypeInt))
	f.Add("svc", "op", "", "", "resource.f", "<", uint8(TypeFloat), "1.5", "1", uint8(TypeInt))
	f.Add("svc", "op", "", "", "span.b", "!=", uint8(TypeBool), "true", "false", uint8(TypeBool))
	f.Add("svc", "op", "", "", "duration", ">", uint8(TypeString), "1ms", "2000000", uint8(TypeInt))
	f.Add("svc", "op", "", "", "status", "=", uint8(TypeString), "error", "error", uint8(TypeString))
	f.Add("svc", "op", "", "", "span.n", "<=", uint8(TypeFloat), ".inf", "NaN", uint8(TypeFloat))
	f.Add("svc", "", "a+", "", "span.n", "=", uint8(TypeInt), "1", "1", uint8(TypeInt))
	f.Fuzz(func(t *testing.T, service, span, spanRe, kind, key, op string, litType uint8, lit, val string, valType uint8) {
		p := Pattern{Service: service, Span: span, SpanRegex: spanRe, Kind: kind,
			Attributes: []Matcher{{Key: key, Op: Op(op), Value: Value{Type: ValueType(litType % 5), Raw: lit}}}}
		lk := func(k string) (string, ValueType, bool) { return val, ValueType(valType % 5), k == key }
		name := span
		if spanRe != "" {
			name = spanRe
		}
		c, err := p.Compile()
		got := p.Matches(service, name, kind, lk)
		if err != nil {
			require.False(t, got, "a pattern that does not compile matches nothing")
			return
		}
		require.Equal(t, c.Matches(service, name, kind, lk), got)

		// With the name and service matching, an operator and its negation
		// split present values of the literal's type between them, except
		// NaN, which is unordered.
		neg, ok := negated[Op(op)]
		if !ok || key == IntrinsicName || key == IntrinsicKind {
			return
		}
		q := p
		q.Attributes = []Matcher{{Key: key, Op: neg, Value: p.Attributes[0].Value}}
		cq, err := q.Compile()
		if err != nil {
			return // e.g. status supports = but not the negation of >
		}
		lt, vt := ValueType(litType%5), ValueType(valType%5)
		a, b := c.Matches(service, name, kind, lk), cq.Matches(service, name, kind, lk)
		bare := p
		bare.Attributes = nil
		if !bare.Matches(service, name, kind, lk) {
			require.False(t, a || b, "a span the bare pattern rejects matches with no matcher")
			return
		}
		if !comparableValue(key, lt, vt, val) {
			require.False(t, a || b, "%s and %s on %q (%s): a value that cannot be compared matches neither", op, neg, val, vt)
			return
		}
		require.NotEqual(t, a, b, "%s and %s on %q (%s)", op, neg, val, vt)
	})
}

// comparableValue reports whether a looked-up value can be compared with a
// literal of type lt: a type that goes with it, and text that parses.
func comparableValue(key string, lt, vt ValueType, val string) bool {
	numeric := func() bool {
		switch vt {
		case TypeInt:
			_, err := strconv.ParseInt(val, 10, 64)
			return err == nil
		case TypeFloat:
			f, err := strconv.ParseFloat(val, 64)
			return err == nil && !math.IsNaN(f)
		}
		return false
	}
	if key == IntrinsicDuration {
		if numeric() {
			return true
		}
		if vt == TypeInt || vt == TypeString {
			_, err := time.ParseDuration(val)
			return err == nil
		}
		return false
	}
	switch lt {
	case TypeString:
		return vt == TypeString
	case TypeBool:
		_, err := strconv.ParseBool(val)
		return vt == TypeBool && err == nil
	case TypeInt, TypeFloat:
		return numeric()
	}
	return false
}

func BenchmarkCompiledPatternMatches(b *testing.B) {
	p := Pattern{Service: "cart_svc", SpanRegex: "POST /cart/.*", Kind: "server", Attributes: []Matcher{
		{Key: "span.http.request.method", Op: OpEq, Value: StringValue("POST")},
		{Key: "span.http.response.status_code", Op: OpLt, Value: IntValue(500)},
		{Key: "span.order.total", Op: OpGe, Value: FloatValue(10)},
	}}
	attrs := lookup(map[string]attr{
		"span.http.request.method":       {"POST", TypeString},
		"span.http.response.status_code": {"201", TypeInt},
		"span.order.total":               {"42.5", TypeFloat},
	})
	c, err := p.Compile()
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if !c.Matches("cart_svc", "POST /cart/items", "server", attrs) {
			b.Fatal("no match")
		}
	}
}
