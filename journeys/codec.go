package journeys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// docPath is the path of errors about a whole document: syntax errors, or
// a document that is not a journey at all.
const docPath = "document"

// maxDecodeNodes bounds the nodes one decode visits, so that aliases
// expanding into each other cannot blow up memory.
const maxDecodeNodes = 100_000

// DecodeYAML reads one or more journeys from YAML documents separated by
// ---. It is strict: an unknown or repeated field, or a value of the wrong
// type, is an error. Every error is a *ValidationError whose messages carry
// the line; it stops at the first document with errors. DecodeYAML does not
// validate: call Journey.Validate.
func DecodeYAML(data []byte) (js []Journey, err error) {
	defer func() {
		// The YAML parser is third-party code; a panic in it on hostile
		// input must not take the server down.
		if r := recover(); r != nil {
			js, err = nil, &ValidationError{Fields: map[string]string{docPath: "cannot parse YAML"}}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	slugs := make(map[string]int)
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, &ValidationError{Fields: map[string]string{docPath: yamlMessage(err)}}
		}
		if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null") {
			continue // an empty document, e.g. after a trailing ---
		}
		d := &decoder{}
		j := d.journey(doc.Content[0])
		if err := d.errs.orNil(); err != nil {
			return nil, err
		}
		if line, ok := slugs[j.Metadata.Slug]; ok && j.Metadata.Slug != "" {
			msg := fmt.Sprintf("duplicate slug %q, also at line %d", j.Metadata.Slug, line)
			return nil, &ValidationError{Fields: map[string]string{"metadata.slug": msg}}
		}
		slugs[j.Metadata.Slug] = doc.Line
		js = append(js, j)
	}
	if len(js) == 0 {
		return nil, &ValidationError{Fields: map[string]string{docPath: "no journey found"}}
	}
	return js, nil
}

// yamlMessage turns a parser error into a message without the package
// prefix: "line 3: mapping values are not allowed in this context".
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return strings.TrimPrefix(te.Errors[0], "yaml: ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// DecodeJSON reads one journey in its JSON form. It is strict in the same
// way as DecodeYAML, with the same paths. It does not validate.
func DecodeJSON(data []byte) (Journey, error) {
	root, err := jsonToNode(data)
	if err != nil {
		return Journey{}, &ValidationError{Fields: map[string]string{docPath: err.Error()}}
	}
	d := &decoder{json: true}
	j := d.journey(root)
	if err := d.errs.orNil(); err != nil {
		return Journey{}, err
	}
	return j, nil
}

// decoder walks a YAML node tree into a Journey, collecting an error per
// bad field instead of stopping at the first.
type decoder struct {
	errs  ValidationError
	json  bool
	nodes int
}

// fail records msg for path, with the node's line.
func (d *decoder) fail(path string, n *yaml.Node, msg string) {
	if n != nil && n.Line > 0 {
		msg = fmt.Sprintf("%s (line %d)", msg, n.Line)
	}
	d.errs.Add(path, msg)
}

// deref follows aliases, counting nodes against maxDecodeNodes. It returns
// nil once the budget is spent. at is where the value is used, for the line
// of a message: the alias rather than its anchor.
func (d *decoder) deref(n *yaml.Node, path string) (target, at *yaml.Node) {
	at = n
	for depth := 0; n != nil && n.Kind == yaml.AliasNode; depth++ {
		if depth > 100 {
			d.fail(path, at, "aliases nested too deep")
			return nil, at
		}
		n = n.Alias
	}
	d.nodes++
	if d.nodes > maxDecodeNodes {
		d.fail(docPath, nil, fmt.Sprintf("document too large: more than %d values", maxDecodeNodes))
		return nil, at
	}
	return n, at
}

func join(base, name string) string {
	if base == "" {
		return name
	}
	return base + "." + name
}

func index(base string, i int) string { return base + "[" + strconv.Itoa(i) + "]" }

// field is one known key of a mapping and what to do with its value.
type field struct {
	name string
	set  func(n *yaml.Node, path string)
}

// fields decodes the mapping n at path, whose children are at base.name
// (base differs from path only for spec, whose fields go unprefixed).
// Unknown and repeated keys are errors.
func (d *decoder) fields(n *yaml.Node, path, base string, fs ...field) {
	n, at := d.deref(n, path)
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(path, at, "must be a mapping")
		return
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, _ := d.deref(n.Content[i], path)
		v := n.Content[i+1]
		if k == nil {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(path, k, "keys must be strings")
			continue
		}
		name := k.Value
		if name == "" {
			name = `""` // so that the path names something
		}
		p := join(base, name)
		if k.ShortTag() == "!!merge" {
			d.fail(p, k, "merge keys are not supported")
			continue
		}
		if seen[k.Value] {
			d.fail(p, k, "duplicate field")
			continue
		}
		seen[k.Value] = true
		known := false
		for _, f := range fs {
			if f.name == k.Value {
				f.set(v, p)
				known = true
				break
			}
		}
		if !known {
			d.fail(p, k, "unknown field")
		}
	}
}

