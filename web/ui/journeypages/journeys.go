package journeypages

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/ui/layout"
	"github.com/waymarkhq/waymark/web/ui/slos"
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
	SLOs []slos.SLOBadge
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
	// Spark is the conversion of each complete sparkPoint of the range
	// that anyone entered in, oldest first.
	Spark []float64
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

func windowText(w string) string {
	if w == "" {
		return ""
	}
	return ", within " + w + " of entering the first step"
}

// sloWindowText is an SLO's window on the definition page: the rolling
// window as written (a dash for the default), or the calendar period with
// its zone.
func sloWindowText(o journeys.SLO) string {
	if o.IsCalendar() {
		return o.WindowLabel()
	}
	return layout.Dash(o.Window.Raw)
}
