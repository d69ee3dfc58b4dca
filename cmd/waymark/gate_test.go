package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/deploy/gate"
	"github.com/waymarkhq/waymark/internal/slo"
)

// gateServer answers the gate endpoint with a fixed status and body and
// records the requests it got.
type gateServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newGateServer(t *testing.T, status int, body string) *gateServer {
	t.Helper()
	s := &gateServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *gateServer) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs
}

func gateJSON(t *testing.T, verdict slo.Verdict, reason string) string {
	t.Helper()
	burn := &slo.GateResult{Verdict: verdict, Reason: "r", Burn: slo.Burn{Window: time.Hour, Events: slo.Counts{Good: 5820, Total: 6000}, Rate: 3},
		MaxBurn: 2, Objective: 0.99, MinEvents: 100}
	res := gate.Result{
		Verdict: verdict, Reason: reason, Journey: "shop", Window: "1h", MaxBurn: 2,
		At: time.Date(2025, 3, 10, 0, 5, 0, 0, time.UTC), DataThrough: time.Date(2025, 3, 10, 0, 4, 0, 0, time.UTC),
		Checks: []gate.Check{
			{Kind: gate.CheckFreshness, Name: "rollups", Verdict: slo.VerdictPass, Reason: "rollups complete through 2025-03-10 00:04 UTC"},
			{Kind: gate.CheckSLO, Name: "pay-success", Verdict: verdict, Reason: "pay-success: " + reason, Burn: burn},
		},
	}
	b, err := json.Marshal(res)
	require.NoError(t, err)
	return string(b)
}

// runGate runs the binary's gate command with env as its environment.
func runGate(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	code := a.exec(context.Background(), append([]string{"gate"}, args...))
	return result{code, out.String(), errb.String()}
}

func TestGateVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		verdict slo.Verdict
		reason  string
		code    int
		stderr  string
	}{
		{"pass", slo.VerdictPass, "1 SLO burns within 2× over the last 1h", 0, ""},
		{"fail", slo.VerdictFail, "burn 3× over the last 1h exceeds 2× (180 bad of 6000 events)",
			1, "waymark: gate fail: burn 3× over the last 1h exceeds 2× (180 bad of 6000 events)\n"},
		{"cannot decide", slo.VerdictCannotDecide, "only 60 events in the last 1h, need at least 100",
			2, "waymark: gate cannot decide: only 60 events in the last 1h, need at least 100\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newGateServer(t, http.StatusOK, gateJSON(t, tt.verdict, tt.reason))
			r := runGate(t, nil, "--url", srv.URL+"/", "--journey", "shop", "--max-burn", "2", "--window", "1h", "--token", "s3cret")
			require.Equal(t, tt.code, r.code)
			require.Equal(t, tt.stderr, r.stderr)
			require.Equal(t, string(tt.verdict)+": "+tt.reason+"\n"+
				"journey shop, window 1h ending 2025-03-10T00:04:00Z\n"+
				"  pass          freshness rollups complete through 2025-03-10 00:04 UTC\n"+
				"  "+pad(string(tt.verdict), 13)+" slo       pay-success: "+tt.reason+" [burn=3 max=2 good=5820 total=6000 objective=0.99]\n",
				r.stdout)

			reqs := srv.requests()
			require.Len(t, reqs, 1)
			require.Equal(t, "/api/v1/journeys/shop/gate", reqs[0].URL.Path)
			require.Equal(t, url.Values{"max_burn": {"2"}, "window": {"1h"}}, reqs[0].URL.Query())
			require.Equal(t, "Bearer s3cret", reqs[0].Header.Get("Authorization"))
			require.Equal(t, "application/json", reqs[0].Header.Get("Accept"))
		})
	}
}

func pad(s string, n int) string { return s + strings.Repeat(" ", n-len(s)) }

