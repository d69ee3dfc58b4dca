package faketempo

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// query is a parsed TraceQL query of the subset Waymark sends: one
// spanset filter, then select(...) or count_over_time() [by (...)].
type query struct {
	filter  expr
	selects []string
	metric  bool
	by      []string
}

// expr is a boolean condition on one span.
type expr interface {
	eval(s *span) bool
}

type andExpr struct{ l, r expr }
type orExpr struct{ l, r expr }
type trueExpr struct{}

func (e andExpr) eval(s *span) bool { return e.l.eval(s) && e.r.eval(s) }
func (e orExpr) eval(s *span) bool  { return e.l.eval(s) || e.r.eval(s) }
func (trueExpr) eval(*span) bool    { return true }

// literal is a TraceQL static value.
type literal struct {
	kind    litKind
	str     string
	i       int64
	f       float64
	b       bool
	dur     time.Duration
	keyword string
}

type litKind int

const (
	litString litKind = iota
	litInt
	litFloat
	litBool
	litDuration
	litKeyword
	litNil
)

// cmpExpr compares a field with a literal.
type cmpExpr struct {
	field string
	op    string
	lit   literal
	re    *regexp.Regexp
}

func (e cmpExpr) eval(s *span) bool {
	v, ok := s.field(e.field)
	if e.lit.kind == litNil {
		switch e.op {
		case "!=":
			return ok
		case "=":
			return !ok
		}
		return false
	}
	if !ok {
		return false
	}
	switch e.lit.kind {
	case litKeyword:
		if v.kind != valKeyword {
			return false
		}
		return compareStrings(v.str, e.lit.keyword, e.op, nil)
	case litString:
		if v.kind != valString {
			return false
		}
		return compareStrings(v.str, e.lit.str, e.op, e.re)
	case litBool:
		if v.kind != valBool {
			return false
		}
		switch e.op {
		case "=":
			return v.b == e.lit.b
		case "!=":
			return v.b != e.lit.b
		}
		return false
	case litDuration:
		if v.kind != valDuration {
			return false
		}
		return compareNumbers(float64(v.i), float64(e.lit.dur), e.op)
	case litInt, litFloat:
		var x float64
		switch v.kind {
		case valInt:
			if e.lit.kind == litInt {
				return compareInts(v.i, e.lit.i, e.op)
			}
			x = float64(v.i)
		case valFloat:
			x = v.f
		default:
			return false
		}
		y := e.lit.f
		if e.lit.kind == litInt {
			y = float64(e.lit.i)
		}
		return compareNumbers(x, y, e.op)
	}
	return false
}

func compareStrings(a, b, op string, re *regexp.Regexp) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case "=~":
		return re != nil && re.MatchString(a)
	case "!~":
		return re != nil && !re.MatchString(a)
	}
	return false
}

func compareInts(a, b int64, op string) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "<":
		return a < b
	case "<=":
		return a <= b
	}
	return false
}

func compareNumbers(a, b float64, op string) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return false
	}
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "<":
		return a < b
	case "<=":
		return a <= b
	}
	return false
}

// parser reads the query text.
type parser struct {
	s   string
	pos int
}

func parseQuery(s string) (*query, error) {
	p := &parser{s: s}
	q := &query{}
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	if p.peek("}") {
		q.filter = trueExpr{}
	} else {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		q.filter = e
	}
	if err := p.expect("}"); err != nil {
		return nil, err
	}
	for p.skip(); p.pos < len(p.s); p.skip() {
		if err := p.expect("|"); err != nil {
			return nil, err
		}
		p.skip()
		switch {
		case p.word("select"):
			fields, err := p.fieldList()
			if err != nil {
				return nil, err
			}
			q.selects = append(q.selects, fields...)
		case p.word("count_over_time"):
			if err := p.expect("("); err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			q.metric = true
			p.skip()
			if p.word("by") {
				fields, err := p.fieldList()
				if err != nil {
					return nil, err
				}
				q.by = fields
			}
		default:
			return nil, fmt.Errorf("unsupported pipeline stage at %d: %q", p.pos, p.s[p.pos:])
		}
	}
	return q, nil
}

func (p *parser) skip() {
	for p.pos < len(p.s) && unicode.IsSpace(rune(p.s[p.pos])) {
		p.pos++
	}
}

