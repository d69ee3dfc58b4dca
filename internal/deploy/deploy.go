// Package deploy keeps deploy markers: which version of which service went
// out when, as CI/CD posts them. Alerts name the deploy they follow
// (Before); the gate subpackage answers whether a deploy may proceed.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgrow"
	"github.com/waymarkhq/waymark/journeys"
)

// DeployLookback is how long after a deploy an alert that starts, or
// escalates to a page, names it.
const DeployLookback = 30 * time.Minute

// Journeys is where the service reads journey definitions; *journeystore.Store
// is one.
type Journeys interface {
	// GetJourney returns an error wrapping journeystore.ErrNotFound for a journey
	// that does not exist.
	GetJourney(ctx context.Context, slug string) (journeystore.JourneyRecord, error)
}

// Options configure a Service.
type Options struct {
	// Now is the clock; tests set it. Nil is time.Now.
	Now func() time.Time
}

// Service records and lists deploy markers. It is safe for concurrent use.
type Service struct {
	pool     *pgxpool.Pool
	journeys Journeys
	now      func() time.Time
}

// NewService returns a Service over the shared pool and the journey
// definitions.
func NewService(pool *pgxpool.Pool, js Journeys, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{pool: pool, journeys: js, now: opts.Now}
}

// Limits of deployment fields.
const (
	MaxDeployField       = 200
	MaxDeployURL         = 2000
	MaxDeployDescription = 4000
	// MaxDeployments is the most ListDeployments returns at once.
	MaxDeployments = 1000
	// DefaultDeploymentsLimit is what ListDeployments returns without a
	// limit.
	DefaultDeploymentsLimit = 100
)

// Deployment is a deploy marker: a version of a service went out.
type Deployment struct {
	ID          int64     `json:"id"`
	Service     string    `json:"service"`
	Version     string    `json:"version"`
	Environment string    `json:"environment,omitempty"`
	At          time.Time `json:"at"`
	URL         string    `json:"url,omitempty"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// DeploymentInput is a deploy marker to record, as CI/CD posts it.
type DeploymentInput struct {
	Service     string `json:"service"`
	Version     string `json:"version"`
	Environment string `json:"environment,omitempty"`
	// At is when the deploy happened; zero means now.
	At          time.Time `json:"at,omitzero"`
	URL         string    `json:"url,omitempty"`
	Description string    `json:"description,omitempty"`
}

// Validate reports every problem with in as a *fault.Invalid.
func (in DeploymentInput) Validate() error {
	v := &fault.Invalid{What: "input"}
	text := func(field, val string, required bool, limit int) {
		switch {
		case required && strings.TrimSpace(val) == "":
			v.Add(field, "required")
		case !utf8.ValidString(val):
			v.Add(field, "must be UTF-8 text")
		case utf8.RuneCountInString(val) > limit:
			v.Add(field, fmt.Sprintf("must be at most %d characters", limit))
		}
	}
	text("service", in.Service, true, MaxDeployField)
	text("version", in.Version, true, MaxDeployField)
	text("environment", in.Environment, false, MaxDeployField)
	text("description", in.Description, false, MaxDeployDescription)
	if in.URL != "" {
		if len(in.URL) > MaxDeployURL {
			v.Add("url", fmt.Sprintf("must be at most %d characters", MaxDeployURL))
		} else if err := CheckHTTPURL(in.URL); err != nil {
			v.Add("url", err.Error())
		}
	}
	if !in.At.IsZero() && (in.At.Year() < 2000 || in.At.Year() > 9999) {
		v.Add("at", "must be a time between the years 2000 and 9999")
	}
	return v.Err()
}

// CheckHTTPURL accepts absolute http and https URLs with a host.
func CheckHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("must be an http or https URL")
	}
	if u.Host == "" {
		return errors.New("must name a host")
	}
	return nil
}

const deploymentColumns = `id, service, version, environment, at, url, description, created_at`

func scanDeployment(row pgx.CollectableRow) (Deployment, error) {
	var d Deployment
	err := row.Scan(&d.ID, &d.Service, &d.Version, &d.Environment, &d.At, &d.URL, &d.Description, &d.CreatedAt)
	d.At, d.CreatedAt = d.At.UTC(), d.CreatedAt.UTC()
	return d, err
}

// CreateDeployment records a deploy marker. It returns a *fault.Invalid
// when in is invalid.
func (s *Service) CreateDeployment(ctx context.Context, in DeploymentInput) (Deployment, error) {
	if err := in.Validate(); err != nil {
		return Deployment{}, err
	}
	now := s.now().UTC()
	if in.At.IsZero() {
		in.At = now
	}
	rows, err := s.pool.Query(ctx, `
		INSERT INTO deployments (service, version, environment, at, url, description, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING `+deploymentColumns,
		strings.TrimSpace(in.Service), strings.TrimSpace(in.Version), strings.TrimSpace(in.Environment),
		in.At, in.URL, in.Description, now)
	if err != nil {
		return Deployment{}, fmt.Errorf("create deployment: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDeployment)
	if err != nil {
		return Deployment{}, fmt.Errorf("create deployment: %w", err)
	}
	return d, nil
}

// DeploymentFilter selects deploy markers. Zero fields select everything.
type DeploymentFilter struct {
	// Services keeps deploys of these services only.
	Services []string
	// Environment keeps deploys of this environment only.
	Environment string
	// Since and Until bound At to [Since, Until).
	Since, Until time.Time
	// Limit is at most MaxDeployments; 0 means DefaultDeploymentsLimit.
	Limit int
}

// Deployment returns one deploy marker.
func (s *Service) Deployment(ctx context.Context, id int64) (Deployment, error) {
	return Get(ctx, s.pool, id)
}

// Get returns one deploy marker; for an unknown id the error wraps
// fault.ErrNotFound.
func Get(ctx context.Context, q Querier, id int64) (Deployment, error) {
	return pgrow.One(ctx, q, scanDeployment, fault.ErrNotFound, fmt.Sprintf("deployment %d", id),
		`SELECT `+deploymentColumns+` FROM deployments WHERE id = $1`, id)
}

// ListDeployments returns deploy markers, newest first.
func (s *Service) ListDeployments(ctx context.Context, f DeploymentFilter) ([]Deployment, error) {
	limit := f.Limit
	switch {
	case limit < 0:
		return nil, &fault.Invalid{What: "input", Fields: map[string]string{"limit": "must not be negative"}}
	case limit == 0:
		limit = DefaultDeploymentsLimit
	case limit > MaxDeployments:
		limit = MaxDeployments
	}
	var since, until *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	if !f.Until.IsZero() {
		until = &f.Until
	}
	svcs := f.Services
	if svcs == nil {
		svcs = []string{}
	}
	rows, err := s.pool.Query(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE (cardinality($1::text[]) = 0 OR service = ANY($1))
			AND ($2 = '' OR environment = $2)
			AND ($3::timestamptz IS NULL OR at >= $3)
			AND ($4::timestamptz IS NULL OR at < $4)
		ORDER BY at DESC, id DESC
		LIMIT $5`, svcs, f.Environment, since, until, limit)
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanDeployment)
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	return out, nil
}

