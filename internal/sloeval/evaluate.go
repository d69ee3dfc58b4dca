package sloeval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
)

// Numbers are the figures behind an evaluation or a transition, as
// internal/slo computes them.
type Numbers struct {
	Budget           slo.Budget       `json:"budget"`
	Pairs            []slo.PairStatus `json:"pairs"`
	Forecast         slo.Forecast     `json:"forecast"`
	ForecastSentence string           `json:"forecast_sentence"`
}

func numbersOf(ev slo.Evaluation) Numbers {
	n := Numbers{Budget: ev.Budget, Pairs: ev.Pairs, Forecast: ev.Forecast}
	if ev.Err == nil {
		n.ForecastSentence = ev.Forecast.Sentence()
	}
	return n
}

// Outcome is what one evaluation of one SLO did.
type Outcome struct {
	Journey      string    `json:"journey"`
	SLO          string    `json:"slo"`
	EvaluationID int64     `json:"evaluation_id"`
	State        slo.State `json:"state"`
	Reason       string    `json:"reason"`
	// Stale is set when the rollups were too old to judge: the state was
	// kept.
	Stale bool `json:"stale"`
	// Transition is the change of state recorded, if any.
	Transition *Transition `json:"transition,omitempty"`
	Deliveries []Delivery  `json:"deliveries,omitempty"`
	// Skipped is set when a newer evaluation of the SLO was already
	// stored (by another process), so this one stored nothing.
	Skipped bool `json:"skipped,omitempty"`
}

// IsAlert reports whether st is an alert: a ticket or a page.
func IsAlert(st slo.State) bool { return st == slo.StatePage || st == slo.StateTicket }

// computed is an SLO's evaluation before it is stored.
type computed struct {
	def         journeys.SLO
	step        int
	minEvents   int64
	guardSource string
	// cohortDelay is a conversion SLO's correlation window, by which its
	// numbers lag (see rollup.Store.SLI); 0 for other kinds.
	cohortDelay time.Duration
	dataThrough time.Time
	stale       bool
	staleReason string
	approximate bool
	inputs      slo.Inputs
	ev          slo.Evaluation
}

// evaluate runs the state machine from prev. On stale rollups the numbers
// are kept for display but not the verdict: an alert must not resolve, nor
// fire, on data that stopped arriving, and its resolve hold neither runs
// nor restarts.
func (c *computed) evaluate(prev slo.Prior) slo.Evaluation {
	ev := slo.Evaluate(prev, c.inputs, c.dataThrough)
	if c.stale && ev.Err == nil {
		if prev.State == "" {
			prev.State = slo.StateOK
		}
		ev.State, ev.Hold, ev.StepDown, ev.Transition, ev.Reason = prev.State, prev, nil, nil, c.staleReason
	}
	return ev
}

// dataEnd returns the instant evaluations end at: the end of the complete
// rollups (never after now), and whether they are too old to judge.
func (s *Service) dataEnd(fr rollup.Freshness, now time.Time) (end time.Time, stale bool, reason string) {
	ct := fr.CompleteThrough
	if ct.IsZero() {
		return now.UTC().Truncate(rollup.BucketWidth), true, "no rollups yet"
	}
	end = ct.UTC()
	if end.After(now) {
		end = now.UTC()
	}
	age := now.Sub(ct)
	if age <= s.opts.StaleAfter {
		return end, false, ""
	}
	reason = fmt.Sprintf("rollups are stale: complete through %s, %s ago (limit %s)",
		ct.UTC().Format("2006-01-02 15:04 UTC"), journeys.FormatWindow(age.Truncate(time.Second)), journeys.FormatWindow(s.opts.StaleAfter))
	if fr.LastError != "" {
		reason += "; last run failed: " + fr.LastError
	}
	return end, true, reason
}

