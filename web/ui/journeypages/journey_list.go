package journeypages

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/ui/layout"
	"github.com/waymarkhq/waymark/web/ui/slos"
)

// listRange is the range the journeys overview reports on.
const listRange = time.Hour

// sparkPoint is the width of a point of the overview's sparklines.
const sparkPoint = 5 * time.Minute

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
			// Whole points only: a point still filling would read as a
			// fall in conversion.
			sto := to.Truncate(sparkPoint)
			series, err := h.rollups.Series(ctx, slug, sto.Add(-listRange), sto, sparkPoint, nil)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("read series of %q: %w", slug, err)
					cancel()
				}
				mu.Unlock()
				return
			}
			n.Spark = sparkOf(series)
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

// sparkOf is the conversion of each point anyone entered in: those who
// entered then and reached the last step, over those who entered.
func sparkOf(series []rollup.StepSeries) []float64 {
	if len(series) < 2 {
		return nil
	}
	first, last := series[0].Points, series[len(series)-1].Points
	var out []float64
	for i := range min(len(first), len(last)) {
		if first[i].Reached > 0 {
			out = append(out, float64(last[i].Reached)/float64(first[i].Reached))
		}
	}
	return out
}

// sloSeverity orders SLO states from the worst.
func sloSeverity(b slos.SLOBadge) int {
	switch {
	case !b.Evaluated:
		return 1
	case b.State == slos.SLOStatePage:
		return 4
	case b.State == slos.SLOStateTicket:
		return 3
	case b.State == slos.SLOStateInsufficientTraffic:
		return 2
	}
	return 0
}

// worstSLO is the SLO most in trouble: paging before ticketing, then the
// one with the least budget left.
func worstSLO(bs []slos.SLOBadge) []slos.SLOBadge {
	if len(bs) == 0 {
		return nil
	}
	w := bs[0]
	for _, b := range bs[1:] {
		if s, ws := sloSeverity(b), sloSeverity(w); s > ws || (s == ws && b.BudgetRemaining < w.BudgetRemaining) {
			w = b
		}
	}
	return []slos.SLOBadge{w}
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

// sparkLabel says what a list sparkline draws.
func sparkLabel(vs []float64) string {
	return "conversion per 5 minutes over the last hour, " + strconv.Itoa(len(vs)) + " points, last " + layout.Ratio(vs[len(vs)-1])
}
