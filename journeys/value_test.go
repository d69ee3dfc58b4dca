package journeys

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestValueYAML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		yaml string
		want Value
	}{
		{"v: POST\n", StringValue("POST")},
		{"v: \"5\"\n", StringValue("5")},
		{"v: \"true\"\n", StringValue("true")},
		{"v: \"null\"\n", StringValue("null")},
		{"v: \"\"\n", StringValue("")},
		{"v: \"1.5\"\n", StringValue("1.5")},
		{"v: \"0x1F\"\n", StringValue("0x1F")},
		{"v: \"2001-12-14\"\n", StringValue("2001-12-14")},
		{"v: yes\n", StringValue("yes")},
		{"v: a.*\n", StringValue("a.*")},
		{"v: 5\n", IntValue(5)},
		{"v: -12\n", IntValue(-12)},
		{"v: 0x1F\n", Value{Type: TypeInt, Raw: "0x1F"}},
		{"v: 1_000\n", Value{Type: TypeInt, Raw: "1_000"}},
		{"v: 1.5\n", FloatValue(1.5)},
		{"v: 1.0\n", FloatValue(1)},
		{"v: 1e3\n", Value{Type: TypeFloat, Raw: "1e3"}},
		{"v: true\n", BoolValue(true)},
		{"v: false\n", BoolValue(false)},
		{"v: True\n", Value{Type: TypeBool, Raw: "True"}},
	}
	type holder struct {
		V Value `yaml:"v"`
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			t.Parallel()
			var h holder
			require.NoError(t, yaml.Unmarshal([]byte(tt.yaml), &h))
			require.Equal(t, tt.want, h.V)
			out, err := yaml.Marshal(h)
			require.NoError(t, err)
			require.Equal(t, tt.yaml, string(out))
		})
	}

	errs := []struct {
		yaml string
		want string
	}{
		{"v: [1]\n", "must be a string, number or boolean"},
		{"v: .inf\n", `float ".inf" is not a finite number`},
		{"v: .nan\n", `float ".nan" is not a finite number`},
		{"v: 18446744073709551615\n", `int "18446744073709551615" out of range`},
		{"v: !!binary aGk=\n", "unsupported tag !!binary"},
		{"v: !custom x\n", "unsupported tag !custom"},
	}
	for _, tt := range errs {
		var h holder
		require.EqualError(t, yaml.Unmarshal([]byte(tt.yaml), &h), tt.want, tt.yaml)
	}
	_, err := yaml.Marshal(holder{Value{Type: TypeInt, Raw: "five"}})
	require.EqualError(t, err, `invalid int "five"`)
}

func TestValueJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    Value
		json string
		back Value // what reading json gives
	}{
		{"string", StringValue("POST"), `"POST"`, StringValue("POST")},
		{"numeric string", StringValue("5"), `"5"`, StringValue("5")},
		{"int", IntValue(5), `5`, IntValue(5)},
		{"int YAML spelling", Value{Type: TypeInt, Raw: "0x1F"}, `31`, IntValue(31)},
		{"int underscores", Value{Type: TypeInt, Raw: "1_000"}, `1000`, IntValue(1000)},
		{"float", FloatValue(1.5), `1.5`, FloatValue(1.5)},
		{"whole float stays float", FloatValue(2), `2.0`, FloatValue(2)},
		{"float exponent", Value{Type: TypeFloat, Raw: "1e3"}, `1e3`, Value{Type: TypeFloat, Raw: "1e3"}},
		{"float YAML spelling", Value{Type: TypeFloat, Raw: ".5"}, `0.5`, FloatValue(0.5)},
		{"float spelled as int", Value{Type: TypeFloat, Raw: "3"}, `3.0`, FloatValue(3)},
		{"bool", BoolValue(true), `true`, BoolValue(true)},
		{"bool YAML spelling", Value{Type: TypeBool, Raw: "FALSE"}, `false`, BoolValue(false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tt.v)
			require.NoError(t, err)
			require.Equal(t, tt.json, string(b))
			var back Value
			require.NoError(t, json.Unmarshal(b, &back))
			require.Equal(t, tt.back, back)
		})
	}

	errs := []struct{ json, want string }{
		{`null`, `must not be null; quote it to match the text "null"`},
		{`[1]`, "must be a string, number or boolean"},
		{`{"a":1}`, "must be a string, number or boolean"},
		{`1e400`, `float "1e400" out of range`},
		{`123456789012345678901`, `int "123456789012345678901" out of range`},
	}
	for _, tt := range errs {
		var v Value
		require.EqualError(t, json.Unmarshal([]byte(tt.json), &v), tt.want, tt.json)
	}
}

func TestValueAccessors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v         Value
		canonical string
		wantErr   string
	}{
		{StringValue("x"), "x", ""},
		{Value{Type: TypeInt, Raw: "0x1F"}, "31", ""},
		{Value{Type: TypeInt, Raw: "0o17"}, "15", ""},
		{Value{Type: TypeInt, Raw: "0b101"}, "5", ""},
		{Value{Type: TypeInt, Raw: "+7"}, "7", ""},
		{Value{Type: TypeFloat, Raw: "1e3"}, "1000", ""},
		{Value{Type: TypeFloat, Raw: "2.50"}, "2.5", ""},
		{Value{Type: TypeBool, Raw: "TRUE"}, "true", ""},
		{Value{Type: TypeInt, Raw: ""}, "", `invalid int ""`},
		{Value{Type: TypeInt, Raw: "1.5"}, "", `invalid int "1.5"`},
		{Value{Type: TypeFloat, Raw: "0x1p-2"}, "", `invalid float "0x1p-2"`},
		{Value{Type: TypeFloat, Raw: "-Inf"}, "", `float "-Inf" is not a finite number`},
		{Value{Type: TypeBool, Raw: "yes"}, "", `invalid bool "yes"`},
		{Value{Type: ValueType(9), Raw: "x"}, "", "unknown value type 9"},
	}
	for _, tt := range tests {
		got, err := tt.v.Canonical()
		if tt.wantErr != "" {
			require.EqualError(t, err, tt.wantErr, tt.v.Raw)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.canonical, got, tt.v.Raw)
	}
	i, err := IntValue(-3).Int()
	require.NoError(t, err)
	require.Equal(t, int64(-3), i)
	f, err := IntValue(-3).Float()
	require.NoError(t, err)
	require.Equal(t, -3.0, f)
	b, err := BoolValue(true).Bool()
	require.NoError(t, err)
	require.True(t, b)
	_, err = StringValue("3").Int()
	require.EqualError(t, err, "not an int but a string")
	_, err = BoolValue(true).Float()
	require.EqualError(t, err, "not a number but a bool")
	_, err = IntValue(1).Bool()
	require.EqualError(t, err, "not a bool but an int")
	require.Equal(t, "float", TypeFloat.String())
	require.Equal(t, "ValueType(7)", ValueType(7).String())
}
