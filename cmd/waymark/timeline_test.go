package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

func TestIncidentEventsAreTheDeploysOfTheJourneysServices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	st := journeystore.New(pool)
	data, err := examples.FS.ReadFile("shop-checkout.yaml")
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(data)
	require.NoError(t, err)
	_, err = st.CreateJourney(ctx, js[0], "test")
	require.NoError(t, err)
	al := newAlertServices(pool, st, "", nil)
	started := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, in := range []deploy.DeploymentInput{
		{Service: "payment_svc", Version: "4.2.0", Environment: "prod", Description: "new flow", At: started.Add(-10 * time.Minute)},
		{Service: "payment_svc", Version: "4.1.0", At: started.Add(20 * time.Minute)},
		{Service: "search_svc", Version: "9.9.9", At: started.Add(-5 * time.Minute)},                  // not in the journey
		{Service: "cart_svc", Version: "2.0.0", Environment: "prod", At: started.Add(-3 * time.Hour)}, // too early
	} {
		_, err := al.deploys.CreateDeployment(ctx, in)
		require.NoError(t, err)
	}
	d := deps{log: slog.New(slog.DiscardHandler), pool: pool, store: st, alerting: al}
	in := incident.Incident{Journeys: []string{"shop-checkout"}, StartedAt: started, ResolvedAt: started.Add(time.Hour), Status: incident.StatusResolved}
	deploys, alerts, err := d.incidentEvents(ctx, in)
	require.NoError(t, err)
	require.Empty(t, alerts)
	require.ElementsMatch(t, []incident.Event{
		{At: started.Add(-10 * time.Minute), Kind: incident.KindDeploy, Title: "payment_svc 4.2.0 deployed", Detail: "new flow (prod)"},
		{At: started.Add(20 * time.Minute), Kind: incident.KindDeploy, Title: "payment_svc 4.1.0 deployed"},
	}, deploys)
}
