package tempo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The window every fixture was recorded with.
const (
	fixtureStart = 1795506420
	fixtureEnd   = 1795508160
)

var (
	fixtureFrom = time.Unix(fixtureStart, 0)
	fixtureTo   = time.Unix(fixtureEnd, 0)
)

// The recorded cart query (INDEX.md).
const cartQuery = `{ resource.service.name = "cart_svc" && name = "POST /cart/items" } | select(span.session.id, span.user.tier, status, duration)`

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// exchange is one recorded request and the answer to replay.
type exchange struct {
	path        string
	params      map[string]string // the exact query parameters
	accept      string            // "" means the header must be absent
	status      int
	contentType string
	file        string
}

// auth is what every request of a replay server must carry.
type auth struct {
	tenant        string
	authorization string
}

// replay serves one exchange, checking method, path, every parameter,
// Accept, tenant and auth; a request that differs gets 418 and fails t.
// It returns the server's URL and a counter of requests.
func replay(t *testing.T, ex exchange, a auth) (string, *atomic.Int64) {
	t.Helper()
	body := []byte(nil)
	if ex.file != "" {
		body = readFixture(t, ex.file)
	}
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if diff := checkRequest(r, ex, a); diff != "" {
			t.Errorf("unexpected request %s: %s", r.URL, diff)
			http.Error(w, diff, http.StatusTeapot)
			return
		}
		if ex.contentType != "" {
			w.Header().Set("Content-Type", ex.contentType)
		}
		status := ex.status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

func checkRequest(r *http.Request, ex exchange, a auth) string {
	var diffs []string
	if r.Method != http.MethodGet {
		diffs = append(diffs, "method "+r.Method)
	}
	if r.URL.EscapedPath() != ex.path {
		diffs = append(diffs, fmt.Sprintf("path %q, want %q", r.URL.EscapedPath(), ex.path))
	}
	got := map[string]string{}
	for k, vs := range r.URL.Query() {
		if len(vs) != 1 {
			diffs = append(diffs, fmt.Sprintf("param %s repeated %d times", k, len(vs)))
		}
		got[k] = vs[0]
	}
	want := ex.params
	if want == nil {
		want = map[string]string{}
	}
	for k, v := range want {
		if got[k] != v {
			diffs = append(diffs, fmt.Sprintf("param %s=%q, want %q", k, got[k], v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("unexpected param %s=%q", k, got[k]))
		}
	}
	if _, ok := r.Header["Accept"]; ok != (ex.accept != "") || r.Header.Get("Accept") != ex.accept {
		diffs = append(diffs, fmt.Sprintf("Accept %q, want %q", r.Header.Get("Accept"), ex.accept))
	}
	if got := r.Header.Get("X-Scope-OrgID"); got != a.tenant {
		diffs = append(diffs, fmt.Sprintf("X-Scope-OrgID %q, want %q", got, a.tenant))
	}
	if got := r.Header.Get("Authorization"); got != a.authorization {
		diffs = append(diffs, fmt.Sprintf("Authorization %q, want %q", got, a.authorization))
	}
	sort.Strings(diffs)
	return strings.Join(diffs, "; ")
}

// testAuth is the tenant and bearer token contract tests send.
var testAuth = auth{tenant: "shop-prod", authorization: "Bearer s3cret"}

func newTestClient(t testing.TB, baseURL string, mod ...func(*Options)) *Client {
	t.Helper()
	o := Options{
		BaseURL:     baseURL,
		Tenant:      "shop-prod",
		Token:       "s3cret",
		BaseBackoff: time.Millisecond,
		MaxBackoff:  5 * time.Millisecond,
		Timeout:     10 * time.Second,
		Logger:      slog.New(slog.DiscardHandler),
	}
	for _, m := range mod {
		m(&o)
	}
	c, err := New(o)
	require.NoError(t, err)
	return c
}

func rangeParams(extra map[string]string) map[string]string {
	p := map[string]string{"start": "1795506420", "end": "1795508160"}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// truthRecord is one line of traces_subset.jsonl.
type truthRecord struct {
	TraceID     string  `json:"trace_id"`
	RootSpanID  string  `json:"root_span_id"`
	SessionID   string  `json:"session_id"`
	Tier        string  `json:"user_tier"`
	AppVersion  string  `json:"app_version"`
	Step        string  `json:"step"`
	Service     string  `json:"service"`
	SpanName    string  `json:"root_span_name"`
	Error       bool    `json:"error"`
	StartUnixNs int64   `json:"start_unix_nano"`
	EndUnixNs   int64   `json:"end_unix_nano"`
	DurationMs  float64 `json:"root_duration_ms"`
	Spans       int     `json:"spans"`
}

func readTruthTraces(t testing.TB) map[string]truthRecord {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "traces_subset.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	out := map[string]truthRecord{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r truthRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		out[r.TraceID] = r
	}
	require.NoError(t, sc.Err())
	return out
}

// stepTruth is one step of truth.json.
type stepTruth struct {
	Step     string `json:"step"`
	Sessions int    `json:"sessions"`
	Errors   int    `json:"errors"`
	ByTier   map[string]struct {
		Sessions int `json:"sessions"`
		Errors   int `json:"errors"`
	} `json:"by_tier"`
	ByAppVersion map[string]struct {
		Sessions int `json:"sessions"`
		Errors   int `json:"errors"`
	} `json:"by_app_version"`
}

func readTruthStep(t testing.TB, step string) stepTruth {
	t.Helper()
	var truth struct {
		Steps []stepTruth `json:"steps"`
	}
	require.NoError(t, json.Unmarshal(readFixture(t, "truth.json"), &truth))
	for _, s := range truth.Steps {
		if s.Step == step {
			return s
		}
	}
	t.Fatalf("no step %q in truth.json", step)
	return stepTruth{}
}
