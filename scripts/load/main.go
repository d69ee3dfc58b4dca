// Command load measures whether ingest starves the dashboards: it starts
// `waymark serve` on loopback ports of its own, on a database of its own,
// with the login-flow example journey, then
//
//  1. lets the users alone load the journey map page and the stats API, as
//     a baseline, and
//  2. does the same while OTLP clients send spans to the receiver as fast
//     as it takes them,
//
// and prints both sides' figures: spans/s accepted and 429s on the
// receiver, p50/p99/max of the page and the stats API. Everything it
// starts it stops, and the database is dropped.
//
//	go run ./scripts/load -waymark bin/waymark -users 50 -duration 20s
//
// scripts/load.sh builds the binary and runs it with these defaults.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

const (
	journey   = "login-flow"
	userEmail = "load@example.com"
)

type options struct {
	bin        string
	admin      string
	users      int
	think      time.Duration
	duration   time.Duration
	baseline   time.Duration
	clients    int
	perRequest int
	env        []string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "waymark", "bin/waymark", "the waymark binary to run")
	flag.StringVar(&o.admin, "db", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "a Postgres URL to create and drop the load database through")
	flag.IntVar(&o.users, "users", 50, "concurrent dashboard users")
	flag.DurationVar(&o.think, "think", time.Second, "each user's pause between two requests (0: none, a closed loop)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long the users run beside the ingest")
	flag.DurationVar(&o.baseline, "baseline", 10*time.Second, "how long the users run alone first (0: skip)")
	flag.IntVar(&o.clients, "otlp-clients", 8, "concurrent OTLP clients")
	flag.IntVar(&o.perRequest, "spans", 999, "spans per OTLP request (three per trace)")
	flag.Parse()
	if o.duration <= 0 || o.users < 1 || o.clients < 0 || o.perRequest < 3 || o.duration > time.Hour || o.baseline > time.Hour {
		log.Fatal("load: -users must be at least 1, -spans at least 3, -duration and -baseline at most 1h")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		log.Fatalf("load: %v", err)
	}
}

func run(ctx context.Context, o options) error {
	dbName := fmt.Sprintf("waymark_load_%d", os.Getpid())
	dbURL, drop, err := createDB(ctx, o.admin, dbName)
	if err != nil {
		return err
	}
	defer drop()
	webAddr, otlpAddr := freeAddr(), freeAddr()
	o.env = append(os.Environ(),
		"WAYMARK_DATABASE_URL="+dbURL,
		"WAYMARK_LISTEN="+webAddr,
		"WAYMARK_OTLP_LISTEN="+otlpAddr,
		"WAYMARK_PUBLIC_URL=http://"+webAddr,
		"WAYMARK_AUTH_PROXY_HEADER=X-Forwarded-Email",
		"WAYMARK_LOG_LEVEL=warn",
	)
	if err := o.waymark(ctx, "migrate"); err != nil {
		return err
	}
	if err := o.waymark(ctx, "journeys", "apply", "journeys/examples/login-flow.yaml"); err != nil {
		return err
	}
	serve := exec.Command(o.bin, "serve")
	serve.Env = o.env
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		return fmt.Errorf("start serve: %w", err)
	}
	defer func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		_ = serve.Wait()
	}()
	web := "http://" + webAddr
	if err := waitReady(ctx, web+"/readyz"); err != nil {
		return err
	}

	sender, err := newSender("http://"+otlpAddr+"/v1/traces", o.perRequest)
	if err != nil {
		return err
	}
	// A little history first, so that the page and the stats have numbers
	// to show.
	for range 20 {
		sender.send(ctx)
	}
	warm := sender.stats()
	// Let the first rollups and page renders happen before measuring.
	users(ctx, web, options{users: 5, think: 100 * time.Millisecond}, 3*time.Second)
	fmt.Printf("load: waymark serve on %s (OTLP %s), database %s; %d users, think %s; %d OTLP clients, %d spans a request\n",
		webAddr, otlpAddr, dbName, o.users, o.think, o.clients, o.perRequest)
	fmt.Printf("warm-up: %d spans stored\n", warm.spans)

	if o.baseline > 0 {
		page, stats := users(ctx, web, o, o.baseline)
		fmt.Printf("\nusers alone for %s:\n", o.baseline)
		page.print("  journey map page")
		stats.print("  stats API       ")
	}

	before := sender.stats()
	ictx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range o.clients {
		wg.Go(func() {
			for ictx.Err() == nil {
				sender.send(ictx)
			}
		})
	}
	start := time.Now()
	page, stats := users(ctx, web, o, o.duration)
	cancel()
	wg.Wait()
	took := time.Since(start)
	after := sender.stats()
	fmt.Printf("\nusers while the receiver is sprayed, %s:\n", o.duration)
	page.print("  journey map page")
	stats.print("  stats API       ")
	d := after.minus(before)
	fmt.Printf("  OTLP receiver     %d requests: %d spans stored (%.0f spans/s), %d answered 429, %d answered 503, %d other failures\n",
		d.requests, d.spans, float64(d.spans)/took.Seconds(), d.status[http.StatusTooManyRequests], d.status[http.StatusServiceUnavailable], d.failed)
	return ctx.Err()
}

