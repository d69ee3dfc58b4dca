package slo

import (
	"fmt"
	"strings"
	"time"

	// Calendar windows must resolve IANA zones even on hosts and images
	// that ship no zoneinfo; embedding the database costs about 450 kB.
	_ "time/tzdata"

	"github.com/waymarkhq/waymark/journeys"
)

// WindowKind is the kind of an SLO window.
type WindowKind int

// Window kinds.
const (
	// KindRolling is the last N hours or days, moving with now.
	KindRolling WindowKind = iota
	// KindMonth is the calendar month containing now.
	KindMonth
	// KindWeek is the calendar week containing now.
	KindWeek
)

// Nominal lengths of calendar windows, used where a window needs one
// length whatever the current period, such as to scale burn-rate alert
// windows: the SRE workbook's table is written for 30 days.
const (
	NominalMonth = 30 * journeys.Day
	NominalWeek  = 7 * journeys.Day
)

// Window is the period an SLO's budget is counted over: rolling, or a
// calendar month or week in a time zone. The zone of a rolling window only
// serves to format times for people. The zero Window is a rolling window of
// length zero and is not valid: build one with Rolling, Month, Week or
// ParseWindow.
type Window struct {
	kind      WindowKind
	length    time.Duration
	weekStart time.Weekday
	loc       *time.Location
}

// Rolling returns a rolling window of length d, formatting times in loc
// (UTC when nil).
func Rolling(d time.Duration, loc *time.Location) Window {
	return Window{kind: KindRolling, length: d, loc: orUTC(loc)}
}

// Month returns the calendar-month window in loc (UTC when nil).
func Month(loc *time.Location) Window {
	return Window{kind: KindMonth, loc: orUTC(loc)}
}

// Week returns the calendar-week window starting on start, in loc (UTC when
// nil).
func Week(start time.Weekday, loc *time.Location) Window {
	return Window{kind: KindWeek, weekStart: start, loc: orUTC(loc)}
}

// ForSLO returns the window an SLO's budget is counted over: the calendar
// month or week in the SLO's own zone, or its rolling window
// (journeys.DefaultSLOWindow when it sets none) with times shown in loc.
func ForSLO(s journeys.SLO, loc *time.Location) (Window, error) {
	if !s.IsCalendar() {
		return Rolling(s.EffectiveWindow(), loc), nil
	}
	zone, err := s.Location()
	if err != nil {
		return Window{}, fmt.Errorf("window of SLO %q: %w", s.Name, err)
	}
	switch s.Calendar {
	case journeys.CalendarMonth:
		return Month(zone), nil
	case journeys.CalendarWeek:
		return Week(s.FirstWeekday(), zone), nil
	}
	return Window{}, fmt.Errorf("window of SLO %q: unknown calendar period %q", s.Name, s.Calendar)
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// Kind returns the window's kind.
func (w Window) Kind() WindowKind { return w.kind }

// Length returns a rolling window's length, zero for a calendar window.
func (w Window) Length() time.Duration {
	if w.kind != KindRolling {
		return 0
	}
	return w.length
}

// WeekStart returns the first day of a week window.
func (w Window) WeekStart() time.Weekday { return w.weekStart }

// Location returns the window's time zone.
func (w Window) Location() *time.Location { return orUTC(w.loc) }

// IsCalendar reports whether the window is a calendar month or week.
func (w Window) IsCalendar() bool { return w.kind != KindRolling }

// Nominal returns the window's length for purposes that need one fixed
// length: a rolling window's own, NominalMonth or NominalWeek.
func (w Window) Nominal() time.Duration {
	switch w.kind {
	case KindMonth:
		return NominalMonth
	case KindWeek:
		return NominalWeek
	default:
		return w.length
	}
}

// Bounds returns the window containing now as the half-open range
// [from, to). A rolling window ends at now; a calendar window ends when its
// period does, after now, so the budget counts events in [from, now) and
// to is when the budget resets.
//
// Calendar periods start at local midnight, so a week or month that
// contains a daylight-saving change is an hour shorter or longer than its
// days times 24h. Where a zone skips midnight itself, the period starts at
// the first instant of the day.
func (w Window) Bounds(now time.Time) (from, to time.Time) {
	loc := w.Location()
	switch w.kind {
	case KindMonth:
		y, m, _ := now.In(loc).Date()
		return startOfDay(y, m, 1, loc), startOfDay(y, m+1, 1, loc)
	case KindWeek:
		local := now.In(loc)
		y, m, d := local.Date()
		back := (int(local.Weekday()) - int(w.weekStart) + 7) % 7
		return startOfDay(y, m, d-back, loc), startOfDay(y, m, d-back+7, loc)
	default:
		return now.Add(-w.length), now
	}
}

// validate rejects windows no constructor or parser would build, such as
// the zero Window.
func (w Window) validate() error {
	switch w.kind {
	case KindRolling:
		if w.length <= 0 {
			return fmt.Errorf("rolling SLO window %s must be positive", w.length)
		}
	case KindWeek:
		if w.weekStart < time.Sunday || w.weekStart > time.Saturday {
			return fmt.Errorf("calendar week starts on %d, which is not a weekday", int(w.weekStart))
		}
	case KindMonth:
	default:
		return fmt.Errorf("unknown SLO window kind %d", int(w.kind))
	}
	return nil
}

// startOfDay returns the first instant of the local day y-m-d, normalising
// d and m the way time.Date does.
func startOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	wy, wm, wd := time.Date(y, m, d, 12, 0, 0, 0, loc).Date()
	if ty, tm, td := t.Date(); ty != wy || tm != wm || td != wd {
		// Midnight does not exist (the clock jumps from 23:59:59 to 01:00,
		// as in America/Havana) and time.Date applied the eve's offset,
		// landing on the eve: the day starts at the transition. Where
		// midnight happens twice, time.Date already picks the first.
		_, t = t.ZoneBounds()
	}
	return t
}

// String returns the window as a journey's SLO would spell it, without its
// zone: 28d, calendar:month, calendar:week:monday.
func (w Window) String() string {
	switch w.kind {
	case KindMonth:
		return "calendar:month"
	case KindWeek:
		return "calendar:week:" + strings.ToLower(w.weekStart.String())
	default:
		return journeys.NewDuration(w.length).String()
	}
}
