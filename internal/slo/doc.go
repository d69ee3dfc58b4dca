// Package slo is the mathematics of Waymark's service-level objectives: event
// series, rolling and calendar windows, error budgets and their exhaustion
// forecast, multi-window multi-burn-rate alerting with a minimum-traffic
// guard, the alert state machine, and deployment gates.
//
// It is pure Go: no I/O, no clock. Every function that depends on the
// present takes it as a parameter named now, so that evaluations replay
// exactly in tests and in backfills.
//
// # Events
//
// The rollup layer turns spans into good/total counts per time bucket (see
// Series); what "good" means depends on the SLO kind:
//
//   - latency: step spans whose duration is at most the threshold;
//   - success: step spans that are not errors or, for a journey-level SLO,
//     instances with no error in any step they reached;
//   - conversion: instances that entered the journey and reached the target
//     step within the correlation window. Only cohorts whose window has
//     closed are counted, bucketed by the time they entered, so that a
//     cohort still in flight never counts as a failure.
//
// This package does not care which: it sees only counts.
//
// # Windows
//
// A budget is counted over a rolling window (the last 28 days by default)
// or a calendar month or week in an IANA time zone (see ParseWindow).
// Calendar periods start at local midnight, so they follow daylight-saving
// changes and month lengths.
//
// # Burn-rate alerts
//
// Alerts follow the multi-window multi-burn-rate table of the Google SRE
// workbook (WorkbookPairs), its windows scaled to the SLO window
// (ScaledPairs). A calendar window scales as its nominal length: 30 days
// for a month, 7 for a week.
//
// # Minimum traffic
//
// Each SLO may set a minimum number of events (Inputs.MinEvents). A pair of
// the alert table whose long window holds fewer events cannot fire: at low
// traffic a single error would otherwise page. The state is then:
//
//   - page or ticket when another pair of that severity fires, its long
//     window holding enough events;
//   - else insufficient_traffic when any pair lacks traffic, because a
//     burn there would go unseen and ok would be a claim without evidence;
//   - else ok.
//
// A minimum of 0 turns the guard off; a window with no events then burns 0.
package slo
