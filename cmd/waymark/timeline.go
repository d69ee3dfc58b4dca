package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/internal/sloeval"
)

// deployLead is how long before an incident started its timeline shows
// deploys: the deploy that caused it usually came first.
const deployLead = 2 * time.Hour

// incidentEvents are the deploys of the services in an incident's journeys
// and their SLO alert transitions, for its timeline and post-mortem.
func (d deps) incidentEvents(ctx context.Context, in incident.Incident) (deploys, alerts []incident.Event, err error) {
	since, until := in.StartedAt.Add(-deployLead), in.End(time.Now()).Add(30*time.Minute)
	var services []string
	for _, slug := range in.Journeys {
		rec, err := d.store.GetJourney(ctx, slug)
		if err != nil {
			continue // a journey deleted since; its deploys may still show below
		}
		for _, st := range rec.Journey.Spec.Steps {
			if !slices.Contains(services, st.Match.Service) {
				services = append(services, st.Match.Service)
			}
		}
	}
	ds, err := d.alerting.deploys.ListDeployments(ctx, deploy.DeploymentFilter{Services: services, Since: since, Until: until, Limit: deploy.MaxDeployments})
	if err != nil {
		return nil, nil, fmt.Errorf("list deploys: %w", err)
	}
	for _, dp := range ds {
		deploys = append(deploys, deployEvent(dp))
	}
	for _, slug := range in.Journeys {
		ts, err := d.alerting.slos.Transitions(ctx, sloeval.TransitionFilter{Journey: slug, Since: since, Until: until, AlertsOnly: true, Limit: 1000})
		if err != nil {
			return nil, nil, fmt.Errorf("list alerts: %w", err)
		}
		for _, t := range ts {
			alerts = append(alerts, alertEvent(t))
		}
	}
	return deploys, alerts, nil
}

func deployEvent(dp deploy.Deployment) incident.Event {
	detail := dp.Description
	switch {
	case dp.Environment != "" && detail != "":
		detail += " (" + dp.Environment + ")"
	case dp.Environment != "":
		detail = dp.Environment
	}
	return incident.Event{At: dp.At, Kind: incident.KindDeploy, Title: fmt.Sprintf("%s %s deployed", dp.Service, dp.Version), Detail: detail, Link: dp.URL}
}

func alertEvent(t sloeval.Transition) incident.Event {
	return incident.Event{
		At:     t.At,
		Kind:   incident.KindAlert,
		Title:  fmt.Sprintf("%s: %s → %s", t.SLO, t.From, t.To),
		Detail: string(t.Event),
		Link:   fmt.Sprintf("/journeys/%s/slos/%s", t.Journey, t.SLO),
	}
}
