package journeys

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// minimal is a valid journey file with every optional field left out.
const minimal = `apiVersion: waymark/v1
kind: Journey
metadata:
  slug: min
  name: Min
spec:
  correlation:
    by: trace
  steps:
    - name: A
      match:
        service: a
        span: a
    - name: B
      match:
        service: b
        spanRegex: b.*
`

func TestDecodeYAMLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"empty input", "", map[string]string{"document": "no journey found"}},
		{"only separators", "---\n---\n", map[string]string{"document": "no journey found"}},
		{"only a comment", "# nothing\n", map[string]string{"document": "no journey found"}},
		{"syntax error", "a: [\n", map[string]string{"document": "line 1: did not find expected node content"}},
		{"tab indent", "spec:\n\tsteps: []\n", map[string]string{"document": "line 2: found character that cannot start any token"}},
		{"not a mapping", "- a\n", map[string]string{"document": "must be a mapping (line 1)"}},
		{"scalar", "hello\n", map[string]string{"document": "must be a mapping (line 1)"}},
		{"unknown top-level field", minimal + "status: {}\n", map[string]string{"status": "unknown field (line 18)"}},
		{"unknown metadata field", strings.Replace(minimal, "  name: Min\n", "  name: Min\n  labels: x\n", 1),
			map[string]string{"metadata.labels": "unknown field (line 6)"}},
		{"unknown match field", strings.Replace(minimal, "service: a", "servce: a", 1),
			map[string]string{"steps[0].match.servce": "unknown field (line 12)"}},
		{"unknown spec field", strings.Replace(minimal, "  correlation:", "  window: 1h\n  correlation:", 1),
			map[string]string{"window": "unknown field (line 7)"}},
		{"duplicate field", strings.Replace(minimal, "  slug: min\n", "  slug: min\n  slug: max\n", 1),
			map[string]string{"metadata.slug": "duplicate field (line 5)"}},
		{"objective not a number", minimal + "  slos:\n    - name: a\n      kind: success\n      objective: high\n    - name: b\n      kind: success\n      objective: \"0.9\"\n",
			map[string]string{"slos[0].objective": "must be a number (line 21)", "slos[1].objective": "must be a number (line 24)"}},
		{"string field given a number", strings.Replace(minimal, "service: a", "service: 404", 1),
			map[string]string{"steps[0].match.service": `must be a string; quote it: "404" (line 12)`}},
		{"string field given a list", strings.Replace(minimal, "name: Min", "name: [Min]", 1),
			map[string]string{"metadata.name": "must be a string (line 5)"}},
		{"steps not a list", strings.Replace(minimal, "  steps:\n", "  steps: x\n  old:\n", 1),
			map[string]string{"steps": "must be a list (line 9)", "old": "unknown field (line 10)"}},
		{"step not a mapping", strings.Replace(minimal, "    - name: A\n", "    - A\n    - name: A\n", 1),
			map[string]string{"steps[0]": "must be a mapping (line 10)"}},
		{"bad duration", strings.Replace(minimal, "by: trace", "by: trace\n    window: 30", 1),
			map[string]string{"correlation.window": "must be a duration such as 30m or 28d (line 9)"}},
		{"bad duration text", strings.Replace(minimal, "by: trace", "by: trace\n    window: 30x", 1),
			map[string]string{"correlation.window": `invalid duration "30x" (e.g. 30m, 28d)` + " (line 9)"}},
		{"null matcher value", strings.Replace(minimal, "span: a\n", "span: a\n        attributes:\n          - {key: span.x, op: \"=\", value: null}\n", 1),
			map[string]string{"steps[0].match.attributes[0].value": `must not be null; quote it to match the text "null" (line 15)`}},
		{"infinite matcher value", strings.Replace(minimal, "span: a\n", "span: a\n        attributes:\n          - {key: span.x, op: <, value: .inf}\n", 1),
			map[string]string{"steps[0].match.attributes[0].value": `float ".inf" is not a finite number (line 15)`}},
		{"merge key", strings.Replace(minimal, "  name: Min\n", "  name: Min\n  <<: {owner: x}\n", 1),
			map[string]string{"metadata.<<": "merge keys are not supported (line 6)"}},
		{"non-string key", strings.Replace(minimal, "  name: Min\n", "  name: Min\n  [a]: x\n", 1),
			map[string]string{"metadata": "keys must be strings (line 6)"}},
		{"custom tag", strings.Replace(minimal, "name: Min", "name: !secret Min", 1),
			map[string]string{"metadata.name": `must be a string; quote it: "Min" (line 5)`}},
		{"errors stop at the first bad document", minimal + "---\n" + strings.Replace(minimal, "slug: min", "slug: other\n  bad: 1", 1) + "---\nfoo: 1\n",
			map[string]string{"metadata.bad": "unknown field (line 23)"}},
		{"duplicate slug", minimal + "---\n" + minimal, map[string]string{"metadata.slug": `duplicate slug "min", also at line 1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			js, err := DecodeYAML([]byte(tt.in))
			require.Nil(t, js)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tt.want, ve.Fields)
		})
	}
}

func TestDecodeYAML(t *testing.T) {
	t.Parallel()
	js, err := DecodeYAML([]byte(minimal))
	require.NoError(t, err)
	want := Journey{
		APIVersion: APIVersion,
		Kind:       Kind,
		Metadata:   Metadata{Slug: "min", Name: "Min"},
		Spec: Spec{
			Correlation: Correlation{By: CorrelateByTrace},
			Steps: []Step{
				{Name: "A", Match: Pattern{Service: "a", Span: "a"}},
				{Name: "B", Match: Pattern{Service: "b", SpanRegex: "b.*"}},
			},
		},
	}
	require.Equal(t, []Journey{want}, js)
	require.NoError(t, js[0].Validate())

	out, err := EncodeYAML(js[0])
	require.NoError(t, err)
	require.Equal(t, minimal, string(out))

	// Several documents, an empty one, comments, flow style, aliases and
	// nulls for optional fields.
	two := "# journeys of the shop\n---\n" + minimal + "---\n---\n" + `apiVersion: waymark/v1
kind: Journey
metadata: {slug: two, name: &n Two, owner: ~}
spec:
  correlation: {by: span.session.id, window: 1d12h}
  segments: [span.a, span.b]
  steps:
    - {name: *n, match: {service: a, span: a, attributes: [{key: span.x, op: "=", value: 0x1F}]}}
    - {name: B, match: {service: b, span: b}}
  slos: ~
`
	js, err = DecodeYAML([]byte(two))
	require.NoError(t, err)
	require.Len(t, js, 2)
	require.Equal(t, want, js[0])
	require.Equal(t, Journey{
		APIVersion: APIVersion,
		Kind:       Kind,
		Metadata:   Metadata{Slug: "two", Name: "Two"},
		Spec: Spec{
			Correlation: Correlation{By: "span.session.id", Window: dur(t, "1d12h")},
			Segments:    []string{"span.a", "span.b"},
			Steps: []Step{
				{Name: "Two", Match: Pattern{Service: "a", Span: "a", Attributes: []Matcher{{Key: "span.x", Op: OpEq, Value: Value{Type: TypeInt, Raw: "0x1F"}}}}},
				{Name: "B", Match: Pattern{Service: "b", Span: "b"}},
			},
		},
	}, js[1])

	all, err := EncodeYAMLAll(js)
	require.NoError(t, err)
	require.Equal(t, minimal+"---\n"+`apiVersion: waymark/v1
kind: Journey
metadata:
  slug: two
  name: Two
spec:
  correlation:
    by: span.session.id
    window: 1d12h
  segments:
    - span.a
    - span.b
  steps:
    - name: Two
      match:
        service: a
        span: a
        attributes:
          - key: span.x
            op: =
            value: 0x1F
    - name: B
      match:
        service: b
        span: b
`, string(all))
	again, err := DecodeYAML(all)
	require.NoError(t, err)
	require.Equal(t, js, again)
}

func TestDecodeYAMLAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for k := 0; k < 10; k++ {
			if k > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	doc := "apiVersion: waymark/v1\nkind: Journey\nmetadata: {slug: x, name: x}\nspec:\n  x: &bomb\n" +
		indent(b.String(), "    ") + "  correlation: {by: trace}\n  segments: *bomb\n"
	_, err := DecodeYAML([]byte(doc))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "unknown field (line 5)", ve.Fields["x"])
	require.Equal(t, "must be a list (line 16)", ve.Fields["segments"])

	// A list of aliases to big lists is counted as it expands.
	doc = "apiVersion: waymark/v1\nkind: Journey\nmetadata: {slug: x, name: x}\nspec:\n  correlation: {by: trace}\n  steps:\n" +
		"    - &s {name: a, match: {service: a, span: a, attributes: &l [" + strings.Repeat("{key: span.x, op: \"=\", value: 1}, ", 999) + "{key: span.x, op: \"=\", value: 1}]}}\n" +
		"    - {name: b, match: {service: b, span: b, attributes: *l}}\n"
	for i := 0; i < 40; i++ {
		doc += "    - {name: b, match: {service: b, span: b, attributes: *l}}\n"
	}
	_, err = DecodeYAML([]byte(doc))
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "document too large: more than 100000 values", ve.Fields["document"])
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}

func TestEncodeYAMLQuoting(t *testing.T) {
	t.Parallel()
	j := loginFlow(t)
	j.Metadata.Name = "123"
	j.Metadata.Description = "First line.\nSecond: line.\n"
	j.Spec.Steps[1].Match.Attributes = []Matcher{
		{Key: "span.a", Op: OpGt, Value: IntValue(5)},
		{Key: "span.b", Op: OpEq, Value: StringValue("5")},
		{Key: "span.c", Op: OpNe, Value: StringValue("true")},
		{Key: "span.d", Op: OpRegex, Value: StringValue("a.*")},
		{Key: "span.e", Op: OpLe, Value: FloatValue(1)},
		{Key: "span.f", Op: OpNotRegex, Value: StringValue("")},
		{Key: "span.g", Op: OpLt, Value: FloatValue(2.5)},
		{Key: "span.h", Op: OpGe, Value: IntValue(-1)},
		{Key: "span.i", Op: OpEq, Value: StringValue("null")},
		{Key: "span.j", Op: OpEq, Value: BoolValue(false)},
		{Key: "span.k", Op: OpEq, Value: StringValue("#not a comment")},
	}
	j.Spec.SLOs = []SLO{{Name: "s", Kind: SLOSuccess, Objective: 0.9999}}
	out, err := EncodeYAML(j)
	require.NoError(t, err)
	require.Equal(t, `apiVersion: waymark/v1
kind: Journey
metadata:
  slug: login-flow
  name: "123"
  owner: team-identity
  description: |
    First line.
    Second: line.
spec:
  correlation:
    by: trace
  segments:
    - span.user.tier
    - span.region
  steps:
    - name: Login request
      match:
        service: auth_svc
        span: POST /login
        kind: server
    - name: Look up user
      match:
        service: auth_svc
        span: SELECT users
        kind: client
        attributes:
          - key: span.a
            op: '>'
            value: 5
          - key: span.b
            op: =
            value: "5"
          - key: span.c
            op: '!='
            value: "true"
          - key: span.d
            op: =~
            value: a.*
          - key: span.e
            op: <=
            value: 1.0
          - key: span.f
            op: '!~'
            value: ""
          - key: span.g
            op: <
            value: 2.5
          - key: span.h
            op: '>='
            value: -1
          - key: span.i
            op: =
            value: "null"
          - key: span.j
            op: =
            value: false
          - key: span.k
            op: =
            value: '#not a comment'
    - name: Verify password
      match:
        service: auth_svc
        span: verify_password
        kind: internal
  slos:
    - name: s
      kind: success
      objective: 0.9999
`, string(out))
	back, err := DecodeYAML(out)
	require.NoError(t, err)
	require.Equal(t, []Journey{j}, back)

	// An empty apiVersion and kind are written as the current ones.
	j.APIVersion, j.Kind = "", ""
	out2, err := EncodeYAML(j)
	require.NoError(t, err)
	require.Equal(t, string(out), string(out2))

	j.Spec.Steps[1].Match.Attributes[0].Value = Value{Type: TypeInt, Raw: "five"}
	_, err = EncodeYAML(j)
	require.EqualError(t, err, `encode journey: steps[1].match.attributes[0].value: invalid int "five"`)
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, j := range []Journey{shopCheckout(t), loginFlow(t)} {
		b, err := json.Marshal(j)
		require.NoError(t, err)
		back, err := DecodeJSON(b)
		require.NoError(t, err)
		require.Equal(t, j, back)
		b2, err := json.Marshal(back)
		require.NoError(t, err)
		require.Equal(t, string(b), string(b2))
	}

	b, err := json.Marshal(loginFlow(t))
	require.NoError(t, err)
	require.JSONEq(t, `{
	  "apiVersion": "waymark/v1", "kind": "Journey",
	  "metadata": {"slug": "login-flow", "name": "Login flow", "owner": "team-identity",
	    "description": "One login request, from the HTTP call to the password check, within a trace."},
	  "spec": {
	    "correlation": {"by": "trace"},
	    "segments": ["span.user.tier", "span.region"],
	    "steps": [
	      {"name": "Login request", "match": {"service": "auth_svc", "span": "POST /login", "kind": "server"}},
	      {"name": "Look up user", "match": {"service": "auth_svc", "span": "SELECT users", "kind": "client",
	        "attributes": [{"key": "span.db.system.name", "op": "=", "value": "postgresql"}]}},
	      {"name": "Verify password", "match": {"service": "auth_svc", "span": "verify_password", "kind": "internal"}}
	    ],
	    "slos": [
	      {"name": "login-latency", "step": "Login request", "kind": "latency", "threshold": "300ms", "objective": 0.99, "window": "28d", "minEvents": 500},
	      {"name": "login-success", "kind": "success", "objective": 0.999, "window": "28d", "minEvents": 5000}
	    ]
	  }
	}`, string(b))

	// Typed literals keep their type through JSON.
	j := loginFlow(t)
	j.Spec.Steps[1].Match.Attributes = []Matcher{
		{Key: "span.a", Op: OpEq, Value: StringValue("5")},
		{Key: "span.b", Op: OpEq, Value: IntValue(5)},
		{Key: "span.c", Op: OpEq, Value: FloatValue(5)},
		{Key: "span.d", Op: OpEq, Value: BoolValue(true)},
	}
	b, err = json.Marshal(j)
	require.NoError(t, err)
	back, err := DecodeJSON(b)
	require.NoError(t, err)
	require.Equal(t, j, back)
	require.Contains(t, string(b), `"attributes":[{"key":"span.a","op":"=","value":"5"},{"key":"span.b","op":"=","value":5},{"key":"span.c","op":"=","value":5.0},{"key":"span.d","op":"=","value":true}]`)
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	// API clients may omit apiVersion and kind; Normalize fills them.
	j, err := DecodeJSON([]byte(`{"metadata":{"slug":"min","name":"Min"},"spec":{"correlation":{"by":"trace"},
		"steps":[{"name":"A","match":{"service":"a","span":"a"}},{"name":"B","match":{"service":"b","spanRegex":"b.*"}}]}}`))
	require.NoError(t, err)
	require.EqualError(t, j.Validate(), `apiVersion: must be "waymark/v1"; kind: must be "Journey"`)
	j.Normalize()
	require.NoError(t, j.Validate())
	want, err := DecodeYAML([]byte(minimal))
	require.NoError(t, err)
	require.Equal(t, want[0], j)

	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"syntax", "{\n\"metadata\": }", map[string]string{"document": "line 2: invalid JSON: invalid character '}' looking for beginning of value"}},
		{"truncated", "{\n  \"spec\": {\n", map[string]string{"document": "line 2: invalid JSON: unexpected end of JSON input"}},
		{"trailing data", "{} {}", map[string]string{"document": "line 1: invalid JSON: invalid character '{' after top-level value"}},
		{"empty", "", map[string]string{"document": "line 1: invalid JSON: unexpected end of JSON input"}},
		{"array", "[]", map[string]string{"document": "must be a mapping (line 1)"}},
		{"unknown field", "{\n  \"metadata\": {\"slug\": \"x\", \"labels\": {}}\n}", map[string]string{"metadata.labels": "unknown field (line 2)"}},
		{"unknown spec field", `{"spec": {"stepz": []}}`, map[string]string{"stepz": "unknown field (line 1)"}},
		{"duplicate field", `{"kind": "Journey", "kind": "Journey"}`, map[string]string{"kind": "duplicate field (line 1)"}},
		{"string given a number", `{"metadata": {"name": 5}}`, map[string]string{"metadata.name": "must be a string (line 1)"}},
		{"string given a bool", `{"spec": {"segments": [true]}}`, map[string]string{"segments[0]": "must be a string (line 1)"}},
		{"objective a string", "{\"spec\": {\"slos\": [\n{\"objective\": \"0.99\"}]}}", map[string]string{"slos[0].objective": "must be a number (line 2)"}},
		{"duration a number", `{"spec": {"correlation": {"window": 1800}}}`, map[string]string{"correlation.window": "must be a duration such as 30m or 28d (line 1)"}},
		{"value an object", `{"spec": {"steps": [{"match": {"attributes": [{"value": {}}]}}]}}`,
			map[string]string{"steps[0].match.attributes[0].value": "must be a string, number or boolean (line 1)"}},
		{"value null", `{"spec": {"steps": [{"match": {"attributes": [{"value": null}]}}]}}`,
			map[string]string{"steps[0].match.attributes[0].value": `must not be null; quote it to match the text "null" (line 1)`}},
		{"too deep", strings.Repeat("[", 200) + strings.Repeat("]", 200), map[string]string{"document": "JSON nested too deep"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeJSON([]byte(tt.in))
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tt.want, ve.Fields)
		})
	}

	// Nulls are missing fields, as in YAML.
	j, err = DecodeJSON([]byte(`{"metadata": {"owner": null}, "spec": {"segments": null, "slos": []}}`))
	require.NoError(t, err)
	require.Equal(t, Journey{}, j)
}

func FuzzDecodeValidate(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(minimal + "---\n" + strings.Replace(minimal, "min", "other", 1)))
	f.Add([]byte("a: [\n"))
	f.Add([]byte("apiVersion: waymark/v1\nspec: {steps: [{match: {attributes: [{key: span.x, op: '>=', value: 1.5}]}}]}\n"))
	f.Add([]byte("metadata: &m {slug: *m}\n"))
	f.Add([]byte("spec: {slos: [{objective: .nan, window: 1d1d, threshold: -1s}], correlation: {by: span.s, window: 8d}}\n"))
	f.Add([]byte("spec: {steps: [{name: x, match: {service: s, spanRegex: '(', kind: Server}}]}\n"))
	f.Add([]byte("metadata: {description: \"a\\u2028b\\tc\\x01\"}\n"))
	f.Add([]byte(calendarSLOs))
	f.Add([]byte(guarded))
	f.Add([]byte("spec: {slos: [{minEvents: -0, resolveAfter: 0}, {minEvents: 1e3, resolveAfter: -1d}, {minEvents: ~}]}\n"))
	f.Add([]byte("spec: {slos: [{window: 'true', weekStart: funday, timeZone: Local}, {window: month, weekStart: monday, timeZone: ../x}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		js, err := DecodeYAML(data)
		if err != nil {
			requireFieldErrors(t, err)
			return
		}
		for _, j := range js {
			if err := j.Validate(); err != nil {
				requireFieldErrors(t, err)
			}
			// Whatever decodes encodes, and reads back the same.
			out, err := EncodeYAML(j)
			if err != nil {
				continue
			}
			back, err := DecodeYAML(out)
			require.NoError(t, err, "%s", out)
			j.Normalize()
			if !hasNaN(j) { // NaN is not equal to itself
				require.Equal(t, []Journey{j}, back, "%s", out)
			}
			again, err := EncodeYAML(back[0])
			require.NoError(t, err)
			require.Equal(t, string(out), string(again))

			b, err := json.Marshal(j)
			if err != nil {
				continue // NaN objective
			}
			fromJSON, err := DecodeJSON(b)
			require.NoError(t, err, "%s", b)
			b2, err := json.Marshal(fromJSON)
			require.NoError(t, err)
			require.Equal(t, string(b), string(b2))
		}
	})
}

func hasNaN(j Journey) bool {
	for _, s := range j.Spec.SLOs {
		if s.Objective != s.Objective {
			return true
		}
	}
	return false
}

func requireFieldErrors(t *testing.T, err error) {
	t.Helper()
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "%T %v", err, err)
	require.NotEmpty(t, ve.Fields)
	for p, msg := range ve.Fields {
		require.NotEmpty(t, p)
		require.NotEmpty(t, msg)
	}
}

func BenchmarkDecodeValidateEncode(b *testing.B) {
	file, err := EncodeYAML(shopCheckout(b))
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		js, err := DecodeYAML(file)
		if err != nil {
			b.Fatal(err)
		}
		if err := js[0].Validate(); err != nil {
			b.Fatal(err)
		}
		if _, err := EncodeYAML(js[0]); err != nil {
			b.Fatal(err)
		}
	}
}