// str decodes a string. Null is the empty string, as a missing field.
func (d *decoder) str(n *yaml.Node, path string) string {
	n, at := d.deref(n, path)
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(path, at, "must be a string")
		return ""
	}
	switch n.ShortTag() {
	case "!!str":
		return n.Value
	case "!!timestamp":
		if !d.json {
			return n.Value
		}
	case "!!null":
		return ""
	}
	if d.json {
		d.fail(path, at, "must be a string")
	} else {
		d.fail(path, at, fmt.Sprintf("must be a string; quote it: %q", n.Value))
	}
	return ""
}

func (d *decoder) strings(n *yaml.Node, path string) []string {
	var out []string
	d.seq(n, path, func(item *yaml.Node, p string) {
		out = append(out, d.str(item, p))
	})
	return out
}

// seq calls fn for each item of the sequence n. Null is an empty sequence.
func (d *decoder) seq(n *yaml.Node, path string, fn func(item *yaml.Node, path string)) {
	n, at := d.deref(n, path)
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(path, at, "must be a list")
		return
	}
	for i, item := range n.Content {
		fn(item, index(path, i))
	}
}

func (d *decoder) duration(n *yaml.Node, path string) Duration {
	n, at := d.deref(n, path)
	if n == nil {
		return Duration{}
	}
	v, err := durationFromNode(n)
	if err != nil {
		d.fail(path, at, err.Error())
	}
	return v
}

func (d *decoder) number(n *yaml.Node, path string) float64 {
	n, at := d.deref(n, path)
	if n == nil {
		return 0
	}
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!float" || n.ShortTag() == "!!int") {
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
	}
	d.fail(path, at, "must be a number")
	return 0
}

func (d *decoder) value(n *yaml.Node, path string) Value {
	n, at := d.deref(n, path)
	if n == nil {
		return Value{}
	}
	v, err := valueFromNode(n)
	if err != nil {
		d.fail(path, at, err.Error())
	}
	return v
}

func (d *decoder) journey(n *yaml.Node) Journey {
	var j Journey
	d.fields(n, docPath, "",
		field{"apiVersion", func(v *yaml.Node, p string) { j.APIVersion = d.str(v, p) }},
		field{"kind", func(v *yaml.Node, p string) { j.Kind = d.str(v, p) }},
		field{"metadata", func(v *yaml.Node, p string) { j.Metadata = d.metadata(v, p) }},
		field{"spec", func(v *yaml.Node, p string) { j.Spec = d.spec(v, p) }},
	)
	return j
}

func (d *decoder) metadata(n *yaml.Node, path string) Metadata {
	var m Metadata
	d.fields(n, path, path,
		field{"slug", func(v *yaml.Node, p string) { m.Slug = d.str(v, p) }},
		field{"name", func(v *yaml.Node, p string) { m.Name = d.str(v, p) }},
		field{"owner", func(v *yaml.Node, p string) { m.Owner = d.str(v, p) }},
		field{"description", func(v *yaml.Node, p string) { m.Description = d.str(v, p) }},
	)
	return m
}

func (d *decoder) spec(n *yaml.Node, path string) Spec {
	var s Spec
	d.fields(n, path, "",
		field{"correlation", func(v *yaml.Node, p string) { s.Correlation = d.correlation(v, p) }},
		field{"segments", func(v *yaml.Node, p string) { s.Segments = d.strings(v, p) }},
		field{"attribution", func(v *yaml.Node, p string) { s.Attribution = d.attribution(v, p) }},
		field{"value", func(v *yaml.Node, p string) { s.Value = d.str(v, p) }},
		field{"steps", func(v *yaml.Node, p string) {
			d.seq(v, p, func(item *yaml.Node, ip string) { s.Steps = append(s.Steps, d.step(item, ip)) })
		}},
		field{"slos", func(v *yaml.Node, p string) {
			d.seq(v, p, func(item *yaml.Node, ip string) { s.SLOs = append(s.SLOs, d.slo(item, ip)) })
		}},
	)
	return s
}

