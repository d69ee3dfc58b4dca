package incidents

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// IncidentPath is the URL of an incident's page, plus an optional suffix
// such as "/edit".
func IncidentPath(id int64, suffix string) string {
	return "/incidents/" + strconv.FormatInt(id, 10) + suffix
}

// IncidentTracePath is the URL of a linked trace's snapshot page.
func IncidentTracePath(id int64, traceID string) string {
	return IncidentPath(id, "/traces/"+url.PathEscape(traceID))
}

// IncidentSnapshotPath is the API URL of a linked trace's snapshot, as OTLP
// JSON.
func IncidentSnapshotPath(id int64, traceID string) string {
	return "/api/v1/incidents/" + strconv.FormatInt(id, 10) + "/traces/" + url.PathEscape(traceID) + "/snapshot"
}

// IncidentList is the incidents page: the incidents matching the filter,
// latest first.
type IncidentList struct {
	Incidents []incident.Incident
	Filter    IncidentFilter
	// Journeys are the slugs the journey filter offers.
	Journeys []string
	// Limit is how many incidents the page shows at most; Truncated says
	// there were more.
	Limit     int
	Truncated bool
}

// IncidentFilter is the list's filter as typed, for the form.
type IncidentFilter struct {
	Statuses []string
	Journey  string
	From, To string
}

// HasStatus reports whether the filter selects status s.
func (f IncidentFilter) HasStatus(s incident.Status) bool {
	for _, x := range f.Statuses {
		if x == string(s) {
			return true
		}
	}
	return false
}

// IsZero reports whether the filter keeps every incident.
func (f IncidentFilter) IsZero() bool {
	return len(f.Statuses) == 0 && f.Journey == "" && f.From == "" && f.To == ""
}

// IncidentForm is the incident editor's state: the inputs as typed, so that
// an invalid entry is shown back unchanged. Input names are the validation
// paths of the incident's *journeys.ValidationError.
type IncidentForm struct {
	// Editing is true on /incidents/{id}/edit.
	Editing bool
	ID      int64
	Action  string
	// Version is the version the editor was opened on; saving over a newer
	// one is refused.
	Version int

	Title      string
	Severity   string
	Status     string
	StartedAt  string
	DetectedAt string
	ResolvedAt string
	// Journeys is a comma or space separated list of slugs; Steps one
	// "journey / step" per line.
	Journeys string
	Steps    string
	Owner    string
	Summary  string

	// TraceID, Note and Step (as "journey / step") are the trace the new
	// incident cites, when opened from one.
	TraceID string
	Note    string
	Step    string
	// Trace describes that trace, when the trace source could read it.
	Trace *TracePreview

	// Statuses are the statuses the status picker offers.
	Statuses []string
	// Message is shown above the form, e.g. why saving failed as a whole.
	Message string

	fieldErrs
}

// TracePreview is what a form says about the trace it will link.
type TracePreview struct {
	Start       time.Time
	Duration    time.Duration
	Spans       int
	RootService string
	RootName    string
	Error       string
}

// incidentFields lists every place on the incident form an error can be
// shown, in the order they appear.
func incidentFields() []string {
	return []string{"trace_id", "step", "note", "title", "severity", "status", "started_at", "detected_at",
		"resolved_at", "journeys", "steps", "owner", "summary"}
}

// SetErrors attaches validation messages, keyed by path, to the form; each
// is shown beside the deepest field its path lies beneath.
func (f *IncidentForm) SetErrors(fields map[string]string) {
	f.fieldErrs.set(fields, incidentFields())
}

// LinkForm is the "link a trace" form of an incident page.
type LinkForm struct {
	TraceID string
	Note    string
	// Step is "journey / step", optional.
	Step string
	fieldErrs
}

// SetErrors attaches validation messages to the link form.
func (f *LinkForm) SetErrors(fields map[string]string) {
	f.fieldErrs.set(fields, []string{"trace_id", "step", "note"})
}

