package web

import (
	"fmt"
	"net/http"
)

// incidentPostmortem downloads the incident's post-mortem draft as a
// Markdown file.
func (h *handler) incidentPostmortem(w http.ResponseWriter, r *http.Request) {
	in, ok := h.loadIncident(w, r)
	if !ok {
		return
	}
	md, err := h.postmortem(r.Context(), in)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="incident-%d-postmortem.md"`, in.ID))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(md)
}
