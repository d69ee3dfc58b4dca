package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/incident"
)

// Changes made through the web layer are recorded in the audit log with who
// made them. Journey changes are recorded by the journey change service in
// their own transaction. Elsewhere (incidents, signing out everywhere) the
// store offers no transaction to join, and the entry is written right after
// the change commits: a failure then is logged, since the change has
// happened and the caller must hear so.

// txBeginner starts transactions; *pgxpool.Pool is one.
type txBeginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// auditTimeout bounds writing one entry after its change.
const auditTimeout = 5 * time.Second

// recordAfter writes e, for a change already committed. It does nothing on
// a server without accounts.
func (h *handler) recordAfter(r *http.Request, e auth.Entry) {
	if h.auth == nil || h.auditDB == nil {
		return
	}
	// The change is committed: a client hanging up must not lose its
	// record.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditTimeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, h.auditDB, func(tx pgx.Tx) error { return auth.Record(ctx, tx, e) })
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "record audit entry",
			slog.String("action", e.Action), slog.String("object", e.Object), slog.String("object_id", e.ObjectID),
			slog.String("actor", e.Actor), slog.String("error", err.Error()))
	}
}

// jsonDoc is v as an audit document; nil (SQL NULL, "did not exist") for
// nil and for a nil pointer.
func jsonDoc(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil
	}
	return b
}

// auditIncident records a change of incident id through r; before and
// after are what the incident (or trace link) was and became, nil when it
// did not exist.
func (h *handler) auditIncident(r *http.Request, action string, id int64, before, after any) {
	p, ok := principal(r)
	if !ok {
		return
	}
	e := p.Entry(action, "incident", strconv.FormatInt(id, 10))
	e.Before, e.After = jsonDoc(before), jsonDoc(after)
	h.recordAfter(r, e)
}

// incidentBefore reads incident id ahead of a change, for its audit entry;
// nil on a server without accounts or when it cannot be read (the change
// then meets the same error).
func (h *handler) incidentBefore(r *http.Request, id int64) *incident.Incident {
	if h.auth == nil {
		return nil
	}
	if _, ok := principal(r); !ok {
		return nil
	}
	in, err := h.incidents.Get(r.Context(), id)
	if err != nil {
		return nil
	}
	return &in
}
