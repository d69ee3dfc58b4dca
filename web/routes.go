package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes is the one place every URL Waymark serves is declared.
func (h *handler) routes() http.Handler {
	r := chi.NewRouter()
	// Declared first so that sub-routers inherit them.
	r.NotFound(h.notFound)
	r.MethodNotAllowed(h.methodNotAllowed)
	r.Use(middleware.GetHead, middleware.RedirectSlashes)

	r.Get("/healthz", h.healthz)
	r.Get("/readyz", h.readyz)
	r.Get("/static/*", h.assets.serve)

	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/journeys", http.StatusFound)
	})
	r.Get("/journeys", h.journeyList)
	r.Get("/journeys/new", h.journeyNew)
	r.Post("/journeys/new", h.journeyCreate)
	r.Post("/journeys/import", h.journeyImport)
	r.Get("/journeys/{slug}", h.journeyMap)
	r.Get("/journeys/{slug}/definition", h.journeyDefinition)
	r.Get("/journeys/{slug}/edit", h.journeyEdit)
	r.Post("/journeys/{slug}/edit", h.journeyUpdate)
	r.Post("/journeys/{slug}/import", h.journeyImportUpdate)
	r.Get("/journeys/{slug}/delete", h.journeyDeleteConfirm)
	r.Post("/journeys/{slug}/delete", h.journeyDelete)
	r.Get("/traces/{id}", h.traceShow)

	r.Get("/incidents", h.incidentList)
	r.Get("/incidents/new", h.incidentNew)
	r.Post("/incidents/new", h.incidentCreate)
	r.Post("/incidents/traces", h.incidentTracePick)
	r.Get("/incidents/{id}", h.incidentShow)
	r.Get("/incidents/{id}/edit", h.incidentEdit)
	r.Post("/incidents/{id}/edit", h.incidentUpdate)
	r.Post("/incidents/{id}/status", h.incidentStatus)
	r.Post("/incidents/{id}/traces", h.incidentTraceLink)
	r.Get("/incidents/{id}/traces/{traceID}", h.incidentTraceShow)
	r.Post("/incidents/{id}/traces/{traceID}/unlink", h.incidentTraceUnlink)
	r.Get("/incidents/{id}/postmortem.md", h.incidentPostmortem)

	r.Route("/api", func(r chi.Router) {
		r.Get("/v1/journeys", h.apiJourneyList)
		r.Get("/v1/journeys/{slug}", h.apiJourneyGet)
		r.Put("/v1/journeys/{slug}", h.apiJourneyPut)
		r.Delete("/v1/journeys/{slug}", h.apiJourneyDelete)
		r.Get("/v1/journeys/{slug}/stats", h.apiJourneyStats)

		r.Get("/v1/incidents", h.apiIncidentList)
		r.Post("/v1/incidents", h.apiIncidentCreate)
		r.Get("/v1/incidents/{id}", h.apiIncidentGet)
		r.Put("/v1/incidents/{id}", h.apiIncidentPut)
		r.Post("/v1/incidents/{id}/status", h.apiIncidentStatus)
		r.Get("/v1/incidents/{id}/traces", h.apiIncidentTraces)
		r.Post("/v1/incidents/{id}/traces", h.apiIncidentTraceLink)
		r.Delete("/v1/incidents/{id}/traces/{traceID}", h.apiIncidentTraceUnlink)
		r.Get("/v1/incidents/{id}/traces/{traceID}/snapshot", h.apiIncidentSnapshot)
		r.Get("/v1/incidents/{id}/related", h.apiIncidentRelated)
		r.Get("/v1/incidents/{id}/timeline", h.apiIncidentTimeline)
	})
	return r
}

// notFound answers an unknown URL: JSON under /api, a page elsewhere.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	if isAPI(r) {
		h.fail(w, r, errorf(http.StatusNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
		return
	}
	h.fail(w, r, errorf(http.StatusNotFound, "there is no page at %s", r.URL.Path))
}

func (h *handler) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, errorf(http.StatusMethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path))
}
