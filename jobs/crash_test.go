package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
)

// The test binary runs as a worker process, to be killed, when these are
// set.
const (
	workerDBEnv  = "WAYMARK_TEST_WORKER_DB"
	workerNowEnv = "WAYMARK_TEST_WORKER_NOW"
)

// crashRescue is the rescue window of the crash tests, minutes in
// production.
const crashRescue = 4 * time.Second

func TestMain(m *testing.M) {
	if url := os.Getenv(workerDBEnv); url != "" {
		runWorker(url)
		return
	}
	os.Exit(m.Run())
}

// lateSource is the embedded store answering each fetch 20 ms late, so
// that a backfill takes long enough to be killed in the middle.
type lateSource struct{ *spanstore.Store }

func (s lateSource) FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error) {
	time.Sleep(20 * time.Millisecond)
	return s.Store.FetchSpans(ctx, q, fn)
}

// workerOptions are the options of both the killed worker and the one
// that takes over.
func workerOptions(now time.Time) jobs.Options {
	return jobs.Options{
		DisablePeriodic: true,
		RescueAfter:     crashRescue,
		NotifyRetry:     200 * time.Millisecond,
		Rollups:         rollup.RunOptions{Chunk: time.Minute},
		Now:             func() time.Time { return now },
	}
}

func workerSource(pool *pgxpool.Pool) rollup.TraceSource {
	s := spanstore.NewStore(pool, nil)
	s.SetIngestMargin(time.Millisecond)
	return lateSource{s}
}

// runWorker is the worker process: it works jobs until it is killed. It
// takes no part in leader election, so that the process taking over
// leads, and rescues, at once.
func runWorker(url string) {
	ctx := context.Background()
	ns, _ := strconv.ParseInt(os.Getenv(workerNowEnv), 10, 64)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		os.Exit(3)
	}
	opts := workerOptions(time.Unix(0, ns).UTC())
	opts.Configure = func(c *river.Config) { c.LeaderElectionDisabled = true }
	client, err := jobs.New(pool, workerSource(pool), journeystore.New(pool), opts)
	if err != nil {
		os.Exit(4)
	}
	if err := client.Start(ctx); err != nil {
		os.Exit(5)
	}
	select {}
}

// startWorker starts the test binary as a worker process on url.
func startWorker(t *testing.T, url string, now time.Time) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerDBEnv+"="+url, workerNowEnv+"="+strconv.FormatInt(now.UnixNano(), 10))
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	return cmd
}

// kill ends the worker with SIGKILL and waits for it.
func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	require.NoError(t, cmd.Process.Kill())
	_, _ = cmd.Process.Wait()
}

// takeOver starts the worker that carries on after a crash.
func takeOver(t *testing.T, pool *pgxpool.Pool, now time.Time) {
	t.Helper()
	client, err := jobs.New(pool, workerSource(pool), journeystore.New(pool), workerOptions(now))
	require.NoError(t, err)
	require.NoError(t, client.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = jobs.Stop(ctx, client, time.Second)
	})
}