func (o options) waymark(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, o.bin, args...)
	cmd.Env = o.env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("waymark %v: %w: %s", args, err, bytes.TrimSpace(out))
	}
	return nil
}

func createDB(ctx context.Context, admin, name string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connect to Postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	cfg, _ := pgx.ParseConfig(admin)
	u := fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", cfg.User, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), name)
	drop := func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return u, drop, nil
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("load: find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("serve did not become ready in 30s")
}

// latencies are one endpoint's response times and failures.
type latencies struct {
	mu     sync.Mutex
	took   []time.Duration
	failed map[string]int
}

func (l *latencies) add(d time.Duration, failure string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if failure != "" {
		if l.failed == nil {
			l.failed = map[string]int{}
		}
		l.failed[failure]++
		return
	}
	l.took = append(l.took, d)
}

func (l *latencies) print(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	slices.Sort(l.took)
	q := func(p float64) time.Duration {
		if len(l.took) == 0 {
			return 0
		}
		return l.took[min(len(l.took)-1, int(p*float64(len(l.took))))]
	}
	fmt.Printf("%s %6d ok: p50 %7s  p99 %7s  max %7s", name, len(l.took), round(q(0.5)), round(q(0.99)), round(q(1)))
	if len(l.failed) > 0 {
		fmt.Printf("  failed: %v", l.failed)
	}
	fmt.Println()
}

func round(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}

// users runs o.users users for d, each alternating the journey map page
// and the stats API with o.think between requests.
func users(ctx context.Context, web string, o options, d time.Duration) (*latencies, *latencies) {
	page, stats := &latencies{}, &latencies{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.users}, Timeout: time.Minute}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	get := func(url string, l *latencies) {
		req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, url, nil)
		req.Header.Set("X-Forwarded-Email", userEmail)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			l.add(0, "error")
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			l.add(0, strconv.Itoa(resp.StatusCode))
			return
		}
		l.add(took, "")
	}
	var wg sync.WaitGroup
	for i := range o.users {
		wg.Go(func() {
			// Users start spread over one think time, as they would.
			if o.think > 0 {
				pause(ctx, o.think*time.Duration(i)/time.Duration(o.users))
			}
			for n := i; ctx.Err() == nil; n++ {
				if n%2 == 0 {
					get(web+"/journeys/"+journey+"?range=1h", page)
				} else {
					get(web+"/api/v1/journeys/"+journey+"/stats?range=1h", stats)
				}
				pause(ctx, o.think)
			}
		})
	}
	wg.Wait()
	return page, stats
}

func pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// sender sends one encoded OTLP request over and over, each time with
// trace ids no request had before, so that every span is new to the store.
type sender struct {
	url     string
	body    []byte
	offsets []int // where each trace id's first 8 bytes are in body
	perReq  int64
	next    atomic.Uint64
	client  *http.Client

	mu sync.Mutex
	t  tally
}

type tally struct {
	requests, spans, failed int64
	status                  map[int]int64
}

func (t tally) minus(o tally) tally {
	d := tally{requests: t.requests - o.requests, spans: t.spans - o.spans, failed: t.failed - o.failed, status: map[int]int64{}}
	for k, v := range t.status {
		d.status[k] = v - o.status[k]
	}
	return d
}

// marker fills the first half of each trace id in the template, to find
// it in the encoded bytes.
var marker = []byte{0xfe, 0xed, 'w', 'a', 'y', 'l', 'o', 'd'}

func newSender(url string, spans int) (*sender, error) {
	traces := spans / 3
	now := time.Now()
	res := &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "auth_svc")}}
	var out []*tracepb.Span
	tiers, regions := []string{"free", "pro", "enterprise"}, []string{"eu-west", "us-east"}
	for i := range traces {
		tid := make([]byte, 16)
		copy(tid, marker)
		binary.BigEndian.PutUint64(tid[8:], uint64(i))
		// Spread over the last ten minutes, behind the rollups' lag.
		start := now.Add(-time.Minute - time.Duration(i%600)*time.Second)
		attrs := []*commonpb.KeyValue{str("user.tier", tiers[i%3]), str("region", regions[i%2])}
		sid := func(k byte) []byte { return []byte{k, 0, 0, 0, 0, 0, 0, 1} }
		span := func(k byte, name string, kind tracepb.Span_SpanKind, off, dur time.Duration, extra ...*commonpb.KeyValue) *tracepb.Span {
			s := &tracepb.Span{TraceId: tid, SpanId: sid(k), Name: name, Kind: kind,
				StartTimeUnixNano: uint64(start.Add(off).UnixNano()), EndTimeUnixNano: uint64(start.Add(off + dur).UnixNano()),
				Attributes: append(slices.Clone(attrs), extra...)}
			if k > 1 {
				s.ParentSpanId = sid(1)
			}
			return s
		}
		ms := time.Millisecond
		out = append(out,
			span(1, "POST /login", tracepb.Span_SPAN_KIND_SERVER, 0, time.Duration(20+i%200)*ms),
			span(2, "SELECT users", tracepb.Span_SPAN_KIND_CLIENT, ms, 3*ms, str("db.system.name", "postgresql")),
			span(3, "verify_password", tracepb.Span_SPAN_KIND_INTERNAL, 5*ms, 10*ms))
	}
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: res, ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "load"}, Spans: out}},
	}}}
	body, err := proto.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode spans: %w", err)
	}
	s := &sender{url: url, body: body, perReq: int64(len(out)), t: tally{status: map[int]int64{}},
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: time.Minute}}
	for i := 0; ; {
		j := bytes.Index(body[i:], marker)
		if j < 0 {
			break
		}
		s.offsets = append(s.offsets, i+j)
		i += j + len(marker)
	}
	if len(s.offsets) != len(out) {
		return nil, fmt.Errorf("found %d trace ids in the encoded request, want %d", len(s.offsets), len(out))
	}
	return s, nil
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// send posts one request of new spans; a 429 or 503 is counted, not
// retried.
func (s *sender) send(ctx context.Context) {
	body := slices.Clone(s.body)
	n := s.next.Add(1)
	for _, off := range s.offsets {
		binary.BigEndian.PutUint64(body[off:], n)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := s.client.Do(req)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			s.t.failed++
		}
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s.t.requests++
	s.t.status[resp.StatusCode]++
	if resp.StatusCode == http.StatusOK {
		s.t.spans += s.perReq
	} else if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		s.t.failed++
	}
}

func (s *sender) stats() tally {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.t
	t.status = map[int]int64{}
	for k, v := range s.t.status {
		t.status[k] = v
	}
	return t
}
