package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/alerthttp"
	"github.com/waymarkhq/waymark/web/httpx"
)

// dataValue reads the exact number behind a data-testid.
func dataValue(t *testing.T, doc *goquerySelection, id string) float64 {
	t.Helper()
	sel := doc.Find(`[data-testid="` + id + `"]`)
	require.Equal(t, 1, sel.Length(), id)
	v, err := strconv.ParseFloat(sel.AttrOr("data-value", ""), 64)
	require.NoError(t, err, id)
	return v
}

func TestSLOPage(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, func(o *Options) { o.TraceURLTemplate = "https://tempo.example/trace/{traceID}" })
	b.seedIncident(t)

	rec := b.do(t, http.MethodGet, "/journeys/shop/slos/pay-success", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := page(t, rec)
	body := doc.Selection
	st, err := b.svc.SLOStatus(b.ctx, "shop", "pay-success", sloT0)
	require.NoError(t, err)

	// The numbers, by hand: 600 payments in the window, 40 failed; a 5%
	// budget allows 30, so 10 too many were spent: a third over.
	want := map[string]float64{
		"slo-objective":        0.95,
		"slo-sli":              560.0 / 600,
		"slo-budget-remaining": 1 - (40.0/600)/0.05,
		"slo-good":             560,
		"slo-total":            600,
		"slo-bad":              40,
		"slo-allowed-bad":      0.05 * 600,
		"slo-bad-left":         0.05*600 - 40,
		"slo-min-events":       10,
	}
	for id, w := range want {
		require.InDelta(t, w, dataValue(t, body, id), 1e-12, id)
	}
	// And exactly what the alerting service says.
	status := map[string]float64{
		"slo-objective": st.Objective, "slo-sli": st.SLI, "slo-budget-remaining": st.Budget.Remaining,
		"slo-good": float64(st.Good), "slo-total": float64(st.Total), "slo-bad": float64(st.Budget.Bad),
		"slo-allowed-bad": st.Budget.AllowedBad, "slo-bad-left": st.Budget.BadLeft, "slo-min-events": float64(st.MinEvents),
	}
	for id, w := range status {
		require.Equal(t, w, dataValue(t, body, id), id)
	}
	text := func(id string) string { return squash(testID(doc, id).Text()) }
	require.Equal(t, "95% of spans of step s2 without errors, over 24h", text("slo-target"))
	require.Equal(t, "95%", text("slo-objective"))
	require.Equal(t, "93.333%", text("slo-sli"))
	require.Equal(t, "-33.3%", text("slo-budget-remaining"))
	require.Equal(t, "40 of 30 allowed", squash(testID(doc, "slo-bad").Parent().Text()))
	require.Equal(t, "-10", text("slo-bad-left"))

	// The alert: paging since the evaluation at sloT0, after shop 1.5.0.
	require.Equal(t, "page", testID(doc, "slo-state-badge").AttrOr("data-state", ""))
	require.Equal(t, "since 12:00 UTC (just now)", text("slo-state-since"))
	require.Equal(t, "Burn 6.67× over 12m and 8× over 1m reach 6×.", text("slo-state-reason"))
	require.Equal(t, "The alert started 12:00 UTC, after shop@1.5.0 was deployed 11:45 UTC.", text("slo-alert-deploy"))
	require.Equal(t, httpx.UpperFirst(st.ForecastSentence)+".", text("slo-forecast"))
	require.Equal(t, "The budget is spent.", text("slo-forecast"))

	// The burn-rate table, pair by pair.
	type pairRow struct {
		severity, long, short string
		longBurn, shortBurn   float64
		threshold             float64
		longTotal             float64
		fires                 string
	}
	wantPairs := []pairRow{
		{"page", "2m", "1m", (8.0 / 20) / 0.05, (4.0 / 10) / 0.05, 14.4, 20, "no"},
		{"page", "12m", "1m", (40.0 / 120) / 0.05, (4.0 / 10) / 0.05, 6, 120, "firing"},
		{"ticket", "48m", "4m", (40.0 / 480) / 0.05, (16.0 / 40) / 0.05, 3, 480, "no"},
		{"ticket", "2h24m", "12m", (40.0 / 600) / 0.05, (40.0 / 120) / 0.05, 1, 600, "firing"},
	}
	require.Equal(t, len(wantPairs), testID(doc, "burn-table").Find("tbody tr").Length())
	for i, w := range wantPairs {
		p := "pair-" + itoa(i)
		require.Equal(t, w.severity, text(p+"-severity"), p)
		require.Equal(t, w.long, text(p+"-long"), p)
		require.Equal(t, w.short, text(p+"-short"), p)
		require.InDelta(t, w.longBurn, dataValue(t, body, p+"-long-burn"), 1e-9, p)
		require.InDelta(t, w.shortBurn, dataValue(t, body, p+"-short-burn"), 1e-9, p)
		require.Equal(t, w.threshold, dataValue(t, body, p+"-threshold"), p)
		require.Equal(t, w.longTotal, dataValue(t, body, p+"-long-total"), p)
		require.Equal(t, w.fires, text(p+"-fires"), p)
		sp := st.Pairs[i]
		require.Equal(t, sp.LongBurn.Rate, dataValue(t, body, p+"-long-burn"), p)
		require.Equal(t, sp.ShortBurn.Rate, dataValue(t, body, p+"-short-burn"), p)
	}
	require.Equal(t, "6.67×", text("pair-1-long-burn"))

	// The history: one transition, into page, naming the deploy.
	require.Equal(t, 1, testID(doc, "transitions").Find("tbody tr").Length())
	require.Equal(t, "ok → page firing", text("transition-0-change"))
	require.Equal(t, "burn 6.67× over 12m and 8× over 1m reach 6×", text("transition-0-reason"))
	require.Equal(t, "shop@1.5.0 deployed 15m before", text("transition-0-deploy"))
	require.Equal(t, "2026-03-02 12:00 UTC", text("transition-0-at"))
	require.InDelta(t, 560.0/600, dataValue(t, body, "transition-0-sli"), 1e-12)
	require.Equal(t, float64(600), dataValue(t, body, "transition-0-total"))

	// The burn-down: a line from 100% down to a third overspent, with the
	// journey's deploys (not search's) in time order.
	svg := testID(doc, "burn-down")
	require.Equal(t, 1, svg.Length())
	line := strings.Fields(testID(doc, "burn-down-line").AttrOr("points", ""))
	require.Len(t, line, len(st.BurnDown))
	require.Equal(t, "48,28", line[0])
	require.Equal(t, "shop@1.4.9", squash(testID(doc, "burn-down-deploy-0").Find("text").Text()))
	require.Equal(t, "shop@1.5.0", squash(testID(doc, "burn-down-deploy-1").Find("text").Text()))
	require.Equal(t, "shop@1.5.0 deployed 2026-03-02 11:45 UTC", squash(testID(doc, "burn-down-deploy-1").Find("title").Text()))
	require.Zero(t, testID(doc, "burn-down-deploy-2").Length())
	require.NotContains(t, svg.Text(), "search")
	// A deploy 15 minutes before the end of a day-long chart sits 15/1440
	// of the plot's 660 units from its right edge: at 48 + 660·1425/1440 =
	// 701.125.
	x1, _ := testID(doc, "burn-down-deploy-1").Find("line").Attr("x1")
	require.Equal(t, "701.1", x1)
	require.Equal(t, "2026-03-02 11:45 UTC shop@1.5.0 production", text("slo-deploys-0"))
	require.Equal(t, "2026-03-02 11:10 UTC shop@1.4.9 production", text("slo-deploys-1"))

	// The traces behind the bad events: failed payments, linking to the
	// waterfall of step 2 and to the trace backend.
	require.NotEmpty(t, st.Exemplars)
	var hrefs, external []string
	testID(doc, "slo-exemplars").Find("a").Each(func(_ int, a *goquerySelection) {
		id := a.AttrOr("data-testid", "")
		if strings.HasSuffix(id, "-external") {
			external = append(external, a.AttrOr("href", ""))
		} else {
			hrefs = append(hrefs, a.AttrOr("href", ""))
		}
	})
	var wantHrefs, wantExternal []string
	for _, e := range st.Exemplars {
		require.True(t, e.Error)
		require.Equal(t, "s2", e.Step)
		wantHrefs = append(wantHrefs, "/traces/"+e.TraceID+"?journey=shop&step=2")
		wantExternal = append(wantExternal, "https://tempo.example/trace/"+e.TraceID)
	}
	require.Equal(t, wantHrefs, hrefs)
	require.Equal(t, wantExternal, external)
	// The latest failure is the last minute's seventh trace: trace 597.
	require.Equal(t, rolluptest.TraceID(597), st.Exemplars[0].TraceID)

	// The API answers the same status.
	rec = b.do(t, http.MethodGet, "/api/v1/journeys/shop/slos/pay-success", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var api sloeval.Status
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &api))
	require.Equal(t, st.SLI, api.SLI)
	require.Equal(t, st.Budget, api.Budget)
	require.Equal(t, slo.StatePage, api.State)
	require.Len(t, api.Transitions, 1)
	require.Equal(t, "1.5.0", api.Transitions[0].Deployment.Version)
}

