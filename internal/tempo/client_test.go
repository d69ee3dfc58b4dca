package tempo

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// flaky answers the first len(fails) requests with those statuses (0 drops
// the connection), then echo.
func flaky(t *testing.T, fails []int, header http.Header) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(fails) {
			if fails[i] == 0 {
				hj, ok := w.(http.Hijacker)
				require.True(t, ok)
				conn, _, err := hj.Hijack()
				require.NoError(t, err)
				_ = conn.Close()
				return
			}
			for k, v := range header {
				w.Header()[k] = v
			}
			http.Error(w, "attempt failed: "+http.StatusText(fails[i]), fails[i])
			return
		}
		_, _ = w.Write([]byte("echo"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fails      []int
		header     http.Header
		maxRetries int
		wantCalls  int64
		wantStatus int // 0: success
		minElapsed time.Duration
	}{
		{name: "5xx then success", fails: []int{500, 502, 503}, wantCalls: 4},
		{name: "429 then success", fails: []int{429}, wantCalls: 2},
		{name: "dropped connection then success", fails: []int{0, 0}, wantCalls: 3},
		{name: "Retry-After honoured", fails: []int{429}, header: http.Header{"Retry-After": {"1"}}, wantCalls: 2, minElapsed: time.Second},
		{name: "gives up after max retries", fails: []int{503, 503, 503, 503}, maxRetries: 2, wantCalls: 3, wantStatus: 503},
		{name: "retries disabled", fails: []int{503}, maxRetries: -1, wantCalls: 1, wantStatus: 503},
		{name: "400 not retried", fails: []int{400}, wantCalls: 1, wantStatus: 400},
		{name: "401 not retried", fails: []int{401}, wantCalls: 1, wantStatus: 401},
		{name: "404 not retried", fails: []int{404}, wantCalls: 1, wantStatus: 404},
		{name: "422 not retried", fails: []int{422}, wantCalls: 1, wantStatus: 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, n := flaky(t, tt.fails, tt.header)
			c := newTestClient(t, u, func(o *Options) {
				if tt.maxRetries != 0 {
					o.MaxRetries = tt.maxRetries
				}
			})
			start := time.Now()
			err := c.Echo(context.Background())
			require.Equal(t, tt.wantCalls, n.Load())
			require.GreaterOrEqual(t, time.Since(start), tt.minElapsed)
			if tt.wantStatus == 0 {
				require.NoError(t, err)
				return
			}
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tt.wantStatus, apiErr.Status)
			require.Equal(t, "attempt failed: "+http.StatusText(tt.wantStatus), apiErr.Message)
			require.Equal(t, "/api/echo", apiErr.Path)
		})
	}
}

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status                                                 int
		badQuery, notFound, unauthorized, limited, unavailable bool
	}{
		{400, true, false, false, false, false},
		{401, false, false, true, false, false},
		{403, false, false, true, false, false},
		{404, false, true, false, false, false},
		{429, false, false, false, true, false},
		{500, false, false, false, false, true},
		{504, false, false, false, false, true},
	}
	for _, tt := range tests {
		err := errors.Join(errors.New("context"), &Error{Status: tt.status, Message: "m", Path: "/p"})
		require.Equal(t, tt.badQuery, IsBadQuery(err), tt.status)
		require.Equal(t, tt.notFound, IsNotFound(err), tt.status)
		require.Equal(t, tt.unauthorized, IsUnauthorized(err), tt.status)
		require.Equal(t, tt.limited, IsRateLimited(err), tt.status)
		require.Equal(t, tt.unavailable, IsUnavailable(err), tt.status)
	}
	require.False(t, IsBadQuery(errors.New("plain")))
	require.Equal(t, "tempo /api/search: status 400: bad", (&Error{Status: 400, Message: "bad", Path: "/api/search"}).Error())
	require.Equal(t, "tempo /api/traces/x: status 404: Not Found", (&Error{Status: 404, Path: "/api/traces/x"}).Error())
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()
	t.Run("while waiting for the answer", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		c := newTestClient(t, srv.URL)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		err := c.Echo(ctx)
		require.ErrorIs(t, err, context.Canceled)
		require.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("while backing off", func(t *testing.T) {
		t.Parallel()
		u, n := flaky(t, []int{503, 503, 503}, http.Header{"Retry-After": {"60"}})
		ctx, cancel := context.WithCancel(context.Background())
		// Cancelled as the client starts to wait, not at a time that a
		// slow machine may reach before the first answer.
		c := newTestClient(t, u, func(o *Options) { o.Logger = slog.New(onRetry{cancel}) })
		start := time.Now()
		err := c.Echo(ctx)
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorContains(t, err, "status 503")
		require.Less(t, time.Since(start), 5*time.Second)
		require.Equal(t, int64(1), n.Load())
	})
	t.Run("deadline shorter than Retry-After gives the real error now", func(t *testing.T) {
		t.Parallel()
		u, n := flaky(t, []int{429, 429}, http.Header{"Retry-After": {"60"}})
		c := newTestClient(t, u)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := c.Echo(ctx)
		require.True(t, IsRateLimited(err))
		require.Equal(t, int64(1), n.Load())
	})
	t.Run("already cancelled sends nothing", func(t *testing.T) {
		t.Parallel()
		u, n := flaky(t, nil, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := newTestClient(t, u).Echo(ctx)
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, int64(0), n.Load())
	})
}

func TestAttemptTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		_, _ = w.Write([]byte("echo"))
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, func(o *Options) { o.Timeout = 100 * time.Millisecond })
	require.NoError(t, c.Echo(context.Background()))
	require.Equal(t, int64(2), n.Load())
}

func TestMaxConcurrent(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		_, _ = w.Write([]byte("echo"))
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, func(o *Options) { o.MaxConcurrent = 2 })
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.Echo(context.Background())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int64(2), peak.Load())
}

func TestAuthAndTenantHeaders(t *testing.T) {
	t.Parallel()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("grafana:pa:ss"))
	tests := []struct {
		name string
		opts func(*Options)
		want auth
	}{
		{"bearer and tenant", func(o *Options) {}, auth{tenant: "shop-prod", authorization: "Bearer s3cret"}},
		{"basic", func(o *Options) { o.Token, o.User, o.Password = "", "grafana", "pa:ss" }, auth{tenant: "shop-prod", authorization: basic}},
		{"none", func(o *Options) { o.Token, o.Tenant = "", "" }, auth{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, n := replay(t, exchange{path: "/api/echo", file: "echo.txt"}, tt.want)
			require.NoError(t, newTestClient(t, u, tt.opts).Echo(context.Background()))
			require.Equal(t, int64(1), n.Load())
		})
	}
}

func TestBaseURLPrefix(t *testing.T) {
	t.Parallel()
	u, _ := replay(t, exchange{path: "/tempo/api/v2/search/tag/span.a%2Fb/values", accept: "application/json", contentType: "application/json", file: "v2_search_tag_span.user.tier_values.json"}, testAuth)
	c := newTestClient(t, u+"/tempo/")
	// A tag name with a slash stays one path segment.
	res, err := c.SearchTagValues(context.Background(), TagValuesRequest{Tag: "span.a/b"})
	require.NoError(t, err)
	require.Len(t, res.Values, 3)
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opts Options
		want string
	}{
		{Options{}, "base URL is required"},
		{Options{BaseURL: "tempo:3200"}, "must be http or https"},
		{Options{BaseURL: "http://"}, "has no host"},
		{Options{BaseURL: "http://tempo:3200", Token: "t", User: "u"}, "not both"},
		{Options{BaseURL: "http://tempo:3200", Token: "t", Password: "p"}, "not both"},
	}
	for _, tt := range tests {
		_, err := New(tt.opts)
		require.ErrorContains(t, err, tt.want, tt.opts)
	}
	c, err := New(Options{BaseURL: "https://tempo.example.com:3200/"})
	require.NoError(t, err)
	require.Equal(t, Options{
		BaseURL: "https://tempo.example.com:3200/", Timeout: DefaultTimeout, MaxRetries: DefaultMaxRetries,
		MaxConcurrent: DefaultMaxConcurrent, BaseBackoff: DefaultBaseBackoff, MaxBackoff: DefaultMaxBackoff,
	}, c.opts)
}

func TestBackoffIsBoundedFullJitter(t *testing.T) {
	t.Parallel()
	c := newTestClient(t, "http://tempo", func(o *Options) { o.BaseBackoff, o.MaxBackoff = 10*time.Millisecond, 80*time.Millisecond })
	for attempt, ceil := range []time.Duration{10, 20, 40, 80, 80, 80} {
		ceil *= time.Millisecond
		sawLow := false
		for range 200 {
			d := c.backoff(attempt)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.LessOrEqual(t, d, ceil)
			if d < ceil/2 {
				sawLow = true
			}
		}
		require.True(t, sawLow, "full jitter draws from the whole range")
	}
	require.LessOrEqual(t, c.backoff(200), 80*time.Millisecond)
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	require.Equal(t, time.Duration(0), retryAfter(""))
	require.Equal(t, time.Duration(0), retryAfter("-3"))
	require.Equal(t, 7*time.Second, retryAfter(" 7 "))
	require.Equal(t, maxRetryAfter, retryAfter("999999"))
	require.Equal(t, time.Duration(0), retryAfter("soon"))
	d := retryAfter(time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat))
	require.Greater(t, d, 28*time.Second)
	require.LessOrEqual(t, d, 30*time.Second)
}

func TestErrorMessageIsBounded(t *testing.T) {
	t.Parallel()
	msg := errorMessage([]byte("  " + strings.Repeat("x", 10000) + "\n"))
	require.Equal(t, strings.Repeat("x", 4096)+"…", msg)
	require.Equal(t, "a\uFFFDb", errorMessage([]byte("a\xffb")))
}

// onRetry is a log handler that calls f when the client logs that it
// waits before retrying.
type onRetry struct{ f func() }

func (onRetry) Enabled(context.Context, slog.Level) bool { return true }

func (h onRetry) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "tempo request failed, retrying" {
		h.f()
	}
	return nil
}

func (h onRetry) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h onRetry) WithGroup(string) slog.Handler      { return h }
