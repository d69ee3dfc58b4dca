package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/deploy/gate"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/slo"
)

// gate asks a Waymark server whether a deployment may proceed, for CI/CD:
// it exits 0 on pass, 1 on fail and 2 when the gate cannot decide (stale
// data, too little traffic, unknown journey, server unreachable or
// failing, bad flags). The verdict and every check's numbers go to
// stdout; a failure's one-line reason also goes to stderr.
func (a *app) gate(ctx context.Context, args []string) error {
	fs, _ := a.flags("gate", "", "Ask a Waymark server whether a deployment may proceed: exit 0 pass, 1 fail, 2 cannot decide", 0)
	base := fs.String("url", "", "base URL of the Waymark server, e.g. https://waymark.example.com (env WAYMARK_URL)")
	slug := fs.String("journey", "", "slug of the journey whose SLOs gate the deployment")
	maxBurn := fs.String("max-burn", "1", "highest burn rate over the window that passes")
	window := fs.String("window", "1h", "period judged, ending now")
	candidate := fs.String("candidate", "", "canary segment KEY=VALUE, e.g. span.app.version=1.5.0 (with -baseline)")
	baseline := fs.String("baseline", "", "baseline segment KEY=VALUE, e.g. span.app.version=1.4.0 (with -candidate)")
	maxErr := fs.String("max-error-rate-delta", "0.01", "canary: highest error-rate increase over the baseline that passes (0.01 = one point)")
	maxP95 := fs.String("max-p95-ratio", "1.2", "canary: highest candidate/baseline p95 ratio that passes")
	token := fs.String("token", "", "API token, sent as a Bearer token (env WAYMARK_API_TOKEN)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the server")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, 0); err != nil {
		return err
	}
	if *base == "" {
		*base = a.getenv("WAYMARK_URL")
	}
	if *token == "" {
		*token = a.getenv("WAYMARK_API_TOKEN")
	}
	bad := func(format string, v ...any) error {
		return &usageError{fs: fs, err: fmt.Errorf("gate: "+format, v...)}
	}
	switch {
	case *base == "":
		return bad("-url is required")
	case *slug == "":
		return bad("-journey is required")
	case *timeout <= 0:
		return bad("-timeout must be positive")
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("-url %q must be an http or https URL", *base)
	}

	q := url.Values{}
	q.Set("max_burn", *maxBurn)
	q.Set("window", *window)
	if *candidate != "" || *baseline != "" {
		q.Set("candidate", *candidate)
		q.Set("baseline", *baseline)
		q.Set("max_error_rate_delta", *maxErr)
		q.Set("max_p95_ratio", *maxP95)
	}
	if _, err := gate.ParseGateQuery(q); err != nil {
		return bad("%s", flagNames(err))
	}
	target := strings.TrimRight(u.String(), "/") + "/api/v1/journeys/" + url.PathEscape(*slug) + "/gate?" + q.Encode()

	res, err := fetchGate(ctx, target, *token, *timeout)
	if err != nil {
		return &configError{err: fmt.Errorf("gate cannot decide: %w", err)}
	}
	a.printGate(res)
	switch res.Verdict {
	case slo.VerdictPass:
		return nil
	case slo.VerdictFail:
		return fmt.Errorf("gate fail: %s", res.Reason)
	default:
		// Exit 2, like a bad setting: nothing was decided.
		return &configError{err: fmt.Errorf("gate cannot decide: %s", res.Reason)}
	}
}

// flagNames rewrites a query validation error in terms of the flags:
// max_burn: … becomes -max-burn: ….
func flagNames(err error) string {
	var v *fault.Invalid
	if !errors.As(err, &v) {
		return err.Error()
	}
	r := strings.NewReplacer("max_burn", "-max-burn", "window", "-window", "candidate", "-candidate", "baseline", "-baseline",
		"max_error_rate_delta", "-max-error-rate-delta", "max_p95_ratio", "-max-p95-ratio")
	return r.Replace(v.Error())
}

// fetchGate calls the gate endpoint. Any answer that is not a verdict is
// an error: the gate then cannot decide.
func fetchGate(ctx context.Context, target, token string, timeout time.Duration) (gate.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return gate.Result{}, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "waymark-gate/"+shortVersion())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return gate.Result{}, fmt.Errorf("cannot reach %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return gate.Result{}, fmt.Errorf("read answer: %w", err)
	}
	var res gate.Result
	decoded := json.Unmarshal(body, &res) == nil && res.Verdict != ""
	switch {
	case resp.StatusCode == http.StatusOK && decoded:
		return res, nil
	case resp.StatusCode == http.StatusNotFound:
		if decoded && res.Reason != "" {
			return gate.Result{}, errors.New(res.Reason)
		}
		return gate.Result{}, fmt.Errorf("journey not found (404 from %s)", req.URL.Host)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return gate.Result{}, fmt.Errorf("server refused the token (%d); pass -token or set WAYMARK_API_TOKEN", resp.StatusCode)
	case decoded && res.Reason != "":
		return gate.Result{}, fmt.Errorf("server answered %d: %s", resp.StatusCode, res.Reason)
	case resp.StatusCode == http.StatusOK:
		return gate.Result{}, errors.New("server answered 200 without a verdict")
	default:
		return gate.Result{}, fmt.Errorf("server answered %d: %s", resp.StatusCode, snippet(body))
	}
}

// snippet is the start of a response body on one line.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

// printGate writes the verdict and each check with its numbers.
func (a *app) printGate(res gate.Result) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", res.Verdict, res.Reason)
	fmt.Fprintf(&b, "journey %s, window %s", res.Journey, res.Window)
	if !res.DataThrough.IsZero() {
		fmt.Fprintf(&b, " ending %s", res.DataThrough.UTC().Format(time.RFC3339))
	}
	b.WriteString("\n")
	for _, c := range res.Checks {
		fmt.Fprintf(&b, "  %-13s %-9s %s%s\n", c.Verdict, c.Kind, c.Reason, checkNumbers(c))
	}
	_, _ = io.WriteString(a.stdout, b.String())
}

// checkNumbers writes a check's raw numbers, for logs that are grepped.
func checkNumbers(c gate.Check) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	switch {
	case c.Burn != nil:
		return fmt.Sprintf(" [burn=%s max=%s good=%d total=%d objective=%s]",
			f(c.Burn.Burn.Rate), f(c.Burn.MaxBurn), c.Burn.Burn.Events.Good, c.Burn.Burn.Events.Total, f(c.Burn.Objective))
	case c.Canary != nil:
		r := c.Canary
		return fmt.Sprintf(" [error_rate_delta=%s p95_ratio=%s candidate=%d/%d baseline=%d/%d]",
			f(r.ErrorRateDelta), f(r.P95Ratio), r.Candidate.Errors, r.Candidate.Total, r.Baseline.Errors, r.Baseline.Total)
	}
	return ""
}
