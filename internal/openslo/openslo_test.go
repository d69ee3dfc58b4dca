package openslo_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/openslo"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

func decode(t *testing.T, b []byte) journeys.Journey {
	t.Helper()
	js, err := journeys.DecodeYAML(b)
	require.NoError(t, err)
	require.Len(t, js, 1)
	require.NoError(t, js[0].Validate())
	return js[0]
}

func withoutSLOs(j journeys.Journey) journeys.Journey {
	j.Spec.SLOs = nil
	return j
}

// roundTrip exports j's SLOs, applies them to j without SLOs, and gives
// back the journey's YAML.
func roundTrip(t *testing.T, j journeys.Journey) ([]byte, []byte) {
	t.Helper()
	docs, err := openslo.Export(j)
	require.NoError(t, err)
	got, err := openslo.Import(withoutSLOs(j), docs)
	require.NoError(t, err)
	out, err := journeys.EncodeYAML(got)
	require.NoError(t, err)
	// The import exports to the same documents.
	again, err := openslo.Export(got)
	require.NoError(t, err)
	require.Equal(t, string(docs), string(again))
	return out, docs
}

func TestExamplesRoundTripByteForByte(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(examples.FS, "*.yaml")
	require.NoError(t, err)
	require.Len(t, files, 2)
	for _, f := range files {
		b, err := examples.FS.ReadFile(f)
		require.NoError(t, err)
		out, _ := roundTrip(t, decode(t, b))
		require.Equal(t, string(b), string(out), f)
	}
}

// Everything a window, a guard and a hold can say survives, spelled as
// the journey spells it.
func TestEveryWaymarkSettingRoundTrips(t *testing.T) {
	t.Parallel()
	src := `apiVersion: waymark/v1
kind: Journey
metadata:
  slug: settings
  name: Settings
spec:
  correlation:
    by: span.session.id
    window: 45m
  steps:
    - name: Start
      match:
        service: a
        span: GET /
    - name: End
      match:
        service: b
        span: POST /done
  slos:
    - name: month-berlin
      kind: success
      objective: 0.999
      window: month
      timeZone: Europe/Berlin
    - name: month-utc
      kind: success
      objective: 0.99
      window: month
      timeZone: UTC
    - name: month-default
      step: End
      kind: success
      objective: 0.9
      window: month
    - name: week-sunday
      kind: success
      objective: 0.95
      window: week
      weekStart: sunday
    - name: week-monday
      kind: success
      objective: 0.95
      window: week
      weekStart: Monday
      timeZone: America/New_York
    - name: odd-window
      step: Start
      kind: latency
      threshold: 1.5s
      objective: 0.9
      window: 1h30m
      minEvents: 0
      resolveAfter: 0s
    - name: hours
      step: Start
      kind: latency
      threshold: 250ms
      objective: 0.75
      window: 36h
      resolveAfter: 1h
    - name: default-window
      kind: conversion
      objective: 0.5
      minEvents: 12
`
	j := decode(t, []byte(src))
	out, docs := roundTrip(t, j)
	require.Equal(t, src, string(out))
	require.Contains(t, string(docs), "waymark.dev/window: 1h30m\n")
	require.Contains(t, string(docs), "- duration: 90m\n")
	require.Contains(t, string(docs), "startTime: \"2024-01-07 00:00:00\"\n")
	require.Contains(t, string(docs), "    waymark.dev/conversion-window: 45m\n    waymark.dev/correlation: span.session.id\n")
}

