package journeypages

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/ui/slos"
)

// listRange is the range the journeys overview reports on.
const listRange = time.Hour

// listParallel bounds the stats queries the overview runs at once: enough
// to hide round trips, few enough to leave connections for everyone else.
const listParallel = 4

// JourneyList shows every journey with its last hour at a glance.
func (h *Handler) JourneyList(w http.ResponseWriter, r *http.Request) {
	recs, err := h.store.ListJourneys(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	list := make([]JourneySummary, 0, len(recs))
	for _, rec := range recs {
		m := rec.Journey.Metadata
		list = append(list, JourneySummary{
			Slug:        m.Slug,
			Name:        m.Name,
			Owner:       m.Owner,
			Steps:       len(rec.Journey.Spec.Steps),
			Correlation: rec.Journey.Spec.Correlation,
			Version:     rec.Version,
			UpdatedAt:   rec.UpdatedAt,
			UpdatedBy:   rec.UpdatedBy,
		})
	}
	if h.Site.Rollups {
		if err := h.listNumbers(r.Context(), recs, list); err != nil {
			h.Fail(w, r, err)
			return
		}
	}
	if h.Site.SLOs {
		if err := h.listSLOs(r.Context(), list); err != nil {
			h.Fail(w, r, err)
			return
		}
	}
	h.Render(w, r, http.StatusOK, JourneyList(h.Site, list))
}

// listNumbers fills each journey's numbers over the last hour: conversion
// and the step with the highest error rate.
func (h *Handler) listNumbers(ctx context.Context, recs []journeystore.JourneyRecord, list []JourneySummary) error {
	to := h.Now().UTC().Truncate(time.Minute)
	from := to.Add(-listRange)
	fresh, err := h.rollups.AllFreshness(ctx)
	if err != nil {
		return fmt.Errorf("read freshness: %w", err)
	}
	delayed := make(map[string]bool, len(fresh))
	for _, f := range fresh {
		delayed[f.Slug] = f.Failing()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, listParallel)
	)
	for i, rec := range recs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			slug := rec.Journey.Metadata.Slug
			st, err := h.rollups.Stats(ctx, slug, from, to, nil)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("read stats of %q: %w", slug, err)
					cancel()
				}
				mu.Unlock()
				return
			}
			n := numbersOf(st, rec.Journey.Spec.Steps)
			n.Delayed = delayed[slug]
			list[i].Numbers = &n
		}()
	}
	wg.Wait()
	return firstErr
}

// numbersOf sums up one journey's stats for the overview.
func numbersOf(st rollup.JourneyStats, steps []journeys.Step) JourneyNumbers {
	n := JourneyNumbers{Entered: st.Entered, Conversion: st.Conversion, HasData: st.Entered > 0}
	for k, s := range st.Steps {
		n.HasData = n.HasData || s.Spans > 0
		if s.Errors > 0 && s.ErrorRate > n.WorstErrorRate {
			n.WorstErrorRate = s.ErrorRate
			n.WorstStep = fmt.Sprintf("step %d", k+1)
			if k < len(steps) {
				n.WorstStep = steps[k].Name
			}
		}
	}
	return n
}

// listSLOs fills each journey's SLO badges from one read of every SLO's
// state.
func (h *Handler) listSLOs(ctx context.Context, list []JourneySummary) error {
	states, err := h.alerting.AllSLOStates(ctx)
	if err != nil {
		return fmt.Errorf("read SLO states: %w", err)
	}
	bySlug := map[string][]sloeval.SLOState{}
	for _, s := range states {
		bySlug[s.Journey] = append(bySlug[s.Journey], s)
	}
	for i := range list {
		list[i].SLOs = slos.BadgesOf(bySlug[list[i].Slug])
	}
	return nil
}
