package sloeval

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/pgrow"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
)

// Transition is a stored change of an SLO's alert state with the numbers
// that caused it.
type Transition struct {
	ID int64 `json:"id"`
	// Journey is the journey's current slug; JourneyName its name then.
	Journey     string `json:"journey"`
	JourneyName string `json:"journey_name"`
	SLO         string `json:"slo"`
	// Definition is the SLO as defined at the transition.
	Definition journeys.SLO `json:"definition"`
	From       slo.State    `json:"from"`
	To         slo.State    `json:"to"`
	Event      slo.Event    `json:"event"`
	// At is when it was detected; DataThrough the end of the rollups it
	// was computed from; FromSince when the previous state began.
	At              time.Time `json:"at"`
	DataThrough     time.Time `json:"data_through,omitzero"`
	FromSince       time.Time `json:"from_since"`
	Reason          string    `json:"reason"`
	Objective       float64   `json:"objective"`
	Good            int64     `json:"good"`
	Total           int64     `json:"total"`
	SLI             float64   `json:"sli"`
	BudgetRemaining float64   `json:"budget_remaining"`
	Numbers         Numbers   `json:"numbers"`
	// AlertStartedAt is when the alert this transition belongs to fired;
	// EscalatedAt when it last escalated from a ticket to a page, if it
	// did. Deployment is the deploy of a journey service in the 30 minutes
	// before the later of the two (DeployMatchedAt).
	AlertStartedAt time.Time          `json:"alert_started_at,omitzero"`
	EscalatedAt    time.Time          `json:"escalated_at,omitzero"`
	Deployment     *deploy.Deployment `json:"deployment,omitempty"`
	// TicketSince is when the alert's ticket opened, if it has one: a
	// ticket stays open in Alertmanager under a page until the alert
	// ends. For a transition that ends the alert, it is the ticket ended.
	TicketSince time.Time `json:"ticket_since,omitzero"`
	// Exemplars are traces of recent bad events, for transitions into an
	// alert.
	Exemplars []Exemplar `json:"exemplars"`
}

// Exemplar is a trace behind an alert: a slow span for a latency SLO, an
// errored one for a success SLO.
type Exemplar struct {
	TraceID  string        `json:"trace_id"`
	Step     string        `json:"step"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	Error    bool          `json:"error"`
}

const transitionColumns = `t.id, j.slug, t.slo_name, t.from_state, t.to_state, t.event, t.at, t.data_through, t.from_since,
	t.reason, t.objective, t.good, t.total, t.sli, t.budget_remaining, t.numbers, t.alert_started_at, t.exemplars,
	t.ticket_since, t.escalated_at,
	d.id, d.service, d.version, d.environment, d.at, d.url, d.description, d.created_at`

const transitionFrom = `slo_transitions t JOIN journeys j ON j.ID = t.journey_id LEFT JOIN deployments d ON d.id = t.deployment_id`

func scanTransition(row pgx.CollectableRow) (Transition, error) {
	var t Transition
	var dataThrough, alertStarted, ticketSince, escalatedAt *time.Time
	var nums, ex []byte
	var dID *int64
	var dService, dVersion, dEnv, dURL, dDesc *string
	var dAt, dCreated *time.Time
	err := row.Scan(&t.ID, &t.Journey, &t.SLO, &t.From, &t.To, &t.Event, &t.At, &dataThrough, &t.FromSince,
		&t.Reason, &t.Objective, &t.Good, &t.Total, &t.SLI, &t.BudgetRemaining, &nums, &alertStarted, &ex,
		&ticketSince, &escalatedAt,
		&dID, &dService, &dVersion, &dEnv, &dAt, &dURL, &dDesc, &dCreated)
	if err != nil {
		return t, err
	}
	t.At, t.FromSince = t.At.UTC(), t.FromSince.UTC()
	if dataThrough != nil {
		t.DataThrough = dataThrough.UTC()
	}
	t.AlertStartedAt, t.TicketSince, t.EscalatedAt = deref(alertStarted), deref(ticketSince), deref(escalatedAt)
	var st storedNumbers
	if err := json.Unmarshal(nums, &st); err != nil {
		return t, fmt.Errorf("decode transition numbers: %w", err)
	}
	t.Numbers, t.Definition, t.JourneyName = st.Numbers, st.SLO, st.JourneyName
	if err := json.Unmarshal(ex, &t.Exemplars); err != nil {
		return t, fmt.Errorf("decode exemplars: %w", err)
	}
	if t.Exemplars == nil {
		t.Exemplars = []Exemplar{}
	}
	if dID != nil {
		t.Deployment = &deploy.Deployment{ID: *dID, Service: *dService, Version: *dVersion, Environment: *dEnv,
			At: dAt.UTC(), URL: *dURL, Description: *dDesc, CreatedAt: dCreated.UTC()}
	}
	return t, nil
}

// DeployMatchedAt is the instant the transition's deploy was looked for
// before: the alert's last escalation, else its start.
func (t Transition) DeployMatchedAt() time.Time {
	if !t.EscalatedAt.IsZero() {
		return t.EscalatedAt
	}
	return t.AlertStartedAt
}

// Transition returns one transition.
func (s *Service) Transition(ctx context.Context, id int64) (Transition, error) {
	return getTransition(ctx, s.pool, id)
}

func getTransition(ctx context.Context, q querier, id int64) (Transition, error) {
	return pgrow.One(ctx, q, scanTransition, fault.ErrNotFound, fmt.Sprintf("transition %d", id),
		`SELECT `+transitionColumns+` FROM `+transitionFrom+` WHERE t.id = $1`, id)
}

// TransitionFilter selects transitions. Zero fields select everything.
type TransitionFilter struct {
	// Journey and SLO narrow to one journey (by current slug) or one SLO.
	Journey string
	SLO     string
	// Since and Until bound At to [Since, Until).
	Since, Until time.Time
	// AlertsOnly keeps transitions that start, change or end an alert
	// (those that are notified).
	AlertsOnly bool
	// Limit is at most 1000; 0 means 100.
	Limit int
}

// Transitions lists transitions, newest first: the alert history of an
// SLO page, or the alerts of an incident's timeline.
func (s *Service) Transitions(ctx context.Context, f TransitionFilter) ([]Transition, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000
	}
	var since, until *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	if !f.Until.IsZero() {
		until = &f.Until
	}
	rows, err := s.pool.Query(ctx, `SELECT `+transitionColumns+` FROM `+transitionFrom+`
		WHERE ($1 = '' OR (j.slug = $1 AND j.deleted_at IS NULL)) AND ($2 = '' OR t.slo_name = $2)
			AND ($3::timestamptz IS NULL OR t.at >= $3) AND ($4::timestamptz IS NULL OR t.at < $4)
			AND (NOT $5 OR t.from_state IN ('ticket', 'page') OR t.to_state IN ('ticket', 'page'))
		ORDER BY t.at DESC, t.id DESC
		LIMIT $6`, f.Journey, f.SLO, since, until, f.AlertsOnly, limit)
	if err != nil {
		return nil, fmt.Errorf("list transitions: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanTransition)
	if err != nil {
		return nil, fmt.Errorf("list transitions: %w", err)
	}
	return out, nil
}
