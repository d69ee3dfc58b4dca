package slos

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

func TestSLOFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"window days", layout.WindowText(28 * 24 * time.Hour), "28d"},
		{"window one day", layout.WindowText(24 * time.Hour), "24h"},
		{"window hours and minutes", layout.WindowText(5*time.Hour + 36*time.Minute), "5h36m"},
		{"window minutes", layout.WindowText(5 * time.Minute), "5m"},
		{"window seconds", layout.WindowText(90 * time.Second), "1m30s"},
		{"sli", sliText(0.999537), "99.954%"},
		{"sli whole", sliText(0.95), "95%"},
		{"sli one", sliText(1), "100%"},
		{"sli NaN", sliText(math.NaN()), "—"},
		{"burn", burnText(6.666666), "6.67×"},
		{"burn whole", burnText(14.4), "14.4×"},
		{"burn zero", burnText(0), "0×"},
		{"events", eventsText(30), "30"},
		{"events fraction", eventsText(12.25), "12.3"},
		{"events negative", eventsText(-10), "-10"},
		{"events tiny negative", eventsText(-0.01), "0"},
		{"state", sloStateLabel(true, SLOStateInsufficientTraffic), "insufficient traffic"},
		{"state not evaluated", sloStateLabel(false, ""), "not evaluated"},
		{"class", sloStateClass(true, SLOStateInsufficientTraffic), "badge slo slo-insufficient-traffic"},
		{"class not evaluated", sloStateClass(false, SLOStatePage), "badge slo slo-none"},
		{"path", SLOPath("shop", "pay/success ok"), "/journeys/shop/slos/pay%2Fsuccess%20ok"},
		{"gap", deployGap(DeployMarker{At: time.Unix(0, 0)}, time.Unix(15*60+30, 0)), "deployed 15m before"},
		{"gap none", deployGap(DeployMarker{At: time.Unix(0, 0)}, time.Unix(20, 0)), "deployed just before"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.got, tt.name)
	}
}

func TestSLOTarget(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	tests := []struct {
		p    SLOPage
		want string
	}{
		{SLOPage{Kind: "latency", Step: "Pay", Threshold: "800ms", Objective: 0.995, Window: 28 * day}, "99.5% of spans of step Pay within 800ms, over 28d"},
		{SLOPage{Kind: "success", Objective: 0.999, Window: 7 * day}, "99.9% of journeys without errors, over 7d"},
		{SLOPage{Kind: "success", Step: "Pay", Objective: 0.99, Window: day}, "99% of spans of step Pay without errors, over 24h"},
		{SLOPage{Kind: "conversion", Step: "Paid", Objective: 0.3, Window: 7 * day}, "30% of journeys reaching step Paid, over 7d"},
		{SLOPage{Kind: "success", Objective: 0.999, Window: 30 * day, Calendar: "calendar month (Europe/Berlin)"},
			"99.9% of journeys without errors, over the calendar month (Europe/Berlin)"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, sloTarget(tt.p))
	}
}

func TestLayoutBurnDown(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	p := SLOPage{
		BudgetFrom: from, DataThrough: to,
		BurnDown: []BurnDownPoint{
			{At: from, Remaining: 1},
			{At: from.Add(12 * time.Hour), Remaining: 0.5},
			{At: to, Remaining: -1},
		},
		// Newest first, as the alerting service lists them; the one before
		// the window is not drawn.
		Deploys: []DeployMarker{
			{Service: "shop", Version: "2", At: from.Add(18 * time.Hour)},
			{Service: "shop", Version: "1", At: from.Add(6 * time.Hour)},
			{Service: "shop", Version: "0", At: from.Add(-time.Hour)},
		},
	}
	c := layoutBurnDown(p)
	// 660 units wide from x=48; 168 high from y=28, spanning 1 to -1.
	require.Equal(t, "48,28 378,70 708,196", c.Points)
	require.Equal(t, 28.0, c.FullY)
	require.Equal(t, 112.0, c.ZeroY)
	require.Equal(t, -1.0, c.Low)
	require.Equal(t, []layout.DeployMark{
		{X: 213, Label: "shop@1", Title: "shop@1 deployed 2026-03-01 06:00 UTC", LabelY: 10},
		{X: 543, Label: "shop@2", Title: "shop@2 deployed 2026-03-01 18:00 UTC", LabelY: 22, End: true},
	}, c.Deploys)
	require.Equal(t, "2026-03-01 00:00 UTC", c.FromLabel)
	require.Equal(t, "2026-03-02 00:00 UTC", c.ToLabel)

	// Without points the chart still spans the budget window.
	c = layoutBurnDown(SLOPage{BudgetFrom: from, DataThrough: to})
	require.Empty(t, c.Points)
	require.Equal(t, 196.0, c.ZeroY)
}

