package journeypages

import (
	"context"
	"fmt"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
	"github.com/waymarkhq/waymark/web/ui/slos"
)

// mapDeploys bounds the deploy markers on the map: more would be a smear.
const mapDeploys = 50

// addJourneyExtras adds to the journey map what the rollups alone do not
// say: the SLO states, the deploys in the range and backfills under way.
func (h *Handler) addJourneyExtras(ctx context.Context, m *JourneyMap, j journeys.Journey, win journeyhttp.Window) error {
	slug := j.Metadata.Slug
	if h.Site.Rollups {
		bs, err := h.rollups.Backfills(ctx, slug, slos.BackfillsRead)
		if err != nil {
			return httpx.Missing(fmt.Errorf("read backfills: %w", err), "journey %q", slug)
		}
		m.Backfills = slos.BackfillStatusesOf(bs, h.Now())
	}
	if !h.Site.SLOs {
		return nil
	}
	if len(j.Spec.SLOs) > 0 {
		states, err := h.alerting.JourneySLOStates(ctx, slug)
		if err != nil {
			return httpx.Missing(fmt.Errorf("read SLO states: %w", err), "journey %q", slug)
		}
		m.SLOs = slos.BadgesOf(states)
		if err := h.addForecasts(ctx, m, j); err != nil {
			return err
		}
	}
	if m.Stats != nil {
		ds, err := h.alerting.JourneyDeployments(ctx, slug, win.From, win.To, mapDeploys)
		if err != nil {
			return httpx.Missing(fmt.Errorf("read deploys: %w", err), "journey %q", slug)
		}
		m.Stats.Deploys = slos.DeployMarkersOf(ds)
	}
	return nil
}
