package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// examplesDir holds the demo shop's journeys: one correlated by trace,
// one by session.
const examplesDir = "../../journeys/examples"

func TestSamplingPolicyPrintsTheExamplesPolicy(t *testing.T) {
	t.Parallel()
	want, err := os.ReadFile(filepath.Join("testdata", "sampling-policy.yaml"))
	require.NoError(t, err)
	r := waymark(t, "sampling", "policy", "--journeys", examplesDir)
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stderr)
	require.Equal(t, string(want), r.stdout)
}

func TestSamplingPolicyOptions(t *testing.T) {
	t.Parallel()
	r := waymark(t, "sampling", "policy", "--journeys", examplesDir, "--journey", "login-flow",
		"--keep-rate", "0.05", "--step-keep-rate", "1", "--decision-wait", "10s", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var doc struct {
		Processors struct {
			TailSampling struct {
				DecisionWait string `json:"decision_wait"`
				Policies     []struct {
					Name          string `json:"name"`
					Type          string `json:"type"`
					Probabilistic *struct {
						SamplingPercentage float64 `json:"sampling_percentage"`
					} `json:"probabilistic"`
				} `json:"policies"`
			} `json:"tail_sampling"`
		} `json:"processors"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	ts := doc.Processors.TailSampling
	require.Equal(t, "10s", ts.DecisionWait)
	var names []string
	for _, p := range ts.Policies {
		names = append(names, p.Name+" "+p.Type)
	}
	require.Equal(t, []string{
		"login-flow/1/errors ottl_condition", "login-flow/1/slow ottl_condition", "login-flow/1/share ottl_condition",
		"login-flow/2/errors ottl_condition", "login-flow/2/share ottl_condition",
		"login-flow/3/errors ottl_condition", "login-flow/3/share ottl_condition",
		"rest probabilistic",
	}, names)
	require.Equal(t, 5.0, ts.Policies[7].Probabilistic.SamplingPercentage)
}

func TestSamplingPolicyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		line string
	}{
		{"rate over 1", []string{"--keep-rate", "2"}, 2, `waymark: sampling policy: -keep-rate: "2" is not a number between 0 and 1`},
		{"step rate not a number", []string{"--step-keep-rate", "half"}, 2, `waymark: sampling policy: -step-keep-rate: "half" is not a number between 0 and 1`},
		{"bad format", []string{"--format", "toml"}, 2, `waymark: sampling policy: -format "toml": use yaml or json`},
		{"argument", []string{"extra"}, 2, `waymark: sampling policy: unexpected argument "extra"`},
		{"unknown journey", []string{"--journey", "signup"}, 1, `waymark: no journey "signup"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := waymark(t, append([]string{"sampling", "policy", "--journeys", examplesDir}, tt.args...)...)
			require.Equal(t, tt.code, r.code)
			require.Empty(t, r.stdout)
			require.Equal(t, tt.line, firstLine(r.stderr))
		})
	}
	r := waymark(t, "sampling", "policy", "--journeys", filepath.Join(t.TempDir(), "none"))
	require.Equal(t, 1, r.code)
	require.True(t, strings.HasPrefix(r.stderr, "waymark: read "), r.stderr)
}
