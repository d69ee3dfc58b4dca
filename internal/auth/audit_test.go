package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/migrations"
)

func TestRecordInCallersTransaction(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := Entry{Actor: "pat@example.com", ActorKind: ActorUser, Action: "journey.update", Object: "journey", ObjectID: "checkout",
		At: t0, RemoteAddr: "192.0.2.1", Before: json.RawMessage(`{"name":"Checkout","steps":3}`), After: json.RawMessage(`{"steps":4,  "name":"Checkout"}`)}

	// Rolled back with the change it describes.
	boom := errors.New("boom")
	err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		require.NoError(t, Record(b.ctx, tx, e))
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM audit_log`))

	require.NoError(t, pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error { return Record(b.ctx, tx, e) }))
	page, err := b.auth.ListAudit(b.ctx, AuditFilter{})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	got := page.Entries[0]
	e.ID = got.ID
	// Postgres keeps jsonb in its own normal form.
	e.Before = json.RawMessage(`{"name": "Checkout", "steps": 3}`)
	e.After = json.RawMessage(`{"name": "Checkout", "steps": 4}`)
	require.Equal(t, e, got)
	require.Empty(t, page.Next)

	// No documents are SQL NULLs, and come back nil.
	require.NoError(t, pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		return Record(b.ctx, tx, Entry{Actor: "system", ActorKind: ActorSystem, Action: "retention.run", Object: "spans", At: t0.Add(time.Second)})
	}))
	page, err = b.auth.ListAudit(b.ctx, AuditFilter{Actor: "system"})
	require.NoError(t, err)
	require.Nil(t, page.Entries[0].Before)
	require.Nil(t, page.Entries[0].After)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_log WHERE before IS NULL AND after IS NULL`))
}

func TestRecordRejectsBadEntries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ok := Entry{Actor: "a", ActorKind: ActorUser, Action: "x.y", Object: "x"}
	tests := []struct {
		name string
		edit func(*Entry)
		want string
	}{
		{"no actor", func(e *Entry) { e.Actor = "" }, "record audit entry: actor: must be set"},
		{"bad kind", func(e *Entry) { e.ActorKind = "robot" }, `record audit entry: actor_kind: "robot" is not one of user, token, system`},
		{"no action", func(e *Entry) { e.Action = "" }, "record audit entry: action: must be set"},
		{"no object", func(e *Entry) { e.Object = "" }, "record audit entry: object: must be set"},
		{"bad before", func(e *Entry) { e.Before = json.RawMessage(`{`) }, "record audit entry: before: is not valid JSON"},
		{"bad after", func(e *Entry) { e.After = json.RawMessage(`nope`) }, "record audit entry: after: is not valid JSON"},
	}
	for _, tt := range tests {
		e := ok
		tt.edit(&e)
		err := pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error { return Record(b.ctx, tx, e) })
		require.EqualError(t, err, tt.want, tt.name)
		require.ErrorIs(t, err, ErrInvalid)
	}
}

func TestListAuditPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// 25 entries; pairs share a timestamp, so the id breaks ties.
	require.NoError(t, pgx.BeginFunc(b.ctx, b.pool, func(tx pgx.Tx) error {
		for i := range 25 {
			actor := "pat@example.com"
			if i%3 == 0 {
				actor = "sam@example.com"
			}
			err := Record(b.ctx, tx, Entry{Actor: actor, ActorKind: ActorUser, Action: "journey.update", Object: "journey",
				ObjectID: fmt.Sprint(i), At: t0.Add(time.Duration(i/2) * time.Minute)})
			if err != nil {
				return err
			}
		}
		return nil
	}))
	collect := func(f AuditFilter) (ids []string, pages int) {
		for {
			page, err := b.auth.ListAudit(context.Background(), f)
			require.NoError(t, err)
			pages++
			for _, e := range page.Entries {
				ids = append(ids, e.ObjectID)
			}
			if page.Next == "" {
				return ids, pages
			}
			f.Cursor = page.Next
		}
	}
	ids, pages := collect(AuditFilter{Limit: 10})
	require.Equal(t, 3, pages)
	var want []string
	for i := 24; i >= 0; i-- {
		want = append(want, fmt.Sprint(i))
	}
	require.Equal(t, want, ids)

	// Exactly a page's worth leaves no empty page after it.
	_, pages = collect(AuditFilter{Limit: 25})
	require.Equal(t, 1, pages)

	ids, _ = collect(AuditFilter{Actor: "sam@example.com", Limit: 2})
	require.Equal(t, []string{"24", "21", "18", "15", "12", "9", "6", "3", "0"}, ids)

	// [t0+2m, t0+4m) holds entries 4..7.
	ids, _ = collect(AuditFilter{Since: t0.Add(2 * time.Minute), Until: t0.Add(4 * time.Minute), Limit: 3})
	require.Equal(t, []string{"7", "6", "5", "4"}, ids)

	ids, _ = collect(AuditFilter{Object: "journey", ObjectID: "13", Action: "journey.update"})
	require.Equal(t, []string{"13"}, ids)

	for _, c := range []string{"!!", "bm9jb2xvbg", "MTox"[:3]} {
		_, err := b.auth.ListAudit(b.ctx, AuditFilter{Cursor: c})
		require.EqualError(t, err, "cursor: is not a cursor from a previous page", c)
	}
}

// TestMigrationReverts checks that 0005_auth's down migration removes exactly
// what its up migration creates.
func TestMigrationReverts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	all, err := migrations.All()
	require.NoError(t, err)
	var m migrations.Migration
	for _, x := range all {
		if x.Version == 5 {
			m = x
		}
	}
	require.Equal(t, "auth", m.Name)
	const tables = `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('users', 'sessions', 'api_tokens', 'login_attempts', 'audit_log')`
	require.Equal(t, 5, b.count(t, tables))
	_, err = b.pool.Exec(b.ctx, m.Down)
	require.NoError(t, err)
	require.Equal(t, 0, b.count(t, tables))
	_, err = b.pool.Exec(b.ctx, m.Up)
	require.NoError(t, err)
	require.Equal(t, 5, b.count(t, tables))
}
