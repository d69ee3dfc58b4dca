package sampling

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

func TestSpanConditionSpellsEveryMatcher(t *testing.T) {
	t.Parallel()
	got, err := spanCondition(everyMatcher().Spec.Steps[0].Match)
	require.NoError(t, err)
	require.Equal(t, `resource.attributes["service.name"] == "search_svc"`+
		` and IsMatch(span.name, "^(?:GET /search/[a-z]+)$")`+
		` and span.kind == SPAN_KIND_SERVER`+
		` and span.attributes["http.route"] == "/search/{q}"`+
		` and span.attributes["retries"] <= 2`+
		` and span.attributes["ratio"] < 0.6`+
		` and IsBool(span.attributes["cached"]) and span.attributes["cached"] != true`+
		` and IsString(span.attributes["tier"]) and span.attributes["tier"] != "free"`+
		` and IsString(span.attributes["region"]) and IsMatch(span.attributes["region"], "^(?:eu-.*)$")`+
		` and IsString(resource.attributes["deployment.environment"]) and not IsMatch(resource.attributes["deployment.environment"], "^(?:staging|dev)$")`+
		` and span.end_time_unix_nano - span.start_time_unix_nano < 5000000000`+
		` and not IsMatch(span.name, "^(?:.*/admin)$")`+
		` and span.status.code != STATUS_CODE_OK`+
		` and span.kind == SPAN_KIND_SERVER`+
		` and span.status.message != "boom"`, got)
}

func TestSpanConditionLiterals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    journeys.Matcher
		want string
	}{
		{"quotes and backslashes survive", journeys.Matcher{Key: "span.q", Op: journeys.OpEq, Value: journeys.StringValue(`a "b" \d`)},
			`span.attributes["q"] == "a \"b\" \\d"`},
		{"negative int", journeys.Matcher{Key: "span.n", Op: journeys.OpGt, Value: journeys.IntValue(-3)},
			`span.attributes["n"] > -3`},
		{"int spelt in hex", journeys.Matcher{Key: "span.n", Op: journeys.OpEq, Value: journeys.Value{Type: journeys.TypeInt, Raw: "0x1f"}},
			`span.attributes["n"] == 31`},
		{"integral float keeps its point", journeys.Matcher{Key: "span.f", Op: journeys.OpNe, Value: journeys.FloatValue(2)},
			`(IsInt(span.attributes["f"]) or IsDouble(span.attributes["f"])) and span.attributes["f"] != 2.0`},
		{"float with exponent", journeys.Matcher{Key: "span.f", Op: journeys.OpGe, Value: journeys.Value{Type: journeys.TypeFloat, Raw: "1e-7"}},
			`span.attributes["f"] >= 0.0000001`},
		{"status error", journeys.Matcher{Key: "status", Op: journeys.OpEq, Value: journeys.StringValue("error")},
			`span.status.code == STATUS_CODE_ERROR`},
		{"duration in days", journeys.Matcher{Key: "duration", Op: journeys.OpGe, Value: journeys.StringValue("1d")},
			`span.end_time_unix_nano - span.start_time_unix_nano >= 86400000000000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := matcherCondition(tt.m)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestHashThreshold(t *testing.T) {
	t.Parallel()
	require.Equal(t, "4000000000000000", hashThreshold(0.25))
	require.Equal(t, "8000000000000000", hashThreshold(0.5))
	require.Equal(t, "0000000000000000", hashThreshold(0))
	require.Equal(t, "ffffffffffffffff", hashThreshold(1))
	// float64(0.1) is a little above a tenth; the threshold is exact for
	// it, rounded up.
	require.Equal(t, "1999999999999a00", hashThreshold(0.1))
	require.Equal(t, "0000000000000001", hashThreshold(1e-300))
}

func TestPolicyRefusesBadOptions(t *testing.T) {
	t.Parallel()
	js := []journeys.Journey{loginFlow()}
	tests := []struct {
		opts Options
		want string
	}{
		{Options{KeepRate: 1.5}, "keep rate 1.5 is not between 0 and 1"},
		{Options{KeepRate: 0.1, StepKeepRate: -0.1}, "step keep rate -0.1 is not between 0 and 1"},
		{Options{DecisionWait: -1}, "decision wait -1ns is negative"},
		{Options{Format: "toml"}, `unknown format "toml": use yaml or json`},
	}
	for _, tt := range tests {
		_, err := Policy(js, tt.opts)
		require.EqualError(t, err, tt.want)
	}
	_, err := Policy(nil, DefaultOptions())
	require.EqualError(t, err, "no journeys to sample for")
}

func TestPolicyRates(t *testing.T) {
	t.Parallel()
	// No share and no rest: only the errors and slow policies.
	out, err := Policy([]journeys.Journey{shopCheckout()}, Options{})
	require.NoError(t, err)
	require.Equal(t, []string{
		"shop-checkout/1/errors", "shop-checkout/2/errors", "shop-checkout/3/errors", "shop-checkout/3/slow",
	}, policyNames(decode(t, out)))

	// Keeping everything needs no hashing.
	out, err = Policy([]journeys.Journey{shopCheckout()}, Options{KeepRate: 1, StepKeepRate: 1})
	require.NoError(t, err)
	cfg := decode(t, out)
	require.Equal(t, []string{
		`resource.attributes["service.name"] == "auth_svc" and span.name == "POST /login" and span.kind == SPAN_KIND_SERVER`,
	}, cfg.PolicyCfgs[1].OTTLConditionCfg.SpanConditions)
	require.Equal(t, "sessions/span.session.id", cfg.PolicyCfgs[7].Name)
	require.Equal(t, []string{`span.attributes["session.id"] != nil`}, cfg.PolicyCfgs[7].OTTLConditionCfg.SpanConditions)
}