func (p *parser) peek(tok string) bool {
	p.skip()
	return strings.HasPrefix(p.s[p.pos:], tok)
}

func (p *parser) expect(tok string) error {
	if !p.peek(tok) {
		return fmt.Errorf("expected %q at %d in %q", tok, p.pos, p.s)
	}
	p.pos += len(tok)
	return nil
}

func (p *parser) word(w string) bool {
	p.skip()
	if !strings.HasPrefix(p.s[p.pos:], w) {
		return false
	}
	end := p.pos + len(w)
	if end < len(p.s) && isFieldChar(p.s[end]) {
		return false
	}
	p.pos = end
	return true
}

func (p *parser) fieldList() ([]string, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var out []string
	for {
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		if p.peek(",") {
			p.pos++
			continue
		}
		return out, p.expect(")")
	}
}

func isFieldChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.:/-", c) >= 0
}

func (p *parser) field() (string, error) {
	p.skip()
	start := p.pos
	for p.pos < len(p.s) && isFieldChar(p.s[p.pos]) {
		p.pos++
	}
	f := p.s[start:p.pos]
	switch {
	case f == "":
		return "", fmt.Errorf("expected a field at %d in %q", start, p.s)
	case f == "name", f == "kind", f == "status", f == "statusMessage", f == "duration":
	case strings.HasPrefix(f, "span.") && len(f) > 5, strings.HasPrefix(f, "resource.") && len(f) > 9:
	default:
		return "", fmt.Errorf("unknown field %q", f)
	}
	return f, nil
}

func (p *parser) or() (expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek("||") {
		p.pos += 2
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
	return l, nil
}

func (p *parser) and() (expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peek("&&") {
		p.pos += 2
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
	return l, nil
}

func (p *parser) unary() (expr, error) {
	if p.peek("(") {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	}
	f, err := p.field()
	if err != nil {
		return nil, err
	}
	p.skip()
	var op string
	for _, o := range []string{"!=", "=~", "!~", ">=", "<=", "=", ">", "<"} {
		if strings.HasPrefix(p.s[p.pos:], o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, fmt.Errorf("expected an operator at %d in %q", p.pos, p.s)
	}
	p.pos += len(op)
	lit, err := p.literal()
	if err != nil {
		return nil, err
	}
	e := cmpExpr{field: f, op: op, lit: lit}
	if op == "=~" || op == "!~" {
		if lit.kind != litString {
			return nil, fmt.Errorf("regex needs a string")
		}
		re, err := regexp.Compile(`^(?:` + lit.str + `)$`)
		if err != nil {
			return nil, err
		}
		e.re = re
	}
	return e, nil
}

func (p *parser) literal() (literal, error) {
	p.skip()
	if p.pos >= len(p.s) {
		return literal{}, fmt.Errorf("missing literal")
	}
	if p.s[p.pos] == '"' {
		// Go's quoting rules, as TraceQL's lexer uses.
		end := p.pos + 1
		for end < len(p.s) && p.s[end] != '"' {
			if p.s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(p.s) {
			return literal{}, fmt.Errorf("unterminated string")
		}
		s, err := strconv.Unquote(p.s[p.pos : end+1])
		if err != nil {
			return literal{}, err
		}
		p.pos = end + 1
		return literal{kind: litString, str: s}, nil
	}
	start := p.pos
	for p.pos < len(p.s) && (isFieldChar(p.s[p.pos]) || p.s[p.pos] == '+') {
		p.pos++
	}
	w := p.s[start:p.pos]
	switch w {
	case "nil":
		return literal{kind: litNil}, nil
	case "true", "false":
		return literal{kind: litBool, b: w == "true"}, nil
	case "server", "client", "producer", "consumer", "internal", "unspecified", "error", "ok", "unset":
		return literal{kind: litKeyword, keyword: w}, nil
	}
	if i, err := strconv.ParseInt(w, 10, 64); err == nil {
		return literal{kind: litInt, i: i}, nil
	}
	if f, err := strconv.ParseFloat(w, 64); err == nil && !strings.ContainsAny(w, "eE") {
		return literal{kind: litFloat, f: f}, nil
	}
	if d, err := time.ParseDuration(strings.Replace(w, "us", "µs", 1)); err == nil {
		return literal{kind: litDuration, dur: d}, nil
	}
	return literal{}, fmt.Errorf("bad literal %q", w)
}
