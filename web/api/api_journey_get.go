package api

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
)

// JourneyGet returns one journey: JSON with its record, or with
// ?format=yaml or Accept: application/yaml the YAML export alone, ready to
// commit.
func (h *Handler) JourneyGet(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	asYAML, err := wantsYAML(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	rec, err := h.store.GetJourney(r.Context(), slug)
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	if !asYAML {
		h.WriteJSON(w, r, http.StatusOK, toAPIJourney(rec))
		return
	}
	y, err := journeys.EncodeYAML(rec.Journey)
	if err != nil {
		h.Fail(w, r, fmt.Errorf("export journey %q: %w", slug, err))
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("X-Waymark-Version", fmt.Sprint(rec.Version))
	_, _ = w.Write(y)
}

// wantsYAML reads ?format= (json or yaml), else the first of JSON or YAML
// the Accept header names. JSON is the default.
func wantsYAML(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "yaml":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, httpx.Errorf(http.StatusBadRequest, "unknown format %q: use json or yaml", f)
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if isYAMLType(mt) {
			return true, nil
		}
		if mt == "application/json" {
			return false, nil
		}
	}
	return false, nil
}

// isYAMLType reports whether a media type is one of YAML's names.
func isYAMLType(mt string) bool {
	switch mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		return true
	}
	return false
}