func TestSLOPageBeforeEvaluation(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.seedSLOJourney(t, sloJourney("shop", paySuccess, confirmSuccess))
	b.clock.Set(sloT0)

	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop/slos/confirm-success", nil))
	text := func(id string) string { return squash(testID(doc, id).Text()) }
	// Nothing reached s3: no events, the budget untouched, and too little
	// traffic to alert.
	require.Equal(t, "insufficient_traffic", testID(doc, "slo-state-badge").AttrOr("data-state", ""))
	require.Equal(t, "not evaluated yet: this is what the rollups say now", text("slo-state-since"))
	require.Equal(t, "No events in the last 2m, need 10 to alert.", text("slo-state-reason"))
	require.Equal(t, "no events", text("slo-sli"))
	require.Equal(t, "100%", text("slo-budget-remaining"))
	require.Equal(t, "No changes of state yet.", text("no-transitions"))
	require.Equal(t, "No traces of bad events in the recent alert window.", text("no-exemplars"))
	require.Equal(t, "No budget burned in the last 24h.", text("slo-forecast"))
	require.Equal(t, "too little traffic", text("pair-0-fires"))
	require.Equal(t, "(need 10)", text("pair-0-traffic"))
}

func TestSLOPageErrors(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.seedSLOJourney(t, sloJourney("shop", paySuccess))
	off := setupSLO(t, func(o *Options) { o.Alerting = alerthttp.Off{} })
	off.seedSLOJourney(t, sloJourney("shop", paySuccess))

	tests := []struct {
		name   string
		b      *sloBundle
		target string
		status int
		msg    string
	}{
		{"unknown journey", b, "/journeys/nope/slos/pay-success", http.StatusNotFound, `Journey "nope" not found.`},
		{"unknown SLO", b, "/journeys/shop/slos/nope", http.StatusNotFound, `Journey "shop" has no SLO "nope".`},
		{"no alerting", off, "/journeys/shop/slos/pay-success", http.StatusServiceUnavailable, "This server evaluates no SLOs."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := tt.b.do(t, http.MethodGet, tt.target, nil)
			require.Equal(t, tt.status, rec.Code)
			doc := page(t, rec)
			require.Equal(t, tt.msg, testID(doc, "error-message").Text())
		})
	}
	apiTests := []struct {
		name   string
		b      *sloBundle
		target string
		status int
		body   string
	}{
		{"unknown journey", b, "/api/v1/journeys/nope/slos/pay-success", http.StatusNotFound, `{"error":{"message":"journey \"nope\" not found"}}`},
		{"unknown SLO", b, "/api/v1/journeys/shop/slos/nope", http.StatusNotFound, `{"error":{"message":"journey \"shop\" has no SLO \"nope\""}}`},
		{"list of unknown journey", b, "/api/v1/journeys/nope/slos", http.StatusNotFound, `{"error":{"message":"journey \"nope\" not found"}}`},
		{"no alerting", off, "/api/v1/journeys/shop/slos", http.StatusServiceUnavailable, `{"error":{"message":"this server evaluates no SLOs"}}`},
	}
	for _, tt := range apiTests {
		t.Run("api "+tt.name, func(t *testing.T) {
			t.Parallel()
			requireJSON(t, tt.b.do(t, http.MethodGet, tt.target, nil), tt.status, tt.body)
		})
	}
}

