package alerting

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

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

// Validate reports every problem with in as a *ValidationError.
func (in DeploymentInput) Validate() error {
	v := &ValidationError{}
	text := func(field, val string, required bool, limit int) {
		switch {
		case required && strings.TrimSpace(val) == "":
			v.add(field, "required")
		case !utf8.ValidString(val):
			v.add(field, "must be UTF-8 text")
		case utf8.RuneCountInString(val) > limit:
			v.add(field, fmt.Sprintf("must be at most %d characters", limit))
		}
	}
	text("service", in.Service, true, MaxDeployField)
	text("version", in.Version, true, MaxDeployField)
	text("environment", in.Environment, false, MaxDeployField)
	text("description", in.Description, false, MaxDeployDescription)
	if in.URL != "" {
		if len(in.URL) > MaxDeployURL {
			v.add("url", fmt.Sprintf("must be at most %d characters", MaxDeployURL))
		} else if err := checkHTTPURL(in.URL); err != nil {
			v.add("url", err.Error())
		}
	}
	if !in.At.IsZero() && (in.At.Year() < 2000 || in.At.Year() > 9999) {
		v.add("at", "must be a time between the years 2000 and 9999")
	}
	return v.orNil()
}

// checkHTTPURL accepts absolute http and https URLs with a host.
func checkHTTPURL(raw string) error {
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

// CreateDeployment records a deploy marker. It returns a *ValidationError
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
	rows, err := s.pool.Query(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE id = $1`, id)
	if err != nil {
		return Deployment{}, fmt.Errorf("get deployment %d: %w", id, err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDeployment)
	if errors.Is(err, pgx.ErrNoRows) {
		return Deployment{}, fmt.Errorf("deployment %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Deployment{}, fmt.Errorf("get deployment %d: %w", id, err)
	}
	return d, nil
}

// ListDeployments returns deploy markers, newest first.
func (s *Service) ListDeployments(ctx context.Context, f DeploymentFilter) ([]Deployment, error) {
	limit := f.Limit
	switch {
	case limit < 0:
		return nil, &ValidationError{Fields: map[string]string{"limit": "must not be negative"}}
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
	j, err := s.journey(ctx, slug)
	if err != nil {
		return nil, err
	}
	svcs := services(j.rec.Journey)
	if len(svcs) == 0 {
		return nil, nil
	}
	return s.ListDeployments(ctx, DeploymentFilter{Services: svcs, Since: since, Until: until, Limit: limit})
}

// deployBefore returns the latest deploy of one of svcs in the
// DeployLookback before at, or nil.
func (s *Service) deployBefore(ctx context.Context, q querier, svcs []string, at time.Time) (*int64, error) {
	if len(svcs) == 0 {
		return nil, nil
	}
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM deployments
		WHERE service = ANY($1) AND at <= $2 AND at >= $3 AND ($4 = '' OR environment = $4)
		ORDER BY at DESC, id DESC LIMIT 1`,
		svcs, at, at.Add(-DeployLookback), s.opts.DeployEnvironment).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find deploy before alert: %w", err)
	}
	return &id, nil
}

// querier is what both a pool and a transaction offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
