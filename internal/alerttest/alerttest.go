// Package alerttest builds every SLO alerting service over one pool for
// tests that drive them together: evaluations (internal/sloeval), deploy
// markers (internal/deploy), the gate (internal/deploy/gate) and
// notifications (internal/notify), with the options of all in one struct.
package alerttest

import (
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/deploy/gate"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sloeval"
)

// Options are the options of every service: the evaluations', which
// the others share (clock, logger, Alertmanager resend), and those only
// the gate and notifications have.
type Options struct {
	sloeval.Options
	CanaryMinEvents int64
	HTTPClient      *http.Client
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
	evals := sloeval.NewService(pool, rollups, js, o.Options)
	return &Services{
		Evals:    evals,
		Deploys:  deploy.NewService(pool, js, deploy.Options{Now: o.Now}),
		Gates:    gate.NewService(evals, gate.Options{Now: o.Now, CanaryMinEvents: o.CanaryMinEvents}),
		Notifier: notify.NewService(pool, evals, notify.Options{Logger: o.Logger, Now: o.Now, AlertmanagerResend: o.AlertmanagerResend, HTTPClient: o.HTTPClient}),
	}
}
