package web

import (
	"context"
	"net/http"
	"time"
)

// healthz says the process is up. It touches nothing else, so that a
// database outage does not get the process restarted.
func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz says whether this instance can serve: the database answers and its
// schema is the one this binary expects.
func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if h.db != nil {
		if err := h.db.Ping(ctx); err != nil {
			// The error names the database's address and user: log it,
			// never show it to whoever probes readiness.
			h.Log.Warn("readiness: database unavailable", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unavailable\n"))
			return
		}
	}
	if h.schemaCheck != nil {
		if err := h.schemaCheck(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}