// JourneyDeployments returns the deploys of a journey's services (its
// steps' services) in [since, until), newest first, for deploy markers on
// its charts.
func (s *Service) JourneyDeployments(ctx context.Context, slug string, since, until time.Time, limit int) ([]Deployment, error) {
	rec, err := s.journeys.GetJourney(ctx, slug)
	if errors.Is(err, journeystore.ErrNotFound) {
		return nil, fmt.Errorf("journey %q: %w", slug, fault.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get journey %q: %w", slug, err)
	}
	svcs := Services(rec.Journey)
	if len(svcs) == 0 {
		return nil, nil
	}
	return s.ListDeployments(ctx, DeploymentFilter{Services: svcs, Since: since, Until: until, Limit: limit})
}

// Services lists the services of a journey's steps, each once, in step
// order: the services whose deploys an alert may follow.
func Services(j journeys.Journey) []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range j.Spec.Steps {
		if sv := st.Match.Service; sv != "" && !seen[sv] {
			seen[sv] = true
			out = append(out, sv)
		}
	}
	return out
}

// Before returns the id of the latest deploy of one of svcs in the
// DeployLookback before at, or nil; environment, when set, keeps deploys
// of that environment only.
func Before(ctx context.Context, q Querier, svcs []string, at time.Time, environment string) (*int64, error) {
	if len(svcs) == 0 {
		return nil, nil
	}
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM deployments
		WHERE service = ANY($1) AND at <= $2 AND at >= $3 AND ($4 = '' OR environment = $4)
		ORDER BY at DESC, id DESC LIMIT 1`,
		svcs, at, at.Add(-DeployLookback), environment).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find deploy before alert: %w", err)
	}
	return &id, nil
}

// Querier is what both a pool and a transaction offer.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
