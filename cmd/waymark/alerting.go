package main

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/deploy/gate"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/web/alerthttp"
)

// alertServices are the services of SLO alerting over one pool, one per
// package: evaluations and states, deploy markers, the gate, and
// notification channels with their delivery.
type alertServices struct {
	slos    *sloeval.Service
	deploys *deploy.Service
	gates   *gate.Service
	notify  *notify.Service
}

// newAlertServices builds the alerting services over pool; publicURL is the
// base of the links notifications carry.
func newAlertServices(pool *pgxpool.Pool, js *journeystore.Store, publicURL string, log *slog.Logger) *alertServices {
	slos := sloeval.NewService(pool, rollup.NewStore(pool), js, sloeval.Options{PublicURL: publicURL, Logger: log})
	return &alertServices{
		slos:    slos,
		deploys: deploy.NewService(pool, js, deploy.Options{}),
		gates:   gate.NewService(slos, gate.Options{}),
		notify:  notify.NewService(pool, slos, notify.Options{Logger: log}),
	}
}

// web is the services as the pages and the API use them.
func (a *alertServices) web() alerthttp.Service {
	return alerthttp.Live{SLOs: a.slos, Deploys: a.deploys, Gates: a.gates, ChannelStore: a.notify}
}
