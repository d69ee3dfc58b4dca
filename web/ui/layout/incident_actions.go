package layout

import (
	"strconv"

	"github.com/waymarkhq/waymark/internal/incident"
)

// IncidentChoice is an open incident offered to add a trace to.
type IncidentChoice struct {
	ID       int64
	Title    string
	Severity incident.Severity
}

// TraceIncidentActions are the incident actions offered beside a trace: open
// a new incident from it, or add it to an open one.
type TraceIncidentActions struct {
	// NewURL opens the new-incident form prefilled from the trace.
	NewURL string
	Open   []IncidentChoice
	// Step ("journey / step") is the journey step the trace stands for,
	// sent with it when added to an incident.
	Step string
}

// ChoiceLabel is how an incident reads in a picker.
func ChoiceLabel(c IncidentChoice) string {
	return "#" + strconv.FormatInt(c.ID, 10) + " " + string(c.Severity) + " " + c.Title
}

// Int64s writes n in decimal, for templates.
func Int64s(n int64) string { return strconv.FormatInt(n, 10) }
