// Package alerthttp holds what the SLO, deploy and channel pages and the
// API share: the alerting service as they see it (SLO states, deploy
// markers and the gate, notification channels), its stand-in on a server
// that evaluates no SLOs, and the steps of saving a channel.
package alerthttp

import (
	"context"
	"time"

	"github.com/waymarkhq/waymark/internal/alerting"
	"github.com/waymarkhq/waymark/web/httpx"
)

// SLOs reads SLO states and an SLO's status.
type SLOs interface {
	AllSLOStates(ctx context.Context) ([]alerting.SLOState, error)
	JourneySLOStates(ctx context.Context, slug string) ([]alerting.SLOState, error)
	SLOStatus(ctx context.Context, slug, name string, now time.Time) (alerting.Status, error)
}

// Deploys keeps deploy markers and runs the deployment gate.
type Deploys interface {
	CreateDeployment(ctx context.Context, in alerting.DeploymentInput) (alerting.Deployment, error)
	Deployment(ctx context.Context, id int64) (alerting.Deployment, error)
	ListDeployments(ctx context.Context, f alerting.DeploymentFilter) ([]alerting.Deployment, error)
	JourneyDeployments(ctx context.Context, slug string, since, until time.Time, limit int) ([]alerting.Deployment, error)
	RunGate(ctx context.Context, slug string, q alerting.GateQuery) (alerting.GateResult, error)
}

// Channels keeps the notification channels.
type Channels interface {
	Channel(ctx context.Context, id int64) (alerting.Channel, error)
	Channels(ctx context.Context) ([]alerting.Channel, error)
	CreateChannel(ctx context.Context, in alerting.ChannelInput) (alerting.Channel, error)
	UpdateChannel(ctx context.Context, id int64, in alerting.ChannelInput) (alerting.Channel, error)
	DeleteChannel(ctx context.Context, id int64) error
}

// Service is all the alerting the web layer uses; *alerting.Service is
// one, Off another.
type Service interface {
	SLOs
	Deploys
	Channels
}

var _ Service = (*alerting.Service)(nil)

// Off is the Service of a server that evaluates no SLOs: every call
// answers httpx.ErrNoAlerting, a 503 that says so.
type Off struct{}

var _ Service = Off{}

// AllSLOStates answers ErrNoAlerting.
func (Off) AllSLOStates(context.Context) ([]alerting.SLOState, error) {
	return nil, httpx.ErrNoAlerting
}

// JourneySLOStates answers ErrNoAlerting.
func (Off) JourneySLOStates(context.Context, string) ([]alerting.SLOState, error) {
	return nil, httpx.ErrNoAlerting
}

// SLOStatus answers ErrNoAlerting.
func (Off) SLOStatus(context.Context, string, string, time.Time) (alerting.Status, error) {
	return alerting.Status{}, httpx.ErrNoAlerting
}

// CreateDeployment answers ErrNoAlerting.
func (Off) CreateDeployment(context.Context, alerting.DeploymentInput) (alerting.Deployment, error) {
	return alerting.Deployment{}, httpx.ErrNoAlerting
}

// Deployment answers ErrNoAlerting.
func (Off) Deployment(context.Context, int64) (alerting.Deployment, error) {
	return alerting.Deployment{}, httpx.ErrNoAlerting
}

// ListDeployments answers ErrNoAlerting.
func (Off) ListDeployments(context.Context, alerting.DeploymentFilter) ([]alerting.Deployment, error) {
	return nil, httpx.ErrNoAlerting
}

// JourneyDeployments answers ErrNoAlerting.
func (Off) JourneyDeployments(context.Context, string, time.Time, time.Time, int) ([]alerting.Deployment, error) {
	return nil, httpx.ErrNoAlerting
}

// RunGate answers ErrNoAlerting.
func (Off) RunGate(context.Context, string, alerting.GateQuery) (alerting.GateResult, error) {
	return alerting.GateResult{}, httpx.ErrNoAlerting
}

// Channel answers ErrNoAlerting.
func (Off) Channel(context.Context, int64) (alerting.Channel, error) {
	return alerting.Channel{}, httpx.ErrNoAlerting
}

// Channels answers ErrNoAlerting.
func (Off) Channels(context.Context) ([]alerting.Channel, error) { return nil, httpx.ErrNoAlerting }

// CreateChannel answers ErrNoAlerting.
func (Off) CreateChannel(context.Context, alerting.ChannelInput) (alerting.Channel, error) {
	return alerting.Channel{}, httpx.ErrNoAlerting
}

// UpdateChannel answers ErrNoAlerting.
func (Off) UpdateChannel(context.Context, int64, alerting.ChannelInput) (alerting.Channel, error) {
	return alerting.Channel{}, httpx.ErrNoAlerting
}

// DeleteChannel answers ErrNoAlerting.
func (Off) DeleteChannel(context.Context, int64) error { return httpx.ErrNoAlerting }
