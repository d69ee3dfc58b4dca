package tempo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// flexInt is an integer Tempo encodes sometimes as a JSON number and
// sometimes as a string (int64 fields in proto-JSON), e.g. inspectedBytes
// "3835572" next to totalBlocks 1.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		if len(b) < 2 || b[len(b)-1] != '"' {
			return fmt.Errorf("invalid integer %s", b)
		}
		b = b[1 : len(b)-1]
	}
	if string(b) == "null" || len(b) == 0 {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		// A float-looking integer (1e3) is still an integer count.
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt64 {
			return fmt.Errorf("invalid integer %s", b)
		}
		v = int64(f)
	}
	*n = flexInt(v)
	return nil
}

// flexFloat is a float that may also come quoted, or as "NaN"/"Inf" which
// proto-JSON uses for non-finite doubles.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case "NaN":
			*f = flexFloat(math.NaN())
			return nil
		case "Infinity", "+Inf", "Inf":
			*f = flexFloat(math.Inf(1))
			return nil
		case "-Infinity", "-Inf":
			*f = flexFloat(math.Inf(-1))
			return nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("invalid number %q", s)
		}
		*f = flexFloat(v)
		return nil
	}
	if string(b) == "null" {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("invalid number %s", b)
	}
	*f = flexFloat(v)
	return nil
}

// Value types of an Attribute or Label, as OTLP names them.
const (
	TypeString = "string"
	TypeInt    = "int"
	TypeDouble = "double"
	TypeBool   = "bool"
	TypeBytes  = "bytes"
	TypeArray  = "array"
	TypeKVList = "kvlist"
	TypeEmpty  = ""
)

// Attribute is one key/value in a search result or a metrics label. Value is
// in canonical text form (see FormatDouble), Type says what it was.
type Attribute struct {
	Key   string
	Type  string
	Value string
}

// wireAnyValue is an OTLP proto-JSON AnyValue as Tempo's search and metrics
// APIs write it, decoded straight to its type and canonical text.
type wireAnyValue struct {
	Type string
	Text string
}