func TestGateCanaryFlagsAndEnvironment(t *testing.T) {
	t.Parallel()
	srv := newGateServer(t, http.StatusOK, gateJSON(t, slo.VerdictPass, "ok"))
	env := map[string]string{"WAYMARK_URL": srv.URL, "WAYMARK_API_TOKEN": "from-env"}
	r := runGate(t, env, "-journey", "checkout", "-candidate", "span.app.version=1.5.0", "-baseline", "span.app.version=1.4.0",
		"-max-error-rate-delta", "0.02", "-max-p95-ratio", "1.5")
	require.Equal(t, 0, r.code, r.stderr)
	reqs := srv.requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "/api/v1/journeys/checkout/gate", reqs[0].URL.Path)
	require.Equal(t, url.Values{
		"max_burn": {"1"}, "window": {"1h"},
		"candidate": {"span.app.version=1.5.0"}, "baseline": {"span.app.version=1.4.0"},
		"max_error_rate_delta": {"0.02"}, "max_p95_ratio": {"1.5"},
	}, reqs[0].URL.Query())
	require.Equal(t, "Bearer from-env", reqs[0].Header.Get("Authorization"))
}

func TestGateCannotDecide(t *testing.T) {
	t.Parallel()
	notFound := gate.Result{Verdict: slo.VerdictCannotDecide, Reason: `journey "nope" not found`, Journey: "nope"}
	nf, err := json.Marshal(notFound)
	require.NoError(t, err)

	// A port that was open a moment ago and is closed now.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())

	tests := []struct {
		name   string
		status int
		body   string
		url    string // instead of a server
		line   string
	}{
		{"404 with a verdict", http.StatusNotFound, string(nf), "", `waymark: gate cannot decide: journey "nope" not found`},
		{"404 from a proxy", http.StatusNotFound, "<html>not found</html>", "", "waymark: gate cannot decide: journey not found (404 from HOST)"},
		{"500", http.StatusInternalServerError, "database is down\n", "", "waymark: gate cannot decide: server answered 500: database is down"},
		{"401", http.StatusUnauthorized, "", "", "waymark: gate cannot decide: server refused the token (401); pass -token or set WAYMARK_API_TOKEN"},
		{"200 without verdict", http.StatusOK, `{"hello":"world"}`, "", "waymark: gate cannot decide: server answered 200 without a verdict"},
		{"closed port", 0, "", closed, "waymark: gate cannot decide: cannot reach " + strings.TrimPrefix(closed, "http://") + ": dial tcp " + strings.TrimPrefix(closed, "http://") + ": connect: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target := tt.url
			if target == "" {
				target = newGateServer(t, tt.status, tt.body).URL
			}
			u, err := url.Parse(target)
			require.NoError(t, err)
			r := runGate(t, nil, "--url", target, "--journey", "nope", "--timeout", "5s")
			require.Equal(t, 2, r.code)
			require.Empty(t, r.stdout)
			require.Equal(t, strings.ReplaceAll(tt.line, "HOST", u.Host)+"\n", r.stderr)
		})
	}
}

func TestGateBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		line string
	}{
		{"no url", []string{"--journey", "shop"}, "waymark: gate: -url is required"},
		{"no journey", []string{"--url", "http://x"}, "waymark: gate: -journey is required"},
		{"bad url", []string{"--url", "x:/y", "--journey", "shop"}, `waymark: gate: -url "x:/y" must be an http or https URL`},
		{"bad burn", []string{"--url", "http://x", "--journey", "shop", "--max-burn", "lots"}, `waymark: gate: -max-burn: "lots" is not a number of at least 0, e.g. 2`},
		{"bad window", []string{"--url", "http://x", "--journey", "shop", "--window", "10s"}, `waymark: gate: -window: must be between 1m and 90d`},
		{"lone candidate", []string{"--url", "http://x", "--journey", "shop", "--candidate", "span.v=2"}, `waymark: gate: -baseline: required with -candidate`},
		{"unknown flag", []string{"--frob"}, "waymark: gate: flag provided but not defined: -frob"},
		{"argument", []string{"--url", "http://x", "--journey", "shop", "extra"}, `waymark: gate: unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runGate(t, nil, tt.args...)
			require.Equal(t, 2, r.code)
			require.Empty(t, r.stdout)
			require.Equal(t, tt.line, firstLine(r.stderr))
			require.Contains(t, r.stderr, "Usage: waymark gate [flags]")
		})
	}
}
