package journeys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// StringValue returns a string literal.
func StringValue(s string) Value { return Value{Type: TypeString, Raw: s} }

// IntValue returns an integer literal.
func IntValue(i int64) Value { return Value{Type: TypeInt, Raw: strconv.FormatInt(i, 10)} }

// FloatValue returns a floating-point literal. Its text always reads back
// as a float (1 is written 1.0), so that the type survives a round trip.
func FloatValue(f float64) Value { return Value{Type: TypeFloat, Raw: formatFloat(f)} }

// BoolValue returns a boolean literal.
func BoolValue(b bool) Value { return Value{Type: TypeBool, Raw: strconv.FormatBool(b)} }

// String returns the name of the type: string, int, float or bool.
func (t ValueType) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeInt:
		return "int"
	case TypeFloat:
		return "float"
	case TypeBool:
		return "bool"
	}
	return fmt.Sprintf("ValueType(%d)", int(t))
}

// withArticle spells the type for a message: "a string", "an int".
func (t ValueType) withArticle() string {
	if t == TypeInt {
		return "an int"
	}
	return "a " + t.String()
}

// Int returns the value of an int literal. Raw may use any spelling YAML
// accepts for an integer (1_000, 0x1f, 0o17, 0b101).
func (v Value) Int() (int64, error) {
	if v.Type != TypeInt {
		return 0, fmt.Errorf("not an int but %s", v.Type.withArticle())
	}
	return parseInt(v.Raw)
}

// Float returns the numeric value of an int or float literal.
func (v Value) Float() (float64, error) {
	switch v.Type {
	case TypeInt:
		i, err := parseInt(v.Raw)
		return float64(i), err
	case TypeFloat:
		return parseFloat(v.Raw)
	}
	return 0, fmt.Errorf("not a number but %s", v.Type.withArticle())
}

// Bool returns the value of a bool literal.
func (v Value) Bool() (bool, error) {
	if v.Type != TypeBool {
		return false, fmt.Errorf("not a bool but %s", v.Type.withArticle())
	}
	return parseBool(v.Raw)
}

// Canonical returns the literal in the text form trace sources use for
// attribute values (strconv formatting): 0x1f becomes 31, 1e3 becomes 1000,
// True becomes true. Strings are returned as they are.
func (v Value) Canonical() (string, error) {
	switch v.Type {
	case TypeString:
		return v.Raw, nil
	case TypeInt:
		i, err := v.Int()
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(i, 10), nil
	case TypeFloat:
		f, err := v.Float()
		if err != nil {
			return "", err
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case TypeBool:
		b, err := v.Bool()
		if err != nil {
			return "", err
		}
		return strconv.FormatBool(b), nil
	}
	return "", fmt.Errorf("unknown value type %d", int(v.Type))
}

// check reports why a literal is unusable, or nil.
func (v Value) check() error {
	switch v.Type {
	case TypeString:
		return nil
	case TypeInt:
		_, err := v.Int()
		return err
	case TypeFloat:
		_, err := v.Float()
		return err
	case TypeBool:
		_, err := v.Bool()
		return err
	}
	return fmt.Errorf("unknown value type %d", int(v.Type))
}

func parseInt(raw string) (int64, error) {
	// YAML allows _ anywhere in a number; Go's base-0 parsing only between
	// digits.
	plain := strings.ReplaceAll(raw, "_", "")
	if plain == "" || plain == "+" || plain == "-" {
		return 0, fmt.Errorf("invalid int %q", raw)
	}
	i, err := strconv.ParseInt(plain, 0, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("int %q out of range", raw)
		}
		return 0, fmt.Errorf("invalid int %q", raw)
	}
	return i, nil
}

func parseFloat(raw string) (float64, error) {
	plain := strings.ReplaceAll(raw, "_", "")
	switch strings.ToLower(strings.TrimLeft(plain, "+-.")) {
	case "inf", "infinity", "nan":
		return 0, fmt.Errorf("float %q is not a finite number", raw)
	}
	f, err := strconv.ParseFloat(plain, 64)
	if err != nil || strings.ContainsAny(plain, "xXpP") {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("float %q out of range", raw)
		}
		return 0, fmt.Errorf("invalid float %q", raw)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("float %q is not a finite number", raw)
	}
	return f, nil
}

func parseBool(raw string) (bool, error) {
	switch raw {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("invalid bool %q", raw)
}

// formatFloat formats f so that it reads back as a float, never as an int.
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEnN") { // NaN and Inf keep their spelling
		s += ".0"
	}
	return s
}

