package slos

import (
	"time"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sloeval"
)

// BadgesOf turns SLO states into badges.
func BadgesOf(states []sloeval.SLOState) []SLOBadge {
	out := make([]SLOBadge, 0, len(states))
	for _, s := range states {
		out = append(out, SLOBadge{
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

// DeployMarkerOf is a deploy as charts mark it.
func DeployMarkerOf(d deploy.Deployment) DeployMarker {
	return DeployMarker{
		Service: d.Service, Version: d.Version, Environment: d.Environment,
		At: d.At, URL: d.URL, Description: d.Description,
	}
}

// DeployMarkersOf are deploys as charts mark them.
func DeployMarkersOf(ds []deploy.Deployment) []DeployMarker {
	out := make([]DeployMarker, 0, len(ds))
	for _, d := range ds {
		out = append(out, DeployMarkerOf(d))
	}
	return out
}

// BackfillStatusesOf picks the backfills the journey map shows: every one
// pending or running, and the newest when it finished recently.
func BackfillStatusesOf(bs []rollup.Backfill, now time.Time) []BackfillStatus {
	var out []BackfillStatus
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
		out = append(out, BackfillStatus{
			State: b.State, From: b.From, To: b.To, DoneThrough: b.DoneThrough,
			Progress: b.Progress(), Error: b.Error, UpdatedAt: b.UpdatedAt, Now: now,
		})
	}
	return out
}

// chartDeploys bounds the deploy markers on a chart: more would be a smear.
const chartDeploys = 50

// How long a finished backfill stays on the journey map: long enough to
// explain numbers that changed, short enough not to become furniture.
const (
	backfillDoneShown   = 2 * time.Minute
	backfillFailedShown = 24 * time.Hour
	// BackfillsRead is how many of a journey's latest backfills are read.
	BackfillsRead = 5
)
