package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
)

// cutProxy is a TCP proxy to Postgres that can cut the database off: Cut
// drops every open connection and refuses new ones until Restore.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { _ = ln.Close(); p.Cut() })
	go p.serve()
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			_, _ = io.Copy(dst, src)
			_ = dst.Close()
			_ = src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		go pipe(up, c)
		go pipe(c, up)
	}
}

// Cut drops every connection through the proxy and refuses new ones.
func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close()
	}
}

// Restore accepts connections again.
func (p *cutProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// via is dbURL with its host replaced by the proxy's.
func (p *cutProxy) via(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	u.Host = p.ln.Addr().String()
	return u.String()
}

// outageLength is how long the database is cut off:
// WAYMARK_TEST_OUTAGE (a duration such as 30s) or 3 seconds.
func outageLength(t *testing.T) time.Duration {
	if v := os.Getenv("WAYMARK_TEST_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "WAYMARK_TEST_OUTAGE")
		return d
	}
	return 3 * time.Second
}

// loginBatch is 30 login-flow traces, three spans each, with trace ids of
// batch n only, starting 20 to 50 minutes before base.
func loginBatch(n int, base time.Time) []byte {
	res := &resourcepb.Resource{Attributes: []*commonpb.KeyValue{strKV("service.name", "auth_svc")}}
	var spans []*tracepb.Span
	for i := range 30 {
		tid := make([]byte, 16)
		binary.BigEndian.PutUint64(tid, uint64(n)+1)
		binary.BigEndian.PutUint64(tid[8:], uint64(i)+1)
		start := base.Add(-20*time.Minute - time.Duration(n%30)*time.Minute - time.Duration(i)*time.Second)
		sid := func(k byte) []byte { return []byte{k, 0, 0, 0, 0, 0, 0, 1} }
		mk := func(k byte, name string, kind tracepb.Span_SpanKind, attrs ...*commonpb.KeyValue) *tracepb.Span {
			s := &tracepb.Span{TraceId: tid, SpanId: sid(k), Name: name, Kind: kind,
				StartTimeUnixNano: uint64(start.Add(time.Duration(k) * time.Millisecond).UnixNano()),
				EndTimeUnixNano:   uint64(start.Add(time.Duration(k)*time.Millisecond + 5*time.Millisecond).UnixNano()),
				Attributes:        attrs}
			if k > 1 {
				s.ParentSpanId = sid(1)
			}
			return s
		}
		spans = append(spans,
			mk(1, "POST /login", tracepb.Span_SPAN_KIND_SERVER),
			mk(2, "SELECT users", tracepb.Span_SPAN_KIND_CLIENT, strKV("db.system.name", "postgresql")),
			mk(3, "verify_password", tracepb.Span_SPAN_KIND_INTERNAL))
	}
	b, _ := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: res, ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}},
	}}})
	return b
}