// yamlTag is the YAML tag that makes a scalar read back with the type.
func (t ValueType) yamlTag() string {
	switch t {
	case TypeInt:
		return "!!int"
	case TypeFloat:
		return "!!float"
	case TypeBool:
		return "!!bool"
	}
	return "!!str"
}

// MarshalYAML writes the literal so that its type survives: numbers and
// booleans plain, strings that would read as something else quoted.
func (v Value) MarshalYAML() (any, error) {
	n, err := v.yamlNode()
	if err != nil {
		return nil, err
	}
	return n, nil
}

func (v Value) yamlNode() (*yaml.Node, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	// The encoder writes the tag explicitly when Raw would not resolve to it
	// on its own (e.g. an int spelled 1__0), and quotes strings that would.
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: v.Type.yamlTag(), Value: v.Raw}, nil
}

// UnmarshalYAML reads a literal, its type from the YAML tag.
func (v *Value) UnmarshalYAML(n *yaml.Node) error {
	val, err := valueFromNode(n)
	if err != nil {
		return err
	}
	*v = val
	return nil
}

func valueFromNode(n *yaml.Node) (Value, error) {
	if n.Kind != yaml.ScalarNode {
		return Value{}, fmt.Errorf("must be a string, number or boolean")
	}
	var val Value
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		val = Value{Type: TypeString, Raw: n.Value}
	case "!!int":
		val = Value{Type: TypeInt, Raw: n.Value}
	case "!!float":
		val = Value{Type: TypeFloat, Raw: n.Value}
	case "!!bool":
		val = Value{Type: TypeBool, Raw: n.Value}
	case "!!null":
		return Value{}, fmt.Errorf(`must not be null; quote it to match the text "%s"`, n.Value)
	default:
		return Value{}, fmt.Errorf("unsupported tag %s", n.ShortTag())
	}
	if err := val.check(); err != nil {
		return Value{}, err
	}
	return val, nil
}

// MarshalJSON writes a string as a JSON string, a number as a JSON number
// and a bool as a JSON bool. Numbers keep their spelling when it is valid
// JSON; YAML-only spellings (0x1f, .5) are written canonically.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.Type {
	case TypeString:
		return json.Marshal(v.Raw)
	case TypeInt:
		i, err := v.Int()
		if err != nil {
			return nil, err
		}
		if isJSONNumber(v.Raw) && !strings.ContainsAny(v.Raw, ".eE") {
			return []byte(v.Raw), nil
		}
		return []byte(strconv.FormatInt(i, 10)), nil
	case TypeFloat:
		f, err := v.Float()
		if err != nil {
			return nil, err
		}
		if isJSONNumber(v.Raw) && strings.ContainsAny(v.Raw, ".eE") {
			return []byte(v.Raw), nil
		}
		return []byte(formatFloat(f)), nil
	case TypeBool:
		b, err := v.Bool()
		if err != nil {
			return nil, err
		}
		return []byte(strconv.FormatBool(b)), nil
	}
	return nil, fmt.Errorf("unknown value type %d", int(v.Type))
}

// UnmarshalJSON reads a JSON string, number or bool. A number without a
// fraction or exponent is an int, any other a float.
func (v *Value) UnmarshalJSON(data []byte) error {
	val, err := valueFromJSON(data)
	if err != nil {
		return err
	}
	*v = val
	return nil
}

func valueFromJSON(data []byte) (Value, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return Value{}, fmt.Errorf("empty value")
	}
	switch data[0] {
	case '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return Value{}, fmt.Errorf("invalid string: %w", err)
		}
		return StringValue(s), nil
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(data, &b); err != nil {
			return Value{}, fmt.Errorf("invalid bool: %w", err)
		}
		return BoolValue(b), nil
	case 'n':
		return Value{}, fmt.Errorf(`must not be null; quote it to match the text "null"`)
	}
	raw := string(data)
	if !isJSONNumber(raw) {
		return Value{}, fmt.Errorf("must be a string, number or boolean")
	}
	val := Value{Type: TypeInt, Raw: raw}
	if strings.ContainsAny(raw, ".eE") {
		val.Type = TypeFloat
	}
	if err := val.check(); err != nil {
		return Value{}, err
	}
	return val, nil
}

// isJSONNumber reports whether s is a number as JSON spells it.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