// attribution decodes a mapping of segment keys to entry or step.
func (d *decoder) attribution(n *yaml.Node, path string) map[string]Attribution {
	n, at := d.deref(n, path)
	if n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.fail(path, at, "must be a mapping of segment keys to entry or step")
		return nil
	}
	out := map[string]Attribution{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, _ := d.deref(n.Content[i], path)
		if k == nil {
			return out
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(path, k, "keys must be strings")
			continue
		}
		p := join(path, k.Value)
		if _, dup := out[k.Value]; dup {
			d.fail(p, k, "duplicate field")
			continue
		}
		out[k.Value] = Attribution(d.str(n.Content[i+1], p))
	}
	return out
}

func (d *decoder) correlation(n *yaml.Node, path string) Correlation {
	var c Correlation
	d.fields(n, path, path,
		field{"by", func(v *yaml.Node, p string) { c.By = d.str(v, p) }},
		field{"window", func(v *yaml.Node, p string) { c.Window = d.duration(v, p) }},
	)
	return c
}

func (d *decoder) step(n *yaml.Node, path string) Step {
	var s Step
	d.fields(n, path, path,
		field{"name", func(v *yaml.Node, p string) { s.Name = d.str(v, p) }},
		field{"match", func(v *yaml.Node, p string) { s.Match = d.pattern(v, p) }},
	)
	return s
}

func (d *decoder) pattern(n *yaml.Node, path string) Pattern {
	var m Pattern
	d.fields(n, path, path,
		field{"service", func(v *yaml.Node, p string) { m.Service = d.str(v, p) }},
		field{"span", func(v *yaml.Node, p string) { m.Span = d.str(v, p) }},
		field{"spanRegex", func(v *yaml.Node, p string) { m.SpanRegex = d.str(v, p) }},
		field{"kind", func(v *yaml.Node, p string) { m.Kind = d.str(v, p) }},
		field{"attributes", func(v *yaml.Node, p string) {
			d.seq(v, p, func(item *yaml.Node, ip string) { m.Attributes = append(m.Attributes, d.matcher(item, ip)) })
		}},
	)
	return m
}

func (d *decoder) matcher(n *yaml.Node, path string) Matcher {
	var m Matcher
	d.fields(n, path, path,
		field{"key", func(v *yaml.Node, p string) { m.Key = d.str(v, p) }},
		field{"op", func(v *yaml.Node, p string) { m.Op = Op(d.str(v, p)) }},
		field{"value", func(v *yaml.Node, p string) { m.Value = d.value(v, p) }},
	)
	return m
}

func (d *decoder) slo(n *yaml.Node, path string) SLO {
	var s SLO
	d.fields(n, path, path,
		field{"name", func(v *yaml.Node, p string) { s.Name = d.str(v, p) }},
		field{"step", func(v *yaml.Node, p string) { s.Step = d.str(v, p) }},
		field{"kind", func(v *yaml.Node, p string) { s.Kind = SLOKind(d.str(v, p)) }},
		field{"threshold", func(v *yaml.Node, p string) { s.Threshold = d.duration(v, p) }},
		field{"objective", func(v *yaml.Node, p string) { s.Objective = d.number(v, p) }},
		field{"window", func(v *yaml.Node, p string) { s.Window, s.Calendar = d.sloWindow(v, p) }},
		field{"weekStart", func(v *yaml.Node, p string) { s.WeekStart = d.str(v, p) }},
		field{"timeZone", func(v *yaml.Node, p string) { s.TimeZone = d.str(v, p) }},
		field{"minEvents", func(v *yaml.Node, p string) { s.MinEvents = d.count(v, p) }},
		field{"resolveAfter", func(v *yaml.Node, p string) { s.ResolveAfter = d.duration(v, p) }},
	)
	return s
}

