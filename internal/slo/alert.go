package slo

import (
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// State is the alert state of an SLO.
type State string

// Alert states.
const (
	// StateOK: no pair fires and every pair has enough traffic to judge.
	StateOK State = "ok"
	// StateTicket: a ticket pair fires and no page pair does.
	StateTicket State = "ticket"
	// StatePage: a page pair fires.
	StatePage State = "page"
	// StateInsufficientTraffic: no pair fires and at least one pair's long
	// window holds fewer events than the SLO's minimum, so a burn there
	// could go unnoticed.
	StateInsufficientTraffic State = "insufficient_traffic"
)

// Valid reports whether s is one of the alert states.
func (s State) Valid() bool {
	switch s {
	case StateOK, StateTicket, StatePage, StateInsufficientTraffic:
		return true
	}
	return false
}

// Event names a change of alert state, for notifications.
type Event string

// Transition events.
const (
	// EventFiring: from ok or insufficient_traffic to ticket or page.
	EventFiring Event = "firing"
	// EventEscalated: from ticket to page.
	EventEscalated Event = "escalated"
	// EventDeescalated: from page to ticket.
	EventDeescalated Event = "deescalated"
	// EventResolved: from ticket or page to ok.
	EventResolved Event = "resolved"
	// EventInsufficientTraffic: into insufficient_traffic from any state.
	EventInsufficientTraffic Event = "insufficient_traffic"
	// EventTrafficRestored: from insufficient_traffic to ok.
	EventTrafficRestored Event = "traffic_restored"
)

// Transition is a change of alert state.
type Transition struct {
	From  State     `json:"from"`
	To    State     `json:"to"`
	At    time.Time `json:"at"`
	Event Event     `json:"event"`
}

// Inputs is everything an evaluation reads.
type Inputs struct {
	// Series holds the SLO's events; it must reach back over the window
	// and the longest alert window.
	Series    Series
	Window    Window
	Objective float64
	// MinEvents is the minimum-traffic guard: a pair whose long window
	// holds fewer events, or whose short window holds fewer than
	// ShortMinEvents, cannot fire. 0 turns the guard off.
	MinEvents int64
	// ResolveAfter is the resolve hold: a ticket or page steps down only
	// once its condition has been false for this long. 0 steps down at the
	// first evaluation that finds it false.
	ResolveAfter time.Duration
	// Pairs is the alert table; nil means ScaledPairs(Window.Nominal()).
	Pairs []BurnPair
	// Lookback is the forecast's; 0 means DefaultLookback.
	Lookback time.Duration
}

// Prior is what an evaluation carries over from the one before: the state
// and, while a ticket or page holds, since when its condition has been
// false. The zero Prior is an SLO never evaluated, read as ok.
type Prior struct {
	State State `json:"state"`
	// ClearSince is, while the state is ticket or page, the first
	// evaluation since which no pair of any severity has fired; zero while
	// one fires.
	ClearSince time.Time `json:"clear_since,omitzero"`
	// PageClearSince is, while the state is page, the first evaluation
	// since which no page pair has fired; zero while one fires. It is
	// never after ClearSince.
	PageClearSince time.Time `json:"page_clear_since,omitzero"`
}

// StepDown is a held alert's pending step down: it takes place at At
// unless a window burns at its threshold again before.
type StepDown struct {
	// To is the state stepped down to: ticket for a page whose ticket
	// condition still holds (or has not been false for the hold yet), else
	// ok or insufficient_traffic.
	To State     `json:"to"`
	At time.Time `json:"at"`
	// Since is when the condition that holds the current state went false.
	Since time.Time `json:"since"`
	// ResolvesAt is when the whole alert resolves if nothing burns again:
	// At, or later for a page that steps down to a ticket first; zero
	// while a ticket pair still fires.
	ResolvesAt time.Time `json:"resolves_at,omitzero"`
}

// Evaluation is the outcome of evaluating an SLO at one instant, with every
// number behind it.
type Evaluation struct {
	At    time.Time `json:"at"`
	State State     `json:"state"`
	// Burning is the state the alert table alone calls for at At, before
	// the resolve hold: it differs from State while a ticket or page holds.
	Burning State `json:"burning"`
	// Transition is set when State differs from the previous state.
	Transition *Transition `json:"transition,omitempty"`
	// Reason says in one line why the SLO is in State.
	Reason string `json:"reason"`
	// Hold is what the next evaluation needs: State with the instants its
	// conditions went false.
	Hold Prior `json:"hold"`
	// StepDown is set while a ticket or page holds although no window of
	// its severity burns.
	StepDown *StepDown    `json:"step_down,omitempty"`
	Pairs    []PairStatus `json:"pairs"`
	Budget   Budget       `json:"budget"`
	Forecast Forecast     `json:"forecast"`
	// Err is set when the inputs or the previous state are invalid. State
	// is then the previous state (ok when that is unknown) and there is no
	// transition: an SLO that cannot be read keeps its alert rather than
	// resolving it unseen.
	Err error `json:"-"`
}

// Evaluate computes an SLO's alert state at now from the previous
// evaluation's.
//
// The table calls for the most severe state a firing pair does (page over
// ticket). When no pair fires, it calls for insufficient_traffic if any
// pair lacks traffic (see BurnTable), else ok. So a burn the guard hides
// never reads as ok, and a pair that fires with enough traffic wins over
// the guard of another.
//
// Going up is immediate: a firing pair pages or tickets at once. Going
// down is held: a ticket resolves once no pair has fired for
// in.ResolveAfter, a page de-escalates once no page pair has fired for
// in.ResolveAfter, to a ticket unless no pair at all has fired for as
// long. The hold counts from the first evaluation that found the condition
// false (Prior.ClearSince, Prior.PageClearSince), so with evaluations a
// minute apart and a 15-minute hold, a condition false at 12:03 and at
// every evaluation after steps down at 12:18. A pair firing again restarts
// it. Evaluate is deterministic: the same prior and inputs give the same
// evaluation.
func Evaluate(prev Prior, in Inputs, now time.Time) Evaluation {
	if prev.State == "" {
		prev.State = StateOK
	}
	ev := Evaluation{At: now, State: prev.State, Burning: prev.State, Hold: prev}
	if !prev.State.Valid() {
		ev.State, ev.Burning, ev.Hold = StateOK, StateOK, Prior{State: StateOK}
		ev.Err = fmt.Errorf("evaluate SLO: unknown previous state %q", prev.State)
		return ev
	}
	pairs := in.Pairs
	if pairs == nil {
		pairs = ScaledPairs(in.Window.Nominal())
	}
	if err := in.validate(pairs); err != nil {
		ev.Err = fmt.Errorf("evaluate SLO: %w", err)
		return ev
	}
	budget, err := ComputeBudget(in.Series, in.Window, in.Objective, now)
	if err != nil {
		ev.Err = fmt.Errorf("evaluate SLO: %w", err)
		return ev
	}
	fc, err := forecast(in.Series, in.Window, budget, in.Lookback, now)
	if err != nil {
		ev.Err = fmt.Errorf("evaluate SLO: %w", err)
		return ev
	}
	ev.Budget = budget
	ev.Forecast = fc
	ev.Pairs = burnTable(in.Series, pairs, budget.ErrorBudget, in.MinEvents, now)
	burning, reason := Overall(ev.Pairs)
	ev.Burning = burning
	ev.Hold, ev.StepDown, ev.Reason = hold(prev, burning, reason, in.ResolveAfter, in.Window.Location(), now)
	ev.State = ev.Hold.State
	if ev.State != prev.State {
		ev.Transition = &Transition{From: prev.State, To: ev.State, At: now, Event: eventOf(prev.State, ev.State)}
	}
	return ev
}

// hold applies the resolve hold to what the table calls for.
func hold(prev Prior, burning State, reason string, after time.Duration, loc *time.Location, now time.Time) (Prior, *StepDown, string) {
	pageFires, anyFires := burning == StatePage, isAlert(burning)
	next := Prior{State: burning}
	if !isAlert(prev.State) || burning == StatePage || (prev.State == StateTicket && anyFires) {
		// Up, level, or nothing to hold.
		return next, nil, reason
	}
	clear := prev.ClearSince
	if anyFires {
		clear = time.Time{}
	} else if clear.IsZero() {
		clear = now
	}
	if prev.State == StateTicket {
		if !now.Before(clear.Add(after)) {
			return next, nil, steppedDown(reason, "no window", clear, after, loc, now)
		}
		held := Prior{State: StateTicket, ClearSince: clear}
		sd := &StepDown{To: burning, At: clear.Add(after), Since: clear, ResolvesAt: clear.Add(after)}
		return held, sd, fmt.Sprintf("holding the ticket: no window has burned at its threshold since %s; resolves at %s if none does",
			formatClock(clear, loc, now), formatClock(sd.At, loc, now))
	}

	// A page whose page pairs went quiet.
	pageClear := prev.PageClearSince
	if pageFires {
		pageClear = time.Time{}
	} else if pageClear.IsZero() {
		pageClear = now
	}
	if clear.Before(pageClear) && !clear.IsZero() {
		clear = pageClear // a ticket pair's clear cannot predate the page's
	}
	pageEnds := pageClear.Add(after)
	ticketEnds := clear.Add(after) // zero clear: a ticket pair still fires
	if now.Before(pageEnds) {
		held := Prior{State: StatePage, ClearSince: clear, PageClearSince: pageClear}
		sd := &StepDown{To: StateTicket, At: pageEnds, Since: pageClear}
		switch {
		case clear.IsZero():
			return held, sd, fmt.Sprintf("holding the page: no page window has burned at its threshold since %s; a ticket from %s unless one does (%s)",
				formatClock(pageClear, loc, now), formatClock(pageEnds, loc, now), reason)
		case clear.Equal(pageClear):
			sd.To, sd.ResolvesAt = burning, pageEnds
			return held, sd, fmt.Sprintf("holding the page: no window has burned at its threshold since %s; resolves at %s if none does",
				formatClock(pageClear, loc, now), formatClock(pageEnds, loc, now))
		default:
			sd.ResolvesAt = ticketEnds
			return held, sd, fmt.Sprintf("holding the page: no page window has burned at its threshold since %s, no window since %s; a ticket from %s, resolved at %s, if none does",
				formatClock(pageClear, loc, now), formatClock(clear, loc, now), formatClock(pageEnds, loc, now), formatClock(ticketEnds, loc, now))
		}
	}
	if !clear.IsZero() && !now.Before(ticketEnds) {
		return next, nil, steppedDown(reason, "no window", clear, after, loc, now)
	}
	// Down to a ticket: its own condition fires, or has not been false for
	// the hold yet.
	if anyFires {
		if after == 0 {
			return Prior{State: StateTicket}, nil, reason
		}
		return Prior{State: StateTicket}, nil, steppedDown("", "no page window", pageClear, after, loc, now) + "; " + reason
	}
	note := steppedDown("", "no page window", pageClear, after, loc, now)
	sd := &StepDown{To: burning, At: ticketEnds, Since: clear, ResolvesAt: ticketEnds}
	return Prior{State: StateTicket, ClearSince: clear}, sd,
		fmt.Sprintf("%s; the ticket resolves at %s if no window burns", note, formatClock(ticketEnds, loc, now))
}

// steppedDown says why a held state stepped down: what stayed quiet, for
// how long, then the table's reason when it adds something.
func steppedDown(reason, what string, since time.Time, after time.Duration, loc *time.Location, now time.Time) string {
	if after == 0 {
		if reason == "" {
			return what + " burns at its threshold"
		}
		return reason
	}
	s := fmt.Sprintf("%s has burned at its threshold for %s, since %s", what, journeys.FormatWindow(now.Sub(since)), formatClock(since, loc, now))
	if reason != "" && reason != reasonOK {
		s += "; " + reason
	}
	return s
}

// reasonOK is the table's reason when no pair fires and every pair has
// traffic.
const reasonOK = "no alert window burns at its threshold"

func isAlert(s State) bool { return s == StateTicket || s == StatePage }

func (in Inputs) validate(pairs []BurnPair) error {
	if err := in.Window.validate(); err != nil {
		return err
	}
	switch {
	case in.MinEvents < 0:
		return fmt.Errorf("minimum events %d must not be negative", in.MinEvents)
	case in.ResolveAfter < 0:
		return fmt.Errorf("resolve hold %s must not be negative", in.ResolveAfter)
	case in.Lookback < 0:
		return fmt.Errorf("forecast lookback %s must be positive", in.Lookback)
	}
	return validatePairs(pairs)
}

// Overall returns the alert state an evaluated table calls for, before the
// resolve hold, and a one-line reason.
func Overall(table []PairStatus) (State, string) {
	for _, sev := range []Severity{SeverityPage, SeverityTicket} {
		for _, p := range table {
			if p.Severity == sev && p.Fires {
				return State(sev), fmt.Sprintf("burn %s over %s and %s over %s reach %s",
					FormatRate(p.LongBurn.Rate), journeys.FormatWindow(p.Long),
					FormatRate(p.ShortBurn.Rate), journeys.FormatWindow(p.Short), FormatRate(p.Threshold))
			}
		}
	}
	for _, p := range table {
		if p.EnoughTraffic {
			continue
		}
		b, need := p.LongBurn, p.MinEvents
		if b.Events.Total >= p.MinEvents {
			b, need = p.ShortBurn, p.ShortMinEvents
		}
		if b.NoData {
			return StateInsufficientTraffic, fmt.Sprintf("no events in the last %s, need %d to alert",
				journeys.FormatWindow(b.Window), need)
		}
		return StateInsufficientTraffic, fmt.Sprintf("only %d events in the last %s, need %d to alert",
			b.Events.Total, journeys.FormatWindow(b.Window), need)
	}
	return StateOK, reasonOK
}

func eventOf(from, to State) Event {
	switch {
	case to == StateInsufficientTraffic:
		return EventInsufficientTraffic
	case to == StatePage && from == StateTicket:
		return EventEscalated
	case to == StateTicket && from == StatePage:
		return EventDeescalated
	case to == StatePage || to == StateTicket:
		return EventFiring
	case from == StateInsufficientTraffic:
		return EventTrafficRestored
	default:
		return EventResolved
	}
}