func TestSLOListAPI(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.seedIncident(t)
	rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/slos", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got struct {
		SLOs []sloeval.SLOState `json:"slos"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	want, err := b.svc.JourneySLOStates(b.ctx, "shop")
	require.NoError(t, err)
	require.Equal(t, want, got.SLOs)
	var states []slo.State
	for _, s := range got.SLOs {
		states = append(states, s.State)
	}
	require.Equal(t, []slo.State{slo.StatePage, slo.StateOK, slo.StateInsufficientTraffic}, states)
	require.Equal(t, sloT0, got.SLOs[0].Since)
	require.Equal(t, 24*time.Hour, got.SLOs[1].Window)
}

// TestSLOPageHoldAndGuard: the page explains the SLO's traffic guard and
// resolve hold, and while a page waits out its hold it shows the page
// with the step down under way, worded as such.
func TestSLOPageHoldAndGuard(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	guarded := paySuccess
	guarded.MinEvents = journeys.NewCount(40)
	guarded.ResolveAfter = journeys.NewDuration(15 * time.Minute)
	j := sloJourney("shop", guarded)
	b.seedSLOJourney(t, j)
	require.Equal(t, slo.StatePage, b.evaluate(t, "shop", guarded.Name, sloT0).State)

	// Five clean minutes after the failures.
	rec, err := b.store.GetJourney(b.ctx, "shop")
	require.NoError(t, err)
	src := &rolluptest.Source{}
	for m := 0; m < 5; m++ {
		for i := 0; i < 10; i++ {
			n := 10_000 + 10*m + i
			start := sloAt(time.Duration(m)*time.Minute + time.Duration(i)*5*time.Second)
			src.Add(rolluptest.StepSpan(1, n, 2*n, start, 50*time.Millisecond, false, nil),
				rolluptest.StepSpan(2, n, 2*n+1, start.Add(time.Second), 100*time.Millisecond, false, nil))
		}
	}
	res, err := rollup.Aggregate(b.ctx, src, j, rollup.Range{From: sloT0, To: sloAt(5 * time.Minute)}, nil)
	require.NoError(t, err)
	require.NoError(t, b.rollups.Write(b.ctx, res, rollup.WriteOptions{Version: rec.Version, Live: true, Started: sloAt(5 * time.Minute)}))
	out := b.evaluate(t, "shop", guarded.Name, sloAt(5*time.Minute))
	require.Equal(t, slo.StatePage, out.State)
	require.Nil(t, out.Transition)

	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop/slos/pay-success", nil))
	text := func(id string) string { return squash(testID(doc, id).Text()) }
	require.Equal(t, "page", testID(doc, "slo-state-badge").AttrOr("data-state", ""))
	require.Equal(t, 1, doc.Find(`[data-testid="slo-state-badge"]`).Length(), "one state")
	require.Equal(t, "De-escalating: no page window has burned at or above its threshold since 12:05 UTC; becomes a ticket at 12:20 UTC if none does.", text("slo-pending"))
	require.Equal(t, float64(40), dataValue(t, doc.Selection, "slo-min-events"))
	require.Equal(t, "An alert window pair fires only when its long window holds at least 40 events and its short window the same share of them (see the table), so that a thin minute cannot page on one error. Set by the SLO's minEvents.",
		text("slo-min-events-why"))
	require.Equal(t, "15m", text("slo-resolve-after"))
	require.Equal(t, float64(900), dataValue(t, doc.Selection, "slo-resolve-after"))
	require.Equal(t, "An alert resolves, and a page becomes a ticket, only once no window of it has burned at its threshold for 15m, so that it does not flip with noise; firing is immediate.",
		text("slo-resolve-after-why"))
	// The 2m/1m pair holds 20 events over 2 minutes and 10 in the last:
	// under a guard of 40 and its share of 20.
	require.Equal(t, "(need 40)", text("pair-0-traffic"))
	require.Equal(t, "(need 20)", text("pair-0-short-traffic"))
	require.Equal(t, float64(10), dataValue(t, doc.Selection, "pair-0-short-total"))
	require.Zero(t, testID(doc, "slo-data-note").Length())

	// The API says the same.
	var api sloeval.Status
	apiRec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/slos/pay-success", nil)
	require.Equal(t, http.StatusOK, apiRec.Code)
	require.NoError(t, json.Unmarshal(apiRec.Body.Bytes(), &api))
	require.Equal(t, &sloeval.Pending{Kind: sloeval.PendingResolve, To: slo.StateTicket, At: sloAt(20 * time.Minute),
		Sentence: "de-escalating: no page window has burned at or above its threshold since 12:05 UTC; becomes a ticket at 12:20 UTC if none does"}, api.Pending)
	require.Equal(t, sloeval.GuardFromJourney, api.MinEventsSource)
	require.Equal(t, 15*time.Minute, api.ResolveAfter)
}

// TestSLOPageConversionLag: a conversion SLO says that its numbers are
// one correlation window old, and counts only the journeys whose window
// closed: of the hour's 600 traces, the 500 that entered before 11:50.
func TestSLOPageConversionLag(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	conv := journeys.SLO{Name: "reach-s2", Step: "s2", Kind: journeys.SLOConversion, Objective: 0.9, Window: journeys.NewDuration(journeys.Day)}
	b.seedSLOJourney(t, sloJourney("shop", conv))
	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop/slos/reach-s2", nil))
	require.Equal(t, "Conversion counts a journey once its 10m correlation window has closed: these numbers are 10m old, of the journeys that entered before 11:50 UTC.",
		squash(testID(doc, "slo-data-note").Text()))
	require.Equal(t, float64(500), dataValue(t, doc.Selection, "slo-total"))
	require.Equal(t, float64(500), dataValue(t, doc.Selection, "slo-good"))

	var api sloeval.Status
	rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/slos/reach-s2", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &api))
	require.Equal(t, 10*time.Minute, api.CohortDelay)
	require.Equal(t, "conversion counts a journey once its 10m correlation window has closed: these numbers are 10m old, of the journeys that entered before 11:50 UTC", api.DataNote)
	require.Equal(t, int64(500), api.Total)
}