// IncidentPage is everything an incident's page shows.
type IncidentPage struct {
	Incident incident.Incident
	// Transitions are the statuses the incident may move to from its
	// current one.
	Transitions []incident.Status
	Traces      []LinkedTraceRow
	// Related are suggested traces; RelatedError says why there are
	// none to show when they could not be read.
	Related      []incident.Suggestion
	RelatedError string
	Timeline     []incident.Event
	// Chart is the impact chart of ChartJourney as SVG, made by the
	// incident store; ChartNote says why there is none.
	Chart        string
	ChartJourney string
	ChartNote    string
	// Postmortem is the Markdown draft the download serves.
	Postmortem string
	// Message is shown at the top: why the last action was refused.
	Message  string
	LinkForm LinkForm
	// CopyJS is the URL of the script behind the copy button.
	CopyJS string
}

// LinkedTraceRow is one linked trace with whether the trace source still
// holds it: "yes", "no", or "unknown" when the source could not say.
type LinkedTraceRow struct {
	incident.LinkedTrace
	Live string
	// External links the trace in the trace backend's UI, or is empty.
	External string
}

// IncidentTracePage is a linked trace as it was when linked.
type IncidentTracePage struct {
	Incident incident.Incident
	Link     incident.LinkedTrace
	// Live is "yes", "no" or "unknown", as in LinkedTraceRow.
	Live      string
	External  string
	Waterfall layout.Waterfall
}

// fieldErrs holds a form's validation messages, placed beside fields.
type fieldErrs struct {
	errs   []layout.FieldError
	placed map[string][]layout.FieldError
}

func (f *fieldErrs) set(fields map[string]string, order []string) {
	f.errs, f.placed = layout.PlaceErrors(fields, order)
}

// Errors lists every message in form order, for the summary at the top.
func (f *fieldErrs) Errors() []layout.FieldError { return f.errs }

// ErrorsAt lists the messages shown beside one field; "" gives those that
// belong to no field.
func (f *fieldErrs) ErrorsAt(field string) []layout.FieldError { return f.placed[field] }

func severityClass(s incident.Severity) string { return "sev-" + string(s) }

func statusClass(s incident.Status) string { return "status-" + string(s) }

// transitionLabel is the text of the button moving an incident to s.
func transitionLabel(cur, s incident.Status) string {
	if cur == incident.StatusResolved && s == incident.StatusInvestigating {
		return "Reopen"
	}
	switch s {
	case incident.StatusIdentified:
		return "Mark identified"
	case incident.StatusMonitoring:
		return "Mark monitoring"
	case incident.StatusResolved:
		return "Resolve"
	}
	return "Mark " + string(s)
}

// stepText is a step reference as forms write it: "journey / step".
func stepText(r incident.StepRef) string { return r.String() }

// traceDuration writes a trace's duration the way the waterfall does.
func traceDuration(d time.Duration) string { return layout.Duration(d) }

// eventTime writes a timeline instant to the second: events of one
// incident are often a few seconds apart.
func eventTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// incidentTitle is an incident's page title.
func incidentTitle(in incident.Incident) string {
	return "#" + strconv.FormatInt(in.ID, 10) + " " + in.Title
}

// suggestionError is how a suggested trace failed: its status message, else
// its exception type.
func suggestionError(s incident.Suggestion) string {
	if s.Error != "" {
		return s.Error
	}
	return s.ExceptionType
}

// eventLink is where a timeline entry points. A linked trace opens its
// snapshot, which outlives the trace backend's copy.
func eventLink(id int64, e incident.Event) string {
	if e.Kind == incident.KindTrace {
		if tid, ok := strings.CutPrefix(e.Link, "/traces/"); ok {
			return IncidentTracePath(id, tid)
		}
	}
	return e.Link
}

// TracePathOf is the URL of Waymark's own page of a live trace.
func TracePathOf(traceID string) string { return "/traces/" + url.PathEscape(traceID) }

// FromTrace reports whether the form opens the incident from a trace.
func (f *IncidentForm) FromTrace() bool {
	return !f.Editing && (f.TraceID != "" || f.Step != "" || f.Note != "")
}