// compute reads an SLO's events from the rollups and evaluates it from
// prev at the end of the complete rollups.
func (s *Service) compute(ctx context.Context, j journeys.Journey, def journeys.SLO, g guard, prev slo.Prior, now time.Time) (*computed, error) {
	slug := j.Metadata.Slug
	step, err := StepIndex(j, def)
	if err != nil {
		return nil, err
	}
	fr, err := s.rollups.Freshness(ctx, slug)
	if err != nil {
		return nil, rollupErr(err)
	}
	c := &computed{def: def, step: step, minEvents: g.n, guardSource: g.source}
	if def.Kind == journeys.SLOConversion {
		c.cohortDelay = rollup.Window(j)
	}
	c.dataThrough, c.stale, c.staleReason = s.dataEnd(fr, now)
	w, err := sloWindow(def)
	if err != nil {
		return nil, err
	}
	pairs := slo.ScaledPairs(w.Nominal())
	lengths := []time.Duration{windowLength(w, c.dataThrough), slo.DefaultLookback}
	for _, p := range pairs {
		lengths = append(lengths, p.Long, p.Short)
	}
	series, approx, err := s.series(ctx, slug, def, step, c.dataThrough, lengths)
	if err != nil {
		return nil, err
	}
	c.approximate = approx
	c.inputs = slo.Inputs{Series: series, Window: w, Objective: def.Objective, MinEvents: g.n,
		ResolveAfter: def.EffectiveResolveAfter(), Pairs: pairs}
	c.ev = c.evaluate(prev)
	return c, nil
}

func rollupErr(err error) error {
	if errors.Is(err, rollup.ErrNotFound) && !errors.Is(err, fault.ErrNotFound) {
		return fmt.Errorf("%w: %w", fault.ErrNotFound, err)
	}
	return err
}

// series reads an SLO's events ending at end as a Series with one bucket
// between each pair of consecutive window starts, so that the sum over any
// of the given lengths ending at end is exactly the rollups' count over
// it, at one query per window instead of one per minute.
func (s *Service) series(ctx context.Context, slug string, def journeys.SLO, step int, end time.Time, lengths []time.Duration) (slo.Series, bool, error) {
	var starts []time.Time
	for _, l := range lengths {
		if l > 0 {
			starts = append(starts, end.Add(-l))
		}
	}
	sort.Slice(starts, func(i, k int) bool { return starts[i].Before(starts[k]) })
	starts = slices.CompactFunc(starts, time.Time.Equal)
	buckets := make([]slo.Bucket, 0, len(starts))
	approx := false
	for i, from := range starts {
		to := end
		if i+1 < len(starts) {
			to = starts[i+1]
		}
		c, err := s.rollups.SLI(ctx, rollup.SLIQuery{Slug: slug, Kind: def.Kind, Step: step, Threshold: def.Threshold.D, From: from, To: to})
		if err != nil {
			return slo.Series{}, false, rollupErr(err)
		}
		approx = approx || c.Approximate
		buckets = append(buckets, slo.Bucket{Start: from, Width: to.Sub(from), Good: c.Good, Total: c.Total})
	}
	series, err := slo.NewSeries(buckets)
	if err != nil {
		return slo.Series{}, false, fmt.Errorf("build SLI series of %q: %w", slug, err)
	}
	return series, approx, nil
}

// stateRow is an SLO's stored alert state.
type stateRow struct {
	exists         bool
	state          slo.State
	since          time.Time
	evaluatedAt    time.Time
	lastTransition *int64
	alertStarted   *time.Time
	alertDeploy    *int64
	numbers        []byte
	objective      float64
	reason         string
	// The resolve hold (slo.Prior) and the alert's ticket and escalation.
	clearSince, pageClearSince *time.Time
	ticketSince, escalatedAt   *time.Time
}

