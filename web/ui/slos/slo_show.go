package slos

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/journeyhttp"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// SloShow shows an SLO's page: its numbers now from the rollups, the
// budget's burn-down with deploy markers, the burn-rate table, the stored
// alert state and its history, and traces of recent bad events.
func (h *Handler) SloShow(w http.ResponseWriter, r *http.Request) {
	slug, name := chi.URLParam(r, "slug"), chi.URLParam(r, "name")
	ctx := r.Context()
	rec, err := h.store.GetJourney(ctx, slug)
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "journey %q", slug))
		return
	}
	def, err := journeyhttp.FindSLO(rec.Journey, name)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	now := h.Now()
	st, err := h.alerting.SLOStatus(ctx, slug, name, now)
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "SLO %q of journey %q", name, slug))
		return
	}
	// Deploys up to now, not only to the end of the rollups: the one that
	// went out a minute ago is the first suspect.
	ds, err := h.alerting.JourneyDeployments(ctx, slug, st.Budget.From, now.Add(time.Second), chartDeploys)
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "SLO %q of journey %q", name, slug))
		return
	}
	p := sloPage(st, def, now)
	p.Head = layout.JourneyHead{Journey: rec.Journey, Version: rec.Version}
	p.Deploys = DeployMarkersOf(ds)
	for _, e := range st.Exemplars {
		p.Exemplars = append(p.Exemplars, h.sloExemplar(rec.Journey, e))
	}
	h.Render(w, r, http.StatusOK, SLOShow(h.Site, p))
}

// sloPage lays an SLO's status out for its page.
func sloPage(st sloeval.Status, def journeys.SLO, now time.Time) SLOPage {
	b := st.Budget
	p := SLOPage{
		Name:            st.SLO,
		Kind:            string(def.Kind),
		Step:            def.Step,
		Threshold:       def.Threshold.Raw,
		Objective:       st.Objective,
		Window:          st.Window,
		Calendar:        calendarName(def),
		MinEvents:       st.MinEvents,
		GuardSource:     st.MinEventsSource,
		ResolveAfter:    st.ResolveAfter,
		CohortDelay:     st.CohortDelay,
		DataNote:        st.DataNote,
		Evaluated:       st.Evaluated,
		State:           string(st.State),
		StateSince:      st.StateSince,
		StateReason:     st.StateReason,
		At:              st.At,
		DataThrough:     st.DataThrough,
		BudgetFrom:      b.From,
		BudgetTo:        b.To,
		Stale:           st.Stale,
		StaleReason:     st.StaleReason,
		Approximate:     st.Approximate,
		NoData:          st.NoData,
		SLI:             st.SLI,
		Good:            st.Good,
		Total:           st.Total,
		Bad:             b.Bad,
		ErrorBudget:     b.ErrorBudget,
		AllowedBad:      b.AllowedBad,
		BadLeft:         b.BadLeft,
		BudgetRemaining: b.Remaining,
		Forecast:        st.ForecastSentence,
		AlertStartedAt:  st.AlertStartedAt,
		Now:             now,
	}
	if st.Pending != nil {
		p.Pending = st.Pending.Sentence
	}
	if p.Threshold == "" && def.Threshold.D > 0 {
		p.Threshold = def.Threshold.D.String()
	}
	if st.Deployment != nil {
		d := DeployMarkerOf(*st.Deployment)
		p.AlertDeploy = &d
	}
	for _, pt := range st.BurnDown {
		p.BurnDown = append(p.BurnDown, BurnDownPoint{At: pt.At, Good: pt.Good, Total: pt.Total, Remaining: pt.Remaining})
	}
	for _, pr := range st.Pairs {
		p.Pairs = append(p.Pairs, BurnPairRow{
			Severity:       string(pr.Severity),
			Long:           pr.Long,
			Short:          pr.Short,
			LongBurn:       pr.LongBurn.Rate,
			ShortBurn:      pr.ShortBurn.Rate,
			LongTotal:      pr.LongBurn.Events.Total,
			LongBad:        pr.LongBurn.Events.Bad(),
			ShortTotal:     pr.ShortBurn.Events.Total,
			ShortBad:       pr.ShortBurn.Events.Bad(),
			Threshold:      pr.Threshold,
			MinEvents:      pr.MinEvents,
			ShortMinEvents: pr.ShortMinEvents,
			EnoughTraffic:  pr.EnoughTraffic,
			Fires:          pr.Fires,
			LongNoData:     pr.LongBurn.NoData,
			ShortNoData:    pr.ShortBurn.NoData,
		})
	}
	for _, t := range st.Transitions {
		row := TransitionRow{
			ID: t.ID, At: t.At, From: string(t.From), To: string(t.To), Event: string(t.Event),
			Reason: t.Reason, SLI: t.SLI, BudgetRemaining: t.BudgetRemaining, Good: t.Good, Total: t.Total,
			AlertStartedAt: t.AlertStartedAt,
		}
		if t.Deployment != nil {
			d := DeployMarkerOf(*t.Deployment)
			row.Deploy = &d
		}
		p.Transitions = append(p.Transitions, row)
	}
	return p
}

// sloExemplar links a trace behind an SLO's bad events: the waterfall says
// which journey step led to it, as on the journey map.
func (h *Handler) sloExemplar(j journeys.Journey, e sloeval.Exemplar) SLOExemplar {
	href := "/traces/" + url.PathEscape(e.TraceID)
	if k := j.StepIndex(e.Step); e.Step != "" && k >= 0 {
		href += "?" + url.Values{"journey": {j.Metadata.Slug}, "step": {strconv.Itoa(k + 1)}}.Encode()
	}
	return SLOExemplar{
		TraceID: e.TraceID, Step: e.Step, Start: e.Start, Duration: e.Duration, Error: e.Error,
		Href: href, External: h.ExternalTraceURL(e.TraceID),
	}
}

// calendarName names a calendar SLO window for the page; empty for a
// rolling one.
func calendarName(def journeys.SLO) string {
	if !def.IsCalendar() {
		return ""
	}
	return def.WindowLabel()
}
