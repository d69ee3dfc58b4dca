package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/waymarkhq/waymark/web/httpx"
)

// routes is the one place every URL Waymark serves is declared.
func (h *handler) routes() http.Handler {
	r := chi.NewRouter()
	// Declared first so that sub-routers inherit them.
	r.NotFound(h.notFound)
	r.MethodNotAllowed(h.methodNotAllowed)
	// Instrumented first, so that every answer is counted under the
	// route that served it.
	r.Use(h.Instrument, middleware.GetHead, middleware.RedirectSlashes)

	// Open to everyone: probes, assets, the sign-in page, and /metrics,
	// which checks its own token.
	r.Get("/healthz", h.healthz)
	r.Get("/readyz", h.readyz)
	r.Get("/metrics", h.metricsShow)
	r.Get("/static/*", h.assets.serve)
	r.Get("/login", h.admin.LoginPage)
	r.Post("/login", h.admin.Login)

	// Everything else is behind sign-in, and each route says what it
	// needs: read (viewers, the read scope), writing journeys (editors,
	// journeys:write), editing incidents (editors on the pages, editors and
	// incidents:write through the API), recording deploys (editors,
	// deployments:write), the gate (gate:read, read, any user), or admin.
	// The role × route matrix test holds every route to it.
	r.Group(func(r chi.Router) {
		if h.Auth != nil {
			r.Use(h.Auth.Middleware)
		}
		r.Use(h.SignedIn)
		signedIn := r.With(h.Require(httpx.AccessAny))
		user := r.With(h.Require(httpx.AccessUser))
		read := r.With(h.Require(httpx.AccessRead))
		journeys := r.With(h.Require(httpx.AccessJourneysWrite))
		incidents := r.With(h.Require(httpx.AccessEditor), h.Feature(h.Site.Incidents, httpx.ErrNoIncidents))
		admin := r.With(h.Require(httpx.AccessAdmin))

		signedIn.Post("/logout", h.admin.Logout)
		user.Post("/logout/everywhere", h.admin.LogoutEverywhere)

		read.Get("/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/journeys", http.StatusFound)
		})
		read.Get("/journeys", h.journeys.JourneyList)
		journeys.Get("/journeys/new", h.forms.JourneyNew)
		journeys.Post("/journeys/new", h.forms.JourneyCreate)
		journeys.Post("/journeys/import", h.forms.JourneyImport)
		read.Get("/journeys/suggested", h.forms.JourneySuggested)
		journeys.Get("/journeys/suggest/{what}", h.forms.JourneySuggest)
		journeys.Get("/journeys/preview/step", h.forms.JourneyStepPreview)
		read.Get("/journeys/{slug}", h.journeys.JourneyMap)
		read.Get("/journeys/{slug}/definition", h.journeys.JourneyDefinition)
		read.Get("/journeys/{slug}/why", h.insight.Why)
		read.Get("/journeys/{slug}/heatmap", h.insight.Heatmap)
		journeys.Get("/journeys/{slug}/edit", h.forms.JourneyEdit)
		journeys.Post("/journeys/{slug}/edit", h.forms.JourneyUpdate)
		journeys.Post("/journeys/{slug}/import", h.forms.JourneyImportUpdate)
		journeys.Get("/journeys/{slug}/delete", h.forms.JourneyDeleteConfirm)
		journeys.Post("/journeys/{slug}/delete", h.forms.JourneyDelete)
		read.Get("/journeys/{slug}/slos/{name}", h.slos.SloShow)
		read.Get("/traces/{id}", h.traces.TraceShow)
		read.Get("/sources", h.pipeline.Sources)
		read.Get("/sampling", h.pipeline.Sampling)

		read.Get("/incidents", h.incidents.IncidentList)
		incidents.Get("/incidents/new", h.incidents.IncidentNew)
		incidents.Post("/incidents/new", h.incidents.IncidentCreate)
		incidents.Post("/incidents/traces", h.incidents.IncidentTracePick)
		read.Get("/incidents/{id}", h.incidents.IncidentShow)
		incidents.Get("/incidents/{id}/edit", h.incidents.IncidentEdit)
		incidents.Post("/incidents/{id}/edit", h.incidents.IncidentUpdate)
		incidents.Post("/incidents/{id}/status", h.incidents.IncidentStatus)
		incidents.Post("/incidents/{id}/traces", h.incidents.IncidentTraceLink)
		read.Get("/incidents/{id}/traces/{traceID}", h.incidents.IncidentTraceShow)
		incidents.Post("/incidents/{id}/traces/{traceID}/unlink", h.incidents.IncidentTraceUnlink)
		read.Get("/incidents/{id}/postmortem.md", h.incidents.IncidentPostmortem)

		admin.Get("/admin", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/admin/users", http.StatusFound)
		})
		admin.Get("/admin/users", h.admin.AdminUsers)
		admin.Post("/admin/users", h.admin.AdminUserCreate)
		admin.Post("/admin/users/{id}/role", h.admin.AdminUserRole)
		admin.Post("/admin/users/{id}/disable", h.admin.AdminUserDisable)
		admin.Post("/admin/users/{id}/enable", h.admin.AdminUserEnable)
		admin.Post("/admin/users/{id}/password", h.admin.AdminUserPassword)
		admin.Get("/admin/tokens", h.admin.AdminTokens)
		admin.Post("/admin/tokens", h.admin.AdminTokenCreate)
		admin.Post("/admin/tokens/{id}/revoke", h.admin.AdminTokenRevoke)
		admin.Get("/admin/audit", h.admin.AdminAudit)
		admin.Get("/admin/channels", h.admin.AdminChannels)
		admin.Post("/admin/channels", h.admin.AdminChannelCreate)
		admin.Get("/admin/channels/{id}/edit", h.admin.AdminChannelEdit)
		admin.Post("/admin/channels/{id}/edit", h.admin.AdminChannelUpdate)
		admin.Post("/admin/channels/{id}/enable", h.admin.AdminChannelEnable)
		admin.Post("/admin/channels/{id}/disable", h.admin.AdminChannelDisable)
		admin.Get("/admin/channels/{id}/delete", h.admin.AdminChannelDeleteConfirm)
		admin.Post("/admin/channels/{id}/delete", h.admin.AdminChannelDelete)

		r.Route("/api", func(r chi.Router) {
			read := r.With(h.Require(httpx.AccessRead))
			journeys := r.With(h.Require(httpx.AccessJourneysWrite))
			gate := r.With(h.Require(httpx.AccessGate))
			deploys := r.With(h.Require(httpx.AccessDeploymentsWrite))
			incidents := r.With(h.Require(httpx.AccessIncidentsWrite))
			admin := r.With(h.Require(httpx.AccessAdmin))

			read.Get("/v1/journeys", h.api.JourneyList)
			read.Post("/v1/journeys/preview", h.api.JourneyPreview)
			read.Get("/v1/journeys/suggested", h.api.JourneySuggested)
			read.Get("/v1/suggest/{what}", h.api.Suggest)
			read.Get("/v1/journeys/{slug}", h.api.JourneyGet)
			journeys.Put("/v1/journeys/{slug}", h.api.JourneyPut)
			journeys.Delete("/v1/journeys/{slug}", h.api.JourneyDelete)
			read.Get("/v1/journeys/{slug}/stats", h.api.JourneyStats)
			read.Get("/v1/journeys/{slug}/differences", h.api.JourneyDifferences)
			read.Get("/v1/journeys/{slug}/anomalies", h.api.JourneyAnomalies)
			read.Get("/v1/journeys/{slug}/heatmap", h.api.JourneyHeatmap)
			gate.Get("/v1/journeys/{slug}/gate", h.api.JourneyGate)
			read.Get("/v1/journeys/{slug}/slos", h.api.SLOList)
			read.Get("/v1/journeys/{slug}/slos/{name}", h.api.SLOGet)

			read.Get("/v1/sources", h.api.Sources)
			read.Get("/v1/sampling/policy", h.api.SamplingPolicy)
			read.Get("/v1/deployments", h.api.DeploymentList)
			deploys.Post("/v1/deployments", h.api.DeploymentCreate)
			read.Get("/v1/deployments/{id}", h.api.DeploymentGet)

			read.Get("/v1/incidents", h.api.IncidentList)
			incidents.Post("/v1/incidents", h.api.IncidentCreate)
			read.Get("/v1/incidents/{id}", h.api.IncidentGet)
			incidents.Put("/v1/incidents/{id}", h.api.IncidentPut)
			incidents.Post("/v1/incidents/{id}/status", h.api.IncidentStatus)
			read.Get("/v1/incidents/{id}/traces", h.api.IncidentTraces)
			incidents.Post("/v1/incidents/{id}/traces", h.api.IncidentTraceLink)
			incidents.Delete("/v1/incidents/{id}/traces/{traceID}", h.api.IncidentTraceUnlink)
			read.Get("/v1/incidents/{id}/traces/{traceID}/snapshot", h.api.IncidentSnapshot)
			read.Get("/v1/incidents/{id}/related", h.api.IncidentRelated)
			read.Get("/v1/incidents/{id}/timeline", h.api.IncidentTimeline)

			admin.Get("/v1/audit", h.api.Audit)
			admin.Get("/v1/channels", h.api.ChannelList)
			admin.Post("/v1/channels", h.api.ChannelCreate)
			admin.Get("/v1/channels/{id}", h.api.ChannelGet)
			admin.Put("/v1/channels/{id}", h.api.ChannelPut)
			admin.Delete("/v1/channels/{id}", h.api.ChannelDelete)
		})
	})
	return r
}

// notFound answers an unknown URL: JSON under /api, a page elsewhere.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	if httpx.IsAPI(r) {
		h.Fail(w, r, httpx.Errorf(http.StatusNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
		return
	}
	h.Fail(w, r, httpx.Errorf(http.StatusNotFound, "there is no page at %s", r.URL.Path))
}

func (h *handler) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	h.Fail(w, r, httpx.Errorf(http.StatusMethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path))
}
