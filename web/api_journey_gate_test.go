package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/deploy/gate"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/web/alerthttp"
)

// gateFixture is a journey "gate" whose only SLO is pay-success, over the
// SLO tests' hour of traffic.
func gateFixture(t *testing.T) *sloBundle {
	t.Helper()
	b := setupSLO(t, nil)
	b.seedSLOJourney(t, sloJourney("gate", paySuccess))
	return b
}

func jsonFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// burnCheck is the JSON of an SLO check of pay-success over a window of d
// with good of total events and a limit of 2.
func burnCheck(verdict, reason string, d time.Duration, good, total int64) string {
	rate := float64(total-good) / float64(total) / 0.05
	return fmt.Sprintf(`{"kind": "slo", "name": "pay-success", "verdict": %q, "reason": "pay-success: %s",
		"burn": {"verdict": %q, "reason": %q,
			"burn": {"window": %d, "events": {"good": %d, "total": %d}, "rate": %s, "no_data": false},
			"max_burn": 2, "objective": 0.95, "min_events": 10}}`,
		verdict, reason, verdict, reason, d, good, total, jsonFloat(rate))
}

const freshCheck = `{"kind": "freshness", "name": "rollups", "verdict": "pass", "reason": "rollups complete through 2026-03-02 12:00 UTC"}`

