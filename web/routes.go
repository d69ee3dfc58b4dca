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
	// Instrumented first, so that every answer is counted under the
	// route that served it.
	r.Use(h.instrument, middleware.GetHead, middleware.RedirectSlashes)

	// Open to everyone: probes, assets, the sign-in page, and /metrics,
	// which checks its own token.
	r.Get("/healthz", h.healthz)
	r.Get("/readyz", h.readyz)
	r.Get("/metrics", h.metricsShow)
	r.Get("/static/*", h.assets.serve)
	r.Get("/login", h.loginPage)
	r.Post("/login", h.login)

	// Everything else is behind sign-in, and each route says what it
	// needs: read (viewers, the read scope), writing journeys (editors,
	// journeys:write), editing incidents (editors on the pages, editors and
	// incidents:write through the API), recording deploys (editors,
	// deployments:write), the gate (gate:read, read, any user), or admin.
	// The role × route matrix test holds every route to it.
	r.Group(func(r chi.Router) {
		if h.auth != nil {
			r.Use(h.auth.Middleware)
		}
		r.Use(h.signedIn)
		signedIn := r.With(h.require(accessAny))
		user := r.With(h.require(accessUser))
		read := r.With(h.require(accessRead))
		journeys := r.With(h.require(accessJourneysWrite))
		incidents := r.With(h.require(accessEditor))
		admin := r.With(h.require(accessAdmin))

		signedIn.Post("/logout", h.logout)
		user.Post("/logout/everywhere", h.logoutEverywhere)

		read.Get("/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/journeys", http.StatusFound)
		})
		read.Get("/journeys", h.journeyList)
		journeys.Get("/journeys/new", h.journeyNew)
		journeys.Post("/journeys/new", h.journeyCreate)
		journeys.Post("/journeys/import", h.journeyImport)
		read.Get("/journeys/{slug}", h.journeyMap)
		read.Get("/journeys/{slug}/definition", h.journeyDefinition)
		journeys.Get("/journeys/{slug}/edit", h.journeyEdit)
		journeys.Post("/journeys/{slug}/edit", h.journeyUpdate)
		journeys.Post("/journeys/{slug}/import", h.journeyImportUpdate)
		journeys.Get("/journeys/{slug}/delete", h.journeyDeleteConfirm)
		journeys.Post("/journeys/{slug}/delete", h.journeyDelete)
		read.Get("/journeys/{slug}/slos/{name}", h.sloShow)
		read.Get("/traces/{id}", h.traceShow)

		read.Get("/incidents", h.incidentList)
		incidents.Get("/incidents/new", h.incidentNew)
		incidents.Post("/incidents/new", h.incidentCreate)
		incidents.Post("/incidents/traces", h.incidentTracePick)
		read.Get("/incidents/{id}", h.incidentShow)
		incidents.Get("/incidents/{id}/edit", h.incidentEdit)
		incidents.Post("/incidents/{id}/edit", h.incidentUpdate)
		incidents.Post("/incidents/{id}/status", h.incidentStatus)
		incidents.Post("/incidents/{id}/traces", h.incidentTraceLink)
		read.Get("/incidents/{id}/traces/{traceID}", h.incidentTraceShow)
		incidents.Post("/incidents/{id}/traces/{traceID}/unlink", h.incidentTraceUnlink)
		read.Get("/incidents/{id}/postmortem.md", h.incidentPostmortem)

		admin.Get("/admin", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/admin/users", http.StatusFound)
		})
		admin.Get("/admin/users", h.adminUsers)
		admin.Post("/admin/users", h.adminUserCreate)
		admin.Post("/admin/users/{id}/role", h.adminUserRole)
		admin.Post("/admin/users/{id}/disable", h.adminUserDisable)
		admin.Post("/admin/users/{id}/enable", h.adminUserEnable)
		admin.Post("/admin/users/{id}/password", h.adminUserPassword)
		admin.Get("/admin/tokens", h.adminTokens)
		admin.Post("/admin/tokens", h.adminTokenCreate)
		admin.Post("/admin/tokens/{id}/revoke", h.adminTokenRevoke)
		admin.Get("/admin/audit", h.adminAudit)
		admin.Get("/admin/channels", h.adminChannels)
		admin.Post("/admin/channels", h.adminChannelCreate)
		admin.Get("/admin/channels/{id}/edit", h.adminChannelEdit)
		admin.Post("/admin/channels/{id}/edit", h.adminChannelUpdate)
		admin.Post("/admin/channels/{id}/enable", h.adminChannelEnable)
		admin.Post("/admin/channels/{id}/disable", h.adminChannelDisable)
		admin.Get("/admin/channels/{id}/delete", h.adminChannelDeleteConfirm)
		admin.Post("/admin/channels/{id}/delete", h.adminChannelDelete)

		r.Route("/api", func(r chi.Router) {
			read := r.With(h.require(accessRead))
			journeys := r.With(h.require(accessJourneysWrite))
			gate := r.With(h.require(accessGate))
			deploys := r.With(h.require(accessDeploymentsWrite))
			incidents := r.With(h.require(accessIncidentsWrite))
			admin := r.With(h.require(accessAdmin))

			read.Get("/v1/journeys", h.apiJourneyList)
			read.Get("/v1/journeys/{slug}", h.apiJourneyGet)
			journeys.Put("/v1/journeys/{slug}", h.apiJourneyPut)
			journeys.Delete("/v1/journeys/{slug}", h.apiJourneyDelete)
			read.Get("/v1/journeys/{slug}/stats", h.apiJourneyStats)
			gate.Get("/v1/journeys/{slug}/gate", h.apiJourneyGate)
			read.Get("/v1/journeys/{slug}/slos", h.apiSLOList)
			read.Get("/v1/journeys/{slug}/slos/{name}", h.apiSLOGet)

			read.Get("/v1/deployments", h.apiDeploymentList)
			deploys.Post("/v1/deployments", h.apiDeploymentCreate)
			read.Get("/v1/deployments/{id}", h.apiDeploymentGet)

			read.Get("/v1/incidents", h.apiIncidentList)
			incidents.Post("/v1/incidents", h.apiIncidentCreate)
			read.Get("/v1/incidents/{id}", h.apiIncidentGet)
			incidents.Put("/v1/incidents/{id}", h.apiIncidentPut)
			incidents.Post("/v1/incidents/{id}/status", h.apiIncidentStatus)
			read.Get("/v1/incidents/{id}/traces", h.apiIncidentTraces)
			incidents.Post("/v1/incidents/{id}/traces", h.apiIncidentTraceLink)
			incidents.Delete("/v1/incidents/{id}/traces/{traceID}", h.apiIncidentTraceUnlink)
			read.Get("/v1/incidents/{id}/traces/{traceID}/snapshot", h.apiIncidentSnapshot)
			read.Get("/v1/incidents/{id}/related", h.apiIncidentRelated)
			read.Get("/v1/incidents/{id}/timeline", h.apiIncidentTimeline)

			admin.Get("/v1/audit", h.apiAudit)
			admin.Get("/v1/channels", h.apiChannelList)
			admin.Post("/v1/channels", h.apiChannelCreate)
			admin.Get("/v1/channels/{id}", h.apiChannelGet)
			admin.Put("/v1/channels/{id}", h.apiChannelPut)
			admin.Delete("/v1/channels/{id}", h.apiChannelDelete)
		})
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