// TestWorkerKilledMidBackfill kills a worker process with SIGKILL while it
// backfills: another worker rescues the backfill within the rescue window
// and the rollups end exactly as the traffic sent them.
func TestWorkerKilledMidBackfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	spans := spanstore.NewStore(pool, nil)
	cfg := demo.DefaultConfig()
	cfg.Seed = 7
	cfg.Start = time.Date(2026, 3, 3, 10, 45, 0, 0, time.UTC)
	cfg.Duration = 30 * time.Minute
	cfg.Sessions = 300
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()
	sendTraffic(t, spans, tr)
	from, to := cfg.Start, tr.End()
	// Soon after the traffic: the runs go on to the live edge, minute by
	// minute here.
	now := to.Add(3 * time.Minute)

	js := journeystore.New(pool)
	rec, err := js.CreateJourney(ctx, shopJourney(t), "test")
	require.NoError(t, err)
	slug := rec.Journey.Metadata.Slug
	inserter, err := jobs.NewInserter(pool, nil)
	require.NoError(t, err)
	var b rollup.Backfill
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		b, err = jobs.EnqueueBackfill(ctx, inserter, tx, slug, from, to)
		return err
	}))

	rollups := rollup.NewStore(pool)
	worker := startWorker(t, url, now)
	eventually(t, "the backfill to start", func() bool {
		got, err := rollups.GetBackfill(ctx, b.ID)
		require.NoError(t, err)
		return got.DoneThrough.After(from)
	})
	kill(t, worker)
	got, err := rollups.GetBackfill(ctx, b.ID)
	require.NoError(t, err)
	require.NotEqual(t, rollup.BackfillDone, got.State, "the backfill ended before the kill")
	killed, killedAt := time.Now(), got.DoneThrough
	// The job has run for the rescue window before the new leader looks.
	time.Sleep(crashRescue)
	takeOver(t, pool, now)
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err = rollups.GetBackfill(ctx, b.ID)
		require.NoError(t, err)
		if got.State == rollup.BackfillDone {
			break
		}
		if time.Now().After(deadline) {
			var state string
			var attempt int
			var errs []byte
			var sched time.Time
			_ = pool.QueryRow(ctx, `SELECT state, attempt, errors::text, scheduled_at FROM river_job WHERE kind = 'rollup_backfill'`).Scan(&state, &attempt, &errs, &sched)
			t.Fatalf("backfill %s through %s; job %s attempt %d scheduled %s errors %s", got.State, got.DoneThrough, state, attempt, sched, errs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("killed %s into the backfill's %s; done %s after the kill", killedAt.Sub(from), to.Sub(from), time.Since(killed).Round(time.Millisecond))
	require.True(t, got.DoneThrough.Equal(to))

	st, err := rollups.Stats(ctx, slug, from, to, nil)
	require.NoError(t, err)
	want := make([]truthRow, demo.NumSteps)
	for i, s := range truth.Steps {
		want[i] = truthRow{int64(s.RootSpans), int64(s.Errors), int64(truth.Funnel[i].Sessions)}
	}
	require.Equal(t, want, statsRows(st))
	require.Equal(t, int64(truth.Sessions), st.Entered)
}

// deliveries is a webhook that holds the first request it gets until
// released (the sender is killed meanwhile) and acknowledges the others,
// keeping what it acknowledged in order.
type deliveries struct {
	*httptest.Server
	held    chan struct{}
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	acked   []notify.WebhookPayload
	// down answers 503 until this time.
	down time.Time
	// attempts are when requests arrived, acknowledged or not.
	attempts []time.Time
}

func newDeliveries(t *testing.T, hold bool, down time.Time) *deliveries {
	d := &deliveries{held: make(chan struct{}), release: make(chan struct{}), down: down}
	if !hold {
		d.once.Do(func() {})
	}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		first := false
		d.once.Do(func() { first = true })
		if first {
			close(d.held)
			<-d.release
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		d.attempts = append(d.attempts, time.Now())
		if time.Now().Before(d.down) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var p notify.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		d.acked = append(d.acked, p)
	}))
	t.Cleanup(func() {
		select {
		case <-d.release:
		default:
			close(d.release)
		}
		d.Close()
	})
	return d
}

func (d *deliveries) received() []notify.WebhookPayload {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]notify.WebhookPayload(nil), d.acked...)
}

// pagingSLO stores a journey whose burstSLO pages at now, and a webhook
// channel to url.
func pagingSLO(t *testing.T, pool *pgxpool.Pool, now time.Time, url string) (*sloeval.Service, *journeystore.Store) {
	t.Helper()
	ctx := context.Background()
	js := journeystore.New(pool)
	rollups := rollup.NewStore(pool)
	j := rolluptest.Journey("shop", "trace", 0, 3)
	j.Spec.SLOs = []journeys.SLO{burstSLO}
	rec, _, err := js.PutJourney(ctx, j, "test")
	require.NoError(t, err)
	var steps []rollup.StepRow
	for m := -30; m < 0; m++ {
		errs := int64(0)
		if m >= -5 {
			errs = 100
		}
		steps = append(steps, rollup.StepRow{Step: 1, Bucket: now.Add(time.Duration(m) * time.Minute), Width: time.Minute,
			Spans: 100, Errors: errs, Latency: &sketch.Sketch{}})
	}
	res := &rollup.Result{Slug: "shop", Range: rollup.Range{From: now.Add(-30 * time.Minute), To: now}, Thresholds: rollup.Thresholds(j), Steps: steps}
	require.NoError(t, rollups.Write(ctx, res, rollup.WriteOptions{Version: rec.Version, Live: true, Started: now}))
	svc := sloeval.NewService(pool, rollups, js, sloeval.Options{Now: func() time.Time { return now }})
	require.NoError(t, svc.SetMinEvents(ctx, "shop", burstSLO.Name, 10)) //nolint:staticcheck // the guard of an SLO without minEvents, set the legacy way on purpose
	_, err = notify.NewService(pool, svc, notify.Options{}).CreateChannel(ctx, notify.ChannelInput{Name: "hook", Kind: notify.ChannelWebhook, URL: url, Enabled: true})
	require.NoError(t, err)
	return svc, js
}

