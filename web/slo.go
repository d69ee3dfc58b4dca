package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/waymarkhq/waymark/internal/alerting"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// errNoAlerting answers a request about SLOs or deploys on a server that
// evaluates no SLOs.
var errNoAlerting = &httpError{status: http.StatusServiceUnavailable, msg: "this server evaluates no SLOs"}

// Deploy markers shown at most: on a chart more would be a smear.
const (
	chartDeploys = 50
	mapDeploys   = 50
)

// How long a finished backfill stays on the journey map: long enough to
// explain numbers that changed, short enough not to become furniture.
const (
	backfillDoneShown   = time.Hour
	backfillFailedShown = 24 * time.Hour
	backfillsRead       = 5
)

// findSLO returns a journey's SLO by name, or a 404 naming both.
func findSLO(j journeys.Journey, name string) (journeys.SLO, error) {
	for _, o := range j.Spec.SLOs {
		if o.Name == name {
			return o, nil
		}
	}
	return journeys.SLO{}, &httpError{status: http.StatusNotFound,
		msg: fmt.Sprintf("journey %q has no SLO %q", j.Metadata.Slug, name)}
}

// sloError words what the alerting service did not find, which may have
// been deleted since the journey was read.
func sloError(slug, name string, err error) error {
	if errors.Is(err, alerting.ErrNotFound) {
		return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("SLO %q of journey %q not found", name, slug), err: err}
	}
	return err
}

// alertingJourneyError words a journey the alerting service does not know
// (deleted meanwhile) as the journey pages do.
func alertingJourneyError(slug string, err error) error {
	if errors.Is(err, alerting.ErrNotFound) {
		return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("journey %q not found", slug), err: err}
	}
	return err
}

// sloBadges turns SLO states into badges.
func sloBadges(states []alerting.SLOState) []views.SLOBadge {
	out := make([]views.SLOBadge, 0, len(states))
	for _, s := range states {
		out = append(out, views.SLOBadge{
			Journey:         s.Journey,
			Name:            s.SLO,
			Evaluated:       s.Evaluated,
			State:           string(s.State),
			Reason:          s.Reason,
			Stale:           s.Stale,
			BudgetRemaining: s.BudgetRemaining,
		})
	}
	return out
}

func deployMarker(d alerting.Deployment) views.DeployMarker {
	return views.DeployMarker{
		Service: d.Service, Version: d.Version, Environment: d.Environment,
		At: d.At, URL: d.URL, Description: d.Description,
	}
}

func deployMarkers(ds []alerting.Deployment) []views.DeployMarker {
	out := make([]views.DeployMarker, 0, len(ds))
	for _, d := range ds {
		out = append(out, deployMarker(d))
	}
	return out
}

// backfillStatuses picks the backfills the journey map shows: every one
// pending or running, and the newest when it finished recently.
func backfillStatuses(bs []rollup.Backfill, now time.Time) []views.BackfillStatus {
	var out []views.BackfillStatus
	for i, b := range bs {
		age := now.Sub(b.UpdatedAt)
		show := false
		switch b.State {
		case rollup.BackfillPending, rollup.BackfillRunning:
			show = true
		case rollup.BackfillDone:
			show = i == 0 && age < backfillDoneShown
		case rollup.BackfillFailed:
			show = i == 0 && age < backfillFailedShown
		}
		if !show {
			continue
		}
		out = append(out, views.BackfillStatus{
			State: b.State, From: b.From, To: b.To, DoneThrough: b.DoneThrough,
			Progress: b.Progress(), Error: b.Error, UpdatedAt: b.UpdatedAt, Now: now,
		})
	}
	return out
}

// addJourneyExtras adds to the journey map what the rollups alone do not
// say: the SLO states, the deploys in the range and backfills under way.
func (h *handler) addJourneyExtras(ctx context.Context, m *views.JourneyMap, j journeys.Journey, win timeWindow) error {
	slug := j.Metadata.Slug
	if h.rollups != nil {
		bs, err := h.rollups.Backfills(ctx, slug, backfillsRead)
		if err != nil {
			return rollupError(slug, fmt.Errorf("read backfills: %w", err))
		}
		m.Backfills = backfillStatuses(bs, h.now())
	}
	if h.alerting == nil {
		return nil
	}
	if len(j.Spec.SLOs) > 0 {
		states, err := h.alerting.JourneySLOStates(ctx, slug)
		if err != nil {
			return alertingJourneyError(slug, fmt.Errorf("read SLO states: %w", err))
		}
		m.SLOs = sloBadges(states)
	}
	if m.Stats != nil {
		ds, err := h.alerting.JourneyDeployments(ctx, slug, win.From, win.To, mapDeploys)
		if err != nil {
			return alertingJourneyError(slug, fmt.Errorf("read deploys: %w", err))
		}
		m.Stats.Deploys = deployMarkers(ds)
	}
	return nil
}
