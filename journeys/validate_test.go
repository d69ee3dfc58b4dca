package journeys

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestValidateExamples(t *testing.T) {
	t.Parallel()
	require.NoError(t, shopCheckout(t).Validate())
	require.NoError(t, loginFlow(t).Validate())
}

func TestValidate(t *testing.T) {
	t.Parallel()
	const keyMsg = "use span.<name>, resource.<name> or one of name, status, statusMessage, kind, duration"
	const objMsg = "must be between 0 and 1, exclusive, e.g. 0.995"
	const betweenMsg = "must be between 1h and 90d"
	steps := func(n int) []Step {
		out := make([]Step, n)
		for i := range out {
			out[i] = Step{Name: fmt.Sprintf("Step %d", i), Match: Pattern{Service: "svc", Span: "op"}}
		}
		return out
	}
	matcher := func(key string, op Op, v Value) func(j *Journey) {
		return func(j *Journey) { j.Spec.Steps[1].Match.Attributes = []Matcher{{Key: key, Op: op, Value: v}} }
	}
	attrPath := "steps[1].match.attributes[0]"

	tests := []struct {
		name string
		base func(testing.TB) Journey // shopCheckout when nil
		edit func(j *Journey)
		want map[string]string // nil: valid
	}{
		// top level
		{name: "apiVersion other", edit: func(j *Journey) { j.APIVersion = "waymark/v2" }, want: map[string]string{"apiVersion": `must be "waymark/v1"`}},
		{name: "apiVersion empty", edit: func(j *Journey) { j.APIVersion = "" }, want: map[string]string{"apiVersion": `must be "waymark/v1"`}},
		{name: "kind other", edit: func(j *Journey) { j.Kind = "journey" }, want: map[string]string{"kind": `must be "Journey"`}},
		{name: "apiVersion and kind filled by Normalize", edit: func(j *Journey) { j.APIVersion, j.Kind = "", ""; j.Normalize() }},

		// metadata
		{name: "slug empty", edit: func(j *Journey) { j.Metadata.Slug = "" }, want: map[string]string{"metadata.slug": "required"}},
		{name: "slug upper case", edit: func(j *Journey) { j.Metadata.Slug = "Shop" }, want: map[string]string{"metadata.slug": "must be 1 to 64 lowercase letters, digits or dashes"}},
		{name: "slug underscore", edit: func(j *Journey) { j.Metadata.Slug = "shop_checkout" }, want: map[string]string{"metadata.slug": "must be 1 to 64 lowercase letters, digits or dashes"}},
		{name: "slug 64", edit: func(j *Journey) { j.Metadata.Slug = strings.Repeat("a", 64) }},
		{name: "slug 65", edit: func(j *Journey) { j.Metadata.Slug = strings.Repeat("a", 65) }, want: map[string]string{"metadata.slug": "must be 1 to 64 lowercase letters, digits or dashes"}},
		{name: "name empty", edit: func(j *Journey) { j.Metadata.Name = "" }, want: map[string]string{"metadata.name": "required"}},
		{name: "name blank", edit: func(j *Journey) { j.Metadata.Name = " \t" }, want: map[string]string{"metadata.name": "required"}},
		{name: "name 100 runes", edit: func(j *Journey) { j.Metadata.Name = strings.Repeat("é", 100) }},
		{name: "name 101", edit: func(j *Journey) { j.Metadata.Name = strings.Repeat("a", 101) }, want: map[string]string{"metadata.name": "must be at most 100 characters"}},
		{name: "name newline", edit: func(j *Journey) { j.Metadata.Name = "a\nb" }, want: map[string]string{"metadata.name": "must not contain control characters"}},
		{name: "name invalid UTF-8", edit: func(j *Journey) { j.Metadata.Name = "a\xff" }, want: map[string]string{"metadata.name": "must be valid UTF-8"}},
		{name: "owner empty", edit: func(j *Journey) { j.Metadata.Owner = "" }},
		{name: "owner 101", edit: func(j *Journey) { j.Metadata.Owner = strings.Repeat("a", 101) }, want: map[string]string{"metadata.owner": "must be at most 100 characters"}},
		{name: "description multiline", edit: func(j *Journey) { j.Metadata.Description = "a\n\tb\n" }},
		{name: "description 2000", edit: func(j *Journey) { j.Metadata.Description = strings.Repeat("a", 2000) }},
		{name: "description 2001", edit: func(j *Journey) { j.Metadata.Description = strings.Repeat("a", 2001) }, want: map[string]string{"metadata.description": "must be at most 2000 characters"}},
		{name: "description NUL", edit: func(j *Journey) { j.Metadata.Description = "a\x00" }, want: map[string]string{"metadata.description": "must not contain control characters other than newlines and tabs"}},

		// steps
		{name: "one step", edit: func(j *Journey) { j.Spec.Steps = steps(1); j.Spec.SLOs = nil }, want: map[string]string{"steps": "must have 2 to 20 steps, has 1"}},
		{name: "no steps", edit: func(j *Journey) { j.Spec.Steps = nil; j.Spec.SLOs = nil }, want: map[string]string{"steps": "must have 2 to 20 steps, has 0"}},
		{name: "two steps", edit: func(j *Journey) { j.Spec.Steps = steps(2); j.Spec.SLOs = nil }},
		{name: "20 steps", edit: func(j *Journey) { j.Spec.Steps = steps(20); j.Spec.SLOs = nil }},
		{name: "21 steps", edit: func(j *Journey) { j.Spec.Steps = steps(21); j.Spec.SLOs = nil }, want: map[string]string{"steps": "must have 2 to 20 steps, has 21"}},
		{name: "step name empty", edit: func(j *Journey) { j.Spec.Steps[1].Name = "" }, want: map[string]string{"steps[1].name": "required"}},
		{name: "step name 101", edit: func(j *Journey) { j.Spec.Steps[1].Name = strings.Repeat("a", 101) }, want: map[string]string{"steps[1].name": "must be at most 100 characters"}},
		{name: "step name tab", edit: func(j *Journey) { j.Spec.Steps[1].Name = "a\tb" }, want: map[string]string{"steps[1].name": "must not contain control characters"}},
		{name: "step name duplicate", edit: func(j *Journey) { j.Spec.Steps[2].Name = "Login" }, want: map[string]string{"steps[2].name": `duplicate step name "Login", also steps[0]`}},
		{name: "service empty", edit: func(j *Journey) { j.Spec.Steps[0].Match.Service = "" }, want: map[string]string{"steps[0].match.service": "required"}},
		{name: "service 256", edit: func(j *Journey) { j.Spec.Steps[0].Match.Service = strings.Repeat("s", 256) }, want: map[string]string{"steps[0].match.service": "must be at most 255 characters"}},
		{name: "span and spanRegex", edit: func(j *Journey) { j.Spec.Steps[0].Match.SpanRegex = "POST .*" }, want: map[string]string{"steps[0].match.spanRegex": "set either span or spanRegex, not both"}},
		{name: "neither span nor spanRegex", edit: func(j *Journey) { j.Spec.Steps[0].Match.Span = "" }, want: map[string]string{"steps[0].match.span": "required: set span or spanRegex"}},
		{name: "spanRegex", edit: func(j *Journey) { j.Spec.Steps[0].Match.Span, j.Spec.Steps[0].Match.SpanRegex = "", "POST /log.*" }},
		{name: "spanRegex invalid", edit: func(j *Journey) { j.Spec.Steps[0].Match.Span, j.Spec.Steps[0].Match.SpanRegex = "", "(POST" },
			want: map[string]string{"steps[0].match.spanRegex": "invalid regular expression: missing closing ): `(POST`"}},
		{name: "spanRegex Perl lookahead", edit: func(j *Journey) { j.Spec.Steps[0].Match.Span, j.Spec.Steps[0].Match.SpanRegex = "", "(?!GET)" },
			want: map[string]string{"steps[0].match.spanRegex": "invalid regular expression: invalid or unsupported Perl syntax: `(?!`"}},
		{name: "span 1025", edit: func(j *Journey) { j.Spec.Steps[0].Match.Span = strings.Repeat("a", 1025) }, want: map[string]string{"steps[0].match.span": "must be at most 1024 characters"}},
		{name: "span kind empty", edit: func(j *Journey) { j.Spec.Steps[0].Match.Kind = "" }},
		{name: "span kind unknown", edit: func(j *Journey) { j.Spec.Steps[0].Match.Kind = "Server" },
			want: map[string]string{"steps[0].match.kind": `unknown span kind "Server"; use server, client, producer, consumer or internal`}},
		{name: "span kind unspecified", edit: func(j *Journey) { j.Spec.Steps[0].Match.Kind = "unspecified" },
			want: map[string]string{"steps[0].match.kind": `unknown span kind "unspecified"; use server, client, producer, consumer or internal`}},

		// matchers
		{name: "20 matchers", edit: func(j *Journey) {
			for i := 0; i < 20; i++ {
				j.Spec.Steps[1].Match.Attributes = append(j.Spec.Steps[1].Match.Attributes, Matcher{Key: "span.x", Op: OpNe, Value: IntValue(int64(i))})
			}
		}},
		{name: "21 matchers", edit: func(j *Journey) {
			for i := 0; i < 21; i++ {
				j.Spec.Steps[1].Match.Attributes = append(j.Spec.Steps[1].Match.Attributes, Matcher{Key: "span.x", Op: OpNe, Value: IntValue(int64(i))})
			}
		}, want: map[string]string{"steps[1].match.attributes": "must have at most 20 matchers, has 21"}},
		{name: "key empty", edit: matcher("", OpEq, StringValue("x")), want: map[string]string{attrPath + ".key": "required"}},
		{name: "key unscoped", edit: matcher("http.method", OpEq, StringValue("x")), want: map[string]string{attrPath + ".key": `invalid attribute key "http.method": ` + keyMsg}},
		{name: "key other scope", edit: matcher("event.name", OpEq, StringValue("x")), want: map[string]string{attrPath + ".key": `invalid attribute key "event.name": ` + keyMsg}},
		{name: "key leading dot", edit: matcher(".http.method", OpEq, StringValue("x")), want: map[string]string{attrPath + ".key": `invalid attribute key ".http.method": ` + keyMsg}},
		{name: "key scope only", edit: matcher("span.", OpEq, StringValue("x")), want: map[string]string{attrPath + ".key": `invalid attribute key "span.": missing attribute name after the scope`}},
		{name: "key space", edit: matcher("span.a b", OpEq, StringValue("x")), want: map[string]string{attrPath + ".key": `invalid attribute key "span.a b": attribute name may only contain letters, digits and _ . : / -`}},
		{name: "key quote", edit: matcher(`span.a"`, OpEq, StringValue("x")), want: map[string]string{attrPath + ".key": `invalid attribute key "span.a\"": attribute name may only contain letters, digits and _ . : / -`}},
		{name: "key empty part", edit: matcher("span.a..b", OpEq, StringValue("x")), want: map[string]string{attrPath + ".key": `invalid attribute key "span.a..b": attribute name has an empty part between dots`}},
		{name: "key too long", edit: matcher("span."+strings.Repeat("a", 256), OpEq, StringValue("x")), want: map[string]string{attrPath + ".key": `invalid attribute key "span.` + strings.Repeat("a", 256) + `": attribute name longer than 255 bytes`}},
		{name: "key with : / - _", edit: matcher("resource.k8s.pod/name:x-y_z", OpEq, StringValue("x"))},
		{name: "key bad and value bad", edit: matcher("x", OpGt, StringValue("x")), want: map[string]string{attrPath + ".key": `invalid attribute key "x": ` + keyMsg, attrPath + ".value": "operator > needs a number, not a string"}},
		{name: "op empty", edit: matcher("span.x", "", StringValue("x")), want: map[string]string{attrPath + ".op": "required"}},
		{name: "op unknown", edit: func(j *Journey) {
			j.Spec.Steps[2].Match.Attributes = []Matcher{{Key: "span.x", Op: "=>", Value: IntValue(1)}}
		}, want: map[string]string{"steps[2].match.attributes[0].op": `unknown operator "=>"`}},
		{name: "op == ", edit: matcher("span.x", "==", StringValue("x")), want: map[string]string{attrPath + ".op": `unknown operator "=="`}},
		{name: "string =", edit: matcher("span.x", OpEq, StringValue("x"))},
		{name: "string !=", edit: matcher("span.x", OpNe, StringValue("x"))},
		{name: "string =~", edit: matcher("span.x", OpRegex, StringValue("x.*"))},
		{name: "string !~", edit: matcher("span.x", OpNotRegex, StringValue("x.*"))},
		{name: "string >", edit: matcher("span.x", OpGt, StringValue("5")), want: map[string]string{attrPath + ".value": "operator > needs a number, not a string"}},
		{name: "string >=", edit: matcher("span.x", OpGe, StringValue("a")), want: map[string]string{attrPath + ".value": "operator >= needs a number, not a string"}},
		{name: "string <", edit: matcher("span.x", OpLt, StringValue("a")), want: map[string]string{attrPath + ".value": "operator < needs a number, not a string"}},
		{name: "string <=", edit: matcher("span.x", OpLe, StringValue("a")), want: map[string]string{attrPath + ".value": "operator <= needs a number, not a string"}},
		{name: "regex invalid", edit: matcher("span.x", OpRegex, StringValue("[a")), want: map[string]string{attrPath + ".value": "invalid regular expression: missing closing ]: `[a`"}},
		{name: "not regex invalid", edit: matcher("span.x", OpNotRegex, StringValue("a**")), want: map[string]string{attrPath + ".value": "invalid regular expression: invalid nested repetition operator: `**`"}},
		{name: "string value with newline", edit: matcher("span.x", OpEq, StringValue("a\nb"))},
		{name: "string value 1025", edit: matcher("span.x", OpEq, StringValue(strings.Repeat("a", 1025))), want: map[string]string{attrPath + ".value": "must be at most 1024 characters"}},
		{name: "string value invalid UTF-8", edit: matcher("span.x", OpEq, StringValue("\xfe")), want: map[string]string{attrPath + ".value": "must be valid UTF-8"}},
		{name: "int =", edit: matcher("span.x", OpEq, IntValue(5))},
		{name: "int !=", edit: matcher("span.x", OpNe, IntValue(5))},
		{name: "int >", edit: matcher("span.x", OpGt, IntValue(5))},
		{name: "int >=", edit: matcher("span.x", OpGe, IntValue(5))},
		{name: "int <", edit: matcher("span.x", OpLt, IntValue(5))},
		{name: "int <=", edit: matcher("span.x", OpLe, IntValue(5))},
		{name: "int =~", edit: matcher("span.x", OpRegex, IntValue(5)), want: map[string]string{attrPath + ".value": "operator =~ needs a string, not an int"}},
		{name: "int !~", edit: matcher("span.x", OpNotRegex, IntValue(5)), want: map[string]string{attrPath + ".value": "operator !~ needs a string, not an int"}},
		{name: "int invalid", edit: matcher("span.x", OpEq, Value{Type: TypeInt, Raw: "abc"}), want: map[string]string{attrPath + ".value": `invalid int "abc"`}},
		{name: "int out of range", edit: matcher("span.x", OpEq, Value{Type: TypeInt, Raw: "9223372036854775808"}), want: map[string]string{attrPath + ".value": `int "9223372036854775808" out of range`}},
		{name: "float =", edit: matcher("span.x", OpEq, FloatValue(1.5))},
		{name: "float <=", edit: matcher("span.x", OpLe, FloatValue(1.5))},
		{name: "float =~", edit: matcher("span.x", OpRegex, FloatValue(1.5)), want: map[string]string{attrPath + ".value": "operator =~ needs a string, not a float"}},
		{name: "float infinite", edit: matcher("span.x", OpLt, Value{Type: TypeFloat, Raw: ".inf"}), want: map[string]string{attrPath + ".value": `float ".inf" is not a finite number`}},
		{name: "bool =", edit: matcher("span.x", OpEq, BoolValue(true))},
		{name: "bool !=", edit: matcher("span.x", OpNe, BoolValue(false))},
		{name: "bool >", edit: matcher("span.x", OpGt, BoolValue(true)), want: map[string]string{attrPath + ".value": "operator > needs a number, not a bool"}},
		{name: "bool <=", edit: matcher("span.x", OpLe, BoolValue(true)), want: map[string]string{attrPath + ".value": "operator <= needs a number, not a bool"}},
		{name: "bool =~", edit: matcher("span.x", OpRegex, BoolValue(true)), want: map[string]string{attrPath + ".value": "operator =~ needs a string, not a bool"}},
		{name: "bool invalid", edit: matcher("span.x", OpEq, Value{Type: TypeBool, Raw: "yes"}), want: map[string]string{attrPath + ".value": `invalid bool "yes"`}},
		{name: "unknown value type", edit: matcher("span.x", OpEq, Value{Type: 7, Raw: "x"}), want: map[string]string{attrPath + ".value": "unknown value type 7"}},
		{name: "status =", edit: matcher("status", OpEq, StringValue("error"))},
		{name: "status != ok", edit: matcher("status", OpNe, StringValue("ok"))},
		{name: "status =~", edit: matcher("status", OpRegex, StringValue("err.*")), want: map[string]string{attrPath + ".op": "status supports only = and !="}},
		{name: "status unknown", edit: matcher("status", OpEq, StringValue("failed")), want: map[string]string{attrPath + ".value": "status is one of error, ok or unset"}},
		{name: "status int", edit: matcher("status", OpEq, IntValue(2)), want: map[string]string{attrPath + ".value": "status is one of error, ok or unset"}},
		{name: "kind intrinsic", edit: matcher("kind", OpNe, StringValue("unspecified"))},
		{name: "kind intrinsic unknown", edit: matcher("kind", OpEq, StringValue("Server")), want: map[string]string{attrPath + ".value": "kind is one of server, client, producer, consumer, internal or unspecified"}},
		{name: "kind intrinsic >", edit: matcher("kind", OpGt, StringValue("server")), want: map[string]string{attrPath + ".op": "kind supports only = and !="}},
		{name: "duration >", edit: matcher("duration", OpGt, StringValue("250ms"))},
		{name: "duration <= days", edit: matcher("duration", OpLe, StringValue("1d"))},
		{name: "duration int", edit: matcher("duration", OpGt, IntValue(250)), want: map[string]string{attrPath + ".value": `duration needs a duration literal such as "250ms"`}},
		{name: "duration no unit", edit: matcher("duration", OpGt, StringValue("250")), want: map[string]string{attrPath + ".value": `missing unit in duration "250" (e.g. 30m, 28d)`}},
		{name: "duration negative", edit: matcher("duration", OpGt, StringValue("-1s")), want: map[string]string{attrPath + ".value": "duration must not be negative"}},
		{name: "duration =~", edit: matcher("duration", OpRegex, StringValue("1s")), want: map[string]string{attrPath + ".op": "operator =~ does not apply to duration"}},
		{name: "name intrinsic =~", edit: matcher("name", OpRegex, StringValue("POST .*"))},
		{name: "name intrinsic int", edit: matcher("name", OpEq, IntValue(404)), want: map[string]string{attrPath + ".value": "name is a string; quote the value"}},
		{name: "statusMessage float", edit: matcher("statusMessage", OpEq, FloatValue(1)), want: map[string]string{attrPath + ".value": "statusMessage is a string; quote the value"}},
		{name: "statusMessage >", edit: matcher("statusMessage", OpGt, StringValue("a")), want: map[string]string{attrPath + ".value": "operator > needs a number, not a string"}},

		// correlation
		{name: "correlation by empty", edit: func(j *Journey) { j.Spec.Correlation = Correlation{} },
			want: map[string]string{"correlation.by": `required: "trace" or an attribute such as span.session.id`}},
		{name: "correlation by intrinsic", edit: func(j *Journey) { j.Spec.Correlation.By = "status" },
			want: map[string]string{"correlation.by": `must be a span. or resource. attribute, not the intrinsic "status"`}},
		{name: "correlation by unscoped", edit: func(j *Journey) { j.Spec.Correlation.By = "session.id" },
			want: map[string]string{"correlation.by": `invalid attribute key "session.id": ` + keyMsg}},
		{name: "correlation by resource", edit: func(j *Journey) { j.Spec.Correlation.By = "resource.session.id" }},
		{name: "trace with window", base: loginFlow, edit: func(j *Journey) { j.Spec.Correlation.Window = dur(t, "30m") },
			want: map[string]string{"correlation.window": "must be empty when correlating by trace: a trace is its own window"}},
		{name: "attribute without window", edit: func(j *Journey) { j.Spec.Correlation.Window = Duration{} },
			want: map[string]string{"correlation.window": "required when correlating by attribute, e.g. 30m"}},
		{name: "window negative", edit: func(j *Journey) { j.Spec.Correlation.Window = dur(t, "-30m") }, want: map[string]string{"correlation.window": "must be positive"}},
		{name: "window zero spelled", edit: func(j *Journey) { j.Spec.Correlation.Window = dur(t, "0s") }, want: map[string]string{"correlation.window": "must be positive"}},
		{name: "window 999ms", edit: func(j *Journey) { j.Spec.Correlation.Window = dur(t, "999ms") }, want: map[string]string{"correlation.window": "must be at least 1s"}},
		{name: "window 1s", edit: func(j *Journey) { j.Spec.Correlation.Window = dur(t, "1s") }},
		{name: "window 7d with longer conversion window", edit: func(j *Journey) {
			j.Spec.Correlation.Window = dur(t, "7d")
			j.Spec.SLOs[2].Window = dur(t, "28d")
		}},
		{name: "window 7d1s", edit: func(j *Journey) { j.Spec.Correlation.Window = dur(t, "7d1s") }, want: map[string]string{"correlation.window": "must be at most 7d"}},
		{name: "window spelled wrong", edit: func(j *Journey) { j.Spec.Correlation.Window = Duration{Raw: "half an hour"} },
			want: map[string]string{"correlation.window": `invalid duration "half an hour"`}},

		// segments
		{name: "no segments", edit: func(j *Journey) { j.Spec.Segments = nil }},
		{name: "10 segments", edit: func(j *Journey) {
			j.Spec.Segments = nil
			for i := 0; i < 10; i++ {
				j.Spec.Segments = append(j.Spec.Segments, fmt.Sprintf("span.s%d", i))
			}
		}},
		{name: "11 segments", edit: func(j *Journey) {
			j.Spec.Segments = nil
			for i := 0; i < 11; i++ {
				j.Spec.Segments = append(j.Spec.Segments, fmt.Sprintf("span.s%d", i))
			}
		}, want: map[string]string{"segments": "must have at most 10 keys, has 11"}},
		{name: "segment empty", edit: func(j *Journey) { j.Spec.Segments[1] = "" }, want: map[string]string{"segments[1]": "required"}},
		{name: "segment unscoped", edit: func(j *Journey) { j.Spec.Segments[1] = "region" }, want: map[string]string{"segments[1]": `invalid attribute key "region": ` + keyMsg}},
		{name: "segment intrinsic", edit: func(j *Journey) { j.Spec.Segments[1] = "kind" }, want: map[string]string{"segments[1]": `must be a span. or resource. attribute, not the intrinsic "kind"`}},
		{name: "segment duplicate", edit: func(j *Journey) { j.Spec.Segments[2] = "span.region" }, want: map[string]string{"segments[2]": `duplicate segment key "span.region", also segments[1]`}},
		{name: "segment is correlation key", edit: func(j *Journey) { j.Spec.Segments[0] = "span.session.id" },
			want: map[string]string{"segments[0]": "must not be the correlation key: it would make one segment per journey instance"}},

		// value
		{name: "no value", edit: func(j *Journey) { j.Spec.Value = "" }},
		{name: "value unscoped", edit: func(j *Journey) { j.Spec.Value = "order.total" }, want: map[string]string{"value": `invalid attribute key "order.total": ` + keyMsg}},
		{name: "value intrinsic", edit: func(j *Journey) { j.Spec.Value = "duration" }, want: map[string]string{"value": `must be a span. or resource. attribute, not the intrinsic "duration"`}},

		// SLOs
		{name: "no SLOs", edit: func(j *Journey) { j.Spec.SLOs = nil }},
		{name: "20 SLOs", edit: func(j *Journey) {
			j.Spec.SLOs = nil
			for i := 0; i < 20; i++ {
				j.Spec.SLOs = append(j.Spec.SLOs, SLO{Name: fmt.Sprintf("s%d", i), Kind: SLOSuccess, Objective: 0.9})
			}
		}},
		{name: "21 SLOs", edit: func(j *Journey) {
			j.Spec.SLOs = nil
			for i := 0; i < 21; i++ {
				j.Spec.SLOs = append(j.Spec.SLOs, SLO{Name: fmt.Sprintf("s%d", i), Kind: SLOSuccess, Objective: 0.9})
			}
		}, want: map[string]string{"slos": "must have at most 20 SLOs, has 21"}},
		{name: "SLO name empty", edit: func(j *Journey) { j.Spec.SLOs[1].Name = "" }, want: map[string]string{"slos[1].name": "required"}},
		{name: "SLO name invalid", edit: func(j *Journey) { j.Spec.SLOs[1].Name = "Payment Success" }, want: map[string]string{"slos[1].name": "must be 1 to 64 lowercase letters, digits or dashes"}},
		{name: "SLO name duplicate", edit: func(j *Journey) { j.Spec.SLOs[2].Name = "payment-latency" }, want: map[string]string{"slos[2].name": `duplicate SLO name "payment-latency", also slos[0]`}},
		{name: "SLO kind empty", edit: func(j *Journey) { j.Spec.SLOs[1].Kind = "" }, want: map[string]string{"slos[1].kind": "required"}},
		{name: "SLO kind unknown", edit: func(j *Journey) { j.Spec.SLOs[1].Kind = "availability" },
			want: map[string]string{"slos[1].kind": `unknown SLO kind "availability"; use latency, success or conversion`}},
		{name: "latency without step", edit: func(j *Journey) { j.Spec.SLOs[0].Step = "" }, want: map[string]string{"slos[0].step": "required for a latency SLO"}},
		{name: "latency on unknown step", edit: func(j *Journey) { j.Spec.SLOs[0].Step = "Paymnt" }, want: map[string]string{"slos[0].step": `no step named "Paymnt"`}},
		{name: "latency on first step", edit: func(j *Journey) { j.Spec.SLOs[0].Step = "Login" }},
		{name: "latency without threshold", edit: func(j *Journey) { j.Spec.SLOs[0].Threshold = Duration{} },
			want: map[string]string{"slos[0].threshold": "required for a latency SLO, e.g. 800ms"}},
		{name: "latency threshold zero", edit: func(j *Journey) { j.Spec.SLOs[0].Threshold = dur(t, "0ms") }, want: map[string]string{"slos[0].threshold": "must be positive"}},
		{name: "latency threshold negative", edit: func(j *Journey) { j.Spec.SLOs[0].Threshold = dur(t, "-1s") }, want: map[string]string{"slos[0].threshold": "must be positive"}},
		{name: "latency threshold spelled wrong", edit: func(j *Journey) { j.Spec.SLOs[0].Threshold = Duration{Raw: "fast"} },
			want: map[string]string{"slos[0].threshold": `invalid duration "fast"`}},
		{name: "success with threshold", edit: func(j *Journey) { j.Spec.SLOs[1].Threshold = dur(t, "1s") }, want: map[string]string{"slos[1].threshold": "only latency SLOs have a threshold"}},
		{name: "conversion with threshold", edit: func(j *Journey) { j.Spec.SLOs[2].Threshold = dur(t, "1s") }, want: map[string]string{"slos[2].threshold": "only latency SLOs have a threshold"}},
		{name: "success journey level", edit: func(j *Journey) { j.Spec.SLOs[1].Step = "" }},
		{name: "success on unknown step", edit: func(j *Journey) { j.Spec.SLOs[1].Step = "Pay" }, want: map[string]string{"slos[1].step": `no step named "Pay"`}},
		{name: "conversion to a step", edit: func(j *Journey) { j.Spec.SLOs[2].Step = "Checkout" }},
		{name: "conversion to the first step", edit: func(j *Journey) { j.Spec.SLOs[2].Step = "Login" },
			want: map[string]string{"slos[2].step": "must not be the first step: conversion is measured from it"}},
		{name: "conversion to unknown step", edit: func(j *Journey) { j.Spec.SLOs[2].Step = "Basket" }, want: map[string]string{"slos[2].step": `no step named "Basket"`}},
		{name: "objective 0", edit: func(j *Journey) { j.Spec.SLOs[1].Objective = 0 }, want: map[string]string{"slos[1].objective": objMsg}},
		{name: "objective 1", edit: func(j *Journey) { j.Spec.SLOs[1].Objective = 1 }, want: map[string]string{"slos[1].objective": objMsg}},
		{name: "objective 99.5", edit: func(j *Journey) { j.Spec.SLOs[1].Objective = 99.5 }, want: map[string]string{"slos[1].objective": objMsg}},
		{name: "objective negative", edit: func(j *Journey) { j.Spec.SLOs[1].Objective = -0.5 }, want: map[string]string{"slos[1].objective": objMsg}},
		{name: "objective NaN", edit: func(j *Journey) { j.Spec.SLOs[1].Objective = math.NaN() }, want: map[string]string{"slos[1].objective": objMsg}},
		{name: "objective 0.99999", edit: func(j *Journey) { j.Spec.SLOs[1].Objective = 0.99999 }},
		{name: "SLO window default", edit: func(j *Journey) { j.Spec.SLOs[1].Window = Duration{} }},
		{name: "SLO window 1h", edit: func(j *Journey) { j.Spec.SLOs[1].Window = dur(t, "1h") }},
		{name: "SLO window 90d", edit: func(j *Journey) { j.Spec.SLOs[1].Window = dur(t, "90d") }},
		{name: "SLO window 59m", edit: func(j *Journey) { j.Spec.SLOs[1].Window = dur(t, "59m") }, want: map[string]string{"slos[1].window": betweenMsg}},
		{name: "SLO window 91d", edit: func(j *Journey) { j.Spec.SLOs[1].Window = dur(t, "91d") }, want: map[string]string{"slos[1].window": betweenMsg}},
		{name: "SLO window spelled wrong", edit: func(j *Journey) { j.Spec.SLOs[1].Window = Duration{Raw: "1 month"} }, want: map[string]string{"slos[1].window": `invalid duration "1 month" (e.g. 30m, 28d)`}},
		{name: "conversion window not longer than correlation", edit: func(j *Journey) {
			j.Spec.Correlation.Window = dur(t, "2h")
			j.Spec.SLOs[2].Window = dur(t, "2h")
		}, want: map[string]string{"slos[2].window": "must be longer than the correlation window (2h)"}},
		{name: "conversion default window against 7d correlation", edit: func(j *Journey) {
			j.Spec.Correlation.Window = dur(t, "7d")
			j.Spec.SLOs[2].Window = Duration{}
		}},
		{name: "conversion by trace any window", base: loginFlow, edit: func(j *Journey) {
			j.Spec.SLOs = append(j.Spec.SLOs, SLO{Name: "login-conversion", Kind: SLOConversion, Objective: 0.9, Window: dur(t, "1h")})
		}},

		// several at once
		{name: "several", edit: func(j *Journey) {
			j.Metadata.Slug = ""
			j.Spec.Steps[0].Match.Service = ""
			j.Spec.Steps[0].Match.Span = ""
			j.Spec.SLOs[0].Objective = 2
		}, want: map[string]string{
			"metadata.slug":          "required",
			"steps[0].match.service": "required",
			"steps[0].match.span":    "required: set span or spanRegex",
			"slos[0].objective":      objMsg,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := tt.base
			if base == nil {
				base = shopCheckout
			}
			j := base(t)
			tt.edit(&j)
			err := j.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tt.want, ve.Fields)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestValidationErrorString(t *testing.T) {
	t.Parallel()
	j := shopCheckout(t)
	j.Spec.Steps = steps20(t)
	j.Spec.SLOs = nil
	j.Spec.Steps[10].Name = ""
	j.Spec.Steps[2].Match.Service = ""
	j.Metadata.Name = ""
	j.APIVersion = "v1"
	j.Spec.Segments[1] = "region"
	err := j.Validate()
	require.EqualError(t, err, `apiVersion: must be "waymark/v1"; metadata.name: required; `+
		`segments[1]: invalid attribute key "region": use span.<name>, resource.<name> or one of name, status, statusMessage, kind, duration; `+
		"steps[2].match.service: required; steps[10].name: required")
	require.True(t, errors.Is(err, ErrInvalid))

	var empty *ValidationError
	require.Equal(t, "invalid journey", empty.Error())
	ve := &ValidationError{}
	ve.Add("a", "first")
	ve.Add("a", "second")
	require.Equal(t, map[string]string{"a": "first"}, ve.Fields)
}

func steps20(t testing.TB) []Step {
	out := make([]Step, 20)
	for i := range out {
		out[i] = Step{Name: fmt.Sprintf("Step %d", i), Match: Pattern{Service: "svc", Span: "op", Kind: "server"}}
	}
	return out
}

func TestPathLess(t *testing.T) {
	t.Parallel()
	paths := []string{"steps[10].name", "steps", "slos[0].name", "steps[2].name", "steps[2].match.span", "apiVersion", "steps[1]", "metadata.slug", "segments[10]", "segments[9]"}
	ve := &ValidationError{Fields: map[string]string{}}
	for _, p := range paths {
		ve.Fields[p] = "x"
	}
	require.Equal(t, []string{"apiVersion", "metadata.slug", "segments[9]", "segments[10]", "slos[0].name", "steps", "steps[1]", "steps[2].match.span", "steps[2].name", "steps[10].name"}, ve.Paths())
}

func TestCheckTextKinds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s        string
		kind     TextKind
		required bool
		want     string
	}{
		{"a\tb", Line, false, "must not contain control characters"},
		{"a\nb\tc", Lines, false, ""},
		{"a\r\nb", Lines, false, "must not contain control characters other than newlines and tabs"},
		{"a\r\nb", Prose, false, ""},
		{"a\x00b", Prose, false, "must not contain control characters other than newlines and tabs"},
		{"  ", Line, true, "required"},
		{"abcdef", Line, false, "must be at most 5 characters"},
		{"\xff", Prose, false, "must be valid UTF-8"},
	} {
		v := &ValidationError{}
		ok := v.CheckText("f", tt.s, 5, tt.required, tt.kind)
		require.Equal(t, tt.want == "", ok, "%q", tt.s)
		require.Equal(t, tt.want, v.Fields["f"], "%q", tt.s)
	}
}

func TestFormatWindowKeepsADayInHours(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		Day: "24h", 2 * Day: "2d", 28 * Day: "28d", 90 * time.Minute: "1h30m", 56 * time.Minute: "56m", 0: "0s", 36 * time.Hour: "36h",
	} {
		require.Equal(t, want, FormatWindow(d), "%v", d)
	}
	require.Equal(t, "1d", NewDuration(Day).String())
}
