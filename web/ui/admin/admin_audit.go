package admin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/httpx"
)

// auditPageSize is how many entries the audit log page shows at a time.
const auditPageSize = 100

// AdminAudit shows the audit log, newest first, filtered by actor, action,
// object, object id and time (?since=, ?until=), a page at a time
// (?cursor= from the "Older entries" link).
func (h *Handler) AdminAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	form := AuditFilterForm{
		Actor:    strings.TrimSpace(q.Get("actor")),
		Action:   strings.TrimSpace(q.Get("action")),
		Object:   strings.TrimSpace(q.Get("object")),
		ObjectID: strings.TrimSpace(q.Get("object_id")),
		Since:    strings.TrimSpace(q.Get("since")),
		Until:    strings.TrimSpace(q.Get("until")),
	}
	f, err := httpx.ParseAuditFilter(q)
	if err == nil {
		f.Limit = auditPageSize
	}
	var page auth.AuditPage
	if err == nil {
		page, err = h.Auth.ListAudit(r.Context(), f)
	}
	if err != nil {
		err = httpx.AuditFilterError(err)
		var he *httpx.Error
		if errors.As(err, &he) && he.Status == http.StatusBadRequest && len(he.Fields) > 0 && he.Fields["cursor"] == "" {
			// A filter field that does not parse: say so beside it.
			h.Render(w, r, he.Status, AdminAuditPage(h.Site, AuditLog{Filter: form, Errors: he.Fields}))
			return
		}
		h.Fail(w, r, err)
		return
	}
	l := AuditLog{Entries: page.Entries, Filter: form}
	if page.Next != "" {
		older := form.Query()
		older.Set("cursor", page.Next)
		l.Older = "/admin/audit?" + older.Encode()
	}
	h.Render(w, r, http.StatusOK, AdminAuditPage(h.Site, l))
}
