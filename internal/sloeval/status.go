package sloeval

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
)

// SLOState is an SLO's alert state with the numbers of its latest stored
// evaluation: what lists, map badges and /metrics show.
type SLOState struct {
	Journey     string           `json:"journey"`
	JourneyName string           `json:"journey_name"`
	SLO         string           `json:"slo"`
	Kind        journeys.SLOKind `json:"kind"`
	// Step is the SLO's step, empty for the whole journey.
	Step      string        `json:"step,omitempty"`
	Objective float64       `json:"objective"`
	Window    time.Duration `json:"window_ns"`
	Link      string        `json:"link"`
	// Evaluated is false until the first evaluation; the fields below are
	// then zero.
	Evaluated   bool      `json:"evaluated"`
	State       slo.State `json:"state"`
	Since       time.Time `json:"since,omitzero"`
	Reason      string    `json:"reason"`
	EvaluatedAt time.Time `json:"evaluated_at,omitzero"`
	DataThrough time.Time `json:"data_through,omitzero"`
	Stale       bool      `json:"stale"`
	// MinEvents is the minimum-traffic guard of the latest evaluation
	// (before the first, the SLO's own or the default).
	MinEvents int64 `json:"min_events"`
	// ResolveAfter is the SLO's resolve hold.
	ResolveAfter time.Duration `json:"resolve_after_ns"`
	// CohortDelay is, for a conversion SLO, its correlation window: it
	// counts cohorts once that has closed, so its numbers are that old.
	CohortDelay time.Duration `json:"cohort_delay_ns,omitempty"`
	Good        int64         `json:"good"`
	Total       int64         `json:"total"`
	// SLI is Good/Total over the SLO window, 0 when NoData.
	SLI             float64          `json:"sli"`
	NoData          bool             `json:"no_data"`
	BudgetRemaining float64          `json:"budget_remaining"`
	Pairs           []slo.PairStatus `json:"pairs"`
}

func (s *Service) baseState(j journeys.Journey, def journeys.SLO) SLOState {
	minEvents := s.opts.DefaultMinEvents
	if def.MinEvents.Set {
		minEvents = def.MinEvents.N
	}
	var delay time.Duration
	if def.Kind == journeys.SLOConversion {
		delay = rollup.Window(j)
	}
	return SLOState{
		Journey:      j.Metadata.Slug,
		JourneyName:  j.Metadata.Name,
		SLO:          def.Name,
		Kind:         def.Kind,
		Step:         def.Step,
		Objective:    def.Objective,
		Window:       def.EffectiveWindow(),
		Link:         s.Link(j.Metadata.Slug, def.Name),
		MinEvents:    minEvents,
		ResolveAfter: def.EffectiveResolveAfter(),
		CohortDelay:  delay,
		Pairs:        []slo.PairStatus{},
	}
}

type storedState struct {
	state                       slo.State
	since, evaluatedAt          time.Time
	dataThrough                 *time.Time
	reason                      string
	stale                       bool
	minEvents, good, total      int64
	sli, remaining              float64
	numbers                     []byte
	alertStarted                *time.Time
	alertDeploy, lastTransition *int64
}

func (st storedState) apply(out *SLOState) error {
	out.Evaluated = true
	out.State, out.Since, out.Reason = st.state, st.since.UTC(), st.reason
	out.EvaluatedAt, out.Stale = st.evaluatedAt.UTC(), st.stale
	if st.dataThrough != nil {
		out.DataThrough = st.dataThrough.UTC()
	}
	out.MinEvents, out.Good, out.Total = st.minEvents, st.good, st.total
	out.SLI, out.NoData, out.BudgetRemaining = st.sli, st.total == 0, st.remaining
	var n Numbers
	if err := json.Unmarshal(st.numbers, &n); err != nil {
		return fmt.Errorf("decode state numbers: %w", err)
	}
	if n.Pairs != nil {
		out.Pairs = n.Pairs
	}
	return nil
}

// states reads the stored states of the given journeys (all when ids is
// nil), by journey id and SLO name.
func (s *Service) states(ctx context.Context, ids []int64) (map[int64]map[string]storedState, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT journey_id, slo_name, state, since, evaluated_at, data_through, reason, stale, min_events,
			good, total, sli, budget_remaining, numbers, alert_started_at, alert_deployment_id, last_transition_id
		FROM slo_states WHERE $1::bigint[] IS NULL OR journey_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read SLO states: %w", err)
	}
	defer rows.Close()
	out := map[int64]map[string]storedState{}
	for rows.Next() {
		var id int64
		var name string
		var st storedState
		if err := rows.Scan(&id, &name, &st.state, &st.since, &st.evaluatedAt, &st.dataThrough, &st.reason, &st.stale,
			&st.minEvents, &st.good, &st.total, &st.sli, &st.remaining, &st.numbers, &st.alertStarted, &st.alertDeploy, &st.lastTransition); err != nil {
			return nil, fmt.Errorf("read SLO states: %w", err)
		}
		if out[id] == nil {
			out[id] = map[string]storedState{}
		}
		out[id][name] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read SLO states: %w", err)
	}
	return out, nil
}

