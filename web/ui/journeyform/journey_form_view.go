package journeyform

import (
	"strconv"

	"github.com/waymarkhq/waymark/web/ui/layout"
)

// JourneyForm is the journey editor's state: exactly what the user typed,
// kept as text so that an invalid entry is shown back unchanged. Input names
// are the validation paths of journeys.ValidationError.
type JourneyForm struct {
	// Editing is true on /journeys/{slug}/edit, where the slug is fixed.
	Editing bool
	// Action is the URL the form posts to.
	Action string

	Slug              string
	Name              string
	Owner             string
	Description       string
	CorrelationBy     string
	CorrelationWindow string
	// Segments is a comma or space separated list of attribute keys.
	Segments string
	Value    string
	Steps    []StepForm
	SLOs     []SLOForm

	// Message is shown above the form, e.g. why saving failed as a whole.
	Message string

	// Unmatched is set when saving stopped because a step matched nothing
	// in the last 24 hours: the form then offers to save anyway.
	Unmatched bool
	// Live is set when the builder reads a trace source: the inputs then
	// suggest as one types and each step previews what it matches.
	Live bool
	// Services are the services to suggest before anything is typed;
	// SpanLists the span names of each step's service, when it has one.
	Services  Suggestions
	SpanLists []Suggestions
	// Origin says where a prefilled form came from: a trace, a suggestion.
	Origin string
	// SegmentOffers and ValueOffers are the keys worth offering for the
	// segments and the value, from the spans the journey was drafted from.
	SegmentOffers []string
	ValueOffers   []string
	// PreviewRange is the range last previewed; Preview what it showed,
	// PreviewMessage why it could not.
	PreviewRange   string
	Preview        *PreviewView
	PreviewMessage string

	errs   []layout.FieldError
	placed map[string][]layout.FieldError
}

// StepForm is one step's inputs. Attributes holds one matcher per line,
// "key op value".
type StepForm struct {
	Name       string
	Service    string
	Span       string
	SpanRegex  string
	Kind       string
	Attributes string
}

// SLOForm is one SLO's inputs.
type SLOForm struct {
	Name      string
	Step      string
	Kind      string
	Threshold string
	Objective string
	// Window is a rolling duration (28d), month or week; WeekStart and
	// TimeZone apply to the calendar ones.
	Window    string
	WeekStart string
	TimeZone  string
	// MinEvents is the traffic guard (empty for the server's default);
	// ResolveAfter the resolve hold (empty for 15m).
	MinEvents    string
	ResolveAfter string
}

// StepField is the input name of a step's field, e.g. steps[2].match.span.
func StepField(i int, field string) string {
	return "steps[" + strconv.Itoa(i) + "]" + field
}

// SLOField is the input name of an SLO's field, e.g. slos[0].objective.
func SLOField(i int, field string) string {
	return "slos[" + strconv.Itoa(i) + "]" + field
}

// fields lists every place on the form an error can be shown, in the order
// they appear. Groups (steps, steps[0]) catch messages about a whole step.
func (f *JourneyForm) fields() []string {
	out := []string{
		"metadata", "metadata.slug", "metadata.name", "metadata.owner", "metadata.description",
		"correlation", "correlation.by", "correlation.window", "segments", "value", "steps",
	}
	for i := range f.Steps {
		out = append(out,
			StepField(i, ""), StepField(i, ".name"), StepField(i, ".match"),
			StepField(i, ".match.service"), StepField(i, ".match.span"), StepField(i, ".match.spanRegex"),
			StepField(i, ".match.kind"), StepField(i, ".match.attributes"))
	}
	out = append(out, "slos")
	for i := range f.SLOs {
		out = append(out,
			SLOField(i, ""), SLOField(i, ".name"), SLOField(i, ".step"), SLOField(i, ".kind"),
			SLOField(i, ".threshold"), SLOField(i, ".objective"), SLOField(i, ".window"),
			SLOField(i, ".weekStart"), SLOField(i, ".timeZone"), SLOField(i, ".minEvents"), SLOField(i, ".resolveAfter"))
	}
	return out
}

// SetErrors attaches validation messages, keyed by path, to the form. Call it
// after the steps and SLOs are in place: each message is shown beside the
// deepest field its path lies beneath.
func (f *JourneyForm) SetErrors(fields map[string]string) {
	f.errs, f.placed = layout.PlaceErrors(fields, f.fields())
}

// Errors lists every message in form order, for the summary at the top.
func (f *JourneyForm) Errors() []layout.FieldError { return f.errs }

// ErrorsAt lists the messages shown beside one field; "" gives those that
// belong to no field.
func (f *JourneyForm) ErrorsAt(field string) []layout.FieldError { return f.placed[field] }

// StepNames lists the names typed for steps so far, to suggest them for SLOs.
func (f *JourneyForm) StepNames() []string {
	var out []string
	for _, s := range f.Steps {
		if s.Name != "" {
			out = append(out, s.Name)
		}
	}
	return out
}

// stepKinds are the span kinds a step may require; empty means any.
func stepKinds() []string {
	return []string{"", "server", "client", "producer", "consumer", "internal"}
}

// sloKinds are the kinds of SLO the editor offers.
func sloKinds() []string { return []string{"latency", "success", "conversion"} }

// JourneyYAMLForm is the editor's YAML tab: one whole document.
type JourneyYAMLForm struct {
	Editing bool
	// Slug is the journey being edited; empty on /journeys/new.
	Slug   string
	Action string
	Text   string
	// Errors are the validation messages, Message a general one.
	Errors  []layout.FieldError
	Message string
	// Live, PreviewRange, Preview and PreviewMessage are the dry run's, as
	// on the form.
	Live           bool
	PreviewRange   string
	Preview        *PreviewView
	PreviewMessage string
}

func editTitle(editing bool, name string) string {
	if editing {
		return "Edit " + name
	}
	return "New journey"
}

func slugHint(editing bool) string {
	if editing {
		return "changing it renames the journey; its history moves along"
	}
	return "lowercase letters, digits and dashes; used in URLs and files"
}
