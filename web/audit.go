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
	"github.com/waymarkhq/waymark/internal/store"
)

// Changes made through the web layer are recorded in the audit log with who
// made them. Where the store runs hooks inside its transaction (journey
// saves), the entry is written in that transaction, so it exists exactly
// when the change does. Elsewhere (journey deletes, incidents, signing out
// everywhere) the store offers no transaction to join, and the entry is
// written right after the change commits: a failure then is logged, since
// the change has happened and the caller must hear so.

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

// journeyDoc is what the audit log keeps of a journey: its version and its
// definition in the API's JSON form.
func journeyDoc(rec store.JourneyRecord) json.RawMessage {
	j := rec.Journey
	j.Normalize()
	return jsonDoc(struct {
		Version int `json:"version"`
		Journey any `json:"journey"`
	}{rec.Version, j})
}

// journeyAudit carries, through the context of a save, what the journey
// change hook needs to record it: who saves, and the journey as it was.
type journeyAudit struct {
	p      auth.Principal
	before *store.JourneyRecord
	// tx is the transaction already recorded in, so that the hooks of two
	// handlers sharing one store record once, and a retried transaction
	// records again.
	tx pgx.Tx
}

type journeyAuditKey struct{}

// journeyWrite prepares the audit of a journey save or delete through r,
// reading the journey at slug as it is now ("" for a new one). It returns
// the context to save with, and the record read, if any.
//
// The store hands its hooks only the journey saved, so the "before" is read
// here, ahead of the save; its version says which it is, should another
// save have slipped in between.
func (h *handler) journeyWrite(r *http.Request, slug string) (context.Context, *store.JourneyRecord) {
	ctx := r.Context()
	p, ok := principal(r)
	if h.auth == nil || !ok {
		return ctx, nil
	}
	m := &journeyAudit{p: p}
	if slug != "" {
		// Any error here the save meets too, or the journey is new.
		if rec, err := h.store.GetJourney(ctx, slug); err == nil {
			m.before = &rec
		}
	}
	return context.WithValue(ctx, journeyAuditKey{}, m), m.before
}

// auditJourneyChange is the store's change hook: it records a journey
// created or changed through the web layer inside the save's transaction.
// Saves from elsewhere (the command line, the demo) carry no journeyAudit
// and are left to their own callers.
func auditJourneyChange(ctx context.Context, tx pgx.Tx, rec store.JourneyRecord) error {
	m, ok := ctx.Value(journeyAuditKey{}).(*journeyAudit)
	if !ok || m.tx == tx {
		return nil
	}
	m.tx = tx
	action := "journey.update"
	if m.before == nil {
		action = "journey.create"
	}
	e := m.p.Entry(action, "journey", rec.Journey.Metadata.Slug)
	if m.before != nil {
		e.Before = journeyDoc(*m.before)
	}
	e.After = journeyDoc(rec)
	return auth.Record(ctx, tx, e)
}

// auditJourneyDelete records a journey deleted through r; before is the
// journey as read ahead of the delete.
func (h *handler) auditJourneyDelete(r *http.Request, slug string, before *store.JourneyRecord) {
	p, ok := principal(r)
	if !ok {
		return
	}
	e := p.Entry("journey.delete", "journey", slug)
	if before != nil {
		e.Before = journeyDoc(*before)
	}
	h.recordAfter(r, e)
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
