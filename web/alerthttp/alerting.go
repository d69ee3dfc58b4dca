// Package alerthttp holds what the SLO, deploy and channel pages and the
// API share: the alerting services as they see them (SLO states from
// internal/sloeval, deploy markers from internal/deploy, the gate from
// internal/deploy/gate, notification channels from internal/notify), their
// stand-in on a server that evaluates no SLOs, and the steps of saving a
// channel.
package alerthttp

import (
	"context"
	"time"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/deploy/gate"
	"github.com/waymarkhq/waymark/internal/notify"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/web/httpx"
)

// SLOs reads SLO states and an SLO's status.
type SLOs interface {
	AllSLOStates(ctx context.Context) ([]sloeval.SLOState, error)
	JourneySLOStates(ctx context.Context, slug string) ([]sloeval.SLOState, error)
	SLOStatus(ctx context.Context, slug, name string, now time.Time) (sloeval.Status, error)
}

// Deploys keeps deploy markers.
type Deploys interface {
	CreateDeployment(ctx context.Context, in deploy.DeploymentInput) (deploy.Deployment, error)
	Deployment(ctx context.Context, id int64) (deploy.Deployment, error)
	ListDeployments(ctx context.Context, f deploy.DeploymentFilter) ([]deploy.Deployment, error)
	JourneyDeployments(ctx context.Context, slug string, since, until time.Time, limit int) ([]deploy.Deployment, error)
}

// Gates runs the deployment gate.
type Gates interface {
	RunGate(ctx context.Context, slug string, q gate.Query) (gate.Result, error)
}

// ChannelStore keeps the notification channels.
type ChannelStore interface {
	Channel(ctx context.Context, id int64) (notify.Channel, error)
	Channels(ctx context.Context) ([]notify.Channel, error)
	CreateChannel(ctx context.Context, in notify.ChannelInput) (notify.Channel, error)
	UpdateChannel(ctx context.Context, id int64, in notify.ChannelInput) (notify.Channel, error)
	DeleteChannel(ctx context.Context, id int64) error
}

// Service is all the alerting the web layer uses; Live is one, Off
// another.
type Service interface {
	SLOs
	Deploys
	Gates
	ChannelStore
}

// Live is the Service of a server that evaluates SLOs, each part served by
// the package that owns it.
type Live struct {
	SLOs         // *sloeval.Service
	Deploys      // *deploy.Service
	Gates        // *gate.Service
	ChannelStore // *notify.Service
}

var (
	_ SLOs         = (*sloeval.Service)(nil)
	_ Deploys      = (*deploy.Service)(nil)
	_ Gates        = (*gate.Service)(nil)
	_ ChannelStore = (*notify.Service)(nil)
)

// Off is the Service of a server that evaluates no SLOs: every call
// answers httpx.ErrNoAlerting, a 503 that says so.
type Off struct{}

var _ Service = Off{}

// AllSLOStates answers ErrNoAlerting.
func (Off) AllSLOStates(context.Context) ([]sloeval.SLOState, error) {
	return nil, httpx.ErrNoAlerting
}

// JourneySLOStates answers ErrNoAlerting.
func (Off) JourneySLOStates(context.Context, string) ([]sloeval.SLOState, error) {
	return nil, httpx.ErrNoAlerting
}

// SLOStatus answers ErrNoAlerting.
func (Off) SLOStatus(context.Context, string, string, time.Time) (sloeval.Status, error) {
	return sloeval.Status{}, httpx.ErrNoAlerting
}

// CreateDeployment answers ErrNoAlerting.
func (Off) CreateDeployment(context.Context, deploy.DeploymentInput) (deploy.Deployment, error) {
	return deploy.Deployment{}, httpx.ErrNoAlerting
}

// Deployment answers ErrNoAlerting.
func (Off) Deployment(context.Context, int64) (deploy.Deployment, error) {
	return deploy.Deployment{}, httpx.ErrNoAlerting
}

// ListDeployments answers ErrNoAlerting.
func (Off) ListDeployments(context.Context, deploy.DeploymentFilter) ([]deploy.Deployment, error) {
	return nil, httpx.ErrNoAlerting
}

// JourneyDeployments answers ErrNoAlerting.
func (Off) JourneyDeployments(context.Context, string, time.Time, time.Time, int) ([]deploy.Deployment, error) {
	return nil, httpx.ErrNoAlerting
}

// RunGate answers ErrNoAlerting.
func (Off) RunGate(context.Context, string, gate.Query) (gate.Result, error) {
	return gate.Result{}, httpx.ErrNoAlerting
}

// Channel answers ErrNoAlerting.
func (Off) Channel(context.Context, int64) (notify.Channel, error) {
	return notify.Channel{}, httpx.ErrNoAlerting
}

// Channels answers ErrNoAlerting.
func (Off) Channels(context.Context) ([]notify.Channel, error) { return nil, httpx.ErrNoAlerting }

// CreateChannel answers ErrNoAlerting.
func (Off) CreateChannel(context.Context, notify.ChannelInput) (notify.Channel, error) {
	return notify.Channel{}, httpx.ErrNoAlerting
}

// UpdateChannel answers ErrNoAlerting.
func (Off) UpdateChannel(context.Context, int64, notify.ChannelInput) (notify.Channel, error) {
	return notify.Channel{}, httpx.ErrNoAlerting
}

// DeleteChannel answers ErrNoAlerting.
func (Off) DeleteChannel(context.Context, int64) error { return httpx.ErrNoAlerting }
