package sampling

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// obj is a mapping whose keys keep their order, with a comment per key:
// the one shape both renderings need (YAML with comments, JSON without).
type obj []field

type field struct {
	key     string
	comment string
	val     any // string, int64, float64, bool, obj or []item
}

// item is one element of a list, with the comment written above it.
type item struct {
	comment string
	val     any
}

func (o obj) with(key string, val any) obj { return append(o, field{key: key, val: val}) }

func (o obj) withComment(comment, key string, val any) obj {
	return append(o, field{key: key, comment: comment, val: val})
}

func texts(ss []string) []item {
	out := make([]item, len(ss))
	for i, s := range ss {
		out[i] = item{val: s}
	}
	return out
}

func yamlNode(v any) *yaml.Node {
	switch x := v.(type) {
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x}
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(x, 10)}
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: floatText(x)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}
	case obj:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, f := range x {
			k := yamlNode(f.key)
			k.HeadComment = f.comment
			n.Content = append(n.Content, k, yamlNode(f.val))
		}
		return n
	case []item:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, it := range x {
			c := yamlNode(it.val)
			c.HeadComment = it.comment
			n.Content = append(n.Content, c)
		}
		return n
	}
	panic(fmt.Sprintf("sampling: no YAML form for %T", v))
}

func renderYAML(head string, doc obj) ([]byte, error) {
	root := yamlNode(doc)
	root.HeadComment = head
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	return b.Bytes(), nil
}

func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // OTTL's > and < stay readable
		_ = enc.Encode(x)        // a string always encodes
		return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return append(b, floatText(x)...)
	case bool:
		return strconv.AppendBool(b, x)
	case obj:
		b = append(b, '{')
		for i, f := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, f.key)
			b = append(b, ':')
			b = appendJSON(b, f.val)
		}
		return append(b, '}')
	case []item:
		b = append(b, '[')
		for i, it := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, it.val)
		}
		return append(b, ']')
	}
	panic(fmt.Sprintf("sampling: no JSON form for %T", v))
}

func renderJSON(doc obj) ([]byte, error) {
	var out bytes.Buffer
	if err := json.Indent(&out, appendJSON(nil, doc), "", "  "); err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// floatText spells a float so that it reads back as one: 25 is 25.0.
func floatText(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}
