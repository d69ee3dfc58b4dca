package journeys

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	// Calendar windows name IANA zones, and validating one must not depend
	// on the host shipping zoneinfo. The binary carries the database
	// already (internal/slo links it), so this costs nothing more there.
	_ "time/tzdata"
)

// Calendar is a calendar period an SLO's budget is counted over and resets
// with, instead of a rolling window.
type Calendar string

// Calendar periods. A week starts on SLO.WeekStart, Monday by default.
const (
	CalendarMonth Calendar = "month"
	CalendarWeek  Calendar = "week"
)

// Nominal lengths of calendar periods, for what needs one fixed length
// (EffectiveWindow, burn-rate windows): the SRE workbook's alert table is
// written for 30 days.
const (
	nominalMonth = 30 * Day
	nominalWeek  = 7 * Day
)

// IsCalendar reports whether the SLO is counted over a calendar period.
func (s SLO) IsCalendar() bool { return s.Calendar != "" }

// WindowSpec returns the window the way YAML and JSON spell it: the rolling
// duration as written ("28d"), "month" or "week"; empty when unset.
func (s SLO) WindowSpec() string {
	if s.Calendar != "" {
		return string(s.Calendar)
	}
	if s.Window.IsZero() {
		return ""
	}
	return s.Window.String()
}

// WindowLabel describes the window for people: "28d", "calendar month
// (UTC)", "calendar week from Sunday (Europe/Berlin)". An unset window is
// the default.
func (s SLO) WindowLabel() string {
	zone := s.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	switch s.Calendar {
	case "":
		if s.Window.IsZero() {
			return NewDuration(DefaultSLOWindow).String()
		}
		return s.Window.String()
	case CalendarWeek:
		return "calendar week from " + s.FirstWeekday().String() + " (" + zone + ")"
	default:
		return "calendar " + string(s.Calendar) + " (" + zone + ")"
	}
}

// Location returns the time zone of a calendar window: TimeZone, UTC when
// empty. Validate rejects a zone this cannot load.
func (s SLO) Location() (*time.Location, error) {
	return LoadZone(s.TimeZone)
}

// FirstWeekday returns the first day of a week window: WeekStart, Monday
// (as in ISO 8601) when unset or unknown, which Validate rejects.
func (s SLO) FirstWeekday() time.Weekday {
	if d, ok := ParseWeekday(s.WeekStart); ok {
		return d
	}
	return time.Monday
}

// ParseWeekday reads an English weekday name, in any case: monday, Sunday.
func ParseWeekday(name string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(name, d.String()) {
			return d, true
		}
	}
	return 0, false
}

// LoadZone loads an IANA time zone such as Europe/Berlin; empty is UTC.
// "Local" is refused: budgets must not depend on where Waymark runs.
func LoadZone(name string) (*time.Location, error) {
	switch name {
	case "", "UTC":
		return time.UTC, nil
	case "Local":
		return nil, fmt.Errorf("%q depends on the server; name a zone such as Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q; use an IANA name such as Europe/Berlin", name)
	}
	return loc, nil
}

// validateWindow checks the window fields of the SLO at path p. It reports
// whether the window is usable for further checks.
func validateWindow(v *ValidationError, p string, o SLO) bool {
	ok := true
	switch o.Calendar {
	case "":
		switch {
		case o.Window.IsZero():
		case !checkDuration(v, p+".window", o.Window):
			ok = false
		case o.Window.D < MinSLOWindow || o.Window.D > MaxSLOWindow:
			v.Add(p+".window", "must be between 1h and 90d")
			ok = false
		}
		if o.TimeZone != "" {
			v.Add(p+".timeZone", "only a calendar window (month or week) has a time zone")
		}
	case CalendarMonth, CalendarWeek:
		if !o.Window.IsZero() {
			v.Add(p+".window", "set either a rolling duration or a calendar period, not both")
			ok = false
		}
		if _, err := LoadZone(o.TimeZone); err != nil {
			v.Add(p+".timeZone", err.Error())
		}
	default:
		v.Add(p+".window", fmt.Sprintf("unknown window %q; use a duration such as 28d, or month or week", o.Calendar))
		ok = false
	}
	if o.WeekStart != "" {
		if _, known := ParseWeekday(o.WeekStart); !known {
			v.Add(p+".weekStart", fmt.Sprintf("unknown day %q; use monday to sunday", o.WeekStart))
		} else if o.Calendar != CalendarWeek {
			v.Add(p+".weekStart", "only a week window has a first day; set window: week")
		}
	}
	return ok
}

// sloJSON is the JSON form of an SLO, where the window is one field
// holding a duration or a calendar period, as in YAML.
type sloJSON struct {
	Name      string   `json:"name"`
	Step      string   `json:"step,omitempty"`
	Kind      SLOKind  `json:"kind"`
	Threshold Duration `json:"threshold,omitzero"`
	Objective float64  `json:"objective"`
	Window    string   `json:"window,omitempty"`
	WeekStart string   `json:"weekStart,omitempty"`
	TimeZone  string   `json:"timeZone,omitempty"`
	// MinEvents is a pointer so that an explicit 0 (guard off) is written.
	MinEvents    *int64   `json:"minEvents,omitempty"`
	ResolveAfter Duration `json:"resolveAfter,omitzero"`
}

// MarshalJSON writes the SLO with its window as one field: "28d", "month"
// or "week".
func (s SLO) MarshalJSON() ([]byte, error) {
	out := sloJSON{Name: s.Name, Step: s.Step, Kind: s.Kind, Threshold: s.Threshold, Objective: s.Objective,
		Window: s.WindowSpec(), WeekStart: s.WeekStart, TimeZone: s.TimeZone, ResolveAfter: s.ResolveAfter}
	if s.MinEvents.Set {
		n := s.MinEvents.N
		out.MinEvents = &n
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes, for stored copies of an SLO.
// API input goes through DecodeJSON, which is strict.
func (s *SLO) UnmarshalJSON(data []byte) error {
	var in sloJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	out := SLO{Name: in.Name, Step: in.Step, Kind: in.Kind, Threshold: in.Threshold, Objective: in.Objective,
		WeekStart: in.WeekStart, TimeZone: in.TimeZone, ResolveAfter: in.ResolveAfter}
	if in.MinEvents != nil {
		out.MinEvents = NewCount(*in.MinEvents)
	}
	w, cal, err := parseSLOWindow(in.Window)
	if err != nil {
		return fmt.Errorf("SLO %q window: %w", in.Name, err)
	}
	out.Window, out.Calendar = w, cal
	*s = out
	return nil
}

// parseSLOWindow reads an SLO window as written: a duration, or a word
// naming a calendar period. Durations never start with a letter, so any
// word is taken for a period and left to Validate to name if unknown.
func parseSLOWindow(s string) (Duration, Calendar, error) {
	if s == "" {
		return Duration{}, "", nil
	}
	if c := s[0]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return Duration{}, Calendar(s), nil
	}
	d, err := ParseDuration(s)
	return d, "", err
}
