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
//     step within the correlation window, over instances that entered.
//
// # Conversion counts closed cohorts
//
// Conversion rollups are cohorts: the instances that entered in one bucket
// (b, of width w: a minute, or an hour once downsampled). A cohort is
// closed at b + w + W, W being the correlation window (rollup.Window):
// none of its instances can convert after that, and once the rollups are
// complete through that instant its row is final. Until then an instance
// still in flight is neither good nor bad, and counting only the instances
// that have finished would count the fast converters of an open cohort as
// good and leave out the slow ones: an SLI of 1.0 while most of the cohort
// has not decided yet.
//
// So a conversion SLO counts a cohort only once it has closed, as one
// event per instance at its closing instant: good if it reached the
// target step within W, bad if not. A window of a conversion SLO from
// `from` to `to` (an alert window, the budget window, a gate's window)
// holds the cohorts whose closing instant c = b + w + W satisfies
// from < c <= to: a window ending at the present counts the cohorts final
// at the present, and adjacent windows share none. For minute cohorts and
// minute-aligned bounds these are exactly the cohorts that entered in
// [from - W, to - W): the window shifted back by the correlation window,
// so a conversion SLO's numbers are always one correlation window old. A
// downsampled hour counts in the window its closing instant falls in.
//
// # Alert windows shorter than the correlation window
//
// The scaled alert table can hold windows shorter than the correlation
// window: a 7-day conversion SLO pages on 14m/1m, and a shop's sessions
// have 30 minutes to convert. They are kept, and shifted with the rule
// above: the 1m short window holds the cohorts that closed in the last
// minute (that entered 31 to 30 minutes ago). Refusing them at validation
// would buy nothing: every conversion window, however long, lags by W,
// and a short window still does what it is for, stopping the alert soon
// after the cohorts closing stop failing. What a short window needs is
// enough closed cohorts to judge, which the traffic guard asks for.
//
// This package does not care which: it sees only counts.
//
// # Windows
//
// A budget is counted over a rolling window (the last 28 days by default)
// or a calendar month or week in an IANA time zone (see ForSLO).
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
// traffic a single error would otherwise page. Its short window must hold
// the same share of the minimum as it is of the long window, rounded up
// and at least 1 (ShortMinEvents): at a guard of 20, a 2m/1m pair needs 20
// events over 2 minutes and 10 in the last one. Otherwise a long window
// still burning from an earlier incident would fire with a thin short
// window on the first error. The state is then:
//
//   - page or ticket when another pair of that severity fires, its windows
//     holding enough events;
//   - else insufficient_traffic when any pair lacks traffic, because a
//     burn there would go unseen and ok would be a claim without evidence;
//   - else ok.
//
// A minimum of 0 turns the guard off; a window with no events then burns 0.
//
// # Resolve hold
//
// Firing is immediate, stepping down is not (Inputs.ResolveAfter, 15
// minutes by default for journeys): a ticket resolves, and a page
// de-escalates, only once its condition has been false for the hold. A
// page's condition is that a page pair fires; a ticket's that any pair
// does, so a page whose ticket pairs still burn steps down to a ticket,
// and one whose every pair went quiet at once resolves without a ticket
// in between. The hold counts from the first evaluation that found the
// condition false and restarts when a pair fires again; Evaluate takes
// those instants in (Prior) and hands them on (Evaluation.Hold), so that
// it stays a pure function of its inputs. Without the hold, short alert
// windows flip with noise: a page that de-escalates the minute its 1m
// window holds a clean minute, and fires again the next.
package slo
