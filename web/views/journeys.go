package views

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// JourneySummary is one row of the journeys list.
type JourneySummary struct {
	Slug        string
	Name        string
	Owner       string
	Steps       int
	Correlation journeys.Correlation
	Version     int
	UpdatedAt   time.Time
	UpdatedBy   string
	// Numbers are the last hour's; nil when the server has no rollups.
	Numbers *JourneyNumbers
	// SLOs are the journey's SLO states, shown when Site.SLOs is set.
	SLOs []SLOBadge
}

// JourneyNumbers are a journey's health at a glance.
type JourneyNumbers struct {
	// HasData is false when nothing was counted in the range.
	HasData    bool
	Entered    int64
	Conversion float64
	// WorstStep names the step with the highest error rate, empty when no
	// step had errors.
	WorstStep      string
	WorstErrorRate float64
	// Delayed is set while the journey's rollup runs are failing.
	Delayed bool
}

// JourneyDetail is everything the journey page shows.
type JourneyDetail struct {
	Journey   journeys.Journey
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
	// YAML is the journey's export, as `waymark journeys export` writes it.
	YAML    string
	History []HistoryEntry
}

// HistoryEntry is one stored version of a journey.
type HistoryEntry struct {
	Version   int
	Action    string
	ChangedBy string
	ChangedAt time.Time
}

// FieldError is a validation message and the path of the field it is about,
// e.g. steps[2].match.attributes[0].op.
type FieldError struct {
	Path    string
	Message string
}

// correlationText says in words how a journey's steps are tied together.
func correlationText(c journeys.Correlation) string {
	if c.By == "" {
		return "—"
	}
	if c.ByTrace() {
		return "one trace"
	}
	if c.Window.Raw != "" {
		return c.By + " within " + c.Window.Raw
	}
	return c.By
}

func percent(f float64) string {
	// Rounded so that 0.995 reads 99.5%, not 99.49999999999999%.
	return strconv.FormatFloat(math.Round(f*100*1e6)/1e6, 'f', -1, 64) + "%"
}

func itoa(n int) string { return strconv.Itoa(n) }

// pathHas reports whether path is field or lies beneath it, so that
// steps[0].match.attributes[1].op is shown beside steps[0].match.attributes.
func pathHas(field, path string) bool {
	if path == field {
		return true
	}
	if field == "" || !strings.HasPrefix(path, field) {
		return false
	}
	c := path[len(field)]
	return c == '.' || c == '['
}

// sortErrors orders errors by the position of their field on the form, then
// by path, so the summary reads top to bottom like the form.
func sortErrors(errs []FieldError, order []string) {
	rank := func(path string) int {
		best, at := -1, len(order)
		for i, f := range order {
			if pathHas(f, path) && len(f) > best {
				best, at = len(f), i
			}
		}
		return at
	}
	sort.SliceStable(errs, func(i, j int) bool {
		ri, rj := rank(errs[i].Path), rank(errs[j].Path)
		if ri != rj {
			return ri < rj
		}
		return errs[i].Path < errs[j].Path
	})
}

// FormatMatcher writes a matcher as the editor's one-line form, "key op
// value". A string that would read back as a number or boolean, or that has
// surrounding spaces, is quoted so that it reads back as a string.
func FormatMatcher(m journeys.Matcher) string {
	v := m.Value.Raw
	switch {
	case m.Value.Type == journeys.TypeString:
		if v == "" || strings.TrimSpace(v) != v || strings.HasPrefix(v, `"`) || InferValue(v).Type != journeys.TypeString {
			v = strconv.Quote(v)
		}
	case InferValue(v).Type != m.Value.Type:
		// A spelling the editor would read as another type (True, 1.0e0
		// written as an int): write it the way trace sources do.
		if c, err := m.Value.Canonical(); err == nil {
			v = c
		}
		if m.Value.Type == journeys.TypeFloat && InferValue(v).Type != journeys.TypeFloat {
			v += ".0"
		}
	}
	return m.Key + " " + string(m.Op) + " " + v
}

// InferValue types an unquoted literal the way the editor reads it: true and
// false are booleans, integers (also 0x1f, 1_000) ints, decimal numbers
// floats, anything else a string.
func InferValue(s string) journeys.Value {
	switch s {
	case "true", "false":
		return journeys.Value{Type: journeys.TypeBool, Raw: s}
	}
	if _, err := strconv.ParseInt(s, 0, 64); err == nil {
		return journeys.Value{Type: journeys.TypeInt, Raw: s}
	}
	if s != "" && strings.Trim(s, "0123456789.eE+-_") == "" {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			return journeys.Value{Type: journeys.TypeFloat, Raw: s}
		}
	}
	return journeys.Value{Type: journeys.TypeString, Raw: s}
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func editTitle(editing bool, name string) string {
	if editing {
		return "Edit " + name
	}
	return "New journey"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// errorLabel names where under field a message's path points: "" for the
// field itself, "line 2" or "line 2, op" for an attribute matcher (the
// editor shows one matcher per line), else the rest of the path.
func errorLabel(field, path string) string {
	if path == field || !strings.HasPrefix(path, field) || field == "" {
		if field == "" {
			return path
		}
		return ""
	}
	rest := path[len(field):]
	if strings.HasSuffix(field, ".match.attributes") && strings.HasPrefix(rest, "[") {
		if end := strings.IndexByte(rest, ']'); end > 0 {
			if n, err := strconv.Atoi(rest[1:end]); err == nil {
				label := "line " + strconv.Itoa(n+1)
				if sub := strings.TrimPrefix(rest[end+1:], "."); sub != "" {
					label += ", " + sub
				}
				return label
			}
		}
	}
	return strings.TrimPrefix(rest, ".")
}

func windowText(w string) string {
	if w == "" {
		return ""
	}
	return ", within " + w + " of entering the first step"
}

func slugHint(editing bool) string {
	if editing {
		return "changing it renames the journey; its history moves along"
	}
	return "lowercase letters, digits and dashes; used in URLs and files"
}

// textRows sizes a text box to its content plus a free line, at least 2.
func textRows(s string) string {
	return strconv.Itoa(max(2, min(12, strings.Count(s, "\n")+2)))
}

// sloWindowText is an SLO's window on the definition page: the rolling
// window as written (a dash for the default), or the calendar period with
// its zone.
func sloWindowText(o journeys.SLO) string {
	if o.IsCalendar() {
		return o.WindowLabel()
	}
	return dash(o.Window.Raw)
}
