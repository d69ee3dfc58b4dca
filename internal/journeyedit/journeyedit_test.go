package journeyedit_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
)

var now = time.Date(2026, 3, 2, 12, 30, 15, 0, time.UTC)

type fixture struct {
	ctx  context.Context
	pool *pgxpool.Pool
	svc  *journeyedit.Service
}

func setup(t *testing.T) fixture {
	t.Helper()
	t.Parallel()
	pool := pgtest.New(t)
	client, err := jobs.NewInserter(pool, nil)
	require.NoError(t, err)
	svc := journeyedit.New(pool, client, journeyedit.Options{Backfill: 6 * time.Hour, Now: func() time.Time { return now }})
	return fixture{ctx: context.Background(), pool: pool, svc: svc}
}

var alice = auth.Principal{Kind: auth.ActorUser, Name: "alice@example.com", RemoteAddr: "192.0.2.7"}

func journey(slug, name string) journeys.Journey {
	return journeys.Journey{
		APIVersion: journeys.APIVersion,
		Kind:       journeys.Kind,
		Metadata:   journeys.Metadata{Slug: slug, Name: name},
		Spec: journeys.Spec{
			Correlation: journeys.Correlation{By: "trace"},
			Steps: []journeys.Step{
				{Name: "Login", Match: journeys.Pattern{Service: "auth_svc", Span: "POST /login"}},
				{Name: "Pay", Match: journeys.Pattern{Service: "payment_svc", Span: "POST /pay"}},
			},
		},
	}
}

// audit is one audit entry as stored.
type audit struct {
	Actor, Kind, Action, ObjectID string
	Before, After                 *int // the versions in the documents
}

func (f fixture) audits(t *testing.T) []audit {
	t.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT actor, actor_kind, action, object_id, before, after FROM audit_log WHERE object = 'journey' ORDER BY id`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit, error) {
		var a audit
		var before, after []byte
		if err := r.Scan(&a.Actor, &a.Kind, &a.Action, &a.ObjectID, &before, &after); err != nil {
			return a, err
		}
		version := func(b []byte) *int {
			if b == nil {
				return nil
			}
			var d struct {
				Version int `json:"version"`
			}
			require.NoError(t, json.Unmarshal(b, &d))
			return &d.Version
		}
		a.Before, a.After = version(before), version(after)
		return a, nil
	})
	require.NoError(t, err)
	return out
}

// backfill is one queued recompute: its recorded range and River job.
type backfill struct {
	Slug     string
	From, To time.Time
}

func (f fixture) backfills(t *testing.T) []backfill {
	t.Helper()
	rows, err := f.pool.Query(f.ctx, `
		SELECT j.slug, b.range_from, b.range_to FROM rollup_backfills b JOIN journeys j ON j.id = b.journey_id
		JOIN river_job r ON r.kind = 'rollup_backfill' AND (r.args->>'backfill_id')::bigint = b.id
		ORDER BY b.id`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (backfill, error) {
		var b backfill
		err := r.Scan(&b.Slug, &b.From, &b.To)
		b.From, b.To = b.From.UTC(), b.To.UTC()
		return b, err
	})
	require.NoError(t, err)
	var jobs int
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM river_job`).Scan(&jobs))
	require.Equal(t, len(out), jobs, "every job belongs to a recorded backfill")
	return out
}

func ptr(v int) *int { return &v }

func TestEveryChangeIsVersionedAuditedAndBackfilled(t *testing.T) {
	f := setup(t)
	day := backfill{From: time.Date(2026, 3, 2, 6, 30, 0, 0, time.UTC), To: time.Date(2026, 3, 2, 12, 31, 0, 0, time.UTC)}

	res, err := f.svc.Put(f.ctx, alice, journey("checkout", "v1"))
	require.NoError(t, err)
	require.Equal(t, journeyedit.Created, res.Outcome)
	require.Nil(t, res.Before)
	require.Equal(t, 1, res.Record.Version)
	require.Equal(t, "alice@example.com", res.Record.UpdatedBy)
	require.Equal(t, "created checkout (version 1); backfill queued over 2026-03-02 06:30 – 2026-03-02 12:31 UTC", res.String())

	// The same definition again changes nothing and queues nothing.
	res, err = f.svc.Put(f.ctx, alice, journey("checkout", "v1"))
	require.NoError(t, err)
	require.Equal(t, journeyedit.Unchanged, res.Outcome)
	require.Nil(t, res.Backfill)
	require.Equal(t, "unchanged checkout (version 1)", res.String())
	res, err = f.svc.Update(f.ctx, alice, "checkout", journey("checkout", "v1"))
	require.NoError(t, err)
	require.Equal(t, journeyedit.Unchanged, res.Outcome)

	// A new step pattern changes the rollups: their history is recomputed.
	bob := auth.Principal{Kind: auth.ActorToken, Name: "ci-token"}
	v2 := journey("checkout", "v2")
	v2.Spec.Steps[1].Match.Span = "POST /payments"
	res, err = f.svc.Update(f.ctx, bob, "checkout", v2)
	require.NoError(t, err)
	require.Equal(t, journeyedit.Updated, res.Outcome)
	require.Equal(t, 1, res.Before.Version)
	require.Equal(t, 2, res.Record.Version)
	require.NotNil(t, res.Backfill)

	// A rename computes the same rollups: recorded, nothing recomputed.
	renamed := v2
	renamed.Metadata.Slug = "checkout-v2"
	res, err = f.svc.Update(f.ctx, bob, "checkout", renamed)
	require.NoError(t, err)
	require.Equal(t, 3, res.Record.Version)
	require.Nil(t, res.Backfill)
	require.Equal(t, "updated checkout-v2 (version 3); same steps, correlation, segments and thresholds: history kept", res.String())

	res, err = f.svc.Delete(f.ctx, alice, "checkout-v2")
	require.NoError(t, err)
	require.Equal(t, journeyedit.Deleted, res.Outcome)
	require.Nil(t, res.Backfill)
	_, err = f.svc.Delete(f.ctx, alice, "checkout-v2")
	require.ErrorIs(t, err, journeystore.ErrNotFound)

	require.Equal(t, []audit{
		{"alice@example.com", "user", "journey.create", "checkout", nil, ptr(1)},
		{"ci-token", "token", "journey.update", "checkout", ptr(1), ptr(2)},
		{"ci-token", "token", "journey.update", "checkout-v2", ptr(2), ptr(3)},
		{"alice@example.com", "user", "journey.delete", "checkout-v2", ptr(3), nil},
	}, f.audits(t))
	// Rollups belong to the journey, not its slug: both backfills are now
	// under the new slug.
	b := day
	b.Slug = "checkout-v2"
	require.Equal(t, []backfill{b, b}, f.backfills(t))
}

