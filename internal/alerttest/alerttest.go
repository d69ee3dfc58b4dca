// Package alerttest builds every SLO alerting service over one pool for
// tests that drive them together: evaluations (internal/sloeval), deploy
// markers (internal/deploy), the gate (internal/deploy/gate) and
// notifications (internal/notify), with the options of all in one struct.
package alerttest

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/deploy/gate"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sloeval"
)

// Options are the options of every service; zero values take each
// package's defaults.
type Options struct {
	PublicURL           string
	Logger              *slog.Logger
	Now                 func() time.Time
	DefaultMinEvents    int64
	StaleAfter          time.Duration
	DeployEnvironment   string
	EvaluationRetention time.Duration
	AlertmanagerResend  time.Duration
	BurnDownPoints      int
	RecentTransitions   int
	CanaryMinEvents     int64
	EvaluateEvery       time.Duration
	HTTPClient          *http.Client
}

// The services under names of their own, so that Services can embed all
// four and offer every method.
type (
	// Evals is sloeval's Service.
	Evals = sloeval.Service
	// Deploys is deploy's Service.
	Deploys = deploy.Service
	// Gates is gate's Service.
	Gates = gate.Service
	// Notifier is notify's Service.
	Notifier = notify.Service
)

// Services is every alerting service over one pool, with all their
// methods.
type Services struct {
	*Evals
	*Deploys
	*Gates
	*Notifier
}

// New builds the services over pool.
func New(pool *pgxpool.Pool, rollups *rollup.Store, js *journeystore.Store, o Options) *Services {
	evals := sloeval.NewService(pool, rollups, js, sloeval.Options{
		PublicURL: o.PublicURL, Logger: o.Logger, Now: o.Now, DefaultMinEvents: o.DefaultMinEvents,
		StaleAfter: o.StaleAfter, DeployEnvironment: o.DeployEnvironment, EvaluationRetention: o.EvaluationRetention,
		AlertmanagerResend: o.AlertmanagerResend, BurnDownPoints: o.BurnDownPoints, RecentTransitions: o.RecentTransitions,
		EvaluateEvery: o.EvaluateEvery,
	})
	return &Services{
		Evals:    evals,
		Deploys:  deploy.NewService(pool, js, deploy.Options{Now: o.Now}),
		Gates:    gate.NewService(evals, gate.Options{Now: o.Now, CanaryMinEvents: o.CanaryMinEvents}),
		Notifier: notify.NewService(pool, evals, notify.Options{Logger: o.Logger, Now: o.Now, AlertmanagerResend: o.AlertmanagerResend, HTTPClient: o.HTTPClient}),
	}
}
