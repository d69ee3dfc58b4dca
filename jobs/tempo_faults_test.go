package jobs_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/faketempo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/internal/tempo"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
)

// Ways a Tempo fails.
const (
	tempoOK int32 = iota
	tempo503
	tempoHangs
	tempoTruncates
)

// faultyTempo is a fake Tempo that fails on demand.
func faultyTempo(t *testing.T, mode *atomic.Int32) *httptest.Server {
	fake := faketempo.New(t, faketempo.Sample(t0))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case tempo503:
			http.Error(w, "ingester unavailable", http.StatusServiceUnavailable)
		case tempoHangs:
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case tempoTruncates:
			rec := httptest.NewRecorder()
			fake.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body[:len(body)/2])
		default:
			fake.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

const payJourney = `apiVersion: waymark/v1
kind: Journey
metadata:
  slug: pay
  name: Pay
spec:
  correlation:
    by: trace
  steps:
    - name: Pay
      match:
        service: shop
        span: POST /pay
        kind: server
    - name: Query
      match:
        service: shop
        span: SELECT
        kind: client
  slos:
    - name: pay-success
      kind: success
      step: Pay
      objective: 0.99
      window: 1d
`

// TestTempoFaults: Tempo answering 503, timing out or cutting its answer
// short fails the rollup run, and the freshness says what happened and
// since when; SLOs evaluated meanwhile neither fire nor resolve on the
// missing minutes; the next run after Tempo recovers carries on by itself.
func TestTempoFaults(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		mode int32
		want string
	}{
		{"503", tempo503, "503"},
		{"timeout", tempoHangs, "deadline exceeded"},
		{"truncated", tempoTruncates, "unexpected EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var mode atomic.Int32
			srv := faultyTempo(t, &mode)
			client, err := tempo.New(tempo.Options{BaseURL: srv.URL, Timeout: 300 * time.Millisecond, MaxRetries: 1,
				BaseBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
			require.NoError(t, err)
			f := setup(t, jobs.Options{Lag: jobs.TempoLag}, tempo.NewSource(client, tempo.SourceOptions{}))
			js, err := journeys.DecodeYAML([]byte(payJourney))
			require.NoError(t, err)
			f.put(t, js[0])
			svc := sloeval.NewService(f.pool, f.rollups, f.journeys, sloeval.Options{Now: f.clock.Now})

			// Tempo fails from the first run on.
			mode.Store(c.mode)
			failedAt := at(10 * time.Minute)
			f.clock.Set(failedAt)
			ev := f.wait(t, f.insert(t, jobs.RollupArgs{Slug: "pay", Bucket: at(7 * time.Minute)}))
			require.Equal(t, river.EventKindJobFailed, ev.Kind)
			f.clock.Set(at(11 * time.Minute))
			ev = f.wait(t, f.insert(t, jobs.RollupArgs{Slug: "pay", Bucket: at(8 * time.Minute)}))
			require.Equal(t, river.EventKindJobFailed, ev.Kind)
			fr, err := f.rollups.Freshness(f.ctx, "pay")
			require.NoError(t, err)
			require.True(t, fr.Failing())
			require.Equal(t, failedAt, fr.FailingSince, "failing since the first failure")
			require.Contains(t, fr.LastError, c.want)
			require.True(t, fr.CompleteThrough.IsZero())

			_, err = svc.EvaluateAll(f.ctx, f.clock.Now(), jobs.NotifyEnqueuer(f.client))
			require.NoError(t, err)
			trs, err := svc.Transitions(f.ctx, sloeval.TransitionFilter{Journey: "pay"})
			require.NoError(t, err)
			require.Empty(t, trs, "no alert on minutes never read")

			// Tempo is back: the next scheduled run heals it.
			mode.Store(tempoOK)
			f.clock.Set(at(12 * time.Minute))
			f.run(t, jobs.RollupArgs{Slug: "pay", Bucket: at(9 * time.Minute)})
			fr, err = f.rollups.Freshness(f.ctx, "pay")
			require.NoError(t, err)
			require.False(t, fr.Failing())
			require.Empty(t, fr.LastError)
			require.False(t, fr.CompleteThrough.IsZero())
		})
	}
}