// sloWindow decodes an SLO window: a duration, or a word naming a calendar
// period (see parseSLOWindow).
func (d *decoder) sloWindow(n *yaml.Node, path string) (Duration, Calendar) {
	t, at := d.deref(n, path)
	if t == nil {
		return Duration{}, ""
	}
	if t.Kind == yaml.ScalarNode && t.ShortTag() == "!!str" && t.Value != "" {
		if w, cal, err := parseSLOWindow(t.Value); err == nil && cal != "" {
			return w, cal
		}
	}
	v, err := durationFromNode(t)
	if err != nil {
		d.fail(path, at, err.Error())
	}
	return v, ""
}

// jsonToNode parses JSON into the node tree the YAML decoder walks, so that
// both forms share one strict decoder and one set of paths. Lines are kept
// for messages.
func jsonToNode(data []byte) (*yaml.Node, error) {
	r := &jsonReader{data: data, lines: lineStarts(data)}
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("line %d: invalid JSON: %s", r.lineAt(max(se.Offset-1, 0)), se.Error())
		}
		return nil, fmt.Errorf("invalid JSON: %s", err.Error())
	}
	r.dec = json.NewDecoder(bytes.NewReader(data))
	r.dec.UseNumber()
	return r.node(0)
}

type jsonReader struct {
	dec   *json.Decoder
	data  []byte
	lines []int64 // byte offset where each line starts
}

// next reads a token and the line it is on.
func (r *jsonReader) next() (json.Token, int, error) {
	// InputOffset is where the previous token ended; the next one starts
	// after whitespace and separators.
	off := r.dec.InputOffset()
	for off < int64(len(r.data)) && strings.IndexByte(" \t\r\n,:", r.data[off]) >= 0 {
		off++
	}
	tok, err := r.dec.Token()
	if err != nil {
		return nil, 0, fmt.Errorf("invalid JSON: %w", err)
	}
	return tok, r.lineAt(off), nil
}

// lineAt returns the 1-based line of a byte offset.
func (r *jsonReader) lineAt(off int64) int {
	return sort.Search(len(r.lines), func(i int) bool { return r.lines[i] > off })
}

func (r *jsonReader) node(depth int) (*yaml.Node, error) {
	if depth > 100 {
		return nil, fmt.Errorf("JSON nested too deep")
	}
	tok, line, err := r.next()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		var n *yaml.Node
		switch t {
		case '{':
			n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
		case '[':
			n = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: line}
		default:
			return nil, fmt.Errorf("invalid JSON: unexpected %v", t)
		}
		for r.dec.More() {
			if n.Kind == yaml.MappingNode {
				kt, kline, err := r.next()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: kline})
			}
			v, err := r.node(depth + 1)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
		}
		if _, _, err := r.next(); err != nil { // the closing delimiter
			return nil, err
		}
		return n, nil
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t, Style: yaml.DoubleQuotedStyle, Line: line}, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(t), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(t), Line: line}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t), Line: line}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: line}, nil
	}
	return nil, fmt.Errorf("invalid JSON: unexpected token")
}

func lineStarts(data []byte) []int64 {
	starts := []int64{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, int64(i+1))
		}
	}
	return starts
}

// EncodeYAML writes j in Waymark's one canonical layout: block style,
// 2-space indent, fields in the order of the Go structs, empty optional
// fields left out. Durations and literals keep their spelling, so a file
// that is already canonical encodes to the same bytes. An empty apiVersion
// or kind is written as the current one.
func EncodeYAML(j Journey) ([]byte, error) {
	j.Normalize()
	root, err := journeyNode(j)
	if err != nil {
		return nil, fmt.Errorf("encode journey: %w", err)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encode journey: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode journey: %w", err)
	}
	return buf.Bytes(), nil
}

