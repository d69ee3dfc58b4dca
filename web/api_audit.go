package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/waymarkhq/waymark/internal/auth"
)

// apiAuditEntry is one audit log entry as the API returns it.
type apiAuditEntry struct {
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

// apiAuditPage is one page of the log, newest first; next, when set, is
// the cursor of the following (older) page.
type apiAuditPage struct {
	Entries []apiAuditEntry `json:"entries"`
	Next    string          `json:"next,omitempty"`
}

// apiAudit lists the audit log with the page's filters (actor, action,
// object, object_id, since, until), limit (default 50, at most 500) and
// cursor.
func (h *handler) apiAudit(w http.ResponseWriter, r *http.Request) {
	f, err := parseAuditFilter(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page, err := h.auth.ListAudit(r.Context(), f)
	if err != nil {
		h.fail(w, r, auditFilterError(err))
		return
	}
	out := apiAuditPage{Entries: make([]apiAuditEntry, len(page.Entries)), Next: page.Next}
	for i, e := range page.Entries {
		out.Entries[i] = apiAuditEntry{
			ID: e.ID, At: e.At, Actor: e.Actor, ActorKind: e.ActorKind, Action: e.Action,
			Object: e.Object, ObjectID: e.ObjectID, RemoteAddr: e.RemoteAddr, Before: e.Before, After: e.After,
		}
	}
	h.writeJSON(w, r, http.StatusOK, out)
}
