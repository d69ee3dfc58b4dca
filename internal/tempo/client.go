// Package tempo talks to Grafana Tempo's HTTP API: TraceQL search, trace by
// id, tag names and values, TraceQL metrics. Source builds on it to answer
// rollup.TraceSource exhaustively, even though every Tempo search is capped.
//
// The wire types are written here from the recorded responses of Tempo 3.x;
// Tempo's own Go packages are not imported.
package tempo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults used when an Options field is left zero.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultMaxRetries    = 3
	DefaultMaxConcurrent = 8
	DefaultBaseBackoff   = 200 * time.Millisecond
	DefaultMaxBackoff    = 10 * time.Second
)

// maxRetryAfter bounds how long a server-sent Retry-After can hold a request.
const maxRetryAfter = 5 * time.Minute

// maxBodyBytes bounds a response body, so that a misbehaving server cannot
// exhaust memory. A search capped at limit=1000 traces with spss=100 stays
// far below it.
const maxBodyBytes = 1 << 30

// Options configures a Client.
type Options struct {
	// BaseURL is where Tempo's HTTP API is served, e.g.
	// http://tempo:3200, or a gateway prefix such as https://gw/tempo.
	BaseURL string
	// Tenant is sent as X-Scope-OrgID when set (multi-tenant Tempo).
	Tenant string
	// User and Password enable basic auth; Token enables bearer auth. At
	// most one of the two may be set.
	User     string
	Password string
	Token    string
	// Timeout bounds one attempt of one request (default 30s). The
	// caller's context bounds the whole call, retries included.
	Timeout time.Duration
	// MaxRetries is how many times a request is retried after a 429, a
	// 5xx or a network error (default 3; negative disables retries).
	MaxRetries int
	// MaxConcurrent caps requests in flight from this client (default 8),
	// so that a backfill cannot flood Tempo's query frontend.
	MaxConcurrent int
	// BaseBackoff and MaxBackoff shape the exponential backoff with full
	// jitter between retries (defaults 200ms and 10s).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// HTTPClient defaults to a client with Go's default transport.
	HTTPClient *http.Client
	// Logger receives retries and slow-path events; slog.Default when nil.
	Logger *slog.Logger
}

// Client is a Tempo HTTP API client. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	opts       Options
	httpClient *http.Client
	log        *slog.Logger
	sem        chan struct{}
}

// New returns a Client for opts.BaseURL.
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		return nil, errors.New("new tempo client: base URL is required")
	}
	base, err := url.Parse(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("new tempo client: parse base URL: %w", err)
	}
	if base.Scheme != "http" && base.Scheme != "https" {
		return nil, fmt.Errorf("new tempo client: base URL %q must be http or https", opts.BaseURL)
	}
	if base.Host == "" {
		return nil, fmt.Errorf("new tempo client: base URL %q has no host", opts.BaseURL)
	}
	if opts.Token != "" && (opts.User != "" || opts.Password != "") {
		return nil, errors.New("new tempo client: set either basic auth (user, password) or a bearer token, not both")
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	base.RawQuery = ""
	base.Fragment = ""
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	switch {
	case opts.MaxRetries == 0:
		opts.MaxRetries = DefaultMaxRetries
	case opts.MaxRetries < 0:
		opts.MaxRetries = 0
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = DefaultMaxConcurrent
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = DefaultBaseBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxBackoff < opts.BaseBackoff {
		opts.MaxBackoff = opts.BaseBackoff
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &Client{
		base:       base,
		opts:       opts,
		httpClient: hc,
		log:        lg,
		sem:        make(chan struct{}, opts.MaxConcurrent),
	}, nil
}

// Error is a non-2xx answer from Tempo. Tempo answers errors in plain text;
// Message carries that text.
type Error struct {
	Status  int
	Message string
	Path    string
}

// Error implements error.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("tempo %s: status %d: %s", e.Path, e.Status, msg)
}

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsBadQuery reports whether Tempo rejected the request itself (400), e.g.
// malformed TraceQL, start after end, an invalid trace id.
func IsBadQuery(err error) bool { return statusOf(err) == http.StatusBadRequest }

// IsNotFound reports whether Tempo answered 404.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsUnauthorized reports whether Tempo (or a gateway in front of it)
// refused the credentials or the tenant (401 or 403).
func IsUnauthorized(err error) bool {
	s := statusOf(err)
	return s == http.StatusUnauthorized || s == http.StatusForbidden
}

// IsRateLimited reports whether Tempo answered 429 (after retries).
func IsRateLimited(err error) bool { return statusOf(err) == http.StatusTooManyRequests }

// IsTooLarge reports whether Tempo failed because its answer outgrew the
// message limit between its own components: a 500 saying "response larger
// than the max" (the frontend) or gRPC's ResourceExhausted "received
// message after decompression larger than max" (a querier). The same
// request fails the same way every time, and a narrower one may succeed.
func IsTooLarge(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusInternalServerError {
		return false
	}
	return strings.Contains(e.Message, "response larger than the max") ||
		strings.Contains(e.Message, "larger than max")
}

// IsUnavailable reports whether Tempo failed with a 5xx (after retries).
func IsUnavailable(err error) bool { return statusOf(err) >= 500 }

// response is a successful answer.
type response struct {
	body        []byte
	contentType string
}

// get GETs u, retrying 429, 5xx and network failures with backoff while
// ctx allows; other answers come back at once as *Error.
func (c *Client) get(ctx context.Context, u *url.URL, accept string) (response, error) {
	path := u.Path
	var lastErr error
	for attempt := 0; ; attempt++ {
		resp, retryAfter, err := c.attempt(ctx, u, accept)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return response{}, fmt.Errorf("tempo %s: %w", path, ctx.Err())
		}
		if !retryable(err) || attempt >= c.opts.MaxRetries {
			return response{}, err
		}
		lastErr = err
		delay := c.backoff(attempt)
		if retryAfter > 0 {
			delay = min(retryAfter, maxRetryAfter)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			// Waiting would outlive the caller: give the real error now
			// rather than a bare deadline exceeded later.
			return response{}, lastErr
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "tempo request failed, retrying",
			slog.String("path", path),
			slog.Int("attempt", attempt+1),
			slog.Duration("delay", delay),
			slog.String("error", err.Error()))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return response{}, fmt.Errorf("tempo %s: %w (last error: %v)", path, ctx.Err(), lastErr)
		case <-t.C:
		}
	}
}

