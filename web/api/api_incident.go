package api

import (
	"encoding/json"
	"time"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
)

// apiIncidentInput is the body of POST /api/v1/incidents and PUT
// /api/v1/incidents/{id}: an incident in the form GET returns it. Times are
// RFC 3339; empty ones are left to the incident's defaults.
type apiIncidentInput struct {
	ID         int64              `json:"id"`
	Title      string             `json:"title"`
	Severity   string             `json:"severity"`
	Status     string             `json:"status"`
	StartedAt  string             `json:"started_at"`
	DetectedAt string             `json:"detected_at"`
	ResolvedAt string             `json:"resolved_at"`
	Journeys   []string           `json:"journeys"`
	Steps      []incident.StepRef `json:"steps"`
	Owner      string             `json:"owner"`
	Summary    string             `json:"summary"`
	// Version is the version read, required by PUT.
	Version int `json:"version"`
	// The record's own fields are accepted and ignored, so that what GET
	// returned can be sent back changed.
	CreatedAt json.RawMessage `json:"created_at"`
	CreatedBy json.RawMessage `json:"created_by"`
	UpdatedAt json.RawMessage `json:"updated_at"`
	UpdatedBy json.RawMessage `json:"updated_by"`
	// TraceID, Note and Step, on POST only, open the incident from a
	// trace, which it then cites.
	TraceID string           `json:"trace_id"`
	Note    string           `json:"note"`
	Step    incident.StepRef `json:"step"`
}

// incident turns the body into an incident, or a 422 naming each time that
// does not parse.
func (b apiIncidentInput) incident() (incident.Incident, error) {
	in := incident.Incident{
		ID:       b.ID,
		Title:    b.Title,
		Severity: incident.Severity(b.Severity),
		Status:   incident.Status(b.Status),
		Journeys: b.Journeys,
		Steps:    b.Steps,
		Owner:    b.Owner,
		Summary:  b.Summary,
		Version:  b.Version,
	}
	v := &journeys.ValidationError{}
	for _, t := range []struct {
		path string
		raw  string
		dst  *time.Time
	}{
		{"started_at", b.StartedAt, &in.StartedAt},
		{"detected_at", b.DetectedAt, &in.DetectedAt},
		{"resolved_at", b.ResolvedAt, &in.ResolvedAt},
	} {
		if t.raw == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, t.raw)
		if err != nil {
			v.Add(t.path, "must be an RFC 3339 time such as 2026-03-01T10:00:00Z")
			continue
		}
		*t.dst = at.UTC()
	}
	if len(v.Fields) > 0 {
		return in, v
	}
	return in, nil
}

// apiIncidentCreated is a new incident, with the trace it was opened from.
type apiIncidentCreated struct {
	incident.Incident
	LinkedTrace *incident.LinkedTrace `json:"linked_trace,omitempty"`
}

type apiIncidentList struct {
	Incidents []incident.Incident `json:"incidents"`
}

type apiLinkedTraces struct {
	Traces []incident.LinkedTrace `json:"traces"`
}

type apiSuggestions struct {
	Suggestions []incident.Suggestion `json:"suggestions"`
}

type apiTimeline struct {
	Events []incident.Event `json:"events"`
}

// apiStatusInput is the body of POST /api/v1/incidents/{id}/status.
type apiStatusInput struct {
	Status string `json:"status"`
	// Version, when given, must be current: the move is refused with 409
	// otherwise.
	Version int `json:"version"`
}

// apiLinkInput is the body of POST /api/v1/incidents/{id}/traces.
type apiLinkInput struct {
	TraceID string           `json:"trace_id"`
	Note    string           `json:"note"`
	Step    incident.StepRef `json:"step"`
}
