// Package sloeval runs Waymark's SLOs live: it evaluates every SLO from the
// rollups each minute (EvaluateAll and evaluateOne in evaluate.go: where a
// burn-rate alert is decided), keeps alert states and their transitions
// with the numbers behind them, names the deploy an alert follows, and
// answers the status reads of the SLO pages (status.go). Each transition
// into, within or out of an alert owes one notification per channel,
// written in the transition's own transaction (outbox.go);
// internal/notify sends them.
//
// The mathematics lives in internal/slo; the events come from
// internal/rollup (Store.SLI), never from the trace source. Everything that
// depends on the present takes it from Options.Now or a now parameter, so
// that evaluations replay exactly in tests.
package sloeval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// Journeys is where the service reads journey definitions; *journeystore.Store
// is one.
type Journeys interface {
	ListJourneys(ctx context.Context) ([]journeystore.JourneyRecord, error)
	// GetJourney returns an error wrapping journeystore.ErrNotFound for a journey
	// that does not exist.
	GetJourney(ctx context.Context, slug string) (journeystore.JourneyRecord, error)
}

// Defaults of Options.
const (
	// DefaultMinEvents is the minimum-traffic guard of an SLO without
	// minEvents: an alert window pair whose long window holds fewer events
	// (or whose short window holds fewer than its share, see
	// slo.ShortMinEvents) cannot fire, and a gate cannot decide on fewer.
	DefaultMinEvents = 100
	// DefaultStaleAfter is how old rollups may be before an evaluation
	// keeps the previous state and a gate cannot decide.
	DefaultStaleAfter = 5 * time.Minute
	// DefaultEvaluationRetention is how long evaluations are kept;
	// transitions are kept for good.
	DefaultEvaluationRetention = 7 * journeys.Day
	// DefaultAlertmanagerResend is how often a firing alert is re-sent to
	// Alertmanager, which resolves an alert it does not hear of again
	// before its endsAt.
	DefaultAlertmanagerResend = 5 * time.Minute
	// DefaultBurnDownPoints is how many points SLOStatus's burn-down has.
	DefaultBurnDownPoints = 60
	// DefaultRecentTransitions is how many transitions SLOStatus lists.
	DefaultRecentTransitions = 20
	// MaxExemplars is how many exemplar traces a transition keeps.
	MaxExemplars = 5
)

// Options configure a Service. Zero values take the defaults above.
type Options struct {
	// PublicURL is the base URL of this Waymark in links sent out, e.g.
	// https://waymark.example.com; without it links are relative.
	PublicURL string
	Logger    *slog.Logger
	// Now is the clock; tests set it.
	Now func() time.Time
	// DefaultMinEvents applies to SLOs without their own minimum; negative
	// turns the guard off for them.
	DefaultMinEvents int64
	StaleAfter       time.Duration
	// DeployEnvironment, when set, limits the deploys alerts name to those
	// of this environment (e.g. production).
	DeployEnvironment   string
	EvaluationRetention time.Duration
	AlertmanagerResend  time.Duration
	BurnDownPoints      int
	RecentTransitions   int
	// EvaluateEvery is how often the SLO evaluation job runs, for saying
	// when a pending change is confirmed; 0 takes DefaultEvaluateEvery.
	EvaluateEvery time.Duration
}

func (o Options) withDefaults() Options {
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case o.DefaultMinEvents == 0:
		o.DefaultMinEvents = DefaultMinEvents
	case o.DefaultMinEvents < 0:
		o.DefaultMinEvents = 0
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.StaleAfter, DefaultStaleAfter)
	def(&o.EvaluationRetention, DefaultEvaluationRetention)
	def(&o.AlertmanagerResend, DefaultAlertmanagerResend)
	def(&o.EvaluateEvery, DefaultEvaluateEvery)
	if o.BurnDownPoints <= 0 {
		o.BurnDownPoints = DefaultBurnDownPoints
	}
	if o.RecentTransitions <= 0 {
		o.RecentTransitions = DefaultRecentTransitions
	}
	return o
}

// Service evaluates SLOs, stores their alerts and transitions and reads
// their status. It is safe for concurrent use; several processes may run
// evaluations at once (each SLO's evaluation is serialised in Postgres).
type Service struct {
	pool     *pgxpool.Pool
	rollups  *rollup.Store
	journeys Journeys
	opts     Options
	log      *slog.Logger
}

// NewService returns a Service over the shared pool, the rollup store and
// the journey definitions.
func NewService(pool *pgxpool.Pool, rollups *rollup.Store, js Journeys, opts Options) *Service {
	opts = opts.withDefaults()
	return &Service{pool: pool, rollups: rollups, journeys: js, opts: opts, log: opts.Logger}
}

func (s *Service) now() time.Time { return s.opts.Now() }

// Link returns the address of an SLO's page.
func (s *Service) Link(slug, name string) string {
	return s.opts.PublicURL + "/journeys/" + pathEscape(slug) + "/slos/" + pathEscape(name)
}

// TraceLink returns the address of a trace's page.
func (s *Service) TraceLink(traceID string) string {
	return s.opts.PublicURL + "/traces/" + pathEscape(traceID)
}

// pathEscape leaves slugs and SLO names, which are [a-z0-9-], as they are,
// and escapes anything else.
func pathEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// LiveJourney is a live journey with its row id.
type LiveJourney struct {
	Record journeystore.JourneyRecord
	ID     int64
}

// Slug is the journey's slug.
func (j LiveJourney) Slug() string { return j.Record.Journey.Metadata.Slug }

// Journey loads a live journey by slug; for one that does not exist the
// error wraps fault.ErrNotFound.
func (s *Service) Journey(ctx context.Context, slug string) (LiveJourney, error) {
	rec, err := s.journeys.GetJourney(ctx, slug)
	if errors.Is(err, journeystore.ErrNotFound) {
		return LiveJourney{}, fmt.Errorf("journey %q: %w", slug, fault.ErrNotFound)
	}
	if err != nil {
		return LiveJourney{}, fmt.Errorf("get journey %q: %w", slug, err)
	}
	id, err := s.journeyID(ctx, slug)
	if err != nil {
		return LiveJourney{}, err
	}
	return LiveJourney{Record: rec, ID: id}, nil
}

func (s *Service) journeyID(ctx context.Context, slug string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM journeys WHERE slug = $1 AND deleted_at IS NULL`, slug).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("journey %q: %w", slug, fault.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("look up journey %q: %w", slug, err)
	}
	return id, nil
}

// sloDef finds an SLO of a journey by name.
func sloDef(j journeys.Journey, name string) (journeys.SLO, error) {
	for _, o := range j.Spec.SLOs {
		if o.Name == name {
			return o, nil
		}
	}
	return journeys.SLO{}, fmt.Errorf("SLO %q of journey %q: %w", name, j.Metadata.Slug, fault.ErrNotFound)
}

// StepIndex is the SLI query's step for an SLO: its step's index, or -1
// for the whole journey.
func StepIndex(j journeys.Journey, o journeys.SLO) (int, error) {
	if o.Step == "" {
		return -1, nil
	}
	i := j.StepIndex(o.Step)
	if i < 0 {
		return 0, fmt.Errorf("SLO %q names step %q, which journey %q does not have", o.Name, o.Step, j.Metadata.Slug)
	}
	return i, nil
}
