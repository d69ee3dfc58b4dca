package sloeval

import (
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
)

// Kinds of pending changes.
const (
	// PendingConfirm: the rollups now call for another state than the
	// stored one; the next evaluation is to store it.
	PendingConfirm = "confirm"
	// PendingResolve: a held ticket or page waits out its resolve hold.
	PendingResolve = "resolve"
)

// DefaultEvaluateEvery is how often the SLO evaluation job runs by default
// (jobs.DefaultEvaluateEvery): when the next evaluation is due.
const DefaultEvaluateEvery = time.Minute

// Pending is a change of an SLO's alert state under way, worded as such,
// so that its page shows one state: the stored one, with what is about to
// happen to it.
type Pending struct {
	Kind string    `json:"kind"`
	To   slo.State `json:"to"`
	// At is when it happens: the next evaluation for PendingConfirm (zero
	// when it is overdue), the end of the hold for PendingResolve (on the
	// rollups' clock, as evaluations run).
	At time.Time `json:"at,omitzero"`
	// ResolvesAt is, for a held page stepping down to a ticket first, when
	// the ticket resolves too if nothing burns; zero while a ticket pair
	// fires.
	ResolvesAt time.Time `json:"resolves_at,omitzero"`
	// Sentence says it for people: "page pending: 2 of 2 windows of the
	// 2m/1m pair burn at or above 14.4× (39.29×, 75.86×); confirmed at the
	// next evaluation in 40s", or "resolving: no window has burned at or
	// above its threshold since 12:03 UTC; resolves at 12:18 UTC if it
	// stays clear".
	Sentence string `json:"sentence"`
}

// pending compares the stored state with an evaluation from it on the
// rollups of now.
func (s *Service) pending(row stateRow, live slo.Evaluation, now time.Time) *Pending {
	if live.State != row.state {
		p := &Pending{Kind: PendingConfirm, To: live.State}
		when := "at the next evaluation"
		if next := row.evaluatedAt.Add(s.opts.EvaluateEvery); next.After(now) {
			p.At = next.UTC()
			when += " in " + journeys.FormatWindow(next.Sub(now).Round(time.Second))
		}
		p.Sentence = pendingHead(row.state, live) + "; confirmed " + when
		return p
	}
	sd := live.StepDown
	if sd == nil {
		return nil
	}
	p := &Pending{Kind: PendingResolve, To: sd.To, At: sd.At.UTC(), ResolvesAt: sd.ResolvesAt}
	since, at := clockUTC(sd.Since, now), clockUTC(sd.At, now)
	switch {
	case sd.To == slo.StateTicket && sd.ResolvesAt.IsZero():
		p.Sentence = fmt.Sprintf("de-escalating: no page window has burned at or above its threshold since %s; becomes a ticket at %s if none does", since, at)
	case sd.To == slo.StateTicket:
		p.Sentence = fmt.Sprintf("de-escalating: no page window has burned at or above its threshold since %s, no window since %s; becomes a ticket at %s and resolves at %s if it stays clear",
			since, clockUTC(live.Hold.ClearSince, now), at, clockUTC(sd.ResolvesAt, now))
	case sd.To == slo.StateInsufficientTraffic:
		p.Sentence = fmt.Sprintf("resolving: no window has burned at or above its threshold since %s; ends at %s if it stays clear, in insufficient traffic", since, at)
	default:
		p.Sentence = fmt.Sprintf("resolving: no window has burned at or above its threshold since %s; resolves at %s if it stays clear", since, at)
	}
	return p
}

// pendingHead words the change from the stored state to the one the
// rollups call for now.
func pendingHead(from slo.State, live slo.Evaluation) string {
	to := live.State
	if IsAlert(to) && (!IsAlert(from) || to == slo.StatePage) {
		for _, p := range live.Pairs {
			if p.Fires && string(p.Severity) == string(to) {
				return fmt.Sprintf("%s pending: 2 of 2 windows of the %s/%s pair burn at or above %s (%s, %s)",
					to, journeys.FormatWindow(p.Long), journeys.FormatWindow(p.Short), slo.FormatRate(p.Threshold),
					slo.FormatRate(p.LongBurn.Rate), slo.FormatRate(p.ShortBurn.Rate))
			}
		}
	}
	var what string
	switch {
	case to == slo.StateTicket:
		what = "de-escalation to a ticket"
	case to == slo.StateInsufficientTraffic:
		what = "insufficient traffic"
	case IsAlert(from):
		what = "resolve"
	default:
		what = string(to)
	}
	return what + " pending: " + live.Reason
}

// clockUTC writes an instant as 12:03 UTC on now's day, 2 Jan 12:03 UTC
// on another.
func clockUTC(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2 Jan 15:04 UTC")
}
