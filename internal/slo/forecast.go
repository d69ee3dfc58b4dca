package slo

import (
	"fmt"
	"math"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// DefaultLookback is the recent period whose burn a forecast extrapolates.
const DefaultLookback = 24 * time.Hour

// ForecastOutcome is what a forecast concludes.
type ForecastOutcome string

// Forecast outcomes.
const (
	// ForecastRunsOut: at the recent burn the budget runs out at
	// Forecast.At.
	ForecastRunsOut ForecastOutcome = "runs_out"
	// ForecastExhausted: the budget is already spent.
	ForecastExhausted ForecastOutcome = "exhausted"
	// ForecastNoBurn: the lookback burned nothing (no bad events, or no
	// events at all).
	ForecastNoBurn ForecastOutcome = "no_burn"
	// ForecastOutlasts: the recent burn is too low to spend the budget: a
	// calendar window resets first, a rolling one settles above zero.
	ForecastOutlasts ForecastOutcome = "outlasts"
)

// Forecast says when an SLO's error budget runs out if the recent burn
// goes on.
//
// The models, with B0 and T0 the window's bad and total events so far, and
// the lookback's events arriving on at the same rates from now on:
//
// Calendar windows count every event from the period's start to its end,
// so the forecast follows the events: the budget runs out when the
// window's bad share reaches the error budget, (B0 + b·t) / (T0 + n·t) =
// 1 - objective, with b and n the lookback's bad and total events per unit
// of time. It never does when the lookback's burn is at most 1, and
// ForecastOutlasts is reported too when the period ends first. A period
// with no events yet runs out at once when the lookback's burn exceeds 1:
// its first events will already be over budget.
//
// Rolling windows also drop old events as new ones arrive. The model keeps
// it simple and ignores what drops out: the remaining share R of the
// budget is spent at the lookback's burn rate, a burn of 1 spending a
// whole budget in one window length W, so it runs out after R·W / burn.
// Beyond W every event in the window would be one of the new ones, so a
// runout later than that is reported as ForecastOutlasts: at a burn below
// 1 the budget settles at 1 - burn instead of running out. Bad events
// leaving the window only give budget back, so the model errs on the early
// side.
type Forecast struct {
	Outcome ForecastOutcome `json:"outcome"`
	// At is when the budget runs out, rounded to the second; set only for
	// ForecastRunsOut.
	At time.Time `json:"at,omitzero"`
	// Ends is when a calendar window resets, zero for a rolling one.
	Ends time.Time `json:"ends,omitzero"`
	// Burn is the burn over the lookback the forecast extrapolates.
	Burn Burn `json:"burn"`

	loc *time.Location
	now time.Time
}

// ForecastExhaustion forecasts when the budget of an SLO over w runs out
// at the burn of the last lookback (DefaultLookback when zero).
func ForecastExhaustion(s Series, w Window, objective float64, lookback time.Duration, now time.Time) (Forecast, error) {
	b, err := ComputeBudget(s, w, objective, now)
	if err != nil {
		return Forecast{}, err
	}
	return forecast(s, w, b, lookback, now)
}

func forecast(s Series, w Window, b Budget, lookback time.Duration, now time.Time) (Forecast, error) {
	if lookback == 0 {
		lookback = DefaultLookback
	}
	if lookback < 0 {
		return Forecast{}, fmt.Errorf("forecast lookback %s must be positive", lookback)
	}
	burn := burnOver(s, lookback, b.ErrorBudget, now)
	f := Forecast{Burn: burn, loc: w.Location(), now: now}
	if w.IsCalendar() {
		f.Ends = b.To
	}
	switch {
	case !b.NoData && b.Remaining <= 0:
		f.Outcome = ForecastExhausted
		return f, nil
	case burn.Rate <= 0:
		f.Outcome = ForecastNoBurn
		return f, nil
	}

	var after, horizon float64 // nanoseconds from now
	if w.IsCalendar() {
		horizon = float64(b.To.Sub(now))
		eb := b.ErrorBudget
		left := eb*float64(b.Events.Total) - float64(b.Bad)
		gain := float64(burn.Events.Bad()) - eb*float64(burn.Events.Total) // per lookback
		if gain <= 0 {
			f.Outcome = ForecastOutlasts
			return f, nil
		}
		after = left / gain * float64(lookback)
	} else {
		horizon = float64(w.Nominal())
		after = b.Remaining * horizon / burn.Rate
	}
	if !(after < horizon) {
		f.Outcome = ForecastOutlasts
		return f, nil
	}
	f.Outcome = ForecastRunsOut
	f.At = now.Add(time.Duration(math.Round(after/float64(time.Second))) * time.Second)
	return f, nil
}

// Sentence says the forecast in one line for people, times in the window's
// zone: "at the last 24h's burn the budget runs out on 3 Dec 14:00".
func (f Forecast) Sentence() string {
	lb := journeys.FormatWindow(f.Burn.Window)
	switch f.Outcome {
	case ForecastRunsOut:
		return fmt.Sprintf("at the last %s's burn the budget runs out on %s", lb, f.formatTime(f.At))
	case ForecastExhausted:
		return "the budget is spent"
	case ForecastNoBurn:
		return fmt.Sprintf("no budget burned in the last %s", lb)
	case ForecastOutlasts:
		if !f.Ends.IsZero() {
			return fmt.Sprintf("at the last %s's burn the budget lasts until the window resets on %s", lb, f.formatTime(f.Ends))
		}
		return fmt.Sprintf("at the last %s's burn the budget does not run out", lb)
	default:
		return "no forecast"
	}
}

// formatTime writes t as "3 Dec 14:00" in the forecast's zone, with the
// year when it is not the current one.
func (f Forecast) formatTime(t time.Time) string {
	loc := orUTC(f.loc)
	t = t.In(loc)
	if t.Year() != f.now.In(loc).Year() {
		return t.Format("2 Jan 2006 15:04")
	}
	return t.Format("2 Jan 15:04")
}
