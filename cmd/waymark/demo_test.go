package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/spanstore"
)

// versionFiles is an OTLP/HTTP receiver that writes what each version of
// one service exported to a file of its own, as OTLP JSON lines: the
// spans a test run of that version would leave for waymark check.
type versionFiles struct {
	t       *testing.T
	service string
	dir     string
	mu      sync.Mutex
	files   map[string]*os.File
}

func (v *versionFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req collectorpb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		attrs := map[string]string{}
		for _, kv := range rs.GetResource().GetAttributes() {
			attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
		}
		if attrs["service.name"] != v.service {
			continue
		}
		version := attrs["service.version"]
		f := v.files[version]
		if f == nil {
			f, err = os.Create(filepath.Join(v.dir, version+".json"))
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			v.files[version] = f
		}
		line, err := protojson.Marshal(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{rs}})
		if err == nil {
			_, err = f.Write(append(line, '\n'))
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	out, _ := proto.Marshal(&collectorpb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (v *versionFiles) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, f := range v.files {
		require.NoError(v.t, f.Close())
	}
}

// The scripted propagation break is what waymark check is for: on the
// spans of the broken auth_svc release the shipped login journey fails,
// naming the hop; on those of the fixed release it passes.
func TestCheckCatchesTheDemoPropagationBreak(t *testing.T) {
	t.Parallel()
	cfg := demo.DefaultConfig()
	cfg.Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cfg.Sessions = 600
	cfg.PropagationBreak.Enabled = true // 3.3.0 from minute 10 to 20, then 3.3.1
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()
	require.NotEmpty(t, truth.BrokenSpans)

	dir := t.TempDir()
	rcv := &versionFiles{t: t, service: "auth_svc", dir: dir, files: map[string]*os.File{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	require.NoError(t, tr.Send(context.Background(), srv.URL))
	rcv.close()
	journeys := t.TempDir()
	writeFile(t, journeys, "login-flow.yaml", example(t, "login-flow.yaml"))

	// The example trace of the failure is the earliest broken span's.
	starts := map[string]time.Time{}
	var verifies int
	for _, x := range tr.Traces() {
		for k := range x.Spans {
			sp := &x.Spans[k]
			starts[sp.ID.String()] = sp.Start
			if x.ServiceVersion == "3.3.0" && sp.Name == "verify_password" {
				verifies++
			}
		}
	}
	broken := slices.Clone(truth.BrokenSpans)
	slices.SortFunc(broken, func(a, b demo.BrokenSpan) int {
		if c := starts[a.SpanID].Compare(starts[b.SpanID]); c != 0 {
			return c
		}
		return strings.Compare(a.NewTraceID, b.NewTraceID)
	})
	require.Len(t, broken, verifies, "every password check of the broken release lost its trace")

	r := waymark(t, "check", "--journeys", journeys, filepath.Join(dir, "3.3.0.json"))
	require.Equal(t, 1, r.code, r.stderr)
	require.Equal(t, "waymark: check failed: 1 of 4 checks\n", r.stderr)
	require.Equal(t, fmt.Sprintf(`FAIL [propagation] login-flow step 3 "Verify password" service auth_svc trace %s: `+
		`trace context lost between auth_svc (step 2) and auth_svc: %d traces reach this step without step 1 "Login request"`+"\n"+
		"1 journey: 3 passed, 1 failed, 1 skipped; %d spans in %d traces from 1 file\n",
		broken[0].NewTraceID, len(broken), 3*len(broken), 2*len(broken)), r.stdout)

	r = waymark(t, "check", "--journeys", journeys, filepath.Join(dir, "3.3.1.json"))
	require.Equal(t, "", r.stderr)
	require.Equal(t, 0, r.code)
	var fixed int
	for _, x := range tr.Traces() {
		if x.ServiceVersion == "3.3.1" {
			fixed++
		}
	}
	require.Positive(t, fixed)
	require.Equal(t, fmt.Sprintf("1 journey: 4 passed, 0 failed, 1 skipped; %d spans in %d traces from 1 file\n", 3*fixed, fixed), r.stdout)
}

// serviceLog records, in order, when services saw their context end and
// when they returned.
type serviceLog struct {
	mu     sync.Mutex
	events []string
}

func (l *serviceLog) add(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func TestTrafficStopsBeforeEverythingElse(t *testing.T) {
	t.Parallel()
	var log serviceLog
	traffic := service{name: "demo-traffic", run: func(ctx context.Context) error {
		<-ctx.Done()
		log.add("traffic stopping")
		time.Sleep(50 * time.Millisecond) // its last flush
		log.add("traffic flushed")
		return nil
	}}
	other := func(name string) service {
		return service{name: name, run: func(ctx context.Context) error {
			<-ctx.Done()
			log.add(name + " stopping")
			return nil
		}}
	}
	d := &deps{log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServices(ctx, d, trafficFirst(traffic, []service{other("otlp"), other("web")})) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, []string{"traffic stopping", "traffic flushed"}, log.events[:2])
	require.ElementsMatch(t, []string{"otlp stopping", "web stopping"}, log.events[2:])

	// A service that fails stops the traffic, and the rest after it.
	log = serviceLog{}
	failing := service{name: "otlp", run: func(ctx context.Context) error { return errors.New("port taken") }}
	err := runServices(context.Background(), d, trafficFirst(traffic, []service{failing, other("web")}))
	require.EqualError(t, err, "otlp: port taken")
	require.Equal(t, []string{"traffic stopping", "traffic flushed", "web stopping"}, log.events)
}

// Stopping the demo stores every span its traffic reports sent: the
// receiver outlives the generator's last flush.
func TestDemoShutdownLosesNoSpans(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	store := spanstore.NewStore(pool, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	log := slog.New(slog.DiscardHandler)
	srv := spanstore.NewServer(ln.Addr().String(), spanstore.NewReceiver(store, spanstore.Config{}, log), log)
	receiver := service{name: "otlp", run: func(ctx context.Context) error { return srv.Serve(ctx, ln) }}

	live := demo.DefaultLiveConfig()
	live.Model.Seed = 23
	live.Backfill = 0
	live.Rate = 400
	live.Endpoint = "http://" + ln.Addr().String()
	live.TruthPath = filepath.Join(t.TempDir(), "truth.json")
	traffic := service{name: "demo-traffic", run: func(ctx context.Context) error { return demo.Run(ctx, live) }}

	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	require.NoError(t, runServices(ctx, &deps{log: log}, trafficFirst(traffic, []service{receiver})))

	b, err := os.ReadFile(live.TruthPath)
	require.NoError(t, err)
	var truth demo.Truth
	require.NoError(t, json.Unmarshal(b, &truth))
	require.Greater(t, truth.Spans, 1000)
	require.Zero(t, truth.FailedSpans)
	var stored int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM spans`).Scan(&stored))
	require.Equal(t, truth.Spans, stored)
}