func TestBackfillText(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	b := BackfillStatus{From: now.Add(-2 * time.Hour), To: now.Add(-time.Hour), DoneThrough: now.Add(-93 * time.Minute),
		Progress: 0.45, UpdatedAt: now.Add(-time.Minute), Now: now}
	tests := []struct {
		state, err, want string
	}{
		{"pending", "", "History backfill queued (10:00 UTC → 11:00 UTC): numbers there fill in once it runs."},
		{"running", "", "Backfilling history: 45% (10:00 UTC → 10:27 UTC done, up to 11:00 UTC): later numbers are still filling in."},
		{"done", "", "History backfilled (10:00 UTC → 11:00 UTC) at 11:59 UTC."},
		{"failed", "tempo: 503", "Backfilling history failed at 45% (10:00 UTC → 10:27 UTC done): tempo: 503."},
		{"paused", "", "Backfill paused (10:00 UTC → 11:00 UTC)."},
	}
	for _, tt := range tests {
		b.State, b.Error = tt.state, tt.err
		require.Equal(t, tt.want, backfillText(b), tt.state)
	}
	// Another day's times carry their date.
	b.State, b.Now = "pending", now.Add(24*time.Hour)
	require.Equal(t, "History backfill queued (2026-03-02 10:00 UTC → 2026-03-02 11:00 UTC): numbers there fill in once it runs.", backfillText(b))
}

func TestSLOShowComponent(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	j := journeys.Journey{Metadata: journeys.Metadata{Slug: "shop", Name: "Shop"}}
	dep := DeployMarker{Service: "shop", Version: "1.5.0", At: at.Add(-15 * time.Minute), URL: "https://ci.example.com/1"}
	doc, _ := render(t, SLOShow(site, SLOPage{
		Head: layout.JourneyHead{Journey: j, Version: 2}, Name: "pay", Kind: "success", Objective: 0.99, Window: 24 * time.Hour,
		Evaluated: true, State: SLOStatePage, StateSince: at, StateReason: "burn 20× over 1h and 20× over 5m reach 14.4×",
		Pending: "de-escalation to a ticket pending: burn 4× over 1d and 4× over 2h reach 3×; confirmed at the next evaluation in 40s",
		At:      at, DataThrough: at, BudgetFrom: at.Add(-24 * time.Hour), BudgetTo: at, Stale: true,
		StaleReason: "rollups are stale: complete through 2026-03-02 11:50 UTC, 10m ago (limit 5m)",
		Good:        90, Total: 100, Bad: 10, SLI: 0.9, AllowedBad: 1, BadLeft: -9, BudgetRemaining: -9, Forecast: "the budget is spent",
		AlertStartedAt: at, AlertDeploy: &dep, Deploys: []DeployMarker{dep}, Now: at,
		Exemplars: []SLOExemplar{{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Step: "Pay", Start: at, Duration: time.Second, Error: true,
			Href: "/traces/4bf92f3577b34da6a3ce929d0e0e4736", External: "https://tempo.example/t/abcd"}},
	}))
	require.Equal(t, "pay · Shop · Waymark", doc.Find("head title").Text())
	require.Zero(t, doc.Find(`nav.tabs a[aria-current]`).Length())
	require.Equal(t, "De-escalation to a ticket pending: burn 4× over 1d and 4× over 2h reach 3×; confirmed at the next evaluation in 40s.", squash(testID(doc, "slo-pending").Text()))
	require.Equal(t, 1, doc.Find(`[data-testid="slo-state-badge"]`).Length())
	require.Equal(t, "page", testID(doc, "slo-state-badge").AttrOr("data-state", ""))
	require.Equal(t, "Rollups are stale: complete through 2026-03-02 11:50 UTC, 10m ago (limit 5m): the alert state is kept until they catch up.", squash(testID(doc, "slo-stale").Text()))
	require.Equal(t, "https://ci.example.com/1", testID(doc, "slo-alert-deploy").Find("a").AttrOr("href", ""))
	require.Equal(t, "-900%", squash(testID(doc, "slo-budget-remaining").Text()))
	require.True(t, testID(doc, "slo-budget-remaining").Parent().HasClass("bad"))
	require.Equal(t, "4bf92f35 ↗ Pay 2026-03-02 12:00 UTC 1 s error", squash(testID(doc, "slo-exemplars").Find("li").Text()))
	require.Equal(t, "https://tempo.example/t/abcd", testID(doc, "slo-exemplar-0-external").AttrOr("href", ""))
}

func TestSLOGuardAndHoldText(t *testing.T) {
	t.Parallel()
	share := "An alert window pair fires only when its long window holds at least 100 events and its short window the same share of them (see the table), so that a thin minute cannot page on one error."
	tests := []struct {
		got, want string
	}{
		{guardText(SLOPage{MinEvents: 100, GuardSource: "default"}), share + " The server's default: set minEvents in the journey to change it."},
		{guardText(SLOPage{MinEvents: 100, GuardSource: "legacy_setting"}), share + " Set before minEvents existed; set minEvents in the journey to replace it."},
		{guardText(SLOPage{MinEvents: 0, GuardSource: "journey"}), "Off: any traffic can fire an alert. Set by the SLO's minEvents."},
		{holdText(SLOPage{ResolveAfter: 0}), "None: an alert resolves at the first evaluation that finds no window burning (resolveAfter: 0s)."},
		{holdText(SLOPage{ResolveAfter: 90 * time.Minute}), "An alert resolves, and a page becomes a ticket, only once no window of it has burned at its threshold for 1h30m, so that it does not flip with noise; firing is immediate."},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.got)
	}
}
