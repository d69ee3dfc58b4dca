// Package layout holds the frame of every page (head, navigation, footer,
// the error page) and the pieces several pages share: formatting, charts,
// form errors, the journey header, the waterfall and the incident actions
// beside a trace. Components take view models only; they do no I/O.
package layout

import (
	"net/url"
	"time"
)

// Site is what every page's layout needs to know about the running server.
type Site struct {
	// Version is the build version shown in the footer.
	Version string
	// CSS and JS are the URLs of the stylesheet and of htmx, carrying a
	// content hash so browsers may cache them for good.
	CSS  string
	JS   string
	Icon string
	// CopyJS is the URL of the script behind copy buttons.
	CopyJS string
	// Incidents is set when the server keeps incidents: the navigation
	// and the incident actions beside traces show only then.
	Incidents bool
	// SLOs is set when the server evaluates SLOs: the journeys list then
	// shows their states.
	SLOs bool
	// Rollups is set when the server computes rollups: pages show numbers
	// then, and "no data yet" otherwise.
	Rollups bool
	// Traces is set when the server reads a trace source.
	Traces bool
}

// Nav names the section of the navigation a page belongs to.
type Nav string

// Navigation sections.
const (
	NavNone      Nav = ""
	NavJourneys  Nav = "journeys"
	NavIncidents Nav = "incidents"
	NavSources   Nav = "sources"
)

// JourneyPath is the URL of a journey's page, plus an optional suffix such
// as "/edit".
func JourneyPath(slug, suffix string) string {
	return "/journeys/" + url.PathEscape(slug) + suffix
}

// timeFormat is how the UI shows instants: UTC, to the minute, so that two
// people on a call read the same thing.
const timeFormat = "2006-01-02 15:04 UTC"

// FormatTime writes an instant to the minute in UTC, or an em dash for
// the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(timeFormat)
}

// IsoTime writes an instant as RFC 3339 in UTC, for datetime attributes.
func IsoTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// NavAdmin is the section of the admin pages: users, API tokens,
// notification channels, audit log.
const NavAdmin Nav = "admin"
