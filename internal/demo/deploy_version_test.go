package demo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The payment spans sent while the scripted deploy is live report the
// release its deploy marker names, and the usual one otherwise.
func TestBadDeployReportsTheDeployedServiceVersion(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	cfg.Sessions = 300
	cfg.BadDeploy = BadDeploy{Enabled: true, Step: StepPayment, Version: "1.5.0", After: 10 * time.Minute, For: 10 * time.Minute,
		ErrorRate: 0.5, Latency: 2, ServiceVersion: BadPaymentVersion}
	tr, err := Plan(cfg)
	require.NoError(t, err)
	from, to := cfg.Start.Add(10*time.Minute), cfg.Start.Add(20*time.Minute)
	seen := map[string]int{}
	otlp := tr.OTLP()
	for i, x := range tr.Traces() {
		want := Steps()[x.Step].ServiceVersion
		if x.Step == StepIndex(StepPayment) {
			if at := x.Root().Start; !at.Before(from) && at.Before(to) {
				want = BadPaymentVersion
			} else {
				want = PaymentVersion
			}
			seen[want]++
		}
		require.Equal(t, want, x.ServiceVersion)
		var got string
		for _, a := range otlp[i].Resource.Attributes {
			if a.Key == "service.version" {
				got = a.Value.GetStringValue()
			}
		}
		require.Equal(t, want, got, "the OTLP resource says the same")
	}
	require.Positive(t, seen[BadPaymentVersion])
	require.Positive(t, seen[PaymentVersion])

	// The live demo's deploy is the one its marker names.
	require.Equal(t, BadPaymentVersion, LiveDemoConfig().Model.BadDeploy.ServiceVersion)
}