// JourneySLOStates returns the state of each SLO of a journey, in the
// journey's order.
func (s *Service) JourneySLOStates(ctx context.Context, slug string) ([]SLOState, error) {
	j, err := s.Journey(ctx, slug)
	if err != nil {
		return nil, err
	}
	st, err := s.states(ctx, []int64{j.ID})
	if err != nil {
		return nil, err
	}
	return s.collect(j.Record.Journey, st[j.ID])
}

func (s *Service) collect(j journeys.Journey, st map[string]storedState) ([]SLOState, error) {
	out := make([]SLOState, 0, len(j.Spec.SLOs))
	for _, def := range j.Spec.SLOs {
		x := s.baseState(j, def)
		if row, ok := st[def.Name]; ok {
			if err := row.apply(&x); err != nil {
				return nil, err
			}
		}
		out = append(out, x)
	}
	return out, nil
}

// AllSLOStates returns the state of every SLO of every live journey, by
// journey slug then SLO order. It is also the read model of /metrics: each
// entry carries the numbers of the SLO's latest evaluation.
func (s *Service) AllSLOStates(ctx context.Context) ([]SLOState, error) {
	recs, err := s.journeys.ListJourneys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list journeys: %w", err)
	}
	ids := map[string]int64{}
	rows, err := s.pool.Query(ctx, `SELECT slug, id FROM journeys WHERE deleted_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("list journey ids: %w", err)
	}
	var slug string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&slug, &id}, func() error { ids[slug] = id; return nil }); err != nil {
		return nil, fmt.Errorf("list journey ids: %w", err)
	}
	st, err := s.states(ctx, nil)
	if err != nil {
		return nil, err
	}
	var out []SLOState
	for _, rec := range recs {
		xs, err := s.collect(rec.Journey, st[ids[rec.Journey.Metadata.Slug]])
		if err != nil {
			return nil, err
		}
		out = append(out, xs...)
	}
	return out, nil
}

// BurnDownPoint is one point of an SLO's budget burn-down over its window.
type BurnDownPoint struct {
	At time.Time `json:"at"`
	// Good and Total count the window's events before At.
	Good  int64 `json:"good"`
	Total int64 `json:"total"`
	// Remaining is the share of the whole window's budget (its error budget
	// times all its events so far) left after the bad events before At: 1
	// at the window's start, the budget's Remaining at its end.
	Remaining float64 `json:"remaining"`
}

// Status is everything an SLO's page shows.
type Status struct {
	Journey     string        `json:"journey"`
	JourneyName string        `json:"journey_name"`
	SLO         string        `json:"slo"`
	Definition  journeys.SLO  `json:"definition"`
	Link        string        `json:"link"`
	Objective   float64       `json:"objective"`
	Window      time.Duration `json:"window_ns"`
	// MinEvents is the minimum-traffic guard and MinEventsSource where it
	// comes from: GuardFromJourney, GuardFromLegacySetting or
	// GuardFromDefault. ResolveAfter is the resolve hold.
	MinEvents       int64         `json:"min_events"`
	MinEventsSource string        `json:"min_events_source"`
	ResolveAfter    time.Duration `json:"resolve_after_ns"`
	// CohortDelay is, for a conversion SLO, its correlation window: a
	// cohort counts once that has closed after it entered, so the numbers
	// below hold the journeys that entered before DataThrough minus
	// CohortDelay. DataNote says so in a sentence. Both are empty for
	// other kinds.
	CohortDelay time.Duration `json:"cohort_delay_ns,omitempty"`
	DataNote    string        `json:"data_note,omitempty"`

	// State is the alert state as last stored (what was notified), since
	// StateSince; before the first evaluation it is LiveState.
	Evaluated   bool      `json:"evaluated"`
	State       slo.State `json:"state"`
	StateSince  time.Time `json:"state_since,omitzero"`
	StateReason string    `json:"state_reason"`
	// EvaluatedAt is when State was stored.
	EvaluatedAt time.Time `json:"evaluated_at,omitzero"`
	// Pending is what the next evaluation is to do when the rollups now
	// disagree with State, or how a held alert will resolve: the page
	// shows one state and words the change under way as such.
	Pending *Pending `json:"pending,omitempty"`

	// The numbers below are computed at At from the rollups complete
	// through DataThrough.
	At          time.Time `json:"at"`
	DataThrough time.Time `json:"data_through"`
	Stale       bool      `json:"stale"`
	StaleReason string    `json:"stale_reason,omitempty"`
	// Approximate is set when some latency counts came from sketches.
	Approximate bool             `json:"approximate"`
	SLI         float64          `json:"sli"`
	NoData      bool             `json:"no_data"`
	Good        int64            `json:"good"`
	Total       int64            `json:"total"`
	Budget      slo.Budget       `json:"budget"`
	Pairs       []slo.PairStatus `json:"pairs"`
	LiveState   slo.State        `json:"live_state"`
	LiveReason  string           `json:"live_reason"`
	// Burning is what the burn table alone calls for now, before the
	// resolve hold.
	Burning          slo.State       `json:"burning"`
	Forecast         slo.Forecast    `json:"forecast"`
	ForecastSentence string          `json:"forecast_sentence"`
	BurnDown         []BurnDownPoint `json:"burn_down"`
	Transitions      []Transition    `json:"transitions"`
	Exemplars        []Exemplar      `json:"exemplars"`
	// AlertStartedAt and Deployment describe the current alert, if any.
	AlertStartedAt time.Time          `json:"alert_started_at,omitzero"`
	Deployment     *deploy.Deployment `json:"deployment,omitempty"`
}

// SLOStatus computes an SLO's numbers at now from the rollups, with its
// stored alert state, recent transitions, burn-down and exemplars.
func (s *Service) SLOStatus(ctx context.Context, slug, name string, now time.Time) (Status, error) {
	j, err := s.Journey(ctx, slug)
	if err != nil {
		return Status{}, err
	}
	def, err := sloDef(j.Record.Journey, name)
	if err != nil {
		return Status{}, err
	}
	g, err := s.guard(ctx, s.pool, j.ID, def)
	if err != nil {
		return Status{}, err
	}
	row, err := loadState(ctx, s.pool, j.ID, name)
	if err != nil {
		return Status{}, err
	}
	evaluated := row.exists
	c, err := s.compute(ctx, j.Record.Journey, def, g, row.prior(), now)
	if err != nil {
		return Status{}, err
	}
	// The page shows what the rollups say, stale or not, and says so with
	// Stale; the stored state is what was notified.
	live := slo.Evaluate(row.prior(), c.inputs, c.dataThrough)
	if live.Err != nil {
		return Status{}, fmt.Errorf("evaluate SLO %q of %q: %w", name, slug, live.Err)
	}
	b := live.Budget
	st := Status{
		Journey: slug, JourneyName: j.Record.Journey.Metadata.Name, SLO: name, Definition: def,
		Link: s.Link(slug, name), Objective: def.Objective, Window: def.EffectiveWindow(),
		MinEvents: g.n, MinEventsSource: g.source, ResolveAfter: def.EffectiveResolveAfter(), CohortDelay: c.cohortDelay,
		Evaluated: evaluated, State: live.State, StateReason: live.Reason,
		At: now.UTC(), DataThrough: c.dataThrough, Stale: c.stale, StaleReason: c.staleReason, Approximate: c.approximate,
		SLI: b.SLI, NoData: b.NoData, Good: b.Events.Good, Total: b.Events.Total, Budget: b,
		Pairs: live.Pairs, LiveState: live.State, LiveReason: live.Reason, Burning: live.Burning,
		Forecast: live.Forecast, ForecastSentence: live.Forecast.Sentence(),
	}
	if c.cohortDelay > 0 {
		st.DataNote = fmt.Sprintf("conversion counts a journey once its %s correlation window has closed: these numbers are %s old, of the journeys that entered before %s",
			journeys.FormatWindow(c.cohortDelay), journeys.FormatWindow(c.cohortDelay), clockUTC(c.dataThrough.Add(-c.cohortDelay), now))
	}
	if evaluated {
		st.State, st.StateSince, st.StateReason, st.EvaluatedAt = row.state, row.since.UTC(), row.reason, row.evaluatedAt.UTC()
		if row.alertStarted != nil {
			st.AlertStartedAt = row.alertStarted.UTC()
		}
		if row.alertDeploy != nil {
			d, err := deploy.Get(ctx, s.pool, *row.alertDeploy)
			if err != nil {
				return Status{}, err
			}
			st.Deployment = &d
		}
		if !c.stale {
			st.Pending = s.pending(row, live, now)
		}
	}
	if st.BurnDown, err = s.burnDown(ctx, slug, def, c.step, b, c.dataThrough); err != nil {
		return Status{}, err
	}
	if st.Transitions, err = s.Transitions(ctx, TransitionFilter{Journey: slug, SLO: name, Limit: s.opts.RecentTransitions}); err != nil {
		return Status{}, err
	}
	if st.Exemplars, err = s.exemplars(ctx, slug, j.Record.Journey, c, live); err != nil {
		return Status{}, err
	}
	return st, nil
}

// burnDown reads the budget's burn-down over the window ending at end in
// Options.BurnDownPoints steps of whole minutes.
func (s *Service) burnDown(ctx context.Context, slug string, def journeys.SLO, step int, b slo.Budget, end time.Time) ([]BurnDownPoint, error) {
	from := b.From
	n := s.opts.BurnDownPoints
	width := end.Sub(from) / time.Duration(n)
	width = (width + time.Minute - 1).Truncate(time.Minute)
	if width <= 0 {
		width = time.Minute
	}
	allowed := b.ErrorBudget * float64(b.Events.Total)
	points := []BurnDownPoint{{At: from.UTC(), Remaining: 1}}
	var good, total int64
	for t := from; t.Before(end); {
		next := t.Add(width)
		if next.After(end) {
			next = end
		}
		c, err := s.rollups.SLI(ctx, rollup.SLIQuery{Slug: slug, Kind: def.Kind, Step: step, Threshold: def.Threshold.D, From: t, To: next})
		if err != nil {
			return nil, rollupErr(err)
		}
		good += c.Good
		total += c.Total
		p := BurnDownPoint{At: next.UTC(), Good: good, Total: total, Remaining: 1}
		if allowed > 0 {
			p.Remaining = 1 - float64(total-good)/allowed
		}
		points = append(points, p)
		t = next
	}
	return points, nil
}

// EvaluationRecord is one stored evaluation of an SLO with the numbers
// behind it.
type EvaluationRecord struct {
	ID              int64     `json:"id"`
	At              time.Time `json:"at"`
	DataThrough     time.Time `json:"data_through,omitzero"`
	State           slo.State `json:"state"`
	Reason          string    `json:"reason"`
	Objective       float64   `json:"objective"`
	MinEvents       int64     `json:"min_events"`
	Good            int64     `json:"good"`
	Total           int64     `json:"total"`
	SLI             float64   `json:"sli"`
	BudgetRemaining float64   `json:"budget_remaining"`
	Approximate     bool      `json:"approximate"`
	Stale           bool      `json:"stale"`
	Error           string    `json:"error,omitempty"`
	Numbers         Numbers   `json:"numbers"`
}

// Evaluations lists an SLO's stored evaluations with At in [since,
// until), oldest first, at most limit (1440 when 0, at most 10080).
func (s *Service) Evaluations(ctx context.Context, slug, name string, since, until time.Time, limit int) ([]EvaluationRecord, error) {
	id, err := s.journeyID(ctx, slug)
	if err != nil {
		return nil, err
	}
	switch {
	case limit <= 0:
		limit = 1440
	case limit > 10080:
		limit = 10080
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, at, data_through, state, reason, objective, min_events, good, total, sli, budget_remaining,
			approximate, stale, error, numbers
		FROM slo_evaluations
		WHERE journey_id = $1 AND slo_name = $2 AND at >= $3 AND at < $4
		ORDER BY at, id
		LIMIT $5`, id, name, since, until, limit)
	if err != nil {
		return nil, fmt.Errorf("list evaluations of SLO %q: %w", name, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (EvaluationRecord, error) {
		var e EvaluationRecord
		var dt *time.Time
		var nums []byte
		if err := row.Scan(&e.ID, &e.At, &dt, &e.State, &e.Reason, &e.Objective, &e.MinEvents, &e.Good, &e.Total,
			&e.SLI, &e.BudgetRemaining, &e.Approximate, &e.Stale, &e.Error, &nums); err != nil {
			return e, err
		}
		e.At = e.At.UTC()
		if dt != nil {
			e.DataThrough = dt.UTC()
		}
		if err := json.Unmarshal(nums, &e.Numbers); err != nil {
			return e, fmt.Errorf("decode evaluation numbers: %w", err)
		}
		return e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list evaluations of SLO %q: %w", name, err)
	}
	return out, nil
}
