package incident

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// EventKind says where a timeline entry comes from.
type EventKind string

// Kinds of timeline entries. Within one instant they are listed in this
// order.
const (
	// KindIncident marks the incident's own times: impact started,
	// detected, impact ended.
	KindIncident EventKind = "incident"
	KindStatus   EventKind = "status"
	// KindTrace is a linked trace, at its start.
	KindTrace  EventKind = "trace"
	KindDeploy EventKind = "deploy"
	KindAlert  EventKind = "alert"
)

// Event is one entry of an incident's timeline. Deploy markers and SLO
// alert transitions come from their own stores as Events.
type Event struct {
	At     time.Time `json:"at"`
	Kind   EventKind `json:"kind"`
	Title  string    `json:"title"`
	Detail string    `json:"detail,omitempty"`
	// Link is a URL or a path within Waymark (starting with /), or "".
	Link string `json:"link,omitempty"`
}

// MergeTimeline returns every event of lists in time order, times in UTC.
// Events at the same instant keep the order they were given in: list by
// list, then within each list, so that the result is deterministic. An
// event without a time is an error naming it.
func MergeTimeline(lists ...[]Event) ([]Event, error) {
	var out []Event
	for _, l := range lists {
		for _, e := range l {
			if e.At.IsZero() {
				return nil, fmt.Errorf("timeline: %s event %q has no time", cmp.Or(string(e.Kind), "untyped"), e.Title)
			}
			e.At = e.At.UTC()
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b Event) int { return a.At.Compare(b.At) })
	return out, nil
}

// TracePath is the path of a trace's page within Waymark.
func TracePath(traceID string) string { return "/traces/" + traceID }

// Timeline returns an incident's timeline: its start, detection and end,
// every status change, every linked trace at its start, and the deploys
// and alerts given (their Kind filled when empty), in time order (see
// MergeTimeline). Callers choose which deploys and alerts are relevant.
func (s *Store) Timeline(ctx context.Context, incidentID int64, deploys, alerts []Event) ([]Event, error) {
	in, err := s.Get(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	changes, err := s.StatusChanges(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	links, err := s.LinkedTraces(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	return MergeTimeline(incidentEvents(in), statusEvents(changes), traceEvents(links),
		withKind(deploys, KindDeploy), withKind(alerts, KindAlert))
}

func incidentEvents(in Incident) []Event {
	out := []Event{{At: in.StartedAt, Kind: KindIncident, Title: "Impact started"}}
	if !in.DetectedAt.IsZero() {
		out = append(out, Event{At: in.DetectedAt, Kind: KindIncident, Title: "Detected"})
	}
	if !in.ResolvedAt.IsZero() {
		out = append(out, Event{At: in.ResolvedAt, Kind: KindIncident, Title: "Impact ended"})
	}
	return out
}

func statusEvents(changes []StatusChange) []Event {
	out := make([]Event, 0, len(changes))
	for _, c := range changes {
		e := Event{At: c.At, Kind: KindStatus, Detail: by(c.By)}
		switch {
		case c.From == "":
			e.Title = fmt.Sprintf("Incident opened as %s", c.To)
		case c.From == StatusResolved:
			e.Title = fmt.Sprintf("Reopened as %s", c.To)
		default:
			e.Title = fmt.Sprintf("Status %s → %s", c.From, c.To)
		}
		out = append(out, e)
	}
	return out
}

func by(actor string) string {
	if actor == "" {
		return ""
	}
	return "by " + actor
}

func traceEvents(links []LinkedTrace) []Event {
	out := make([]Event, 0, len(links))
	for _, l := range links {
		title := fmt.Sprintf("Trace %s", shortID(l.TraceID))
		if l.RootService != "" || l.RootName != "" {
			title += fmt.Sprintf(": %s %s", l.RootService, l.RootName)
		}
		var detail []string
		if l.Error != "" {
			detail = append(detail, "error: "+l.Error)
		}
		if !l.Step.IsZero() {
			detail = append(detail, "step: "+l.Step.String())
		}
		if l.Note != "" {
			detail = append(detail, l.Note)
		}
		out = append(out, Event{At: l.Start, Kind: KindTrace, Title: title, Detail: strings.Join(detail, "; "), Link: TracePath(l.TraceID)})
	}
	return out
}

// shortID is the first 8 characters of a trace id, as trace tools show it.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func withKind(events []Event, k EventKind) []Event {
	out := make([]Event, len(events))
	for i, e := range events {
		if e.Kind == "" {
			e.Kind = k
		}
		out[i] = e
	}
	return out
}
