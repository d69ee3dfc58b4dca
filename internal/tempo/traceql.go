package tempo

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/waymarkhq/waymark/journeys"
)

// CompilePattern turns a step pattern into a TraceQL search query that
// selects the given attributes, e.g.
//
//	{ resource.service.name = "cart_svc" && name = "POST /cart/items" } | select(span.session.id, span.user.tier, status, duration)
//
// Every literal is validated and written in TraceQL's own syntax: strings
// quoted with escapes so that no user value can end the literal and change
// the query's structure, numbers and booleans bare only after parsing.
// status and duration are always selected, last, because rollups need them.
func CompilePattern(p journeys.Pattern, selects []string) (string, error) {
	filter, err := CompileFilter(p)
	if err != nil {
		return "", err
	}
	sel, err := selectList(selects)
	if err != nil {
		return "", fmt.Errorf("compile pattern: %w", err)
	}
	return filter + " | select(" + strings.Join(sel, ", ") + ")", nil
}

// CompileFilter compiles p to the TraceQL spanset filter alone, e.g.
// { resource.service.name = "cart_svc" && name = "POST /cart/items" }, for
// metrics queries over the same spans.
func CompileFilter(p journeys.Pattern) (string, error) {
	// Compile validates what journeys knows about patterns: one of span
	// and spanRegex, valid regular expressions, operators that fit their
	// literals. The TraceQL below must mean exactly what it matches.
	if _, err := p.Compile(); err != nil {
		return "", fmt.Errorf("compile pattern: %w", err)
	}
	var b strings.Builder
	b.WriteString("{ resource.service.name = ")
	if err := writeString(&b, "service", p.Service); err != nil {
		return "", err
	}
	if p.SpanRegex != "" {
		b.WriteString(" && name =~ ")
		if err := writeString(&b, "spanRegex", p.SpanRegex); err != nil {
			return "", err
		}
	} else {
		b.WriteString(" && name = ")
		if err := writeString(&b, "span", p.Span); err != nil {
			return "", err
		}
	}
	if p.Kind != "" {
		if !isKind(p.Kind) {
			return "", fmt.Errorf("compile pattern: kind %q is not one of server, client, producer, consumer, internal", p.Kind)
		}
		b.WriteString(" && kind = ")
		b.WriteString(p.Kind)
	}
	for i, m := range p.Attributes {
		b.WriteString(" && ")
		if err := writeMatcher(&b, m); err != nil {
			return "", fmt.Errorf("compile pattern: attributes[%d]: %w", i, err)
		}
	}
	b.WriteString(" }")
	return b.String(), nil
}

// selectList validates the selected keys and appends status and duration,
// keeping the caller's order and dropping repeats.
func selectList(selects []string) ([]string, error) {
	out := make([]string, 0, len(selects)+2)
	seen := make(map[string]bool, len(selects)+2)
	for _, s := range selects {
		k, err := journeys.ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("select: %w", err)
		}
		if seen[k.String()] {
			continue
		}
		seen[k.String()] = true
		out = append(out, k.String())
	}
	for _, s := range []string{journeys.IntrinsicStatus, journeys.IntrinsicDuration} {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, nil
}

func isKind(k string) bool {
	switch k {
	case "server", "client", "producer", "consumer", "internal", "unspecified":
		return true
	}
	return false
}

func writeMatcher(b *strings.Builder, m journeys.Matcher) error {
	k, err := journeys.ParseKey(m.Key)
	if err != nil {
		return err
	}
	switch m.Op {
	case journeys.OpEq, journeys.OpNe, journeys.OpRegex, journeys.OpNotRegex,
		journeys.OpGt, journeys.OpGe, journeys.OpLt, journeys.OpLe:
	default:
		return fmt.Errorf("unknown operator %q", string(m.Op))
	}
	b.WriteString(k.String())
	b.WriteByte(' ')
	b.WriteString(string(m.Op))
	b.WriteByte(' ')

	switch k.Name {
	case journeys.IntrinsicStatus, journeys.IntrinsicKind:
		if k.Scope == "" {
			// Keywords, not strings: status = error, kind = server.
			if m.Value.Type != journeys.TypeString || !isKeyword(k.Name, m.Value.Raw) {
				return fmt.Errorf("%s needs one of its keywords, got %q", k.Name, m.Value.Raw)
			}
			b.WriteString(m.Value.Raw)
			return nil
		}
	case journeys.IntrinsicDuration:
		if k.Scope == "" {
			if m.Value.Type != journeys.TypeString {
				return fmt.Errorf(`duration needs a duration literal such as "250ms"`)
			}
			d, err := journeys.ParseDuration(m.Value.Raw)
			if err != nil {
				return fmt.Errorf("duration: %w", err)
			}
			if d.D < 0 {
				return fmt.Errorf("duration must not be negative")
			}
			b.WriteString(traceQLDuration(d.D))
			return nil
		}
	}
	switch m.Value.Type {
	case journeys.TypeString:
		return writeString(b, m.Key, m.Value.Raw)
	case journeys.TypeInt:
		i, err := m.Value.Int()
		if err != nil {
			return err
		}
		b.WriteString(strconv.FormatInt(i, 10))
	case journeys.TypeFloat:
		f, err := m.Value.Float()
		if err != nil {
			return err
		}
		b.WriteString(traceQLFloat(f))
	case journeys.TypeBool:
		v, err := m.Value.Bool()
		if err != nil {
			return err
		}
		b.WriteString(strconv.FormatBool(v))
	default:
		return fmt.Errorf("unknown value type %d", int(m.Value.Type))
	}
	return nil
}

func isKeyword(key, v string) bool {
	if key == journeys.IntrinsicKind {
		return isKind(v)
	}
	switch v {
	case "error", "ok", "unset":
		return true
	}
	return false
}

// writeString writes s as a TraceQL string literal. TraceQL reads string
// literals with Go's escape rules, so strconv.Quote's output (\\, \",
// \n, \x00, \u2028, …) reads back as exactly s. Invalid UTF-8 is refused
// rather than escaped: span attributes are UTF-8, so it could never match.
func writeString(b *strings.Builder, field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("compile pattern: %s is not valid UTF-8", field)
	}
	b.WriteString(strconv.Quote(s))
	return nil
}

// traceQLFloat writes a float TraceQL reads back as a float: no exponent
// (which the lexer could take for a duration unit), always a fraction.
func traceQLFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// traceQLDuration writes d in the largest whole unit TraceQL knows.
func traceQLDuration(d time.Duration) string {
	units := []struct {
		d    time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}, {time.Microsecond, "us"}}
	if d != 0 {
		for _, u := range units {
			if d%u.d == 0 {
				return strconv.FormatInt(int64(d/u.d), 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(d), 10) + "ns"
}