func strKV(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// TestPostgresOutageWhileServingAndIngesting cuts `waymark serve` off its
// database while an OTLP client sends spans and a user loads pages: the
// receiver answers 503 with Retry-After and never 200 for spans it did not
// commit, pages fail rather than hang, and once the database is back the
// same process stores every span once, serves pages and works jobs: a
// backfill afterwards counts exactly what the client sent.
func TestPostgresOutageWhileServingAndIngesting(t *testing.T) {
	t.Parallel()
	outage := outageLength(t)
	ctx := context.Background()
	pool, dbURL := pgtest.NewWithURL(t)
	cfg, err := pgx.ParseConfig(dbURL)
	require.NoError(t, err)
	proxy := newCutProxy(t, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))))

	addr, otlpAddr := freeAddr(t), freeAddr(t)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	var errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(sctx, []string{"serve", "-database-url", proxy.via(t, dbURL), "-listen", addr, "-otlp-listen", otlpAddr,
			"-log-level", "error", "-auth-proxy-header", "X-Forwarded-Email"}, io.Discard, &errb)
	}()
	web := "http://" + addr
	get := func(path string) int {
		req, _ := http.NewRequest(http.MethodGet, web+path, nil)
		req.Header.Set("X-Forwarded-Email", "viewer@example.com")
		c := http.Client{Timeout: 30 * time.Second}
		resp, err := c.Do(req)
		if err != nil {
			return 0
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Eventually(t, func() bool { return get("/readyz") == http.StatusOK }, 15*time.Second, 20*time.Millisecond, "serve did not come up: %s", errb.String())

	// The client sends batch after batch, each until it is answered 200,
	// as an OTLP exporter retries: after a 200 the batch's spans must be
	// in the database.
	base := time.Now().UTC()
	type answer struct {
		status     int
		retryAfter string
		cut        bool
	}
	var (
		mu      sync.Mutex
		answers []answer
		isCut   bool
	)
	client := &http.Client{Timeout: 30 * time.Second}
	ingestCtx, stopIngest := context.WithCancel(ctx)
	sent := make(chan int, 1)
	go func() {
		n := 0
		for ; ingestCtx.Err() == nil; n++ {
			body := loginBatch(n, base)
			for {
				resp, err := client.Post("http://"+otlpAddr+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
				mu.Lock()
				a := answer{cut: isCut}
				mu.Unlock()
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					a.status, a.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
				}
				if a.status == http.StatusOK {
					var stored int
					err := pool.QueryRow(ctx, `SELECT count(*) FROM spans WHERE substr(trace_id, 1, 8) = $1`,
						binary.BigEndian.AppendUint64(nil, uint64(n)+1)).Scan(&stored)
					if err != nil || stored != 90 {
						t.Errorf("batch %d answered 200 with %d of its 90 spans stored (%v)", n, stored, err)
					}
				}
				mu.Lock()
				answers = append(answers, a)
				mu.Unlock()
				if a.status == http.StatusOK {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		sent <- n
	}()

	time.Sleep(time.Second)
	mu.Lock()
	isCut = true
	mu.Unlock()
	proxy.Cut()
	cutAt := time.Now()
	var pageDuringCut []int
	for time.Since(cutAt) < outage {
		pageDuringCut = append(pageDuringCut, get("/journeys"))
		time.Sleep(200 * time.Millisecond)
	}
	mu.Lock()
	isCut = false
	mu.Unlock()
	proxy.Restore()
	time.Sleep(time.Second)
	stopIngest()
	batches := <-sent

	mu.Lock()
	var during503, other int
	for _, a := range answers {
		switch {
		case a.status == http.StatusServiceUnavailable:
			require.NotEmpty(t, a.retryAfter, "503 without Retry-After")
			if a.cut {
				during503++
			}
		case a.status == http.StatusOK, a.status == http.StatusTooManyRequests && a.retryAfter != "":
		default:
			other++
		}
	}
	mu.Unlock()
	require.Positive(t, during503, "no 503 while the database was cut off")
	require.Zero(t, other, "answers other than 200, 429 and 503: %v", answers)
	for _, s := range pageDuringCut {
		require.GreaterOrEqual(t, s, 500, "a page answered %d without its database", s)
	}
	require.Greater(t, batches, 2)
	t.Logf("database cut off for %s: %d batches of 90 spans sent in %d requests, %d answered 503 during the cut; pages during the cut answered %v",
		outage, batches, len(answers), during503, pageDuringCut)

	// Every batch stored once, though some were sent more than once.
	var stored int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM spans`).Scan(&stored))
	require.Equal(t, 90*batches, stored)

	// Pages and jobs work again in the same process: a journey applied now
	// is backfilled by serve's workers, counting every span once. The
	// backfill reads what arrived before its ingest margin (10s) ago.
	require.Equal(t, http.StatusOK, get("/journeys"))
	time.Sleep(spanMargin)
	r := waymark(t, "journeys", "apply", "-database-url", dbURL, "-log-level", "error", writeFile(t, t.TempDir(), "login.yaml", example(t, "login-flow.yaml")))
	require.Equal(t, 0, r.code, r.stderr)
	rollups := rollup.NewStore(pool)
	from := base.Add(-time.Hour).Truncate(time.Minute)
	to := base.Truncate(time.Minute)
	want := int64(30 * batches)
	require.Eventually(t, func() bool {
		var state string
		err := pool.QueryRow(ctx, `SELECT state FROM river_job WHERE kind = 'rollup_backfill'`).Scan(&state)
		return err == nil && state == "completed"
	}, 30*time.Second, 50*time.Millisecond, "backfill did not complete: %s", errb.String())
	st, err := rollups.Stats(ctx, "login-flow", from, to, nil)
	require.NoError(t, err)
	require.Len(t, st.Steps, 3)
	for k, s := range st.Steps {
		require.Equal(t, want, s.Spans, "step %d", k)
	}

	select {
	case code := <-done:
		t.Fatalf("serve exited with %d during the test: %s", code, errb.String())
	default:
	}
	stop()
	select {
	case code := <-done:
		require.Equal(t, 0, code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// spanMargin is a little over the embedded store's ingest margin.
const spanMargin = 10*time.Second + 500*time.Millisecond
