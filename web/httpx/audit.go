package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/internal/auth"
)

// Changes made through the web layer are recorded in the audit log with who
// made them. Journey changes are recorded by the journey change service in
// their own transaction. Elsewhere (incidents, signing out everywhere) the
// store offers no transaction to join, and the entry is written right after
// the change commits: a failure then is logged, since the change has
// happened and the caller must hear so.

// TxBeginner starts transactions; *pgxpool.Pool is one.
type TxBeginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// auditTimeout bounds writing one entry after its change.
const auditTimeout = 5 * time.Second

// RecordAfter writes e, for a change already committed. It does nothing on
// a server without accounts.
func (b *Base) RecordAfter(r *http.Request, e auth.Entry) {
	if b.Auth == nil || b.AuditDB == nil {
		return
	}
	// The change is committed: a client hanging up must not lose its
	// record.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditTimeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, b.AuditDB, func(tx pgx.Tx) error { return auth.Record(ctx, tx, e) })
	if err != nil {
		b.Log.LogAttrs(ctx, slog.LevelError, "record audit entry",
			slog.String("action", e.Action), slog.String("object", e.Object), slog.String("object_id", e.ObjectID),
			slog.String("actor", e.Actor), slog.String("error", err.Error()))
	}
}

// JSONDoc is v as an audit document; nil (SQL NULL, "did not exist") for
// nil and for a nil pointer.
func JSONDoc(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil
	}
	return b
}

// Audited reports whether a change through r gets an audit entry, so that
// a handler reads what the object was before the change only then.
func (b *Base) Audited(r *http.Request) bool {
	if b.Auth == nil {
		return false
	}
	_, ok := Principal(r)
	return ok
}

// Audit records a change of object id through r, already committed;
// before and after are what it was and became, nil when it did not exist.
func (b *Base) Audit(r *http.Request, action, object string, id int64, before, after any) {
	p, ok := Principal(r)
	if !ok {
		return
	}
	e := p.Entry(action, object, strconv.FormatInt(id, 10))
	e.Before, e.After = JSONDoc(before), JSONDoc(after)
	b.RecordAfter(r, e)
}

// ParseAuditFilter reads the audit log's filter, as the page and the API
// take it. Times are RFC 3339, or a UTC date and time such as
// 2026-03-01 10:00.
func ParseAuditFilter(q url.Values) (auth.AuditFilter, error) {
	f := auth.AuditFilter{
		Actor:    strings.TrimSpace(q.Get("actor")),
		Action:   strings.TrimSpace(q.Get("action")),
		Object:   strings.TrimSpace(q.Get("object")),
		ObjectID: strings.TrimSpace(q.Get("object_id")),
		Cursor:   strings.TrimSpace(q.Get("cursor")),
	}
	for _, t := range []struct {
		param string
		dst   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		at, err := ParseFormTime(q.Get(t.param))
		if err != nil {
			return f, ParamError(t.param, "%q %s", strings.TrimSpace(q.Get(t.param)), err.Error())
		}
		*t.dst = at
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, ParamError("since", "must be before until")
	}
	if v := strings.TrimSpace(q.Get("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return f, ParamError("limit", "%q is not a whole number from 1 to 500", v)
		}
		f.Limit = n
	}
	return f, nil
}

// AuditFilterError turns the log's own complaint about a cursor into a
// 400 about that parameter.
func AuditFilterError(err error) error {
	var ve *auth.ValidationError
	if errors.As(err, &ve) {
		return ParamError(ve.Field, "%s", ve.Message)
	}
	return err
}
