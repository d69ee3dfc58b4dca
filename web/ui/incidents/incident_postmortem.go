package incidents

import (
	"fmt"
	"net/http"

	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// IncidentPostmortem downloads the incident's post-mortem draft as a
// Markdown file.
func (h *Handler) IncidentPostmortem(w http.ResponseWriter, r *http.Request) {
	in, err := h.inc.Load(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	md, err := h.postmortem(r.Context(), in)
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="incident-%d-postmortem.md"`, in.ID))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(md)
}