func TestAPIGate(t *testing.T) {
	t.Parallel()
	b := gateFixture(t)
	passReason := "burn 1.33× over the last 1h is within 2× (40 bad of 600 events)"
	failReason := "burn 8× over the last 10m exceeds 2× (40 bad of 100 events)"
	tests := []struct {
		name   string
		query  string
		status int
		want   string
	}{
		{"pass", "max_burn=2&window=1h", http.StatusOK, `{"verdict": "pass", "reason": "1 SLO burns within 2× over the last 1h",
			"journey": "gate", "window": "1h", "max_burn": 2, "at": "2026-03-02T12:00:00Z", "data_through": "2026-03-02T12:00:00Z",
			"checks": [` + freshCheck + `, ` + burnCheck("pass", passReason, time.Hour, 560, 600) + `]}`},
		{"fail", "max_burn=2&window=10m", http.StatusOK, `{"verdict": "fail", "reason": "pay-success: ` + failReason + `",
			"journey": "gate", "window": "10m", "max_burn": 2, "at": "2026-03-02T12:00:00Z", "data_through": "2026-03-02T12:00:00Z",
			"checks": [` + freshCheck + `, ` + burnCheck("fail", failReason, 10*time.Minute, 60, 100) + `]}`},
		{"unknown journey", "max_burn=2&window=1h", http.StatusNotFound, `{"verdict": "cannot_decide",
			"reason": "journey \"nope\" not found", "journey": "nope", "window": "1h", "max_burn": 2,
			"at": "2026-03-02T12:00:00Z", "checks": [], "error": {"message": "journey \"nope\" not found"}}`},
		{"bad parameters", "max_burn=lots&window=10s", http.StatusBadRequest, `{"verdict": "cannot_decide",
			"reason": "bad request: max_burn: \"lots\" is not a number of at least 0, e.g. 2; window: must be between 1m and 90d",
			"journey": "gate", "window": "", "max_burn": 0, "at": "2026-03-02T12:00:00Z", "checks": [],
			"error": {"message": "bad gate parameters: max_burn: \"lots\" is not a number of at least 0, e.g. 2; window: must be between 1m and 90d",
				"fields": {"max_burn": "\"lots\" is not a number of at least 0, e.g. 2", "window": "must be between 1m and 90d"}}}`},
		{"candidate without baseline", "candidate=span.app.version%3D1.5.0", http.StatusBadRequest, `{"verdict": "cannot_decide",
			"reason": "bad request: baseline: required with candidate", "journey": "gate", "window": "", "max_burn": 0,
			"at": "2026-03-02T12:00:00Z", "checks": [],
			"error": {"message": "bad gate parameters: baseline: required with candidate", "fields": {"baseline": "required with candidate"}}}`},
		{"bad segment", "candidate=version&baseline=span.app.version%3D1.4.0&max_p95_ratio=0", http.StatusBadRequest, `{"verdict": "cannot_decide",
			"reason": "bad request: candidate: \"version\" is not key=value, e.g. span.app.version=1.5.0; max_p95_ratio: \"0\" is not a positive number, e.g. 1.2",
			"journey": "gate", "window": "", "max_burn": 0, "at": "2026-03-02T12:00:00Z", "checks": [],
			"error": {"message": "bad gate parameters: candidate: \"version\" is not key=value, e.g. span.app.version=1.5.0; max_p95_ratio: \"0\" is not a positive number, e.g. 1.2",
				"fields": {"candidate": "\"version\" is not key=value, e.g. span.app.version=1.5.0", "max_p95_ratio": "\"0\" is not a positive number, e.g. 1.2"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			slug := "gate"
			if tt.status == http.StatusNotFound {
				slug = "nope"
			}
			requireJSON(t, b.do(t, http.MethodGet, "/api/v1/journeys/"+slug+"/gate?"+tt.query, nil), tt.status, tt.want)
		})
	}
}

func TestAPIGateStale(t *testing.T) {
	t.Parallel()
	b := gateFixture(t)
	// Ten minutes on, no rollup has run since: the burn passes, but on
	// data this old the gate cannot decide.
	b.clock.Set(sloAt(10 * time.Minute))
	stale := "rollups are stale: complete through 2026-03-02 12:00 UTC, 10m ago (limit 5m)"
	passReason := "burn 1.33× over the last 1h is within 2× (40 bad of 600 events)"
	requireJSON(t, b.do(t, http.MethodGet, "/api/v1/journeys/gate/gate?max_burn=2&window=1h", nil), http.StatusOK,
		`{"verdict": "cannot_decide", "reason": "`+stale+`", "journey": "gate", "window": "1h", "max_burn": 2,
		"at": "2026-03-02T12:10:00Z", "data_through": "2026-03-02T12:00:00Z",
		"checks": [{"kind": "freshness", "name": "rollups", "verdict": "cannot_decide", "reason": "`+stale+`"},
			`+burnCheck("pass", passReason, time.Hour, 560, 600)+`]}`)
}

func TestAPIGateCanary(t *testing.T) {
	t.Parallel()
	b := gateFixture(t)
	q := "max_burn=2&window=1h&candidate=span.app.version%3D1.5.0&baseline=span.app.version%3D1.4.0"
	rec := b.do(t, http.MethodGet, "/api/v1/journeys/gate/gate?"+q, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	// Exactly the alerting service's answer.
	cand := rollup.Segment{Key: "span.app.version", Value: "1.5.0"}
	base := rollup.Segment{Key: "span.app.version", Value: "1.4.0"}
	res, err := b.svc.RunGate(b.ctx, "gate", gate.Query{MaxBurn: 2, Window: time.Hour, Candidate: &cand, Baseline: &base,
		MaxErrorRateDelta: gate.DefaultMaxErrorRateDelta, MaxP95Ratio: gate.DefaultMaxP95Ratio})
	require.NoError(t, err)
	want, err := json.Marshal(res)
	require.NoError(t, err)
	requireJSON(t, rec, http.StatusOK, string(want))

	// Which is, by hand: the SLO passes; every failed payment was of
	// version 1.5.0, 40 of its 300, against none of 1.4.0's 300; nothing
	// reached s3.
	var got gate.Result
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, slo.VerdictFail, got.Verdict)
	require.Equal(t, "s2: candidate error rate 13.33% vs baseline 0% (+13.33 pp, limit +1 pp)", got.Reason)
	var verdicts []string
	for _, c := range got.Checks {
		verdicts = append(verdicts, c.Kind+" "+c.Name+" "+string(c.Verdict))
	}
	require.Equal(t, []string{"freshness rollups pass", "slo pay-success pass", "canary s1 pass", "canary s2 fail", "canary s3 cannot_decide"}, verdicts)
	s2 := got.Checks[3].Canary
	require.Equal(t, slo.Stats{Total: 300, Errors: 40, P95: s2.Candidate.P95}, s2.Candidate)
	require.Equal(t, int64(300), s2.Baseline.Total)
	require.Equal(t, int64(0), s2.Baseline.Errors)
	require.InDelta(t, 40.0/300, s2.ErrorRateDelta, 1e-15)
	require.Equal(t, "s3: candidate has 0 events, need at least 10", got.Checks[4].Reason)
}

func TestAPIGateWithoutAlerting(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, func(o *Options) { o.Alerting = alerthttp.Off{} })
	requireJSON(t, b.do(t, http.MethodGet, "/api/v1/journeys/gate/gate", nil), http.StatusServiceUnavailable,
		`{"error": {"message": "this server evaluates no SLOs"}}`)
}

// gateExit is what `waymark gate` (cmd/waymark/gate.go) exits with for an
// answer: 0 on a pass, 1 on a fail, 2 when nothing was decided. It decodes
// the answer as that command does, into gate.Result, and maps the
// statuses it maps.
func gateExit(status int, body []byte) (int, string) {
	var res gate.Result
	decoded := json.Unmarshal(body, &res) == nil && res.Verdict != ""
	switch {
	case status == http.StatusOK && decoded:
	case status == http.StatusNotFound && decoded && res.Reason != "":
		return 2, res.Reason
	default:
		return 2, fmt.Sprintf("server answered %d", status)
	}
	switch res.Verdict {
	case slo.VerdictPass:
		return 0, res.Reason
	case slo.VerdictFail:
		return 1, res.Reason
	}
	return 2, res.Reason
}

// TestGateCommandContract asks a real server what the gate command asks,
// with its headers and query, and reads the answers as it reads them.
func TestGateCommandContract(t *testing.T) {
	t.Parallel()
	b := gateFixture(t)
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	token := b.acc.token(t, "deploy gate", auth.ScopeGateRead)
	tests := []struct {
		name   string
		slug   string
		query  url.Values
		code   int
		reason string
	}{
		{"pass", "gate", url.Values{"max_burn": {"2"}, "window": {"1h"}}, 0, "1 SLO burns within 2× over the last 1h"},
		{"fail", "gate", url.Values{"max_burn": {"1"}, "window": {"1h"}}, 1,
			"pay-success: burn 1.33× over the last 1h exceeds 1× (40 bad of 600 events)"},
		{"canary cannot decide", "gate", url.Values{"max_burn": {"2"}, "window": {"1h"}, "candidate": {"span.app.version=9"},
			"baseline": {"span.app.version=1.4.0"}, "max_error_rate_delta": {"0.01"}, "max_p95_ratio": {"1.2"}}, 2,
			"s1: candidate has 0 events, need at least 10; s2: candidate has 0 events, need at least 10; s3: candidate has 0 events, need at least 10"},
		{"unknown journey", "nope", url.Values{"max_burn": {"1"}, "window": {"1h"}}, 2, `journey "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/journeys/"+url.PathEscape(tt.slug)+"/gate?"+tt.query.Encode(), nil)
			require.NoError(t, err)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("User-Agent", "waymark-gate/test")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			code, reason := gateExit(resp.StatusCode, body)
			require.Equal(t, tt.code, code, string(body))
			require.Equal(t, tt.reason, reason)
		})
	}
}
