// Package incident keeps incidents and the evidence a post-mortem cites:
// traces linked to an incident are snapshotted into Postgres whole, so that
// they still render after the trace backend has expired them. It also
// suggests related traces, merges the incident's timeline with deploys and
// SLO alerts, and exports a post-mortem draft in Markdown.
//
// The domain types and their validation are pure; Store does the I/O.
package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Limits of an incident's text fields, in characters.
const (
	MaxTitle   = 200
	MaxOwner   = 100
	MaxSummary = 20_000
	MaxNote    = 2_000
	// MaxStepName is the longest step name a step reference may give.
	MaxStepName = 100
)

// Limits of the lists an incident holds. A longer list is refused whole,
// naming the field and the limit, before any element is looked at, so that
// the cost of refusing a huge request does not grow with it.
const (
	// MaxJourneys is how many journeys an incident may name as affected.
	MaxJourneys = 20
	// MaxSteps is how many steps an incident may name as affected.
	MaxSteps = 50
	// MaxLinkedTraces is how many traces one incident may cite, each with
	// a snapshot of up to SnapshotLimit.
	MaxLinkedTraces = 200
)

// Severity ranks an incident, SEV1 the worst.
type Severity string

// Severities, worst first.
const (
	SEV1 Severity = "SEV1"
	SEV2 Severity = "SEV2"
	SEV3 Severity = "SEV3"
	SEV4 Severity = "SEV4"
)

// Severities lists every severity, worst first, for pickers.
func Severities() []Severity { return []Severity{SEV1, SEV2, SEV3, SEV4} }

// Valid reports whether s is one of the four severities.
func (s Severity) Valid() bool { return slices.Contains(Severities(), s) }

// Status is where an incident stands.
type Status string

// Statuses in the order an incident moves through them.
const (
	StatusInvestigating Status = "investigating"
	StatusIdentified    Status = "identified"
	StatusMonitoring    Status = "monitoring"
	StatusResolved      Status = "resolved"
)

// Statuses lists every status in order, for pickers and filters.
func Statuses() []Status {
	return []Status{StatusInvestigating, StatusIdentified, StatusMonitoring, StatusResolved}
}

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool { return s.rank() >= 0 }

func (s Status) rank() int { return slices.Index(Statuses(), s) }

// CheckTransition returns nil when an incident may go from one status to
// another: forward (skipping is allowed, an incident may resolve while
// still investigating), staying put, or reopening a resolved incident as
// investigating. Anything else is a *journeys.ValidationError on status
// naming both states.
func CheckTransition(from, to Status) error {
	v := &journeys.ValidationError{}
	switch {
	case !to.Valid():
		v.Add("status", statusMessage)
	case !from.Valid():
		v.Add("status", fmt.Sprintf("current status %q is unknown", from))
	case from == to, to.rank() > from.rank():
	case from == StatusResolved && to == StatusInvestigating:
	case from == StatusResolved:
		v.Add("status", fmt.Sprintf("cannot go from %s to %s: a resolved incident reopens as %s", from, to, StatusInvestigating))
	default:
		v.Add("status", fmt.Sprintf("cannot go from %s back to %s", from, to))
	}
	return orNil(v)
}

// StepRef names one step of one journey.
type StepRef struct {
	Journey string `json:"journey"`
	Step    string `json:"step"`
}

// IsZero reports whether r names nothing.
func (r StepRef) IsZero() bool { return r.Journey == "" && r.Step == "" }

// String is "journey / step", or "" for the zero ref.
func (r StepRef) String() string {
	if r.IsZero() {
		return ""
	}
	return r.Journey + " / " + r.Step
}

