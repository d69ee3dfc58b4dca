package tempo

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

func TestCompilePattern(t *testing.T) {
	t.Parallel()
	str, i64, f64, boolean := journeys.TypeString, journeys.TypeInt, journeys.TypeFloat, journeys.TypeBool
	m := func(key string, op journeys.Op, typ journeys.ValueType, raw string) journeys.Matcher {
		return journeys.Matcher{Key: key, Op: op, Value: journeys.Value{Type: typ, Raw: raw}}
	}
	tests := []struct {
		name    string
		p       journeys.Pattern
		selects []string
		want    string
	}{
		{
			name: "exact name",
			p:    journeys.Pattern{Service: "cart_svc", Span: "POST /cart/items"},
			want: `{ resource.service.name = "cart_svc" && name = "POST /cart/items" } | select(status, duration)`,
		},
		{
			name:    "regex, kind and selects in order",
			p:       journeys.Pattern{Service: "payment_svc", SpanRegex: `POST /pay(ments|outs)/\d+`, Kind: "server"},
			selects: []string{"resource.service.version", "span.user.tier"},
			want:    `{ resource.service.name = "payment_svc" && name =~ "POST /pay(ments|outs)/\\d+" && kind = server } | select(resource.service.version, span.user.tier, status, duration)`,
		},
		{
			name:    "selects deduplicated, status and duration kept once",
			p:       journeys.Pattern{Service: "a", Span: "b"},
			selects: []string{"duration", "span.x", "span.x", "status"},
			want:    `{ resource.service.name = "a" && name = "b" } | select(duration, span.x, status)`,
		},
		{
			name: "strings escaped",
			p: journeys.Pattern{Service: `we"ird\svc`, Span: "line1\nline2\ttab\x00nul\u2028", Attributes: []journeys.Matcher{
				m("span.q", journeys.OpEq, str, `" } | select(span.secret) { "`),
				m("resource.r", journeys.OpNotRegex, str, `^\w+"$`),
			}},
			want: `{ resource.service.name = "we\"ird\\svc" && name = "line1\nline2\ttab\x00nul\u2028" && span.q = "\" } | select(span.secret) { \"" && resource.r !~ "^\\w+\"$" } | select(status, duration)`,
		},
		{
			name: "typed literals",
			p: journeys.Pattern{Service: "s", Span: "n", Attributes: []journeys.Matcher{
				m("span.http.response.status_code", journeys.OpGe, i64, "500"),
				m("span.retries", journeys.OpLt, i64, "-3"),
				m("span.mask", journeys.OpEq, i64, "0x1f"),
				m("span.big", journeys.OpEq, i64, "1_000"),
				m("span.order.total", journeys.OpGt, f64, "99.50"),
				m("span.ratio", journeys.OpLe, f64, "1e3"),
				m("span.tiny", journeys.OpGt, f64, "-2.5e-7"),
				m("span.whole", journeys.OpEq, f64, "2"),
				m("span.feature_flag.new_checkout", journeys.OpEq, boolean, "True"),
				m("span.cached", journeys.OpNe, boolean, "false"),
				m("span.code", journeys.OpEq, str, "500"),
			}},
			want: `{ resource.service.name = "s" && name = "n" && span.http.response.status_code >= 500 && span.retries < -3 && span.mask = 31 && span.big = 1000 && span.order.total > 99.5 && span.ratio <= 1000.0 && span.tiny > -0.00000025 && span.whole = 2.0 && span.feature_flag.new_checkout = true && span.cached != false && span.code = "500" } | select(status, duration)`,
		},
		{
			name: "intrinsics",
			p: journeys.Pattern{Service: "s", Span: "n", Attributes: []journeys.Matcher{
				m("status", journeys.OpNe, str, "error"),
				m("kind", journeys.OpEq, str, "client"),
				m("duration", journeys.OpGt, str, "250ms"),
				m("duration", journeys.OpLe, str, "1.5s"),
				m("duration", journeys.OpLt, str, "1d"),
				m("statusMessage", journeys.OpRegex, str, "time.*out"),
				m("name", journeys.OpNe, str, "health"),
			}},
			want: `{ resource.service.name = "s" && name = "n" && status != error && kind = client && duration > 250ms && duration <= 1500ms && duration < 24h && statusMessage =~ "time.*out" && name != "health" } | select(status, duration)`,
		},
		{
			name: "unicode kept readable",
			p:    journeys.Pattern{Service: "caisse", Span: "POST /paiement/é✓"},
			want: `{ resource.service.name = "caisse" && name = "POST /paiement/é✓" } | select(status, duration)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := CompilePattern(tt.p, tt.selects)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			checkCompiled(t, tt.p, tt.selects, got)
		})
	}
}

func TestCompilePatternRejects(t *testing.T) {
	t.Parallel()
	m := func(key string, op journeys.Op, typ journeys.ValueType, raw string) []journeys.Matcher {
		return []journeys.Matcher{{Key: key, Op: op, Value: journeys.Value{Type: typ, Raw: raw}}}
	}
	tests := []struct {
		name    string
		p       journeys.Pattern
		selects []string
		want    string
	}{
		{"both span and regex", journeys.Pattern{Service: "s", Span: "a", SpanRegex: "b"}, nil, "both span and spanRegex"},
		{"neither span nor regex", journeys.Pattern{Service: "s"}, nil, "neither span nor spanRegex"},
		{"bad regex", journeys.Pattern{Service: "s", SpanRegex: "(unclosed"}, nil, "missing closing )"},
		{"bad kind", journeys.Pattern{Service: "s", Span: "a", Kind: "server } | {"}, nil, "kind"},
		{"unscoped key", journeys.Pattern{Service: "s", Span: "a", Attributes: m("user.tier", journeys.OpEq, journeys.TypeString, "x")}, nil, "invalid attribute key"},
		{"key breaking out", journeys.Pattern{Service: "s", Span: "a", Attributes: m(`span.a = 1 || span.b`, journeys.OpEq, journeys.TypeString, "x")}, nil, "invalid attribute key"},
		{"unknown op", journeys.Pattern{Service: "s", Span: "a", Attributes: m("span.a", "&&", journeys.TypeString, "x")}, nil, "unknown operator"},
		{"regex on int", journeys.Pattern{Service: "s", Span: "a", Attributes: m("span.a", journeys.OpRegex, journeys.TypeInt, "5")}, nil, "needs a string"},
		{"order on bool", journeys.Pattern{Service: "s", Span: "a", Attributes: m("span.a", journeys.OpGt, journeys.TypeBool, "true")}, nil, "needs a number"},
		{"int syntax", journeys.Pattern{Service: "s", Span: "a", Attributes: m("span.a", journeys.OpEq, journeys.TypeInt, "5 || true")}, nil, "invalid int"},
		{"float syntax", journeys.Pattern{Service: "s", Span: "a", Attributes: m("span.a", journeys.OpEq, journeys.TypeFloat, "NaN")}, nil, "float"},
		{"bool syntax", journeys.Pattern{Service: "s", Span: "a", Attributes: m("span.a", journeys.OpEq, journeys.TypeBool, "yes")}, nil, "invalid bool"},
		{"status keyword", journeys.Pattern{Service: "s", Span: "a", Attributes: m("status", journeys.OpEq, journeys.TypeString, "error || true")}, nil, "status is one of"},
		{"duration literal", journeys.Pattern{Service: "s", Span: "a", Attributes: m("duration", journeys.OpGt, journeys.TypeString, "soon")}, nil, "duration"},
		{"invalid utf-8", journeys.Pattern{Service: "s\xff", Span: "a"}, nil, "service is not valid UTF-8"},
		{"bad select", journeys.Pattern{Service: "s", Span: "a"}, []string{"span.a) | select(span.b"}, "select: invalid attribute key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := CompilePattern(tt.p, tt.selects)
			require.ErrorContains(t, err, tt.want)
			require.Empty(t, got)
		})
	}
}

// FuzzCompilePattern checks that whatever a user types, the query is one
// span filter whose literals read back as exactly what was typed.
func FuzzCompilePattern(f *testing.F) {
	f.Add("cart_svc", "POST /cart/items", false, "", "span.user.tier", "=", uint8(0), "free", "resource.x", "!~", uint8(0), "a.*")
	f.Add(`svc"} | {`, `a\" && true`, true, "server", "span.n", ">=", uint8(1), "-12", "span.f", "<", uint8(2), "3.25")
	f.Add("s\n", "\x00\u2028", false, "client", "status", "=", uint8(0), "error", "duration", ">", uint8(0), "1.5s")
	f.Add("", "`raw`", true, "bogus", "kind", "!=", uint8(0), "internal", "span.b", "=", uint8(3), "TRUE")
	f.Add("é", "\\", false, "internal", "span.x", "=~", uint8(0), `\d{3}"`, "name", "!=", uint8(0), `x"y`)
	f.Fuzz(func(t *testing.T, service, span string, regex bool, kind, k1, op1 string, t1 uint8, v1, k2, op2 string, t2 uint8, v2 string) {
		p := journeys.Pattern{Service: service, Kind: kind, Attributes: []journeys.Matcher{
			{Key: k1, Op: journeys.Op(op1), Value: journeys.Value{Type: journeys.ValueType(t1 % 4), Raw: v1}},
			{Key: k2, Op: journeys.Op(op2), Value: journeys.Value{Type: journeys.ValueType(t2 % 4), Raw: v2}},
		}}
		if regex {
			p.SpanRegex = span
		} else {
			p.Span = span
		}
		q, err := CompilePattern(p, []string{"span.session.id"})
		if err != nil {
			return
		}
		checkCompiled(t, p, []string{"span.session.id"}, q)
	})
}

// checkCompiled parses q with an independent tokenizer and checks that it
// is exactly one span filter with the pattern's conditions, in order, and
// that every literal reads back as the input.
func checkCompiled(t *testing.T, p journeys.Pattern, selects []string, q string) {
	t.Helper()
	conds, sel, err := parseFilter(q)
	require.NoError(t, err, q)

	want := 2 + len(p.Attributes)
	if p.Kind != "" {
		want++
	}
	require.Len(t, conds, want, q)

	require.Equal(t, cond{"resource.service.name", "=", lit{str: true, text: p.Service}}, conds[0], q)
	if p.SpanRegex != "" {
		require.Equal(t, cond{"name", "=~", lit{str: true, text: p.SpanRegex}}, conds[1], q)
	} else {
		require.Equal(t, cond{"name", "=", lit{str: true, text: p.Span}}, conds[1], q)
	}
	rest := conds[2:]
	if p.Kind != "" {
		require.Equal(t, cond{"kind", "=", lit{text: p.Kind}}, rest[0], q)
		rest = rest[1:]
	}
	for i, m := range p.Attributes {
		c := rest[i]
		require.Equal(t, m.Key, c.key, q)
		require.Equal(t, string(m.Op), c.op, q)
		switch {
		case m.Key == "status" || m.Key == "kind":
			require.Equal(t, lit{text: m.Value.Raw}, c.val, q)
		case m.Key == "duration":
			wantD, err := journeys.ParseDuration(m.Value.Raw)
			require.NoError(t, err)
			require.False(t, c.val.str, q)
			gotD, err := time.ParseDuration(c.val.text)
			require.NoError(t, err, q)
			require.Equal(t, wantD.D, gotD, q)
		case m.Value.Type == journeys.TypeString:
			require.Equal(t, lit{str: true, text: m.Value.Raw}, c.val, q)
		case m.Value.Type == journeys.TypeInt:
			wantI, err := m.Value.Int()
			require.NoError(t, err)
			require.False(t, c.val.str, q)
			gotI, err := strconv.ParseInt(c.val.text, 10, 64)
			require.NoError(t, err, q)
			require.Equal(t, wantI, gotI, q)
		case m.Value.Type == journeys.TypeFloat:
			wantF, err := m.Value.Float()
			require.NoError(t, err)
			require.False(t, c.val.str, q)
			require.Contains(t, c.val.text, ".", q)
			require.NotContains(t, c.val.text, "e", q)
			gotF, err := strconv.ParseFloat(c.val.text, 64)
			require.NoError(t, err, q)
			require.Equal(t, wantF, gotF, q)
		case m.Value.Type == journeys.TypeBool:
			wantB, err := m.Value.Bool()
			require.NoError(t, err)
			require.Equal(t, lit{text: strconv.FormatBool(wantB)}, c.val, q)
		}
	}
	wantSel, err := selectList(selects)
	require.NoError(t, err)
	require.Equal(t, wantSel, sel, q)
	require.Contains(t, sel, "status", q)
	require.Contains(t, sel, "duration", q)
}

type lit struct {
	str  bool // a quoted string; text is its unescaped value
	text string
}

type cond struct {
	key, op string
	val     lit
}

type token struct {
	kind string // punct, op, string, word
	text string
}

// tokenize splits a TraceQL filter the way TraceQL's lexer does for the
// subset CompilePattern writes: punctuation, operators, Go-quoted strings
// and bare words.
func tokenize(q string) ([]token, error) {
	var toks []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '{' || c == '}' || c == '(' || c == ')' || c == ',':
			toks = append(toks, token{"punct", string(c)})
			i++
		case c == '&' && strings.HasPrefix(q[i:], "&&"):
			toks = append(toks, token{"punct", "&&"})
			i += 2
		case c == '|' && strings.HasPrefix(q[i:], "||"):
			toks = append(toks, token{"punct", "||"})
			i += 2
		case c == '|':
			toks = append(toks, token{"punct", "|"})
			i++
		case c == '=' || c == '!' || c == '<' || c == '>':
			op := string(c)
			if i+1 < len(q) && (q[i+1] == '=' || q[i+1] == '~') {
				op += string(q[i+1])
			}
			toks = append(toks, token{"op", op})
			i += len(op)
		case c == '"':
			j := i + 1
			for ; j < len(q); j++ {
				if q[j] == '\\' {
					j++
					continue
				}
				if q[j] == '"' || q[j] == '\n' {
					break
				}
			}
			if j >= len(q) || q[j] != '"' {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			s, err := strconv.Unquote(q[i : j+1])
			if err != nil {
				return nil, fmt.Errorf("bad string literal %s: %w", q[i:j+1], err)
			}
			toks = append(toks, token{"string", s})
			i = j + 1
		default:
			j := i
			for j < len(q) && !strings.ContainsRune(" \t\n\r{}(),&|=!<>\"~`", rune(q[j])) {
				_, size := utf8.DecodeRuneInString(q[j:])
				j += size
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q at %d", c, i)
			}
			toks = append(toks, token{"word", q[i:j]})
			i = j
		}
	}
	return toks, nil
}

// parseFilter accepts exactly `{ cond (&& cond)* } | select(key (, key)*)`.
func parseFilter(q string) ([]cond, []string, error) {
	toks, err := tokenize(q)
	if err != nil {
		return nil, nil, err
	}
	pos := 0
	next := func() token {
		if pos >= len(toks) {
			return token{"eof", ""}
		}
		pos++
		return toks[pos-1]
	}
	expect := func(kind, text string) error {
		if tk := next(); tk.kind != kind || tk.text != text {
			return fmt.Errorf("want %s %q at token %d, got %s %q", kind, text, pos, tk.kind, tk.text)
		}
		return nil
	}
	if err := expect("punct", "{"); err != nil {
		return nil, nil, err
	}
	var conds []cond
	for {
		key := next()
		if key.kind != "word" {
			return nil, nil, fmt.Errorf("want attribute at token %d, got %s %q", pos, key.kind, key.text)
		}
		op := next()
		if op.kind != "op" {
			return nil, nil, fmt.Errorf("want operator at token %d, got %s %q", pos, op.kind, op.text)
		}
		v := next()
		if v.kind != "string" && v.kind != "word" {
			return nil, nil, fmt.Errorf("want literal at token %d, got %s %q", pos, v.kind, v.text)
		}
		conds = append(conds, cond{key.text, op.text, lit{str: v.kind == "string", text: v.text}})
		sep := next()
		if sep.kind == "punct" && sep.text == "}" {
			break
		}
		if sep.kind != "punct" || sep.text != "&&" {
			return nil, nil, fmt.Errorf("want && or } at token %d, got %s %q", pos, sep.kind, sep.text)
		}
	}
	for _, s := range []token{{"punct", "|"}, {"word", "select"}, {"punct", "("}} {
		if err := expect(s.kind, s.text); err != nil {
			return nil, nil, err
		}
	}
	var sel []string
	for {
		k := next()
		if k.kind != "word" {
			return nil, nil, fmt.Errorf("want selected attribute at token %d, got %s %q", pos, k.kind, k.text)
		}
		sel = append(sel, k.text)
		sep := next()
		if sep.kind == "punct" && sep.text == ")" {
			break
		}
		if sep.kind != "punct" || sep.text != "," {
			return nil, nil, fmt.Errorf("want , or ) at token %d, got %s %q", pos, sep.kind, sep.text)
		}
	}
	if tk := next(); tk.kind != "eof" {
		return nil, nil, fmt.Errorf("trailing %s %q", tk.kind, tk.text)
	}
	return conds, sel, nil
}

func TestTraceQLDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		0: "0ns", 3 * time.Hour: "3h", 90 * time.Minute: "90m", 1500 * time.Millisecond: "1500ms",
		2 * time.Second: "2s", 7 * time.Microsecond: "7us", 1001: "1001ns",
	} {
		require.Equal(t, want, traceQLDuration(d))
	}
}
