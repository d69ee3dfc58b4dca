package incidenthttp

import (
	"context"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
)

// Store keeps incidents and the traces they cite: the incident store, or
// Off on a server that keeps none.
type Store interface {
	Create(ctx context.Context, in incident.Incident, actor string) (incident.Incident, error)
	CreateFromTrace(ctx context.Context, in incident.Incident, traceID, note string, step incident.StepRef, actor string) (incident.Incident, incident.LinkedTrace, error)
	Get(ctx context.Context, id int64) (incident.Incident, error)
	Update(ctx context.Context, in incident.Incident, actor string) (incident.Incident, error)
	SetStatus(ctx context.Context, id int64, status incident.Status, actor string) (incident.Incident, error)
	List(ctx context.Context, f incident.Filter) ([]incident.Incident, error)
	LinkTrace(ctx context.Context, incidentID int64, traceID, note string, step incident.StepRef, actor string) (incident.LinkedTrace, error)
	UnlinkTrace(ctx context.Context, incidentID int64, traceID string) error
	LinkedTraces(ctx context.Context, incidentID int64) ([]incident.LinkedTrace, error)
	LiveStatus(ctx context.Context, traceID string) (bool, error)
	Snapshot(ctx context.Context, incidentID int64, traceID string) (journeys.Trace, error)
	SnapshotJSON(ctx context.Context, incidentID int64, traceID string) ([]byte, error)
	Related(ctx context.Context, incidentID int64, opts incident.RelatedOptions) ([]incident.Suggestion, error)
	Timeline(ctx context.Context, incidentID int64, deploys, alerts []incident.Event) ([]incident.Event, error)
	ImpactChart(ctx context.Context, incidentID int64, slug string) (string, error)
	Postmortem(ctx context.Context, incidentID int64, opts incident.PostmortemOptions) ([]byte, error)
}

// Off is the Store of a server that keeps no incidents: every call answers
// httpx.ErrNoIncidents, a 503 that says so.
type Off struct{}

var _ Store = Off{}

// Create answers ErrNoIncidents.
func (Off) Create(context.Context, incident.Incident, string) (incident.Incident, error) {
	return incident.Incident{}, httpx.ErrNoIncidents
}

// CreateFromTrace answers ErrNoIncidents.
func (Off) CreateFromTrace(context.Context, incident.Incident, string, string, incident.StepRef, string) (incident.Incident, incident.LinkedTrace, error) {
	return incident.Incident{}, incident.LinkedTrace{}, httpx.ErrNoIncidents
}

// Get answers ErrNoIncidents.
func (Off) Get(context.Context, int64) (incident.Incident, error) {
	return incident.Incident{}, httpx.ErrNoIncidents
}

// Update answers ErrNoIncidents.
func (Off) Update(context.Context, incident.Incident, string) (incident.Incident, error) {
	return incident.Incident{}, httpx.ErrNoIncidents
}

// SetStatus answers ErrNoIncidents.
func (Off) SetStatus(context.Context, int64, incident.Status, string) (incident.Incident, error) {
	return incident.Incident{}, httpx.ErrNoIncidents
}

// List answers ErrNoIncidents.
func (Off) List(context.Context, incident.Filter) ([]incident.Incident, error) {
	return nil, httpx.ErrNoIncidents
}

// LinkTrace answers ErrNoIncidents.
func (Off) LinkTrace(context.Context, int64, string, string, incident.StepRef, string) (incident.LinkedTrace, error) {
	return incident.LinkedTrace{}, httpx.ErrNoIncidents
}

// UnlinkTrace answers ErrNoIncidents.
func (Off) UnlinkTrace(context.Context, int64, string) error { return httpx.ErrNoIncidents }

// LinkedTraces answers ErrNoIncidents.
func (Off) LinkedTraces(context.Context, int64) ([]incident.LinkedTrace, error) {
	return nil, httpx.ErrNoIncidents
}

// LiveStatus answers ErrNoIncidents.
func (Off) LiveStatus(context.Context, string) (bool, error) { return false, httpx.ErrNoIncidents }

// Snapshot answers ErrNoIncidents.
func (Off) Snapshot(context.Context, int64, string) (journeys.Trace, error) {
	return journeys.Trace{}, httpx.ErrNoIncidents
}

// SnapshotJSON answers ErrNoIncidents.
func (Off) SnapshotJSON(context.Context, int64, string) ([]byte, error) {
	return nil, httpx.ErrNoIncidents
}

// Related answers ErrNoIncidents.
func (Off) Related(context.Context, int64, incident.RelatedOptions) ([]incident.Suggestion, error) {
	return nil, httpx.ErrNoIncidents
}

// Timeline answers ErrNoIncidents.
func (Off) Timeline(context.Context, int64, []incident.Event, []incident.Event) ([]incident.Event, error) {
	return nil, httpx.ErrNoIncidents
}

// ImpactChart answers ErrNoIncidents.
func (Off) ImpactChart(context.Context, int64, string) (string, error) {
	return "", httpx.ErrNoIncidents
}

// Postmortem answers ErrNoIncidents.
func (Off) Postmortem(context.Context, int64, incident.PostmortemOptions) ([]byte, error) {
	return nil, httpx.ErrNoIncidents
}