// Incident is something that went wrong for users, the journeys and steps
// it hurt, and where it stands.
type Incident struct {
	ID       int64    `json:"id"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	Status   Status   `json:"status"`
	// StartedAt is when users started to be hurt, DetectedAt when someone
	// noticed, ResolvedAt when it ended (only while resolved).
	StartedAt  time.Time `json:"started_at"`
	DetectedAt time.Time `json:"detected_at,omitzero"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// Journeys lists the affected journeys by slug; Steps the affected
	// steps, each of a journey in Journeys.
	Journeys []string  `json:"journeys,omitempty"`
	Steps    []StepRef `json:"steps,omitempty"`
	Owner    string    `json:"owner,omitempty"`
	// Summary is Markdown.
	Summary string `json:"summary,omitempty"`
	// Version counts saves; Update refuses a stale one, so two people
	// editing at once cannot silently overwrite each other.
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// End is when the incident's window ends: ResolvedAt, or now while it is
// open.
func (in Incident) End(now time.Time) time.Time {
	if !in.ResolvedAt.IsZero() {
		return in.ResolvedAt
	}
	return now.UTC()
}

// Normalize fills what a form may leave out and puts times in the form the
// database keeps (UTC, microseconds), so that what is saved reads back
// equal: an empty status is investigating, an empty detection time is the
// start, a resolved incident without a resolution time is resolved now,
// and journeys named only by a step are added to Journeys. Titles and
// owners lose surrounding space.
func (in *Incident) Normalize(now time.Time) {
	in.Title = strings.TrimSpace(in.Title)
	in.Owner = strings.TrimSpace(in.Owner)
	if in.Status == "" {
		in.Status = StatusInvestigating
	}
	in.StartedAt = dbTime(in.StartedAt)
	if in.DetectedAt.IsZero() {
		in.DetectedAt = in.StartedAt
	}
	in.DetectedAt = dbTime(in.DetectedAt)
	if in.Status == StatusResolved && in.ResolvedAt.IsZero() {
		in.ResolvedAt = now
	}
	in.ResolvedAt = dbTime(in.ResolvedAt)
	if len(in.Steps) > MaxSteps || len(in.Journeys) > MaxJourneys {
		// Validate refuses the lists whole; adding to them would only
		// make its message about the wrong one.
		return
	}
	named := make(map[string]bool, len(in.Journeys))
	for _, j := range in.Journeys {
		named[j] = true
	}
	for _, s := range in.Steps {
		if s.Journey != "" && !named[s.Journey] {
			named[s.Journey] = true
			in.Journeys = append(in.Journeys, s.Journey)
		}
	}
}

// dbTime is t as Postgres gives it back: UTC, whole microseconds; the zero
// time stays zero.
func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

const statusMessage = "must be investigating, identified, monitoring or resolved"

// Validate reports every rule in breaks as a *journeys.ValidationError
// naming each field (title, severity, status, started_at, detected_at,
// resolved_at, journeys[i], steps[i].journey, steps[i].step, owner,
// summary), or nil. It checks the incident on its own; whether the
// journeys and steps exist is the Store's business.
func (in Incident) Validate() error {
	v := &journeys.ValidationError{}
	v.CheckText("title", in.Title, MaxTitle, true, journeys.Line)
	if !in.Severity.Valid() {
		v.Add("severity", "must be SEV1, SEV2, SEV3 or SEV4")
	}
	if !in.Status.Valid() {
		v.Add("status", statusMessage)
	}
	validateTimes(v, in)
	validateJourneys(v, in)
	v.CheckText("owner", in.Owner, MaxOwner, false, journeys.Line)
	v.CheckText("summary", in.Summary, MaxSummary, false, journeys.Prose)
	return orNil(v)
}

func validateTimes(v *journeys.ValidationError, in Incident) {
	if in.StartedAt.IsZero() {
		v.Add("started_at", "required")
		return
	}
	switch {
	case in.DetectedAt.IsZero():
		v.Add("detected_at", "required")
	case in.DetectedAt.Before(in.StartedAt):
		v.Add("detected_at", "must not be before the start")
	}
	switch {
	case in.Status == StatusResolved && in.ResolvedAt.IsZero():
		v.Add("resolved_at", "required when resolved")
	case in.Status != StatusResolved && !in.ResolvedAt.IsZero():
		v.Add("resolved_at", "must be empty until the incident is resolved")
	case !in.ResolvedAt.IsZero() && in.ResolvedAt.Before(in.StartedAt):
		v.Add("resolved_at", "must not be before the start")
	}
}

// validateJourneys checks the affected journeys and steps in time linear in
// their number: a list over its limit is refused without looking inside,
// and duplicates are found with sets.
func validateJourneys(v *journeys.ValidationError, in Incident) {
	tooMany := false
	if len(in.Journeys) > MaxJourneys {
		v.Add("journeys", fmt.Sprintf("must list at most %d journeys, lists %d", MaxJourneys, len(in.Journeys)))
		tooMany = true
	}
	if len(in.Steps) > MaxSteps {
		v.Add("steps", fmt.Sprintf("must list at most %d steps, lists %d", MaxSteps, len(in.Steps)))
		tooMany = true
	}
	if tooMany {
		return
	}
	named := make(map[string]bool, len(in.Journeys))
	for i, slug := range in.Journeys {
		path := fmt.Sprintf("journeys[%d]", i)
		switch {
		case !journeys.ValidSlug(slug):
			v.Add(path, "must be a journey slug: 1 to 64 lowercase letters, digits or dashes")
		case named[slug]:
			v.Add(path, fmt.Sprintf("lists %q twice", slug))
		}
		named[slug] = true
	}
	seen := make(map[StepRef]bool, len(in.Steps))
	for i, s := range in.Steps {
		path := fmt.Sprintf("steps[%d]", i)
		switch {
		case s.Journey == "":
			v.Add(path+".journey", "required")
		case !named[s.Journey]:
			v.Add(path+".journey", fmt.Sprintf("%q is not one of the incident's journeys", s.Journey))
		}
		if v.CheckText(path+".step", s.Step, MaxStepName, true, journeys.Line) && seen[s] {
			v.Add(path+".step", fmt.Sprintf("lists %s twice", s))
		}
		seen[s] = true
	}
}

// orNil returns v as an error when it holds a message, else nil (never a
// typed nil).
func orNil(v *journeys.ValidationError) error {
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

// invalid is a one-field validation error.
func invalid(path, msg string) error {
	return &journeys.ValidationError{Fields: map[string]string{path: msg}}
}