// TestNotificationAfterACrashArrivesOnce kills the worker process with
// SIGKILL while the webhook holds its request: the notification is sent
// again once the rescue window has passed (seconds here, minutes in
// production), acknowledged once, and recorded with its job's completion.
func TestNotificationAfterACrashArrivesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	now := at(200 * time.Minute)
	hook := newDeliveries(t, true, time.Time{})
	svc, _ := pagingSLO(t, pool, now, hook.URL)
	inserter, err := jobs.NewInserter(pool, nil)
	require.NoError(t, err)
	outs, err := svc.EvaluateAll(ctx, now, jobs.NotifyEnqueuer(inserter))
	require.NoError(t, err)
	require.Len(t, outs, 1)
	require.Len(t, outs[0].Deliveries, 1)

	worker := startWorker(t, url, now)
	select {
	case <-hook.held:
	case <-time.After(30 * time.Second):
		t.Fatal("the worker sent nothing")
	}
	kill(t, worker)
	killed := time.Now()
	close(hook.release)
	// The job has run for the rescue window before the new leader looks.
	time.Sleep(crashRescue)
	takeOver(t, pool, now)
	var deliveredAt *time.Time
	var jobState string
	eventually(t, "the delivery", func() bool {
		require.NoError(t, pool.QueryRow(ctx, `SELECT n.delivered_at, j.state FROM slo_notifications n, river_job j
			WHERE j.kind = 'slo_notify'`).Scan(&deliveredAt, &jobState))
		return deliveredAt != nil
	})
	after := time.Since(killed)
	require.Equal(t, "completed", jobState, "the delivery and its job's completion commit together")
	got := hook.received()
	require.Len(t, got, 1)
	require.Equal(t, slo.EventFiring, got[0].Event)
	t.Logf("delivered %s after the kill (rescue window %s)", after.Round(time.Millisecond), crashRescue)
	require.Less(t, after, 20*time.Second)

	// Nothing more arrives later.
	time.Sleep(time.Second)
	require.Len(t, hook.received(), 1)
}

// TestNotificationTargetDown: with the webhook down, the firing is retried
// with growing delays and delivered when the webhook is back, and the
// resolve that followed meanwhile arrives after it, not before.
func TestNotificationTargetDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewWithURL(t)
	now := at(200 * time.Minute)
	hook := newDeliveries(t, false, time.Now().Add(4*time.Second))
	svc, js := pagingSLO(t, pool, now, hook.URL)
	takeOver(t, pool, now)
	inserter, err := jobs.NewInserter(pool, nil)
	require.NoError(t, err)
	outs, err := svc.EvaluateAll(ctx, now, jobs.NotifyEnqueuer(inserter))
	require.NoError(t, err)
	require.Equal(t, slo.StatePage, outs[0].State)
	eventually(t, "a failed attempt", func() bool {
		hook.mu.Lock()
		defer hook.mu.Unlock()
		return len(hook.attempts) > 0
	})
	// The SLO goes away while its page is undelivered: a resolve follows.
	j := rolluptest.Journey("shop", "trace", 0, 3)
	_, err = js.UpdateJourney(ctx, "shop", j, "test")
	require.NoError(t, err)
	outs, err = svc.EvaluateAll(ctx, now.Add(time.Minute), jobs.NotifyEnqueuer(inserter))
	require.NoError(t, err)
	require.Len(t, outs, 1)
	require.Equal(t, slo.EventResolved, outs[0].Transition.Event)

	eventually(t, "both deliveries", func() bool { return len(hook.received()) == 2 })
	got := hook.received()
	require.Equal(t, slo.EventFiring, got[0].Event)
	require.Equal(t, slo.EventResolved, got[1].Event)
	require.NotEqual(t, got[0].DedupKey, got[1].DedupKey)

	hook.mu.Lock()
	attempts := append([]time.Time(nil), hook.attempts...)
	hook.mu.Unlock()
	var failed []time.Time
	for _, a := range attempts {
		if a.Before(hook.down) {
			failed = append(failed, a)
		}
	}
	// Retried while down (the delays' growth is TestNotifyBackoff's).
	require.GreaterOrEqual(t, len(failed), 2, "attempts while down: %v", failed)
	require.True(t, got[0].At.Before(got[1].At) || got[0].At.Equal(got[1].At))
	time.Sleep(500 * time.Millisecond)
	require.Len(t, hook.received(), 2, "each transition once")
}
