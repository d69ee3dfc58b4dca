package demo

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		modify func(*LiveConfig)
		err    string
	}{
		{name: "defaults", args: nil, modify: func(*LiveConfig) {}},
		{
			name: "everything",
			args: []string{
				"-endpoint", "tempo:4318", "-rate", "5.5", "-seed", "42", "-users", "10", "-backfill", "0",
				"-truth", dir + "/truth.json", "-header", "X-Scope-OrgID=shop", "-header", "Authorization=Bearer t=1",
				"-bad-deploy-step", "checkout", "-bad-deploy-version", "1.4.0", "-bad-deploy-after", "30s",
				"-bad-deploy-for", "1m", "-bad-deploy-every", "0", "-bad-deploy-error-rate", "0.5", "-bad-deploy-latency", "3",
				"-zone", "Europe/Paris", "-weekend", "0.6", "-anomaly-every", "2h", "-sample", "0.25", "-propagation-break",
			},
			modify: func(c *LiveConfig) {
				c.Endpoint = "tempo:4318"
				c.Rate = 5.5
				c.Model.Seed = 42
				c.Model.Users = 10
				c.Backfill = 0
				c.TruthPath = dir + "/truth.json"
				c.Headers = map[string]string{"X-Scope-OrgID": "shop", "Authorization": "Bearer t=1"}
				c.Model.BadDeploy = BadDeploy{Enabled: true, Step: StepCheckout, Version: "1.4.0", After: 30 * time.Second, For: time.Minute, ErrorRate: 0.5, Latency: 3, ServiceVersion: BadPaymentVersion}
				c.Model.Daily = DailyPattern{Enabled: true, Night: 0.25, Weekend: 0.6, Zone: "Europe/Paris"}
				c.Model.AnomalySchedule.Every = 2 * time.Hour
				c.Model.Sample = 0.25
				c.Model.PropagationBreak.Enabled = true
			},
		},
		{name: "steady traffic", args: []string{"-daily=false", "-anomaly=false", "-rate", "2"}, modify: func(c *LiveConfig) { *c = DefaultLiveConfig() }},
		{name: "sample one", args: []string{"-sample", "1"}, modify: func(*LiveConfig) {}},
		{name: "sample zero", args: []string{"-sample", "0"}, err: `demo flags: invalid value "0" for flag -sample: want a probability in (0, 1]`},
		{name: "sample above one", args: []string{"-sample", "1.5"}, err: `demo flags: invalid value "1.5" for flag -sample: want a probability in (0, 1]`},
		{name: "sample NaN", args: []string{"-sample", "NaN"}, err: `demo flags: invalid value "NaN" for flag -sample: want a probability in (0, 1]`},
		{name: "unknown zone", args: []string{"-zone", "Mars/Olympus"}, err: `demo flags: daily.zone "Mars/Olympus": not a known time zone`},
		{name: "zero weekend", args: []string{"-weekend", "0"}, err: "demo flags: daily.weekend must be in (0, 1000], got 0"},
		{name: "anomalies too often", args: []string{"-anomaly-every", "30m"}, err: "demo flags: anomaly_schedule timing must satisfy 0 < min_for <= max_for <= every <= 9600h0m0s (min_for 20m0s, max_for 1h0m0s, every 30m0s)"},
		{name: "anomalies off skip their checks", args: []string{"-anomaly=false", "-anomaly-every", "30m"}, modify: func(c *LiveConfig) {
			c.Model.AnomalySchedule.Enabled = false
			c.Model.AnomalySchedule.Every = 30 * time.Minute
		}},
		{name: "bad deploy off", args: []string{"-bad-deploy=false"}, modify: func(c *LiveConfig) { c.Model.BadDeploy.Enabled = false }},
		{name: "bad deploy off skips its checks", args: []string{"-bad-deploy=false", "-bad-deploy-step", "nope"}, modify: func(c *LiveConfig) {
			c.Model.BadDeploy.Enabled = false
			c.Model.BadDeploy.Step = "nope"
		}},
		{name: "unknown flag", args: []string{"-speed", "3"}, err: "demo flags: flag provided but not defined: -speed"},
		{name: "bad rate", args: []string{"-rate", "fast"}, err: `demo flags: invalid value "fast" for flag -rate: parse error`},
		{name: "zero rate", args: []string{"-rate", "0"}, err: "demo flags: rate must be in (0, 10000] sessions per second, got 0"},
		{name: "NaN rate", args: []string{"-rate", "NaN"}, err: "demo flags: rate must be in (0, 10000] sessions per second, got NaN"},
		{name: "negative backfill", args: []string{"-backfill", "-1m"}, err: "demo flags: backfill must be in [0, 168h0m0s], got -1m0s"},
		{name: "backfill too big", args: []string{"-rate", "10000", "-backfill", "100h"}, err: "demo flags: backfill of 100h0m0s at 10000 sessions/s exceeds 10000000 sessions"},
		{name: "bad endpoint", args: []string{"-endpoint", "udp://x"}, err: `demo flags: endpoint "udp://x": scheme must be http or https`},
		{name: "bad header", args: []string{"-header", "nokey"}, err: `demo flags: invalid value "nokey" for flag -header: want key=value with an HTTP header name as key`},
		{name: "header with space in name", args: []string{"-header", "a b=c"}, err: `demo flags: invalid value "a b=c" for flag -header: want key=value with an HTTP header name as key`},
		{name: "bad step", args: []string{"-bad-deploy-step", "refund"}, err: `demo flags: bad_deploy.step: unknown step "refund"`},
		{name: "bad error rate", args: []string{"-bad-deploy-error-rate", "1.5"}, err: "demo flags: bad_deploy.error_rate must be in [0, 1], got 1.5"},
		{name: "no users", args: []string{"-users", "0"}, err: "demo flags: users must be in [1, 10000000], got 0"},
		{name: "missing truth dir", args: []string{"-truth", dir + "/nope/truth.json"}, err: `demo flags: truth path "` + dir + `/nope/truth.json": directory does not exist`},
		{name: "positional", args: []string{"now"}, err: `demo flags: unexpected argument "now"`},
		{name: "missing value", args: []string{"-rate"}, err: "demo flags: flag needs an argument: -rate"},
	} {
		got, err := ParseFlags(tc.args)
		if tc.err != "" {
			require.EqualError(t, err, tc.err, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		want := LiveDemoConfig()
		tc.modify(&want)
		require.Equal(t, want, got, tc.name)
	}
}

func TestParseFlagsHelp(t *testing.T) {
	t.Parallel()
	_, err := ParseFlags([]string{"-h"})
	require.True(t, errors.Is(err, flag.ErrHelp))
	var buf bytes.Buffer
	Usage(&buf)
	out := buf.String()
	require.True(t, strings.HasPrefix(out, "Usage: waymark demo [flags]\n"))
	for _, f := range []string{"-endpoint", "-rate", "-seed", "-backfill", "-truth", "-header", "-bad-deploy", "-bad-deploy-after", "-bad-deploy-every",
		"-daily", "-zone", "-weekend", "-anomaly", "-anomaly-every", "-sample", "-propagation-break"} {
		require.True(t, strings.Contains(out, "\n  "+f+" ") || strings.Contains(out, "\n  "+f+"\n"), f)
	}
	require.Contains(t, out, `(default "http://127.0.0.1:4318")`)
	require.Contains(t, out, "\n  -sample P\n")
	require.Contains(t, out, "(default 1)")
}

func TestDemoLiveConfigIsTheSteadyShopWithItsDay(t *testing.T) {
	t.Parallel()
	want := DefaultLiveConfig()
	want.Rate = 4
	want.Model.Daily.Enabled = true
	want.Model.AnomalySchedule.Enabled = true
	require.Equal(t, want, LiveDemoConfig())
	d := LiveDemoConfig().Model
	require.Equal(t, DailyPattern{Enabled: true, Night: 0.25, Weekend: 1, Zone: "UTC"}, d.Daily)
	require.Equal(t, AnomalySchedule{Enabled: true, Every: 3 * time.Hour, MinFor: 20 * time.Minute, MaxFor: time.Hour, ConversionFactor: 0.4, LatencyFactor: 3}, d.AnomalySchedule)
	require.Equal(t, 1.0, d.Sample)
	require.False(t, d.PropagationBreak.Enabled)
}

func TestLiveConfigLogValueHidesHeaders(t *testing.T) {
	t.Parallel()
	cfg, err := ParseFlags([]string{"-header", "Authorization=Bearer secret"})
	require.NoError(t, err)
	require.NotContains(t, cfg.LogValue().String(), "secret")
	require.Equal(t, "Authorization=…", headerFlag{&cfg}.String())
}

func FuzzParseFlags(f *testing.F) {
	for _, seed := range []string{
		"",
		"-rate\x003",
		"-endpoint\x00http://[::1]:4318\x00-header\x00a=b",
		"-bad-deploy-every\x001s\x00-bad-deploy-for\x002s",
		"-backfill\x00-5m",
		"-rate\x001e300",
		"-header\x00=\x00",
		"-seed\x00-9223372036854775808",
		"--\x00x",
		"-sample\x000.5\x00-zone\x00Asia/Kathmandu",
		"-anomaly-every\x001h\x00-weekend\x001e9",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var args []string
		if in != "" {
			args = strings.Split(in, "\x00")
		}
		cfg, err := ParseFlags(args)
		if err != nil {
			require.Equal(t, LiveConfig{}, cfg)
			return
		}
		require.NoError(t, cfg.validate())
	})
}
