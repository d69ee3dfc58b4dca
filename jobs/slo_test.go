package jobs_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
)

// hook is a webhook receiver answering with scripted statuses, then 200.
type hook struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	bodies   [][]byte
}

func newHook(t *testing.T, statuses ...int) *hook {
	h := &hook{statuses: statuses}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		status := http.StatusOK
		if len(h.statuses) > 0 {
			status, h.statuses = h.statuses[0], h.statuses[1:]
		}
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) received() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...)
}

// eventually polls cond until it holds or 30 seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "timed out waiting for %s", what)
		time.Sleep(50 * time.Millisecond)
	}
}

var burstSLO = journeys.SLO{Name: "pay-burst", Step: "s2", Kind: journeys.SLOSuccess, Objective: 0.99, Window: journeys.NewDuration(journeys.Day)}

// sloFixture stores a journey with burstSLO whose last five minutes of
// payments all failed, with the traffic guard at 10: it pages at the
// fixture's clock.
func sloFixture(t *testing.T) (*fixture, *sloeval.Service) {
	t.Helper()
	f := setup(t, jobs.Options{}, nil)
	j := rolluptest.Journey("shop", "trace", 0, 3)
	j.Spec.SLOs = []journeys.SLO{burstSLO}
	version := f.put(t, j)
	now := f.clock.Now()
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
	require.NoError(t, f.rollups.Write(f.ctx, res, rollup.WriteOptions{Version: version, Live: true, Started: now}))
	svc := sloeval.NewService(f.pool, f.rollups, f.journeys, sloeval.Options{Now: f.clock.Now})
	require.NoError(t, svc.SetMinEvents(f.ctx, "shop", burstSLO.Name, 10)) //nolint:staticcheck // the guard of an SLO without minEvents, set the legacy way on purpose
	return f, svc
}

func (f *fixture) notifyJobs(t *testing.T) []*rivertype.JobRow {
	t.Helper()
	res, err := f.client.JobList(f.ctx, river.NewJobListParams().Kinds(jobs.NotifyArgs{}.Kind()).First(100))
	require.NoError(t, err)
	return res.Jobs
}

func (f *fixture) jobState(t *testing.T, id int64) rivertype.JobState {
	t.Helper()
	job, err := f.client.JobGet(f.ctx, id)
	require.NoError(t, err)
	return job.State
}

// TestSLOJobNotifiesThroughRiver runs the evaluation job and the
// notification job on a real River client: the transition and its
// notification job commit together, a failed delivery is retried, and a
// delivered transition is not sent again.
func TestSLOJobNotifiesThroughRiver(t *testing.T) {
	t.Parallel()
	f, svc := sloFixture(t)
	h := newHook(t, http.StatusServiceUnavailable)
	ch, err := notify.NewService(f.pool, svc, notify.Options{}).CreateChannel(f.ctx, notify.ChannelInput{Name: "hook", Kind: notify.ChannelWebhook, URL: h.URL, Enabled: true})
	require.NoError(t, err)

	f.run(t, jobs.SLOEvaluateArgs{})
	trs, err := svc.Transitions(f.ctx, sloeval.TransitionFilter{Journey: "shop"})
	require.NoError(t, err)
	require.Len(t, trs, 1)
	require.Equal(t, slo.StatePage, trs[0].To)

	var jobRows []*rivertype.JobRow
	eventually(t, "the notification job", func() bool { jobRows = f.notifyJobs(t); return len(jobRows) == 1 })
	job := jobRows[0]
	var args jobs.NotifyArgs
	require.NoError(t, json.Unmarshal(job.EncodedArgs, &args))
	require.Equal(t, jobs.NotifyArgs{TransitionID: trs[0].ID, ChannelID: ch.ID}, args)
	require.Equal(t, jobs.NotifyMaxAttempts, job.MaxAttempts)

	// The first attempt meets a 503: River schedules a retry after the
	// backoff, which the test brings forward.
	eventually(t, "the failed attempt", func() bool {
		jr, err := f.client.JobGet(f.ctx, job.ID)
		require.NoError(t, err)
		return len(jr.Errors) == 1 && jr.State != rivertype.JobStateRunning
	})
	require.Len(t, h.received(), 1)
	_, err = f.client.JobRetry(f.ctx, job.ID)
	require.NoError(t, err)
	eventually(t, "the delivery", func() bool { return f.jobState(t, job.ID) == rivertype.JobStateCompleted })
	bodies := h.received()
	require.Len(t, bodies, 2)
	require.Equal(t, bodies[0], bodies[1])
	var wp notify.WebhookPayload
	require.NoError(t, json.Unmarshal(bodies[1], &wp))
	require.Equal(t, slo.EventFiring, wp.Event)
	require.Equal(t, "/journeys/shop/slos/pay-burst", wp.Link, "no public URL configured: a relative link")

	// Evaluating again while paging queues nothing for a webhook; a job
	// inserted again by hand finds the transition delivered.
	f.clock.Set(f.clock.Now().Add(30 * time.Second))
	f.run(t, jobs.SLOEvaluateArgs{})
	require.Len(t, f.notifyJobs(t), 1)
	res, err := f.client.Insert(f.ctx, jobs.NotifyArgs{TransitionID: trs[0].ID, ChannelID: ch.ID}, nil)
	require.NoError(t, err)
	require.True(t, res.UniqueSkippedAsDuplicate, "unique while River keeps the completed job")
	id := f.insert(t, jobs.NotifyArgs{TransitionID: trs[0].ID, ChannelID: ch.ID, Refresh: 1})
	eventually(t, "the refresh", func() bool { return f.jobState(t, id) == rivertype.JobStateCompleted })
	require.Len(t, h.received(), 2, "a refresh goes to Alertmanager channels only")
}

// TestNotifyJobCancelledOnPermanentFailure: a channel answering 404 is not
// retried.
func TestNotifyJobCancelledOnPermanentFailure(t *testing.T) {
	t.Parallel()
	f, svc := sloFixture(t)
	h := newHook(t, http.StatusNotFound)
	_, err := notify.NewService(f.pool, svc, notify.Options{}).CreateChannel(f.ctx, notify.ChannelInput{Name: "gone", Kind: notify.ChannelSlack, URL: h.URL, Enabled: true})
	require.NoError(t, err)
	f.run(t, jobs.SLOEvaluateArgs{})
	var jobRows []*rivertype.JobRow
	eventually(t, "the notification job", func() bool { jobRows = f.notifyJobs(t); return len(jobRows) == 1 })
	eventually(t, "the cancellation", func() bool { return f.jobState(t, jobRows[0].ID) == rivertype.JobStateCancelled })
	require.Len(t, h.received(), 1)
}

func TestNotifyBackoff(t *testing.T) {
	t.Parallel()
	w := &jobs.NotifyWorker{}
	for _, tt := range []struct {
		attempt int
		want    time.Duration
	}{{1, 5 * time.Second}, {2, 10 * time.Second}, {4, 40 * time.Second}, {8, 10 * time.Minute}, {20, 10 * time.Minute}} {
		start := time.Now()
		got := w.NextRetry(&river.Job[jobs.NotifyArgs]{JobRow: &rivertype.JobRow{Attempt: tt.attempt}})
		require.WithinDuration(t, start.Add(tt.want), got, time.Second, "attempt %d", tt.attempt)
	}
}