// UnmarshalJSON reads {"stringValue":"free"} and friends. The common
// shapes, a plain string or an int, are read without reflection: a search
// answer holds several per span.
func (v *wireAnyValue) UnmarshalJSON(b []byte) error {
	if t, text, ok := fastAnyValue(b); ok {
		v.Type, v.Text = t, text
		return nil
	}
	var w struct {
		StringValue *string          `json:"stringValue"`
		IntValue    *flexInt         `json:"intValue"`
		DoubleValue *flexFloat       `json:"doubleValue"`
		BoolValue   *bool            `json:"boolValue"`
		BytesValue  *string          `json:"bytesValue"`
		ArrayValue  *json.RawMessage `json:"arrayValue"`
		KvlistValue *json.RawMessage `json:"kvlistValue"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	switch {
	case w.StringValue != nil:
		v.Type, v.Text = TypeString, *w.StringValue
	case w.IntValue != nil:
		v.Type, v.Text = TypeInt, strconv.FormatInt(int64(*w.IntValue), 10)
	case w.DoubleValue != nil:
		v.Type, v.Text = TypeDouble, FormatDouble(float64(*w.DoubleValue))
	case w.BoolValue != nil:
		v.Type, v.Text = TypeBool, strconv.FormatBool(*w.BoolValue)
	case w.BytesValue != nil:
		v.Type, v.Text = TypeBytes, *w.BytesValue
	case w.ArrayValue != nil:
		v.Type, v.Text = TypeArray, nestedText("arrayValue", *w.ArrayValue)
	case w.KvlistValue != nil:
		v.Type, v.Text = TypeKVList, nestedText("kvlistValue", *w.KvlistValue)
	default:
		v.Type, v.Text = TypeEmpty, ""
	}
	return nil
}

// fastAnyValue recognises {"stringValue":"…"} without escapes and
// {"intValue":"123"}, exactly as Tempo writes them.
func fastAnyValue(b []byte) (typ, text string, ok bool) {
	const (
		strPrefix = `{"stringValue":"`
		intPrefix = `{"intValue":"`
		suffix    = `"}`
	)
	switch {
	case len(b) >= len(strPrefix)+len(suffix) && string(b[:len(strPrefix)]) == strPrefix && string(b[len(b)-2:]) == suffix:
		inner := b[len(strPrefix) : len(b)-2]
		for _, c := range inner {
			if c == '\\' || c == '"' || c < 0x20 {
				return "", "", false
			}
		}
		if !utf8.Valid(inner) {
			return "", "", false
		}
		return TypeString, string(inner), true
	case len(b) > len(intPrefix)+len(suffix) && string(b[:len(intPrefix)]) == intPrefix && string(b[len(b)-2:]) == suffix:
		inner := b[len(intPrefix) : len(b)-2]
		n, err := strconv.ParseInt(string(inner), 10, 64)
		if err != nil {
			return "", "", false
		}
		return TypeInt, strconv.FormatInt(n, 10), true
	}
	return "", "", false
}

// nestedText gives arrays and maps the same text as ValueText does for the
// protobuf form, so that both trace-by-id and search agree.
func nestedText(field string, raw []byte) string {
	wrapped := make([]byte, 0, len(raw)+len(field)+5)
	wrapped = append(wrapped, `{"`...)
	wrapped = append(wrapped, field...)
	wrapped = append(wrapped, `":`...)
	wrapped = append(wrapped, raw...)
	wrapped = append(wrapped, '}')
	var av commonpb.AnyValue
	if err := protojsonOpts.Unmarshal(wrapped, &av); err != nil {
		return string(raw)
	}
	return ValueText(&av)
}

type wireKeyValue struct {
	Key   string       `json:"key"`
	Value wireAnyValue `json:"value"`
}

func toAttributes(kvs []wireKeyValue) []Attribute {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]Attribute, len(kvs))
	for i, kv := range kvs {
		out[i] = Attribute{Key: kv.Key, Type: kv.Value.Type, Value: kv.Value.Text}
	}
	return out
}

// FormatDouble is the canonical text of a double attribute value: the
// shortest representation that parses back to the same float, without an
// exponent for everyday magnitudes (129.99, 0.5, 1e+21).
func FormatDouble(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// QueryMetrics is the "metrics" block Tempo attaches to search, tag and
// metrics answers: what the query cost. Tempo 3.x never sends
// inspectedTraces; it is kept for older servers.
type QueryMetrics struct {
	InspectedTraces int64
	InspectedBytes  int64
	InspectedSpans  int64
	TotalBlocks     int64
	TotalBlockBytes int64
	CompletedJobs   int64
	TotalJobs       int64
}

type wireQueryMetrics struct {
	InspectedTraces flexInt `json:"inspectedTraces"`
	InspectedBytes  flexInt `json:"inspectedBytes"`
	InspectedSpans  flexInt `json:"inspectedSpans"`
	TotalBlocks     flexInt `json:"totalBlocks"`
	TotalBlockBytes flexInt `json:"totalBlockBytes"`
	CompletedJobs   flexInt `json:"completedJobs"`
	TotalJobs       flexInt `json:"totalJobs"`
}

func (m wireQueryMetrics) public() QueryMetrics {
	return QueryMetrics{
		InspectedTraces: int64(m.InspectedTraces),
		InspectedBytes:  int64(m.InspectedBytes),
		InspectedSpans:  int64(m.InspectedSpans),
		TotalBlocks:     int64(m.TotalBlocks),
		TotalBlockBytes: int64(m.TotalBlockBytes),
		CompletedJobs:   int64(m.CompletedJobs),
		TotalJobs:       int64(m.TotalJobs),
	}
}

// getJSON GETs u with Accept: application/json and decodes the answer.
func (c *Client) getJSON(ctx context.Context, u *url.URL, v any) error {
	resp, err := c.get(ctx, u, "application/json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.body, v); err != nil {
		return fmt.Errorf("decode %s response: %w", u.Path, err)
	}
	return nil
}
