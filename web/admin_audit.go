package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/views"
)

// auditPageSize is how many entries the audit log page shows at a time.
const auditPageSize = 100

// adminAudit shows the audit log, newest first, filtered by actor, action,
// object, object id and time (?since=, ?until=), a page at a time
// (?cursor= from the "Older entries" link).
func (h *handler) adminAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	form := views.AuditFilterForm{
		Actor:    strings.TrimSpace(q.Get("actor")),
		Action:   strings.TrimSpace(q.Get("action")),
		Object:   strings.TrimSpace(q.Get("object")),
		ObjectID: strings.TrimSpace(q.Get("object_id")),
		Since:    strings.TrimSpace(q.Get("since")),
		Until:    strings.TrimSpace(q.Get("until")),
	}
	f, err := parseAuditFilter(q)
	if err == nil {
		f.Limit = auditPageSize
	}
	var page auth.AuditPage
	if err == nil {
		page, err = h.auth.ListAudit(r.Context(), f)
	}
	if err != nil {
		err = auditFilterError(err)
		var he *httpError
		if errors.As(err, &he) && he.status == http.StatusBadRequest && len(he.fields) > 0 && he.fields["cursor"] == "" {
			// A filter field that does not parse: say so beside it.
			h.render(w, r, he.status, views.AdminAuditPage(h.site, views.AuditLog{Filter: form, Errors: he.fields}))
			return
		}
		h.fail(w, r, err)
		return
	}
	l := views.AuditLog{Entries: page.Entries, Filter: form}
	if page.Next != "" {
		older := form.Query()
		older.Set("cursor", page.Next)
		l.Older = "/admin/audit?" + older.Encode()
	}
	h.render(w, r, http.StatusOK, views.AdminAuditPage(h.site, l))
}

// parseAuditFilter reads the audit log's filter, as the page and the API
// take it. Times are RFC 3339, or a UTC date and time such as
// 2026-03-01 10:00.
func parseAuditFilter(q url.Values) (auth.AuditFilter, error) {
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
		at, err := parseFormTime(q.Get(t.param))
		if err != nil {
			return f, paramError(t.param, "%q %s", strings.TrimSpace(q.Get(t.param)), err.Error())
		}
		*t.dst = at
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, paramError("since", "must be before until")
	}
	if v := strings.TrimSpace(q.Get("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return f, paramError("limit", "%q is not a whole number from 1 to 500", v)
		}
		f.Limit = n
	}
	return f, nil
}

// auditFilterError turns the log's own complaint about a cursor into a
// 400 about that parameter.
func auditFilterError(err error) error {
	var ve *auth.ValidationError
	if errors.As(err, &ve) {
		return paramError(ve.Field, "%s", ve.Message)
	}
	return err
}
