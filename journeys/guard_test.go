package journeys

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// guarded is minimal with SLOs setting the traffic guard and the resolve
// hold, in canonical form.
const guarded = minimal + `  slos:
    - name: off
      kind: success
      objective: 0.99
      minEvents: 0
      resolveAfter: 0s
    - name: small-shop
      kind: success
      objective: 0.99
      minEvents: 20
      resolveAfter: 30m
    - name: defaults
      kind: success
      objective: 0.99
`

func TestAlertingFieldsRoundTrip(t *testing.T) {
	t.Parallel()
	js, err := DecodeYAML([]byte(guarded))
	require.NoError(t, err)
	j := js[0]
	require.NoError(t, j.Validate())
	slos := j.Spec.SLOs
	require.Equal(t, NewCount(0), slos[0].MinEvents)
	require.Equal(t, Duration{D: 0, Raw: "0s"}, slos[0].ResolveAfter)
	require.Equal(t, time.Duration(0), slos[0].EffectiveResolveAfter())
	require.Equal(t, Count{N: 20, Set: true}, slos[1].MinEvents)
	require.Equal(t, 30*time.Minute, slos[1].EffectiveResolveAfter())
	require.Equal(t, Count{}, slos[2].MinEvents)
	require.True(t, slos[2].ResolveAfter.IsZero())
	require.Equal(t, DefaultResolveAfter, slos[2].EffectiveResolveAfter())

	// Export gives the file back byte for byte.
	out, err := EncodeYAML(j)
	require.NoError(t, err)
	require.Equal(t, guarded, string(out))

	// JSON writes an explicit 0 and leaves unset fields out.
	b, err := json.Marshal(j)
	require.NoError(t, err)
	require.Contains(t, string(b), `{"name":"off","kind":"success","objective":0.99,"minEvents":0,"resolveAfter":"0s"}`)
	require.Contains(t, string(b), `{"name":"small-shop","kind":"success","objective":0.99,"minEvents":20,"resolveAfter":"30m"}`)
	require.Contains(t, string(b), `{"name":"defaults","kind":"success","objective":0.99}`)
	back, err := DecodeJSON(b)
	require.NoError(t, err)
	require.Equal(t, j, back)
	// Stored copies read back through UnmarshalJSON too.
	var stored Journey
	require.NoError(t, json.Unmarshal(b, &stored))
	require.Equal(t, j, stored)
	b2, err := json.Marshal(back)
	require.NoError(t, err)
	require.Equal(t, string(b), string(b2))
}

func TestAlertingFieldsDecodeErrors(t *testing.T) {
	t.Parallel()
	slo := func(field string) string {
		return minimal + "  slos:\n    - name: a\n      kind: success\n      objective: 0.9\n      " + field + "\n"
	}
	const whole = "must be a whole number such as 100 (line 22)"
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"fraction", slo("minEvents: 1.5"), map[string]string{"slos[0].minEvents": whole}},
		{"quoted", slo(`minEvents: "20"`), map[string]string{"slos[0].minEvents": whole}},
		{"hex", slo("minEvents: 0x14"), map[string]string{"slos[0].minEvents": whole}},
		{"leading zero", slo("minEvents: 020"), map[string]string{"slos[0].minEvents": whole}},
		{"plus sign", slo("minEvents: +20"), map[string]string{"slos[0].minEvents": whole}},
		{"too large", slo("minEvents: 99999999999999999999"), map[string]string{"slos[0].minEvents": whole}},
		{"a list", slo("minEvents: [1]"), map[string]string{"slos[0].minEvents": whole}},
		{"resolve a number", slo("resolveAfter: 15"), map[string]string{"slos[0].resolveAfter": "must be a duration such as 30m or 28d (line 22)"}},
		{"resolve misspelt", slo("resolveAfter: soon"), map[string]string{"slos[0].resolveAfter": `invalid duration "soon" (line 22)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeYAML([]byte(tt.in))
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tt.want, ve.Fields)
		})
	}

	// JSON names the same fields.
	_, err := DecodeJSON([]byte("{\"spec\": {\"slos\": [\n{\"minEvents\": 2.5, \"resolveAfter\": 900}]}}"))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, map[string]string{
		"slos[0].minEvents":    "must be a whole number such as 100 (line 2)",
		"slos[0].resolveAfter": "must be a duration such as 30m or 28d (line 2)",
	}, ve.Fields)
	j, err := DecodeJSON([]byte(`{"spec": {"slos": [{"minEvents": null, "resolveAfter": null}]}}`))
	require.NoError(t, err)
	require.Equal(t, SLO{}, j.Spec.SLOs[0])
}

func TestAlertingFieldsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(o *SLO)
		want map[string]string
	}{
		{"guard off", func(o *SLO) { o.MinEvents = NewCount(0) }, nil},
		{"guard at the limit", func(o *SLO) { o.MinEvents = NewCount(MaxMinEvents) }, nil},
		{"negative guard", func(o *SLO) { o.MinEvents = NewCount(-1) },
			map[string]string{"slos[1].minEvents": "must not be negative; 0 turns the traffic guard off"}},
		{"guard too large", func(o *SLO) { o.MinEvents = NewCount(MaxMinEvents + 1) },
			map[string]string{"slos[1].minEvents": "must be at most 1000000000"}},
		{"no hold", func(o *SLO) { o.ResolveAfter = NewDuration(0) }, nil},
		{"a day's hold", func(o *SLO) { o.ResolveAfter = NewDuration(Day) }, nil},
		{"hold too long", func(o *SLO) { o.ResolveAfter = NewDuration(Day + time.Second) },
			map[string]string{"slos[1].resolveAfter": "must be at most 1d"}},
		{"negative hold", func(o *SLO) { o.ResolveAfter = NewDuration(-time.Minute) },
			map[string]string{"slos[1].resolveAfter": "must not be negative; 0s resolves as soon as no window burns"}},
		{"hold spelt wrong", func(o *SLO) { o.ResolveAfter = Duration{Raw: "later"} },
			map[string]string{"slos[1].resolveAfter": `invalid duration "later"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := shopCheckout(t)
			tt.edit(&j.Spec.SLOs[1])
			err := j.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tt.want, ve.Fields)
		})
	}
}

func TestCountJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(struct {
		A Count `json:"a"`
		B Count `json:"b,omitzero"`
		C Count `json:"c"`
	}{A: NewCount(0), C: NewCount(-3)})
	require.NoError(t, err)
	require.Equal(t, `{"a":0,"c":-3}`, string(b))
	var c Count
	require.NoError(t, json.Unmarshal([]byte("12"), &c))
	require.Equal(t, NewCount(12), c)
	require.NoError(t, json.Unmarshal([]byte("null"), &c))
	require.Equal(t, Count{}, c)
	require.EqualError(t, json.Unmarshal([]byte(`"12"`), &c), "must be a whole number such as 100")
	require.Equal(t, "", Count{}.String())
	require.Equal(t, "7", NewCount(7).String())
}
