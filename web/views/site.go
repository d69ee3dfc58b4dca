// Package views holds Waymark's server-rendered pages and components, written
// in templ. Components take plain data; they do no I/O, so they can be
// rendered to a buffer in tests.
package views

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
	// Incidents is set when the server keeps incidents: the navigation
	// and the incident actions beside traces show only then.
	Incidents bool
	// SLOs is set when the server evaluates SLOs: the journeys list then
	// shows their states.
	SLOs bool
}

// Nav names the section of the navigation a page belongs to.
type Nav string

// Navigation sections.
const (
	NavNone      Nav = ""
	NavJourneys  Nav = "journeys"
	NavIncidents Nav = "incidents"
)

// JourneyPath is the URL of a journey's page, plus an optional suffix such
// as "/edit".
func JourneyPath(slug, suffix string) string {
	return "/journeys/" + url.PathEscape(slug) + suffix
}

// timeFormat is how the UI shows instants: UTC, to the minute, so that two
// people on a call read the same thing.
const timeFormat = "2006-01-02 15:04 UTC"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(timeFormat)
}

func isoTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