func TestAHandWrittenFileImportsIntact(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("testdata", "handwritten.yaml"))
	require.NoError(t, err)
	set, err := openslo.Decode(b)
	require.NoError(t, err)
	require.Len(t, set.SLOs, 1)
	got := set.SLOs[0]
	require.Equal(t, "shop-checkout", got.Journey)
	require.Equal(t, journeys.SLO{
		Name:      "checkout-availability",
		Step:      "Checkout",
		Kind:      journeys.SLOSuccess,
		Objective: 0.995,
		Window:    journeys.NewDuration(28 * journeys.Day),
	}, got.SLO)
	// The four conditions as written: Waymark's table for 28 days, whose
	// short windows the table implies.
	require.Equal(t, []slo.BurnPair{
		{Severity: slo.SeverityPage, Long: 56 * time.Minute, Threshold: 14.4},
		{Severity: slo.SeverityPage, Long: 336 * time.Minute, Threshold: 6},
		{Severity: slo.SeverityTicket, Long: 1344 * time.Minute, Threshold: 3},
		{Severity: slo.SeverityTicket, Long: 4032 * time.Minute, Threshold: 1},
	}, got.Alerts)

	shop, err := examples.FS.ReadFile("shop-checkout.yaml")
	require.NoError(t, err)
	j, err := openslo.Apply(decode(t, shop), set)
	require.NoError(t, err)
	require.Len(t, j.Spec.SLOs, 4)
	require.Equal(t, got.SLO, j.Spec.SLOs[3])
	require.Equal(t, slo.ScaledPairs(j.Spec.SLOs[3].EffectiveWindow()), withShort(got.Alerts))

	// Applying again replaces it in place rather than adding another.
	j, err = openslo.Apply(j, set)
	require.NoError(t, err)
	require.Len(t, j.Spec.SLOs, 4)
}

func withShort(ps []slo.BurnPair) []slo.BurnPair {
	shorts := []time.Duration{5 * time.Minute, 28 * time.Minute, 112 * time.Minute, 336 * time.Minute}
	out := make([]slo.BurnPair, len(ps))
	for i, p := range ps {
		p.Short = shorts[i]
		out[i] = p
	}
	return out
}

