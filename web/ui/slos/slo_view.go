package slos

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/web/ui/layout"
)

// SLO alert states as internal/sloeval names them.
const (
	SLOStateOK                  = "ok"
	SLOStateTicket              = "ticket"
	SLOStatePage                = "page"
	SLOStateInsufficientTraffic = "insufficient_traffic"
)

// SLOPath is the URL of an SLO's page.
func SLOPath(slug, name string) string {
	return layout.JourneyPath(slug, "/slos/"+url.PathEscape(name))
}

// SLOBadge is one SLO's alert state at a glance, linking to its page.
type SLOBadge struct {
	Journey string
	Name    string
	// Evaluated is false until the SLO's first evaluation; State is then
	// empty.
	Evaluated bool
	State     string
	Reason    string
	// Stale is set when the last evaluation found the rollups too old to
	// judge and kept the previous state.
	Stale           bool
	BudgetRemaining float64
}

// sloStateLabel says an alert state in words.
func sloStateLabel(evaluated bool, state string) string {
	if !evaluated {
		return "not evaluated"
	}
	switch state {
	case SLOStateInsufficientTraffic:
		return "insufficient traffic"
	case "":
		return "unknown"
	}
	return state
}

// sloStateClass is the badge class of an alert state.
func sloStateClass(evaluated bool, state string) string {
	if !evaluated || state == "" {
		return "badge slo slo-none"
	}
	return "badge slo slo-" + strings.ReplaceAll(state, "_", "-")
}

func badgeTitle(b SLOBadge) string {
	if !b.Evaluated {
		return b.Name + ": not evaluated yet"
	}
	t := b.Name + ": " + sloStateLabel(true, b.State) + ", " + layout.Ratio(b.BudgetRemaining) + " of the error budget left"
	if b.Reason != "" {
		t += " (" + b.Reason + ")"
	}
	if b.Stale {
		t += "; rollups are stale"
	}
	return t
}

// DeployMarker is a deploy of one of a journey's services.
type DeployMarker struct {
	Service     string
	Version     string
	Environment string
	At          time.Time
	// URL links to the deploy in CI/CD, when the deploy named one.
	URL         string
	Description string
}

// Label names the deploy as service@version.
func (d DeployMarker) Label() string { return d.Service + "@" + d.Version }

// BackfillStatus is the progress of recomputing a journey's history, shown
// on its map while it runs and for a while after, so that people know why
// numbers are still filling in.
type BackfillStatus struct {
	// State is pending, running, done or failed.
	State                 string
	From, To, DoneThrough time.Time
	// Progress is the share of the range done, 0 to 1.
	Progress  float64
	Error     string
	UpdatedAt time.Time
	// Now decides whether times need their date.
	Now time.Time
}

// SLOPage is everything an SLO's page shows.
type SLOPage struct {
	Head layout.JourneyHead
	Name string
	// Kind is latency, success or conversion; Step is empty for the whole
	// journey; Threshold is set for latency SLOs ("800ms").
	Kind      string
	Step      string
	Threshold string
	Objective float64
	Window    time.Duration
	// Calendar names a calendar window ("calendar month (Europe/Berlin)"),
	// whose Window is only nominal; empty for a rolling window.
	Calendar string
	// MinEvents is the minimum-traffic guard and GuardSource where it
	// comes from: journey, legacy_setting or default (the alerting
	// package's GuardFrom values).
	MinEvents   int64
	GuardSource string
	// ResolveAfter is the resolve hold.
	ResolveAfter time.Duration
	// CohortDelay is a conversion SLO's correlation window, by which its
	// numbers lag; DataNote says so. Both empty for other kinds.
	CohortDelay time.Duration
	DataNote    string

	// State is the stored alert state (what was notified), since
	// StateSince; before the first evaluation it is the live one. It is
	// the one state the page shows.
	Evaluated   bool
	State       string
	StateSince  time.Time
	StateReason string
	// Pending words a change under way: the rollups now calling for
	// another state, confirmed at the next evaluation, or a held alert
	// waiting out its resolve hold. Empty when there is none.
	Pending string

	// The numbers are computed at At from the rollups complete through
	// DataThrough, over the budget window [BudgetFrom, BudgetTo).
	At, DataThrough      time.Time
	BudgetFrom, BudgetTo time.Time
	Stale                bool
	StaleReason          string
	Approximate          bool
	NoData               bool
	SLI                  float64
	Good, Total, Bad     int64
	ErrorBudget          float64
	AllowedBad, BadLeft  float64
	BudgetRemaining      float64
	Forecast             string

	BurnDown []BurnDownPoint
	// Deploys are those of the journey's services over the burn-down,
	// newest first.
	Deploys     []DeployMarker
	Pairs       []BurnPairRow
	Transitions []TransitionRow
	Exemplars   []SLOExemplar
	// AlertStartedAt and AlertDeploy describe the current alert, if any.
	AlertStartedAt time.Time
	AlertDeploy    *DeployMarker
	// Now decides whether times need their date.
	Now time.Time
}