// backoff is exponential backoff with full jitter: a uniform random wait in
// [0, min(max, base·2^attempt)], so that many clients retrying at once
// spread out instead of hammering Tempo in lockstep.
func (c *Client) backoff(attempt int) time.Duration {
	ceil := c.opts.MaxBackoff
	if attempt < 30 {
		if d := c.opts.BaseBackoff << attempt; d > 0 && d < ceil {
			ceil = d
		}
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// netError marks a failure to get any HTTP answer, which is worth retrying.
type netError struct{ err error }

func (e *netError) Error() string { return e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

func retryable(err error) bool {
	var ne *netError
	if errors.As(err, &ne) {
		return true
	}
	if IsTooLarge(err) {
		return false
	}
	s := statusOf(err)
	return s == http.StatusTooManyRequests || s >= 500
}

// attempt performs one request under the concurrency cap and the
// per-attempt timeout.
func (c *Client) attempt(ctx context.Context, u *url.URL, accept string) (response, time.Duration, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return response{}, 0, ctx.Err()
	}
	defer func() { <-c.sem }()

	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u.String(), nil)
	if err != nil {
		return response{}, 0, fmt.Errorf("tempo %s: build request: %w", u.Path, err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if c.opts.Tenant != "" {
		req.Header.Set("X-Scope-OrgID", c.opts.Tenant)
	}
	switch {
	case c.opts.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	case c.opts.User != "" || c.opts.Password != "":
		req.SetBasicAuth(c.opts.User, c.opts.Password)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return response{}, 0, &netError{fmt.Errorf("tempo %s: %w", u.Path, err)}
	}
	defer resp.Body.Close()
	var body []byte
	if n := resp.ContentLength; n > 0 && n <= maxBodyBytes {
		// One allocation when the size is known.
		body = make([]byte, n)
		_, err = io.ReadFull(resp.Body, body)
	} else {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	}
	if err != nil {
		return response{}, 0, &netError{fmt.Errorf("tempo %s: read body: %w", u.Path, err)}
	}
	if len(body) > maxBodyBytes {
		return response{}, 0, fmt.Errorf("tempo %s: response larger than %d bytes", u.Path, maxBodyBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := &Error{Status: resp.StatusCode, Message: errorMessage(body), Path: u.Path}
		return response{}, retryAfter(resp.Header.Get("Retry-After")), apiErr
	}
	return response{body: body, contentType: resp.Header.Get("Content-Type")}, 0, nil
}

// errorMessage trims Tempo's plain-text error body to something fit for a
// log line or a UI banner.
func errorMessage(body []byte) string {
	const maxLen = 4096
	msg := bytes.TrimSpace(body)
	if len(msg) > maxLen {
		msg = append(msg[:maxLen:maxLen], "…"...)
	}
	return strings.ToValidUTF8(string(msg), "\uFFFD")
}

// retryAfter parses a Retry-After header: delta seconds or an HTTP date.
func retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// endpoint builds the URL of an API path. Fixed parts are given as is;
// dynamic segments (trace ids, tag names) are escaped by the caller with
// url.PathEscape so that a tag named "a/b" stays one segment.
func (c *Client) endpoint(escapedPath string, q url.Values) *url.URL {
	u := *c.base
	raw := c.base.EscapedPath() + escapedPath
	p, err := url.PathUnescape(raw)
	if err != nil {
		p = raw
	}
	u.Path = p
	u.RawPath = raw
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return &u
}

// Echo checks that Tempo is up (GET /api/echo answers "echo").
func (c *Client) Echo(ctx context.Context) error {
	resp, err := c.get(ctx, c.endpoint("/api/echo", nil), "")
	if err != nil {
		return fmt.Errorf("echo: %w", err)
	}
	if got := strings.TrimSpace(string(resp.body)); got != "echo" {
		return fmt.Errorf("echo: unexpected answer %q (is %s a Tempo server?)", truncate(got, 80), c.base.Redacted())
	}
	return nil
}

// BuildInfo is Tempo's /api/status/buildinfo.
type BuildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	Branch    string `json:"branch"`
	BuildUser string `json:"buildUser"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
}

// BuildInfo returns Tempo's version.
func (c *Client) BuildInfo(ctx context.Context) (BuildInfo, error) {
	var bi BuildInfo
	if err := c.getJSON(ctx, c.endpoint("/api/status/buildinfo", nil), &bi); err != nil {
		return BuildInfo{}, fmt.Errorf("build info: %w", err)
	}
	return bi, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
