package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Entry is one change in the audit log: who did what to which object, and
// the object before and after.
type Entry struct {
	// ID is assigned by the log; ignored by Record.
	ID        int64
	Actor     string
	ActorKind ActorKind
	// Action is a verb phrase such as "user.create" or "journey.update".
	Action string
	// Object is the kind of thing acted on ("user", "api_token",
	// "journey"), ObjectID which one.
	Object   string
	ObjectID string
	// At defaults to the current time.
	At         time.Time
	RemoteAddr string
	// Before and After are JSON documents of the object, nil when it did
	// not exist (or is not worth recording). They come back from List in
	// Postgres's normal form of jsonb.
	Before json.RawMessage
	After  json.RawMessage
}

// Record appends e to the audit log inside the caller's transaction, so the
// entry exists exactly when the change it describes does.
func Record(ctx context.Context, tx pgx.Tx, e Entry) error {
	if err := e.check(); err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO audit_log (at, actor, actor_kind, action, object, object_id, remote_addr, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		at.UTC(), e.Actor, string(e.ActorKind), e.Action, e.Object, e.ObjectID, e.RemoteAddr, jsonArg(e.Before), jsonArg(e.After))
	if err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	return nil
}

func (e Entry) check() error {
	switch {
	case e.Actor == "":
		return invalid("actor", "must be set")
	case !e.ActorKind.Valid():
		return invalid("actor_kind", "%q is not one of user, token, system", e.ActorKind)
	case e.Action == "":
		return invalid("action", "must be set")
	case e.Object == "":
		return invalid("object", "must be set")
	case len(e.Before) > 0 && !json.Valid(e.Before):
		return invalid("before", "is not valid JSON")
	case len(e.After) > 0 && !json.Valid(e.After):
		return invalid("after", "is not valid JSON")
	}
	return nil
}

// jsonArg passes a document as text, which Postgres parses as jsonb; nil is
// SQL NULL rather than the JSON null.
func jsonArg(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// AuditFilter selects audit entries. Empty fields match everything.
type AuditFilter struct {
	Actor    string
	Action   string
	Object   string
	ObjectID string
	// Since and Until bound At to [Since, Until).
	Since time.Time
	Until time.Time
	// Cursor continues from a previous page's Next.
	Cursor string
	// Limit is the page size (default 50, at most 500).
	Limit int
}

// AuditPage is one page of the log, newest first. Next, when not empty, is
// the cursor of the following (older) page.
type AuditPage struct {
	Entries []Entry
	Next    string
}

// ListAudit returns the entries matching f, newest first, a page at a time.
func (a *Auth) ListAudit(ctx context.Context, f AuditFilter) (AuditPage, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Actor != "" {
		add("actor = $%d", f.Actor)
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if f.Object != "" {
		add("object = $%d", f.Object)
	}
	if f.ObjectID != "" {
		add("object_id = $%d", f.ObjectID)
	}
	if !f.Since.IsZero() {
		add("at >= $%d", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		add("at < $%d", f.Until.UTC())
	}
	if f.Cursor != "" {
		at, id, err := parseCursor(f.Cursor)
		if err != nil {
			return AuditPage{}, err
		}
		args = append(args, at, id)
		where = append(where, fmt.Sprintf("(at, id) < ($%d, $%d)", len(args)-1, len(args)))
	}
	q := `SELECT id, at, actor, actor_kind, action, object, object_id, remote_addr, before, after FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit+1)
	q += fmt.Sprintf(" ORDER BY at DESC, id DESC LIMIT $%d", len(args))
	rows, err := a.pool.Query(ctx, q, args...)
	if err != nil {
		return AuditPage{}, fmt.Errorf("list audit log: %w", err)
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) {
		var e Entry
		var kind string
		var before, after []byte
		err := row.Scan(&e.ID, &e.At, &e.Actor, &kind, &e.Action, &e.Object, &e.ObjectID, &e.RemoteAddr, &before, &after)
		e.ActorKind = ActorKind(kind)
		e.At = e.At.UTC()
		if before != nil {
			e.Before = json.RawMessage(before)
		}
		if after != nil {
			e.After = json.RawMessage(after)
		}
		return e, err
	})
	if err != nil {
		return AuditPage{}, fmt.Errorf("list audit log: %w", err)
	}
	page := AuditPage{Entries: entries}
	if len(entries) > limit {
		page.Entries = entries[:limit]
		last := page.Entries[limit-1]
		page.Next = formatCursor(last.At, last.ID)
	}
	return page, nil
}

// A cursor is the (at, id) of the last entry of a page. Postgres keeps
// microseconds, so the time round-trips exactly.
func formatCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + ":" + strconv.FormatInt(id, 10)))
}

func parseCursor(c string) (time.Time, int64, error) {
	bad := invalid("cursor", "is not a cursor from a previous page")
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, bad
	}
	us, ids, ok := strings.Cut(string(raw), ":")
	if !ok {
		return time.Time{}, 0, bad
	}
	micros, err1 := strconv.ParseInt(us, 10, 64)
	id, err2 := strconv.ParseInt(ids, 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, 0, bad
	}
	return time.UnixMicro(micros).UTC(), id, nil
}