// BurnDownPoint is one point of the budget burn-down: the share of the
// window's budget left after the bad events before At.
type BurnDownPoint struct {
	At          time.Time
	Good, Total int64
	Remaining   float64
}

// BurnPairRow is one row of the burn-rate alert table.
type BurnPairRow struct {
	Severity    string
	Long, Short time.Duration
	// LongBurn and ShortBurn are the burn rates over the two windows.
	LongBurn, ShortBurn     float64
	LongTotal, LongBad      int64
	ShortTotal, ShortBad    int64
	Threshold               float64
	MinEvents               int64
	ShortMinEvents          int64
	EnoughTraffic, Fires    bool
	LongNoData, ShortNoData bool
}

// TransitionRow is one change of the SLO's alert state, with the numbers
// that caused it.
type TransitionRow struct {
	ID              int64
	At              time.Time
	From, To, Event string
	Reason          string
	SLI             float64
	BudgetRemaining float64
	Good, Total     int64
	AlertStartedAt  time.Time
	// Deploy is the deploy of a journey service in the 30 minutes before
	// the alert started, if any.
	Deploy *DeployMarker
}

// SLOExemplar is a trace of a recent bad event.
type SLOExemplar struct {
	TraceID  string
	Step     string
	Start    time.Time
	Duration time.Duration
	Error    bool
	// Href is Waymark's waterfall; External the trace backend's UI, or
	// empty when none is configured.
	Href     string
	External string
}

// sliText writes an SLI or objective precisely enough to compare with
// objectives such as 99.95%: three decimals of a percent, trimmed.
func sliText(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return layout.TrimZeros(strconv.FormatFloat(math.Round(f*1e5)/1e3, 'f', 3, 64)) + "%"
}

// burnText writes a burn rate as people read them: 14.4×, 0.52×.
func burnText(f float64) string {
	return layout.TrimZeros(strconv.FormatFloat(math.Round(f*100)/100, 'f', 2, 64)) + "×"
}

// eventsText writes a count of events that may be fractional, such as the
// allowed bad events of a budget: 30, 12.5.
func eventsText(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	s := layout.TrimZeros(strconv.FormatFloat(math.Round(f*10)/10, 'f', 1, 64))
	if s == "-0" {
		return "0"
	}
	return s
}

// sloTarget says what an SLO promises, in words.
func sloTarget(p SLOPage) string {
	over := layout.WindowText(p.Window)
	if p.Calendar != "" {
		over = "the " + p.Calendar
	}
	on := "the whole journey"
	if p.Step != "" {
		on = "step " + p.Step
	}
	switch p.Kind {
	case "latency":
		return layout.Percent(p.Objective) + " of spans of " + on + " within " + p.Threshold + ", over " + over
	case "success":
		if p.Step == "" {
			return layout.Percent(p.Objective) + " of journeys without errors, over " + over
		}
		return layout.Percent(p.Objective) + " of spans of " + on + " without errors, over " + over
	case "conversion":
		return layout.Percent(p.Objective) + " of journeys reaching " + on + ", over " + over
	}
	return layout.Percent(p.Objective) + " over " + over
}

// guardText explains the minimum-traffic guard and where it comes from.
func guardText(p SLOPage) string {
	var s string
	if p.MinEvents == 0 {
		s = "Off: any traffic can fire an alert."
	} else {
		s = "An alert window pair fires only when its long window holds at least " + layout.Count(p.MinEvents) +
			" events and its short window the same share of them (see the table), so that a thin minute cannot page on one error."
	}
	switch p.GuardSource {
	case "journey":
		s += " Set by the SLO's minEvents."
	case "legacy_setting":
		s += " Set before minEvents existed; set minEvents in the journey to replace it."
	default:
		s += " The server's default: set minEvents in the journey to change it."
	}
	return s
}

// holdText explains the resolve hold.
func holdText(p SLOPage) string {
	if p.ResolveAfter == 0 {
		return "None: an alert resolves at the first evaluation that finds no window burning (resolveAfter: 0s)."
	}
	return "An alert resolves, and a page becomes a ticket, only once no window of it has burned at its threshold for " +
		layout.WindowText(p.ResolveAfter) + ", so that it does not flip with noise; firing is immediate."
}

// sinceText says how long ago t was, to the minute: "3h12m ago".
func sinceText(t, now time.Time) string {
	d := now.Sub(t).Truncate(time.Minute)
	if d < time.Minute {
		return "just now"
	}
	return layout.WindowText(d) + " ago"
}