// prior is what the next evaluation carries over.
func (r stateRow) prior() slo.Prior {
	return slo.Prior{State: r.state, ClearSince: deref(r.clearSince), PageClearSince: deref(r.pageClearSince)}
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func loadState(ctx context.Context, q querier, journeyID int64, name string) (stateRow, error) {
	var r stateRow
	err := q.QueryRow(ctx, `
		SELECT state, since, evaluated_at, last_transition_id, alert_started_at, alert_deployment_id, numbers, objective,
			reason, clear_since, page_clear_since, ticket_since, escalated_at
		FROM slo_states WHERE journey_id = $1 AND slo_name = $2`, journeyID, name).
		Scan(&r.state, &r.since, &r.evaluatedAt, &r.lastTransition, &r.alertStarted, &r.alertDeploy, &r.numbers, &r.objective,
			&r.reason, &r.clearSince, &r.pageClearSince, &r.ticketSince, &r.escalatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return stateRow{}, nil
	}
	if err != nil {
		return stateRow{}, fmt.Errorf("read state of SLO %q: %w", name, err)
	}
	r.exists = true
	return r, nil
}

// lockSLO serialises evaluations of one SLO across processes until the
// transaction ends.
func lockSLO(ctx context.Context, tx pgx.Tx, journeyID int64, name string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('waymark-slo:' || $1::bigint::text || ':' || $2::text, 0))`, journeyID, name); err != nil {
		return fmt.Errorf("lock SLO %q: %w", name, err)
	}
	return nil
}

// EvaluateSLO evaluates one SLO at now and stores the evaluation; on a
// change of alert state it stores the transition and queues its
// notifications with enqueue (nil queues nothing) in the same transaction.
func (s *Service) EvaluateSLO(ctx context.Context, slug, name string, now time.Time, enqueue Enqueue) (Outcome, error) {
	j, err := s.Journey(ctx, slug)
	if err != nil {
		return Outcome{}, err
	}
	def, err := sloDef(j.Record.Journey, name)
	if err != nil {
		return Outcome{}, err
	}
	return s.evaluateOne(ctx, j, def, now, enqueue)
}

func (s *Service) evaluateOne(ctx context.Context, j LiveJourney, def journeys.SLO, now time.Time, enqueue Enqueue) (Outcome, error) {
	slug := j.Slug()
	out := Outcome{Journey: slug, SLO: def.Name}
	g, err := s.guard(ctx, s.pool, j.ID, def)
	if err != nil {
		return out, err
	}
	seen, err := loadState(ctx, s.pool, j.ID, def.Name)
	if err != nil {
		return out, err
	}
	c, err := s.compute(ctx, j.Record.Journey, def, g, seen.prior(), now)
	if err != nil {
		return out, fmt.Errorf("evaluate SLO %q of %q: %w", def.Name, slug, err)
	}
	// Exemplars need a query of their own; read them before the
	// transaction when this evaluation is likely to start or change an
	// alert, so that the lock is held briefly.
	var exemplars []Exemplar
	exemplarsFor := slo.State("")
	readExemplars := func(ev slo.Evaluation) error {
		if exemplarsFor == ev.State {
			return nil
		}
		ex, err := s.exemplars(ctx, slug, j.Record.Journey, c, ev)
		if err != nil {
			return err
		}
		exemplars, exemplarsFor = ex, ev.State
		return nil
	}
	if c.ev.Transition != nil && IsAlert(c.ev.State) {
		if err := readExemplars(c.ev); err != nil {
			return out, err
		}
	}

	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockSLO(ctx, tx, j.ID, def.Name); err != nil {
			return err
		}
		row, err := loadState(ctx, tx, j.ID, def.Name)
		if err != nil {
			return err
		}
		if row.exists && row.evaluatedAt.After(now) {
			out.Skipped = true
			return nil
		}
		ev := c.ev
		if row.prior() != seen.prior() {
			// Another process moved the state meanwhile; replay from it.
			ev = c.evaluate(row.prior())
		}
		evalID, err := s.insertEvaluation(ctx, tx, j.ID, c, ev, now)
		if err != nil {
			return err
		}
		out.EvaluationID, out.State, out.Reason, out.Stale = evalID, ev.State, ev.Reason, c.stale

		since := now
		if row.exists {
			since = row.since
		}
		a := alertOf(row)
		lastTransition := row.lastTransition
		var deliveries []Delivery
		if tr := ev.Transition; tr != nil {
			from, to := tr.From, tr.To
			// rec describes the alert as it stands for this transition: the
			// one it opens or changes, or the one it ends.
			rec := a
			switch {
			case IsAlert(to) && !IsAlert(from):
				// A new alert: its start, its deploy, its ticket if it is one.
				rec = alert{started: optTime(now)}
				if to == slo.StateTicket {
					rec.ticketSince = optTime(now)
				}
				if rec.deploy, err = deploy.Before(ctx, tx, deploy.Services(j.Record.Journey), now, s.opts.DeployEnvironment); err != nil {
					return err
				}
			case to == slo.StatePage && from == slo.StateTicket:
				// An escalation names the deploy nearest its own start; the
				// ticket stays open under the page.
				rec.escalatedAt = optTime(now)
				if rec.deploy, err = deploy.Before(ctx, tx, deploy.Services(j.Record.Journey), now, s.opts.DeployEnvironment); err != nil {
					return err
				}
			case to == slo.StateTicket && from == slo.StatePage:
				if rec.ticketSince == nil {
					rec.ticketSince = optTime(now)
				}
			case !IsAlert(from) && !IsAlert(to):
				rec = alert{}
			}
			var ex []Exemplar
			if IsAlert(to) {
				if err := readExemplars(ev); err != nil {
					return err
				}
				ex = exemplars
			}
			t, ds, err := s.recordTransition(ctx, tx, transitionInput{
				journeyID: j.ID, slug: slug, def: def, journeyName: j.Record.Journey.Metadata.Name,
				evaluationID: &evalID, from: from, to: to, event: tr.Event, at: now, dataThrough: &c.dataThrough,
				fromSince: since, reason: ev.Reason, numbers: numbersOf(ev), alert: rec, exemplars: ex,
			})
			if err != nil {
				return err
			}
			out.Transition, deliveries = t, ds
			lastTransition = &t.ID
			since = now
			a = rec
			if !IsAlert(to) {
				a = alert{}
			}
		} else if IsAlert(ev.State) && lastTransition != nil && !c.stale {
			if deliveries, err = s.refreshes(ctx, tx, *lastTransition, now); err != nil {
				return err
			}
		}
		if err := s.saveState(ctx, tx, j.ID, def.Name, c, ev, now, since, lastTransition, a); err != nil {
			return err
		}
		out.Deliveries = deliveries
		if len(deliveries) > 0 && enqueue != nil {
			if err := enqueue(ctx, tx, deliveries); err != nil {
				return fmt.Errorf("queue notifications: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return Outcome{Journey: slug, SLO: def.Name}, fmt.Errorf("store evaluation of SLO %q of %q: %w", def.Name, slug, err)
	}
	return out, nil
}

// alert is what an SLO's state row and its transitions keep about the
// current alert, from firing until it ends.
type alert struct {
	// started is when it fired.
	started *time.Time
	// deploy is the deploy it follows: the latest of a journey service in
	// the DeployLookback before it fired, or before it last escalated.
	deploy *int64
	// ticketSince is when its ticket opened; Alertmanager holds the
	// ticket open under a page, until the alert ends.
	ticketSince *time.Time
	// escalatedAt is when it last escalated from a ticket to a page.
	escalatedAt *time.Time
}

func alertOf(r stateRow) alert {
	return alert{started: r.alertStarted, deploy: r.alertDeploy, ticketSince: r.ticketSince, escalatedAt: r.escalatedAt}
}

func (s *Service) insertEvaluation(ctx context.Context, tx pgx.Tx, journeyID int64, c *computed, ev slo.Evaluation, now time.Time) (int64, error) {
	nums, err := json.Marshal(numbersOf(ev))
	if err != nil {
		return 0, fmt.Errorf("encode evaluation: %w", err)
	}
	errText := ""
	if ev.Err != nil {
		errText = ev.Err.Error()
	}
	var id int64
	err = tx.QueryRow(ctx, `
		INSERT INTO slo_evaluations (journey_id, slo_name, at, data_through, state, reason, objective, min_events,
			good, total, sli, budget_remaining, approximate, stale, error, numbers)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		RETURNING id`,
		journeyID, c.def.Name, now.UTC(), c.dataThrough, ev.State, ev.Reason, c.def.Objective, c.minEvents,
		ev.Budget.Events.Good, ev.Budget.Events.Total, ev.Budget.SLI, ev.Budget.Remaining,
		c.approximate, c.stale, errText, nums).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert evaluation: %w", err)
	}
	return id, nil
}

func (s *Service) saveState(ctx context.Context, tx pgx.Tx, journeyID int64, name string, c *computed, ev slo.Evaluation,
	now, since time.Time, lastTransition *int64, a alert) error {
	nums, err := json.Marshal(numbersOf(ev))
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO slo_states (journey_id, slo_name, state, since, reason, evaluated_at, data_through, stale,
			objective, min_events, good, total, sli, budget_remaining, numbers,
			last_transition_id, alert_started_at, alert_deployment_id,
			clear_since, page_clear_since, ticket_since, escalated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		ON CONFLICT (journey_id, slo_name) DO UPDATE SET
			state = EXCLUDED.state, since = EXCLUDED.since, reason = EXCLUDED.reason,
			evaluated_at = EXCLUDED.evaluated_at, data_through = EXCLUDED.data_through, stale = EXCLUDED.stale,
			objective = EXCLUDED.objective, min_events = EXCLUDED.min_events, good = EXCLUDED.good,
			total = EXCLUDED.total, sli = EXCLUDED.sli, budget_remaining = EXCLUDED.budget_remaining,
			numbers = EXCLUDED.numbers, last_transition_id = EXCLUDED.last_transition_id,
			alert_started_at = EXCLUDED.alert_started_at, alert_deployment_id = EXCLUDED.alert_deployment_id,
			clear_since = EXCLUDED.clear_since, page_clear_since = EXCLUDED.page_clear_since,
			ticket_since = EXCLUDED.ticket_since, escalated_at = EXCLUDED.escalated_at`,
		journeyID, name, ev.State, since.UTC(), ev.Reason, now.UTC(), c.dataThrough, c.stale,
		c.def.Objective, c.minEvents, ev.Budget.Events.Good, ev.Budget.Events.Total, ev.Budget.SLI, ev.Budget.Remaining, nums,
		lastTransition, a.started, a.deploy,
		optTime(ev.Hold.ClearSince), optTime(ev.Hold.PageClearSince), a.ticketSince, a.escalatedAt)
	if err != nil {
		return fmt.Errorf("save state of SLO %q: %w", name, err)
	}
	return nil
}