func TestWhatWaymarkCannotKeepIsRefused(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("testdata", "handwritten.yaml"))
	require.NoError(t, err)
	hand := string(b)
	shopYAML, err := examples.FS.ReadFile("shop-checkout.yaml")
	require.NoError(t, err)
	shop := decode(t, shopYAML)
	exported, err := openslo.Export(shop)
	require.NoError(t, err)
	for _, c := range []struct {
		name, from, to, msg string
		doc                 string // the base document, hand by default
	}{
		{"other alert table", "threshold: 14.4\n", "threshold: 2\n", "its alert conditions are not the ones Waymark evaluates for a 28d window (page at 14.4× over 56m and 5m, page at 6× over 336m and 28m, ticket at 3× over 1344m and 112m, ticket at 1× over 4032m and 336m); remove them or use those", ""},
		{"alert after", "lookbackWindow: 56m\n    alertAfter: 0m", "lookbackWindow: 56m\n    alertAfter: 5m", `alertAfter "5m": Waymark alerts as soon as both windows burn`, ""},
		{"severity", "severity: page", "severity: sev1", `severity "sev1": Waymark pages (page) or opens a ticket (ticket)`, ""},
		{"time slices", "budgetingMethod: Occurrences", "budgetingMethod: Timeslices", `budgetingMethod "Timeslices": Waymark counts Occurrences`, ""},
		{"other source", "  type: Waymark\n", "  type: Prometheus\n", `metric source type "Prometheus": Waymark measures its own journeys (type Waymark)`, ""},
		{"unknown field", "  budgetingMethod: Occurrences\n", "  budgetingMethod: Occurrences\n  objective: 0.9\n", "field objective not found", ""},
		{"months rolling", "duration: 4w", "duration: 1M", `"1M": a rolling window of months, quarters or years has no fixed length`, ""},
		{"percent too high", "targetPercent: 99.5", "targetPercent: 100", "target must be between 0 and 1", ""},
		{"mismatched events", "step: Checkout\n          kind: success\n          events: total", "step: Payment\n          kind: success\n          events: total", "good and total events must be of one journey, step and kind", ""},
		{"missing sli", "indicatorRef: checkout-availability", "indicatorRef: nope", `indicatorRef "nope": no SLI of that name`, ""},
		{"missing policy", "- alertPolicyRef: checkout-smoulder", "- alertPolicyRef: checkout-smoulders", `alertPolicyRef "checkout-smoulders": no AlertPolicy of that name`, ""},
		{"old version", "apiVersion: openslo/v1\nkind: Service", "apiVersion: openslo/v1alpha\nkind: Service", `apiVersion "openslo/v1alpha": only openslo/v1 is read`, ""},
		{"unknown kind", "kind: AlertNotificationTarget", "kind: Alert", `unknown kind "Alert"`, ""},
		{"threshold metric", "  ratioMetric:\n    counter: true\n    good:", "  thresholdMetric:\n    metricSource:\n      type: Waymark\n      spec: {}\n  ratioMetric:\n    counter: true\n    good:", "a thresholdMetric SLI", ""},
		{"conversion elsewhere", "waymark.dev/conversion-window: 30m", "waymark.dev/conversion-window: 10m", "it was defined on shop-checkout correlated by span.session.id within 10m; the journey now correlates by span.session.id within 30m", string(exported)},
		{"bad min events", `waymark.dev/min-events: "1000"`, `waymark.dev/min-events: "1e3"`, `annotation waymark.dev/min-events: "1e3" is not a whole number`, string(exported)},
	} {
		doc := hand
		if c.doc != "" {
			doc = c.doc
		}
		changed := strings.Replace(doc, c.from, c.to, 1)
		require.NotEqual(t, doc, changed, c.name)
		_, err := openslo.Import(withoutSLOs(shop), []byte(changed))
		require.Error(t, err, c.name)
		require.True(t, errors.Is(err, openslo.ErrInvalid), "%s: %v", c.name, err)
		require.ErrorContains(t, err, c.msg, c.name)
	}

	// A step the journey does not have is the journey's own validation.
	changed := strings.Replace(hand, "step: Checkout", "step: Pay", 2)
	_, err = openslo.Import(withoutSLOs(shop), []byte(changed))
	var ve *journeys.ValidationError
	require.True(t, errors.As(err, &ve), "%v", err)
	require.Equal(t, map[string]string{"slos[0].step": `no step named "Pay"`}, ve.Fields)

	_, err = openslo.Import(withoutSLOs(shop), []byte("apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: x\nspec: {}\n"))
	require.ErrorContains(t, err, "no SLO found")
	_, err = openslo.Import(decode(t, mustRead(t, "login-flow.yaml")), []byte(hand))
	require.ErrorContains(t, err, "no SLO for journey login-flow (spec.service)")
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := examples.FS.ReadFile(name)
	require.NoError(t, err)
	return b
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"shop-checkout.yaml", "login-flow.yaml"} {
		b, err := examples.FS.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		js, err := journeys.DecodeYAML(b)
		if err != nil {
			f.Fatal(err)
		}
		out, err := openslo.Export(js[0])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(out)
	}
	hand, err := os.ReadFile(filepath.Join("testdata", "handwritten.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(hand)
	f.Add([]byte("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec: {service: shop-checkout, indicator: *x}\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	shopYAML, err := examples.FS.ReadFile("shop-checkout.yaml")
	if err != nil {
		f.Fatal(err)
	}
	js, err := journeys.DecodeYAML(shopYAML)
	if err != nil {
		f.Fatal(err)
	}
	shop := withoutSLOs(js[0])
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := openslo.Decode(data)
		if err != nil {
			if !errors.Is(err, openslo.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		j, err := openslo.Apply(shop, set)
		if err != nil || len(j.Spec.SLOs) == 0 {
			return
		}
		// Whatever applies is a valid journey that exports and applies
		// back to itself.
		if err := j.Validate(); err != nil {
			t.Fatalf("applied journey does not validate: %v", err)
		}
		docs, err := openslo.Export(j)
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		again, err := openslo.Import(shop, docs)
		if err != nil {
			t.Fatalf("re-import of %s: %v", docs, err)
		}
		a, _ := journeys.EncodeYAML(j)
		b, _ := journeys.EncodeYAML(again)
		if string(a) != string(b) {
			t.Fatalf("round trip changed the journey:\n%s\n%s", a, b)
		}
	})
}