// EncodeYAMLAll writes journeys as one YAML stream, documents separated by
// ---, for exporting several at once.
func EncodeYAMLAll(js []Journey) ([]byte, error) {
	var buf bytes.Buffer
	for i, j := range js {
		b, err := EncodeYAML(j)
		if err != nil {
			return nil, fmt.Errorf("encode journey %q: %w", j.Metadata.Slug, err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// ymap builds a mapping node from key/value pairs, skipping nil values.
type ymap struct{ n *yaml.Node }

func newMap() ymap { return ymap{&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}} }

func (m ymap) add(key string, v *yaml.Node) {
	if v == nil {
		return
	}
	m.n.Content = append(m.n.Content, strNode(key), v)
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// optStr is a string node, nil when s is empty (omitempty).
func optStr(s string) *yaml.Node {
	if s == "" {
		return nil
	}
	return strNode(s)
}

func optDuration(d Duration) *yaml.Node {
	if d.IsZero() {
		return nil
	}
	return strNode(d.String())
}

func floatNode(f float64) *yaml.Node {
	var s string
	switch {
	case math.IsNaN(f):
		s = ".nan"
	case math.IsInf(f, 1):
		s = ".inf"
	case math.IsInf(f, -1):
		s = "-.inf"
	default:
		s = strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s}
}

func seqNode() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"} }

func journeyNode(j Journey) (*yaml.Node, error) {
	root := newMap()
	root.add("apiVersion", strNode(j.APIVersion))
	root.add("kind", strNode(j.Kind))

	meta := newMap()
	meta.add("slug", strNode(j.Metadata.Slug))
	meta.add("name", strNode(j.Metadata.Name))
	meta.add("owner", optStr(j.Metadata.Owner))
	meta.add("description", optStr(j.Metadata.Description))
	root.add("metadata", meta.n)

	spec := newMap()
	corr := newMap()
	corr.add("by", strNode(j.Spec.Correlation.By))
	corr.add("window", optDuration(j.Spec.Correlation.Window))
	spec.add("correlation", corr.n)
	if len(j.Spec.Segments) > 0 {
		segs := seqNode()
		for _, s := range j.Spec.Segments {
			segs.Content = append(segs.Content, strNode(s))
		}
		spec.add("segments", segs)
	}
	if len(j.Spec.Attribution) > 0 {
		attr := newMap()
		// In the order of the segments, so that the form is canonical;
		// keys that are no segment (refused by validation) after them.
		done := map[string]bool{}
		for _, k := range j.Spec.Segments {
			if a, ok := j.Spec.Attribution[k]; ok && !done[k] {
				attr.add(k, strNode(string(a)))
				done[k] = true
			}
		}
		rest := make([]string, 0, len(j.Spec.Attribution))
		for k := range j.Spec.Attribution {
			if !done[k] {
				rest = append(rest, k)
			}
		}
		slices.Sort(rest)
		for _, k := range rest {
			attr.add(k, strNode(string(j.Spec.Attribution[k])))
		}
		spec.add("attribution", attr.n)
	}
	spec.add("value", optStr(j.Spec.Value))

	steps := seqNode()
	for i, s := range j.Spec.Steps {
		step := newMap()
		step.add("name", strNode(s.Name))
		match := newMap()
		match.add("service", strNode(s.Match.Service))
		match.add("span", optStr(s.Match.Span))
		match.add("spanRegex", optStr(s.Match.SpanRegex))
		match.add("kind", optStr(s.Match.Kind))
		if len(s.Match.Attributes) > 0 {
			attrs := seqNode()
			for k, a := range s.Match.Attributes {
				v, err := a.Value.yamlNode()
				if err != nil {
					return nil, fmt.Errorf("steps[%d].match.attributes[%d].value: %w", i, k, err)
				}
				m := newMap()
				m.add("key", strNode(a.Key))
				m.add("op", strNode(string(a.Op)))
				m.add("value", v)
				attrs.Content = append(attrs.Content, m.n)
			}
			match.add("attributes", attrs)
		}
		step.add("match", match.n)
		steps.Content = append(steps.Content, step.n)
	}
	spec.add("steps", steps)

	if len(j.Spec.SLOs) > 0 {
		slos := seqNode()
		for _, s := range j.Spec.SLOs {
			m := newMap()
			m.add("name", strNode(s.Name))
			m.add("step", optStr(s.Step))
			m.add("kind", strNode(string(s.Kind)))
			m.add("threshold", optDuration(s.Threshold))
			m.add("objective", floatNode(s.Objective))
			m.add("window", optStr(s.WindowSpec()))
			m.add("weekStart", optStr(s.WeekStart))
			m.add("timeZone", optStr(s.TimeZone))
			m.add("minEvents", optCount(s.MinEvents))
			m.add("resolveAfter", optDuration(s.ResolveAfter))
			slos.Content = append(slos.Content, m.n)
		}
		spec.add("slos", slos)
	}
	root.add("spec", spec.n)
	return root.n, nil
}