// deployGap says how long before an alert started the deploy it followed
// went out: "deployed 5m before".
func deployGap(d DeployMarker, alertAt time.Time) string {
	if alertAt.IsZero() {
		return "deployed " + layout.FormatTime(d.At)
	}
	gap := alertAt.Sub(d.At).Truncate(time.Minute)
	if gap < time.Minute {
		return "deployed just before"
	}
	return "deployed " + layout.WindowText(gap) + " before"
}

// upperFirstText starts a sentence with a capital letter.
func upperFirstText(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// Burn-down chart geometry, in SVG user units.
const (
	bdW      = 720.0
	bdH      = 220.0
	bdLeft   = 48.0
	bdRight  = 12.0
	bdTop    = 28.0
	bdBottom = 24.0
)

// burnDownChart is the burn-down laid out for SVG.
type burnDownChart struct {
	Points string
	// ZeroY and FullY are the heights of 0% and 100% of the budget; Low
	// the lowest share drawn, when below 0.
	ZeroY, FullY float64
	Low          float64
	LowY         float64
	Deploys      []layout.DeployMark
	FromLabel    string
	ToLabel      string
	Left, Right  float64
	Bottom       float64
}

// layoutBurnDown places the points of a burn-down over [from, to] and the
// deploys within it. The scale runs from 100% of the budget at the top to
// 0% (or the lowest point, when overspent) at the bottom.
func layoutBurnDown(p SLOPage) burnDownChart {
	from, to := p.BudgetFrom, p.DataThrough
	if len(p.BurnDown) > 0 {
		from = p.BurnDown[0].At
		to = p.BurnDown[len(p.BurnDown)-1].At
	}
	c := burnDownChart{Left: bdLeft, Right: bdW - bdRight, Bottom: bdH - bdBottom}
	low := 0.0
	for _, pt := range p.BurnDown {
		low = min(low, pt.Remaining)
	}
	c.Low = low
	span := 1 - low
	y := func(r float64) float64 { return bdTop + (1-r)/span*(bdH-bdTop-bdBottom) }
	x := func(t time.Time) float64 {
		total := to.Sub(from)
		if total <= 0 {
			return bdLeft
		}
		f := float64(t.Sub(from)) / float64(total)
		return bdLeft + min(max(f, 0), 1)*(bdW-bdLeft-bdRight)
	}
	c.FullY, c.ZeroY, c.LowY = y(1), y(0), y(low)
	var b strings.Builder
	for i, pt := range p.BurnDown {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(layout.SvgNum(x(pt.At)))
		b.WriteByte(',')
		b.WriteString(layout.SvgNum(y(pt.Remaining)))
	}
	c.Points = b.String()
	c.FromLabel, c.ToLabel = layout.FormatTime(from), layout.FormatTime(to)
	// Oldest first, so that labels of later deploys are drawn over
	// earlier ones; labels alternate between two rows to overlap less.
	for i := len(p.Deploys) - 1; i >= 0; i-- {
		d := p.Deploys[i]
		if d.At.Before(from) || d.At.After(to) {
			continue
		}
		row := float64(len(c.Deploys) % 2)
		m := layout.DeployMark{
			X:      x(d.At),
			Label:  d.Label(),
			Title:  d.Label() + " deployed " + layout.FormatTime(d.At),
			LabelY: 10 + row*12,
		}
		m.End = m.X > bdW*0.7
		c.Deploys = append(c.Deploys, m)
	}
	return c
}

func bdViewBox() string { return "0 0 " + layout.SvgNum(bdW) + " " + layout.SvgNum(bdH) }

// backfillText says how far a backfill is.
func backfillText(b BackfillStatus) string {
	span := shortClock(b.From, b.Now) + " → " + shortClock(b.To, b.Now)
	done := shortClock(b.From, b.Now) + " → " + shortClock(b.DoneThrough, b.Now)
	switch b.State {
	case "pending":
		return "History backfill queued (" + span + "): numbers there fill in once it runs."
	case "running":
		return "Backfilling history: " + layout.Ratio(b.Progress) + " (" + done + " done, up to " + shortClock(b.To, b.Now) + "): later numbers are still filling in."
	case "done":
		return "History backfilled (" + span + ") at " + shortClock(b.UpdatedAt, b.Now) + "."
	case "failed":
		msg := "Backfilling history failed at " + layout.Ratio(b.Progress) + " (" + done + " done)"
		if b.Error != "" {
			msg += ": " + b.Error
		}
		return msg + "."
	}
	return "Backfill " + b.State + " (" + span + ")."
}

// shortClock writes an instant as 15:04 UTC on now's day, with the date
// otherwise.
func shortClock(t, now time.Time) string { return layout.Clock(t, now, false) }
