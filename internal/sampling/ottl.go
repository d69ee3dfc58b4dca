package sampling

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/journeys"
)

// spanCondition returns an OTTL condition in the span context that holds
// for exactly the spans p matches, with journeys.CompiledPattern.Matches'
// semantics: a matcher on an attribute the span lacks, or holds with
// another type, is false whatever its operator. OTTL alone would call
// nil != "x" true, so negative operators carry a type guard.
func spanCondition(p journeys.Pattern) (string, error) {
	if _, err := p.Compile(); err != nil {
		return "", err
	}
	parts := []string{`resource.attributes["service.name"] == ` + quote(p.Service)}
	if p.SpanRegex != "" {
		parts = append(parts, "IsMatch(span.name, "+quote(anchor(p.SpanRegex))+")")
	} else {
		parts = append(parts, "span.name == "+quote(p.Span))
	}
	if p.Kind != "" {
		parts = append(parts, "span.kind == "+kindEnum(p.Kind))
	}
	for i, m := range p.Attributes {
		c, err := matcherCondition(m)
		if err != nil {
			return "", fmt.Errorf("attributes[%d]: %w", i, err)
		}
		parts = append(parts, c)
	}
	return strings.Join(parts, " and "), nil
}

// anchor makes expr match whole names, as Waymark and TraceQL do; OTTL's
// IsMatch finds a match anywhere.
func anchor(expr string) string { return "^(?:" + expr + ")$" }

// quote spells s as an OTTL string literal. OTTL unquotes with Go's rules
// (strconv.UnquoteChar), so Go's quoting is its exact inverse.
func quote(s string) string { return strconv.Quote(s) }

func kindEnum(kind string) string { return "SPAN_KIND_" + strings.ToUpper(kind) }

func statusEnum(status string) string { return "STATUS_CODE_" + strings.ToUpper(status) }

// durationExpr is a span's duration in nanoseconds.
const durationExpr = "span.end_time_unix_nano - span.start_time_unix_nano"

// attrPath is the OTTL path of a scoped attribute key.
func attrPath(key string) (string, error) {
	k, err := journeys.ParseKey(key)
	if err != nil {
		return "", err
	}
	switch k.Scope {
	case journeys.ScopeSpan:
		return "span.attributes[" + quote(k.Name) + "]", nil
	case journeys.ScopeResource:
		return "resource.attributes[" + quote(k.Name) + "]", nil
	}
	return "", fmt.Errorf("%q is not an attribute", key)
}

var ottlOps = map[journeys.Op]string{
	journeys.OpEq: "==", journeys.OpNe: "!=",
	journeys.OpGt: ">", journeys.OpGe: ">=", journeys.OpLt: "<", journeys.OpLe: "<=",
}

func matcherCondition(m journeys.Matcher) (string, error) {
	switch m.Key {
	case journeys.IntrinsicStatus:
		return "span.status.code " + ottlOps[m.Op] + " " + statusEnum(m.Value.Raw), nil
	case journeys.IntrinsicKind:
		return "span.kind " + ottlOps[m.Op] + " " + kindEnum(m.Value.Raw), nil
	case journeys.IntrinsicDuration:
		d, err := journeys.ParseDuration(m.Value.Raw)
		if err != nil {
			return "", err
		}
		return durationExpr + " " + ottlOps[m.Op] + " " + strconv.FormatInt(int64(d.D), 10), nil
	case journeys.IntrinsicName:
		return compare("span.name", m, false)
	case journeys.IntrinsicStatusMessage:
		return compare("span.status.message", m, false)
	}
	path, err := attrPath(m.Key)
	if err != nil {
		return "", err
	}
	return compare(path, m, true)
}

// compare spells a matcher on path; typed says the path may hold any
// type, so that negative operators need a guard on the type.
func compare(path string, m journeys.Matcher, typed bool) (string, error) {
	lit, guard, err := literal(path, m.Value)
	if err != nil {
		return "", err
	}
	if !typed {
		guard = ""
	}
	guarded := func(c string) string {
		if guard == "" {
			return c
		}
		return guard + " and " + c
	}
	switch m.Op {
	case journeys.OpRegex:
		return guarded("IsMatch(" + path + ", " + quote(anchor(m.Value.Raw)) + ")"), nil
	case journeys.OpNotRegex:
		return guarded("not IsMatch(" + path + ", " + quote(anchor(m.Value.Raw)) + ")"), nil
	case journeys.OpNe:
		return guarded(path + " != " + lit), nil
	}
	op, ok := ottlOps[m.Op]
	if !ok {
		return "", fmt.Errorf("unknown operator %q", m.Op)
	}
	// Equality and order are false across types in OTTL, as in Waymark:
	// no guard needed.
	return path + " " + op + " " + lit, nil
}

// literal spells v in OTTL and returns the guard that a path holds a
// value of v's type.
func literal(path string, v journeys.Value) (lit, guard string, err error) {
	switch v.Type {
	case journeys.TypeString:
		return quote(v.Raw), "IsString(" + path + ")", nil
	case journeys.TypeBool:
		b, err := v.Bool()
		return strconv.FormatBool(b), "IsBool(" + path + ")", err
	case journeys.TypeInt:
		i, err := v.Int()
		return strconv.FormatInt(i, 10), numberGuard(path), err
	case journeys.TypeFloat:
		f, err := v.Float()
		if err != nil {
			return "", "", err
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "", "", fmt.Errorf("OTTL has no literal for %v", f)
		}
		// OTTL's float token needs a decimal point and takes no exponent
		// without one.
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s, numberGuard(path), nil
	}
	return "", "", fmt.Errorf("unknown literal type %v", v.Type)
}

func numberGuard(path string) string {
	return "(IsInt(" + path + ") or IsDouble(" + path + "))"
}

// hashBelow is the condition that the XXH3 hash of the value at path falls
// in the lowest share of the hash space: the same value decides the same
// way on every span, trace and collector. XXH3 returns 16 lowercase hex
// digits, which order as strings the way the numbers do.
func hashBelow(path string, rate float64) string {
	return "XXH3(String(" + path + ")) < " + quote(hashThreshold(rate))
}

// hashThreshold is ceil(rate × 2^64) as 16 hex digits, capped at the
// largest: the share of 64-bit hashes below it is rate, to within 2^-64.
func hashThreshold(rate float64) string {
	r := new(big.Float).SetFloat64(rate)
	r.Mul(r, new(big.Float).SetInt(new(big.Int).Lsh(big.NewInt(1), 64)))
	t, acc := r.Int(nil)
	if acc == big.Below {
		t.Add(t, big.NewInt(1))
	}
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(1))
	if t.Cmp(max) > 0 {
		t = max
	}
	return fmt.Sprintf("%016x", t)
}