// transitionInput is a transition to record.
type transitionInput struct {
	journeyID    int64
	slug         string
	journeyName  string
	def          journeys.SLO
	evaluationID *int64
	from, to     slo.State
	event        slo.Event
	at           time.Time
	dataThrough  *time.Time
	fromSince    time.Time
	reason       string
	numbers      Numbers
	alert        alert
	exemplars    []Exemplar
}

// storedNumbers is what a transition keeps in its numbers column: the
// figures and the SLO as defined then, so that its notifications and
// history read the same after the journey changes.
type storedNumbers struct {
	Numbers
	SLO         journeys.SLO `json:"slo"`
	JourneyName string       `json:"journey_name"`
}

// recordTransition stores a transition and, when it starts, changes or
// ends an alert, one pending delivery per channel of the journey.
func (s *Service) recordTransition(ctx context.Context, tx pgx.Tx, in transitionInput) (*Transition, []Delivery, error) {
	nums, err := json.Marshal(storedNumbers{Numbers: in.numbers, SLO: in.def, JourneyName: in.journeyName})
	if err != nil {
		return nil, nil, fmt.Errorf("encode transition: %w", err)
	}
	ex := in.exemplars
	if ex == nil {
		ex = []Exemplar{}
	}
	exJSON, err := json.Marshal(ex)
	if err != nil {
		return nil, nil, fmt.Errorf("encode exemplars: %w", err)
	}
	b := in.numbers.Budget
	var id int64
	err = tx.QueryRow(ctx, `
		INSERT INTO slo_transitions (journey_id, slo_name, evaluation_id, from_state, to_state, event, at, data_through,
			from_since, reason, objective, good, total, sli, budget_remaining, numbers, alert_started_at, deployment_id, exemplars,
			ticket_since, escalated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
		RETURNING id`,
		in.journeyID, in.def.Name, in.evaluationID, in.from, in.to, in.event, in.at.UTC(), in.dataThrough,
		in.fromSince.UTC(), in.reason, in.def.Objective, b.Events.Good, b.Events.Total, b.SLI, b.Remaining,
		nums, in.alert.started, in.alert.deploy, exJSON, in.alert.ticketSince, in.alert.escalatedAt).Scan(&id)
	if err != nil {
		return nil, nil, fmt.Errorf("insert transition: %w", err)
	}
	var deliveries []Delivery
	if IsAlert(in.from) || IsAlert(in.to) {
		chans, err := channelsFor(ctx, tx, in.slug)
		if err != nil {
			return nil, nil, err
		}
		for _, ch := range chans {
			// The primary key makes a second insert of the same pair a
			// no-op: each transition goes to each channel once.
			tag, err := tx.Exec(ctx, `INSERT INTO slo_notifications (transition_id, channel_id, created_at) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, id, ch, in.at.UTC())
			if err != nil {
				return nil, nil, fmt.Errorf("record notification: %w", err)
			}
			if tag.RowsAffected() == 1 {
				deliveries = append(deliveries, Delivery{TransitionID: id, ChannelID: ch})
			}
		}
	}
	t, err := getTransition(ctx, tx, id)
	if err != nil {
		return nil, nil, err
	}
	return &t, deliveries, nil
}

// EvaluateAll evaluates every SLO of every live journey at now, resolves
// the alerts of SLOs that no longer exist, and drops evaluations older
// than the retention. One SLO failing does not stop the others; the
// errors are joined.
func (s *Service) EvaluateAll(ctx context.Context, now time.Time, enqueue Enqueue) ([]Outcome, error) {
	recs, err := s.journeys.ListJourneys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list journeys: %w", err)
	}
	var outs []Outcome
	var errs []error
	// A journey whose id could not be read would look removed; resolve
	// removed SLOs only when every live journey was accounted for.
	complete := true
	live := map[int64]map[string]bool{}
	for _, rec := range recs {
		if len(rec.Journey.Spec.SLOs) == 0 {
			continue
		}
		slug := rec.Journey.Metadata.Slug
		id, err := s.journeyID(ctx, slug)
		if errors.Is(err, fault.ErrNotFound) {
			continue // deleted since listed
		}
		if err != nil {
			errs = append(errs, err)
			complete = false
			continue
		}
		j := LiveJourney{Record: rec, ID: id}
		names := map[string]bool{}
		live[id] = names
		for _, def := range rec.Journey.Spec.SLOs {
			names[def.Name] = true
			out, err := s.evaluateOne(ctx, j, def, now, enqueue)
			if err != nil {
				s.log.Error("evaluate SLO", "journey", slug, "slo", def.Name, "error", err)
				errs = append(errs, err)
				continue
			}
			outs = append(outs, out)
		}
	}
	if complete {
		gone, err := s.resolveRemoved(ctx, live, now, enqueue)
		if err != nil {
			errs = append(errs, err)
		}
		outs = append(outs, gone...)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM slo_evaluations WHERE at < $1`, now.Add(-s.opts.EvaluationRetention)); err != nil {
		errs = append(errs, fmt.Errorf("expire evaluations: %w", err))
	}
	return outs, errors.Join(errs...)
}

// resolveRemoved ends the alerts of SLOs that were removed or renamed, or
// whose journey was deleted, and forgets their state: otherwise a page
// would stay open forever in Slack.
func (s *Service) resolveRemoved(ctx context.Context, live map[int64]map[string]bool, now time.Time, enqueue Enqueue) ([]Outcome, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT s.journey_id, s.slo_name, j.slug FROM slo_states s JOIN journeys j ON j.ID = s.journey_id
		ORDER BY j.slug, s.slo_name`)
	if err != nil {
		return nil, fmt.Errorf("list SLO states: %w", err)
	}
	type key struct {
		id         int64
		name, slug string
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (key, error) {
		var k key
		return k, r.Scan(&k.id, &k.name, &k.slug)
	})
	if err != nil {
		return nil, fmt.Errorf("list SLO states: %w", err)
	}
	var outs []Outcome
	for _, k := range all {
		if live[k.id][k.name] {
			continue
		}
		out := Outcome{Journey: k.slug, SLO: k.name, State: slo.StateOK, Reason: "the SLO no longer exists"}
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if err := lockSLO(ctx, tx, k.id, k.name); err != nil {
				return err
			}
			row, err := loadState(ctx, tx, k.id, k.name)
			if err != nil || !row.exists {
				return err
			}
			if IsAlert(row.state) {
				var st storedNumbers
				if row.lastTransition != nil {
					if err := tx.QueryRow(ctx, `SELECT numbers FROM slo_transitions WHERE id = $1`, *row.lastTransition).Scan(&st); err != nil {
						return fmt.Errorf("read last transition: %w", err)
					}
				}
				var nums Numbers
				if len(row.numbers) > 0 {
					if err := json.Unmarshal(row.numbers, &nums); err != nil {
						return fmt.Errorf("decode state: %w", err)
					}
				}
				def := st.SLO
				def.Name, def.Objective = k.name, row.objective
				t, ds, err := s.recordTransition(ctx, tx, transitionInput{
					journeyID: k.id, slug: k.slug, journeyName: st.JourneyName, def: def,
					from: row.state, to: slo.StateOK, event: slo.EventResolved, at: now, fromSince: row.since,
					reason: out.Reason, numbers: nums, alert: alertOf(row),
				})
				if err != nil {
					return err
				}
				out.Transition, out.Deliveries = t, ds
				if len(ds) > 0 && enqueue != nil {
					if err := enqueue(ctx, tx, ds); err != nil {
						return fmt.Errorf("queue notifications: %w", err)
					}
				}
			}
			_, err = tx.Exec(ctx, `DELETE FROM slo_states WHERE journey_id = $1 AND slo_name = $2`, k.id, k.name)
			return err
		})
		if err != nil {
			return outs, fmt.Errorf("resolve removed SLO %q of %q: %w", k.name, k.slug, err)
		}
		outs = append(outs, out)
	}
	return outs, nil
}
