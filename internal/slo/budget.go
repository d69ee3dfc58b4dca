package slo

import (
	"fmt"
	"math"
	"time"
)

// Budget is the state of an SLO's error budget over its window.
type Budget struct {
	// From and To are the window's bounds (Window.Bounds); events are
	// counted over [From, min(To, now)).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Objective is the target share of good events, e.g. 0.995.
	Objective float64 `json:"objective"`
	Events    Counts  `json:"events"`
	// Bad is Events.Bad(), spelled out for readers of the JSON form.
	Bad int64 `json:"bad"`
	// NoData is true when the window holds no events: the SLI is then
	// undefined, reported as 0, and the budget untouched.
	NoData bool `json:"no_data"`
	// SLI is Good / Total.
	SLI float64 `json:"sli"`
	// ErrorBudget is 1 - Objective: the share of events allowed to be bad.
	ErrorBudget float64 `json:"error_budget"`
	// AllowedBad is ErrorBudget × Total: how many of the window's events
	// may be bad; BadLeft is AllowedBad - Bad, negative once overspent.
	AllowedBad float64 `json:"allowed_bad"`
	BadLeft    float64 `json:"bad_left"`
	// Remaining is the share of the budget left, 1 - (Bad/Total) /
	// ErrorBudget: 1 untouched, 0 spent, negative overspent.
	Remaining float64 `json:"remaining"`
}

// ComputeBudget returns the budget of an SLO with this objective over the
// window containing now.
func ComputeBudget(s Series, w Window, objective float64, now time.Time) (Budget, error) {
	eb, err := errorBudget(objective)
	if err != nil {
		return Budget{}, err
	}
	if err := w.validate(); err != nil {
		return Budget{}, err
	}
	from, to := w.Bounds(now)
	end := to
	if now.Before(end) {
		end = now
	}
	c := s.Sum(from, end)
	b := Budget{
		From:        from,
		To:          to,
		Objective:   objective,
		Events:      c,
		Bad:         c.Bad(),
		NoData:      c.Total == 0,
		ErrorBudget: eb,
		Remaining:   1,
	}
	if b.NoData {
		return b, nil
	}
	total := float64(c.Total)
	b.SLI = float64(c.Good) / total
	b.AllowedBad = eb * total
	b.BadLeft = b.AllowedBad - float64(b.Bad)
	b.Remaining = 1 - float64(b.Bad)/total/eb
	return b, nil
}

// errorBudget returns 1 - objective rounded to 12 decimal places: objectives
// are decimals people type (0.995), and without rounding 1 - 0.995 is
// 0.0050000000000000044, so that a window exactly at its objective would
// show a sliver of budget left instead of none.
func errorBudget(objective float64) (float64, error) {
	if !(objective > 0 && objective < 1) {
		return 0, fmt.Errorf("objective %v must be between 0 and 1, exclusive, e.g. 0.995", objective)
	}
	eb := math.Round((1-objective)*1e12) / 1e12
	if eb == 0 {
		return 0, fmt.Errorf("objective %v leaves no error budget; use at most 0.999999999999", objective)
	}
	return eb, nil
}

// burnRate returns how many times faster than the objective allows c
// spends the budget: (bad/total) / errorBudget, 0 when c holds no events.
func burnRate(c Counts, eb float64) float64 {
	if c.Total == 0 {
		return 0
	}
	return float64(c.Bad()) / float64(c.Total) / eb
}