func TestAFailedChangeLeavesNothing(t *testing.T) {
	f := setup(t)
	// Without an actor there is no audit entry, so no change.
	_, err := f.svc.Put(f.ctx, auth.Principal{}, journey("checkout", "v1"))
	require.EqualError(t, err, "change journey: the change has no actor")

	// A conflict rolls back the write with its audit entry and job.
	_, err = f.svc.Create(f.ctx, alice, journey("checkout", "v1"))
	require.NoError(t, err)
	_, err = f.svc.Create(f.ctx, alice, journey("checkout", "v2"))
	require.ErrorIs(t, err, journeystore.ErrConflict)

	// An invalid journey is refused field by field.
	bad := journey("checkout", "v3")
	bad.Spec.Steps = bad.Spec.Steps[:0]
	_, err = f.svc.Put(f.ctx, alice, bad)
	var ve *journeys.ValidationError
	require.ErrorAs(t, err, &ve)

	require.Len(t, f.audits(t), 1)
	require.Len(t, f.backfills(t), 1)
}

func TestConcurrentPutsOfANewJourneyCreateItOnce(t *testing.T) {
	f := setup(t)
	const n = 8
	var wg sync.WaitGroup
	outcomes := make([]journeyedit.Outcome, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.svc.Put(f.ctx, alice, journey("checkout", "same"))
			outcomes[i], errs[i] = res.Outcome, err
		}()
	}
	wg.Wait()
	created := 0
	for i := range n {
		require.NoError(t, errs[i])
		if outcomes[i] == journeyedit.Created {
			created++
		} else {
			require.Equal(t, journeyedit.Unchanged, outcomes[i])
		}
	}
	require.Equal(t, 1, created)
	require.Len(t, f.audits(t), 1)
	require.Len(t, f.backfills(t), 1)
}

func TestPlanChangesNothing(t *testing.T) {
	f := setup(t)
	p, err := f.svc.Plan(f.ctx, journey("checkout", "v1"))
	require.NoError(t, err)
	require.Equal(t, journeyedit.Created, p.Outcome)
	require.Nil(t, p.Before)
	require.Equal(t, `--- checkout (none)
+++ checkout (applied)
@@ -0,0 +1,17 @@
+apiVersion: waymark/v1
+kind: Journey
+metadata:
+  slug: checkout
+  name: v1
+spec:
+  correlation:
+    by: trace
+  steps:
+    - name: Login
+      match:
+        service: auth_svc
+        span: POST /login
+    - name: Pay
+      match:
+        service: payment_svc
+        span: POST /pay
`, p.Diff)
	require.Empty(t, f.audits(t))

	_, err = f.svc.Put(f.ctx, alice, journey("checkout", "v1"))
	require.NoError(t, err)
	p, err = f.svc.Plan(f.ctx, journey("checkout", "v1"))
	require.NoError(t, err)
	require.Equal(t, journeyedit.Unchanged, p.Outcome)
	require.Empty(t, p.Diff)

	edited := journey("checkout", "Checkout")
	edited.Spec.Steps[1].Match.Span = "POST /payments"
	p, err = f.svc.Plan(f.ctx, edited)
	require.NoError(t, err)
	require.Equal(t, journeyedit.Updated, p.Outcome)
	require.Equal(t, 1, p.Before.Version)
	require.Equal(t, `--- checkout (version 1)
+++ checkout (applied)
@@ -2,7 +2,7 @@
 kind: Journey
 metadata:
   slug: checkout
-  name: v1
+  name: Checkout
 spec:
   correlation:
     by: trace
@@ -14,4 +14,4 @@
     - name: Pay
       match:
         service: payment_svc
-        span: POST /pay
+        span: POST /payments
`, p.Diff)
	require.Len(t, f.audits(t), 1)
	require.Len(t, f.backfills(t), 1)
}
