package slo

import (
	"fmt"
	"time"
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
	// holds fewer events cannot fire. 0 turns the guard off.
	MinEvents int64
	// Pairs is the alert table; nil means ScaledPairs(Window.Nominal()).
	Pairs []BurnPair
	// Lookback is the forecast's; 0 means DefaultLookback.
	Lookback time.Duration
}

// Evaluation is the outcome of evaluating an SLO at one instant, with every
// number behind it.
type Evaluation struct {
	At    time.Time `json:"at"`
	State State     `json:"state"`
	// Transition is set when State differs from the previous state.
	Transition *Transition `json:"transition,omitempty"`
	// Reason says in one line why the SLO is in State.
	Reason   string       `json:"reason"`
	Pairs    []PairStatus `json:"pairs"`
	Budget   Budget       `json:"budget"`
	Forecast Forecast     `json:"forecast"`
	// Err is set when the inputs or the previous state are invalid. State
	// is then the previous state (ok when that is unknown) and there is no
	// transition: an SLO that cannot be read keeps its alert rather than
	// resolving it unseen.
	Err error `json:"-"`
}

// Evaluate computes an SLO's alert state at now from its previous state
// (empty when never evaluated, read as ok).
//
// The state is the most severe one a firing pair calls for (page over
// ticket). When no pair fires, it is insufficient_traffic if any pair's
// long window holds fewer than in.MinEvents events, else ok. So a burn the
// guard hides never reads as ok, and a pair that fires with enough traffic
// wins over the guard of another. Evaluate is deterministic: the same
// inputs give the same evaluation, with no hysteresis.
func Evaluate(prev State, in Inputs, now time.Time) Evaluation {
	if prev == "" {
		prev = StateOK
	}
	ev := Evaluation{At: now, State: prev}
	if !prev.Valid() {
		ev.State = StateOK
		ev.Err = fmt.Errorf("evaluate SLO: unknown previous state %q", prev)
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
	ev.State, ev.Reason = Overall(ev.Pairs)
	if ev.State != prev {
		ev.Transition = &Transition{From: prev, To: ev.State, At: now, Event: eventOf(prev, ev.State)}
	}
	return ev
}

func (in Inputs) validate(pairs []BurnPair) error {
	if err := in.Window.validate(); err != nil {
		return err
	}
	switch {
	case in.MinEvents < 0:
		return fmt.Errorf("minimum events %d must not be negative", in.MinEvents)
	case in.Lookback < 0:
		return fmt.Errorf("forecast lookback %s must be positive", in.Lookback)
	}
	return validatePairs(pairs)
}

// Overall returns the alert state an evaluated table calls for, as
// Evaluate does, and a one-line reason.
func Overall(table []PairStatus) (State, string) {
	for _, sev := range []Severity{SeverityPage, SeverityTicket} {
		for _, p := range table {
			if p.Severity == sev && p.Fires {
				return State(sev), fmt.Sprintf("burn %s over %s and %s over %s reach %s",
					formatRate(p.LongBurn.Rate), formatDuration(p.Long),
					formatRate(p.ShortBurn.Rate), formatDuration(p.Short), formatRate(p.Threshold))
			}
		}
	}
	for _, p := range table {
		switch {
		case p.EnoughTraffic:
		case p.LongBurn.NoData:
			return StateInsufficientTraffic, fmt.Sprintf("no events in the last %s, need %d to alert",
				formatDuration(p.Long), p.MinEvents)
		default:
			return StateInsufficientTraffic, fmt.Sprintf("only %d events in the last %s, need %d to alert",
				p.LongBurn.Events.Total, formatDuration(p.Long), p.MinEvents)
		}
	}
	return StateOK, "no alert window burns at its threshold"
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
