package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/httpx"
)

// AuditEntry is one audit log entry as the API returns it.
type AuditEntry struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	ActorKind  auth.ActorKind  `json:"actor_kind"`
	Action     string          `json:"action"`
	Object     string          `json:"object"`
	ObjectID   string          `json:"object_id,omitempty"`
	RemoteAddr string          `json:"remote_addr,omitempty"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
}

// AuditPage is one page of the log, newest first; next, when set, is
// the cursor of the following (older) page.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	Next    string       `json:"next,omitempty"`
}

// Audit lists the audit log with the page's filters (actor, action,
// object, object_id, since, until), limit (default 50, at most 500) and
// cursor.
func (h *Handler) Audit(w http.ResponseWriter, r *http.Request) {
	f, err := httpx.ParseAuditFilter(r.URL.Query())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	page, err := h.Auth.ListAudit(r.Context(), f)
	if err != nil {
		h.Fail(w, r, httpx.AuditFilterError(err))
		return
	}
	out := AuditPage{Entries: make([]AuditEntry, len(page.Entries)), Next: page.Next}
	for i, e := range page.Entries {
		out.Entries[i] = AuditEntry{
			ID: e.ID, At: e.At, Actor: e.Actor, ActorKind: e.ActorKind, Action: e.Action,
			Object: e.Object, ObjectID: e.ObjectID, RemoteAddr: e.RemoteAddr, Before: e.Before, After: e.After,
		}
	}
	h.WriteJSON(w, r, http.StatusOK, out)
}
