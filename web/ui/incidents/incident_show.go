package incidents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// maxSuggestions bounds the related traces an incident page suggests.
const maxSuggestions = 10

// IncidentShow shows an incident's page.
func (h *Handler) IncidentShow(w http.ResponseWriter, r *http.Request) {
	id, err := incidenthttp.ID(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.renderIncident(w, r, http.StatusOK, id, LinkForm{}, "")
}

// renderIncident renders an incident's page with status: 200, or the
// status of an action it refused, with msg at the top and the link form as
// typed.
func (h *Handler) renderIncident(w http.ResponseWriter, r *http.Request, status int, id int64, lf LinkForm, msg string) {
	p, err := h.incidentPage(r.Context(), id)
	if err != nil {
		h.Fail(w, r, incidenthttp.Err(err))
		return
	}
	p.Message = msg
	p.LinkForm = lf
	h.Render(w, r, status, IncidentShow(h.Site, p))
}

// incidentPage reads everything an incident's page shows. Suggestions and
// the chart are extras: when they cannot be read the page says so and
// still shows the rest.
func (h *Handler) incidentPage(ctx context.Context, id int64) (IncidentPage, error) {
	in, err := h.incidents.Get(ctx, id)
	if err != nil {
		return IncidentPage{}, err
	}
	p := IncidentPage{Incident: in, Transitions: transitions(in.Status), CopyJS: h.Site.CopyJS}
	links, err := h.incidents.LinkedTraces(ctx, id)
	if err != nil {
		return IncidentPage{}, err
	}
	p.Traces = h.liveRows(ctx, links)

	related, err := h.incidents.Related(ctx, id, incident.RelatedOptions{Limit: maxSuggestions})
	switch {
	case ctx.Err() != nil:
		return IncidentPage{}, ctx.Err()
	case err != nil:
		h.Log.LogAttrs(ctx, slog.LevelWarn, "suggest related traces", slog.Int64("incident", id), slog.String("error", err.Error()))
		p.RelatedError = "Suggestions are unavailable: the trace source could not be searched."
	default:
		p.Related = related
	}

	deploys, alerts, err := h.inc.TimelineEvents(ctx, in)
	if err != nil {
		return IncidentPage{}, err
	}
	if p.Timeline, err = h.incidents.Timeline(ctx, id, deploys, alerts); err != nil {
		return IncidentPage{}, err
	}
	h.impactChart(ctx, &p)
	pm, err := h.incidents.Postmortem(ctx, id, h.postmortemOptions(deploys, alerts))
	if err != nil {
		return IncidentPage{}, err
	}
	p.Postmortem = string(pm)
	return p, nil
}

// impactChart charts the first affected journey around the incident.
func (h *Handler) impactChart(ctx context.Context, p *IncidentPage) {
	in := p.Incident
	switch {
	case len(in.Journeys) == 0:
		p.ChartNote = "Name an affected journey to chart its conversion and errors around the incident."
		return
	case !h.Site.Rollups:
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
			h.Log.LogAttrs(ctx, slog.LevelWarn, "chart incident impact", slog.Int64("incident", in.ID), slog.String("error", err.Error()))
		}
		p.ChartNote = "The impact chart is unavailable."
	default:
		p.Chart, p.ChartJourney = svg, slug
	}
}
