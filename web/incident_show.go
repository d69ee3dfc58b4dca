package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/web/views"
)

// maxSuggestions bounds the related traces an incident page suggests.
const maxSuggestions = 10

// incidentShow shows an incident's page.
func (h *handler) incidentShow(w http.ResponseWriter, r *http.Request) {
	if !h.incidentsOn(w, r) {
		return
	}
	id, err := incidentID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderIncident(w, r, http.StatusOK, id, views.LinkForm{}, "")
}

// renderIncident renders an incident's page with status: 200, or the
// status of an action it refused, with msg at the top and the link form as
// typed.
func (h *handler) renderIncident(w http.ResponseWriter, r *http.Request, status int, id int64, lf views.LinkForm, msg string) {
	p, err := h.incidentPage(r.Context(), id)
	if err != nil {
		h.fail(w, r, incidentError(err))
		return
	}
	p.Message = msg
	p.LinkForm = lf
	h.render(w, r, status, views.IncidentShow(h.site, p))
}

// incidentPage reads everything an incident's page shows. Suggestions and
// the chart are extras: when they cannot be read the page says so and
// still shows the rest.
func (h *handler) incidentPage(ctx context.Context, id int64) (views.IncidentPage, error) {
	in, err := h.incidents.Get(ctx, id)
	if err != nil {
		return views.IncidentPage{}, err
	}
	p := views.IncidentPage{Incident: in, Transitions: transitions(in.Status), CopyJS: h.assets.url("copy.js")}
	links, err := h.incidents.LinkedTraces(ctx, id)
	if err != nil {
		return views.IncidentPage{}, err
	}
	p.Traces = h.liveRows(ctx, links)

	related, err := h.incidents.Related(ctx, id, incident.RelatedOptions{Limit: maxSuggestions})
	switch {
	case ctx.Err() != nil:
		return views.IncidentPage{}, ctx.Err()
	case err != nil:
		h.log.LogAttrs(ctx, slog.LevelWarn, "suggest related traces", slog.Int64("incident", id), slog.String("error", err.Error()))
		p.RelatedError = "Suggestions are unavailable: the trace source could not be searched."
	default:
		p.Related = related
	}

	deploys, alerts, err := h.timelineEvents(ctx, in)
	if err != nil {
		return views.IncidentPage{}, err
	}
	if p.Timeline, err = h.incidents.Timeline(ctx, id, deploys, alerts); err != nil {
		return views.IncidentPage{}, err
	}
	h.impactChart(ctx, &p)
	pm, err := h.incidents.Postmortem(ctx, id, h.postmortemOptions(deploys, alerts))
	if err != nil {
		return views.IncidentPage{}, err
	}
	p.Postmortem = string(pm)
	return p, nil
}

// impactChart charts the first affected journey around the incident.
func (h *handler) impactChart(ctx context.Context, p *views.IncidentPage) {
	in := p.Incident
	switch {
	case len(in.Journeys) == 0:
		p.ChartNote = "Name an affected journey to chart its conversion and errors around the incident."
		return
	case h.rollups == nil:
		p.ChartNote = "No impact chart: this server computes no rollups."
		return
	}
	slug := in.Journeys[0]
	svg, err := h.incidents.ImpactChart(ctx, in.ID, slug)
	switch {
	case errors.Is(err, rollup.ErrNotFound):
		p.ChartNote = fmt.Sprintf("No numbers for journey %s.", slug)
	case err != nil:
		if ctx.Err() == nil {
			h.log.LogAttrs(ctx, slog.LevelWarn, "chart incident impact", slog.Int64("incident", in.ID), slog.String("error", err.Error()))
		}
		p.ChartNote = "The impact chart is unavailable."
	default:
		p.Chart, p.ChartJourney = svg, slug
	}
}
