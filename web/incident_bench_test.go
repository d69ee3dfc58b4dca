package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkIncidentPage renders an incident's page: the incident, its
// linked traces with a live check each, suggestions read from the embedded
// store, the timeline, the impact chart and the post-mortem draft.
func BenchmarkIncidentPage(b *testing.B) {
	ib := setupIncidents(b, incidentConfig{})
	form := url.Values{
		"trace_id": {declinedTrace}, "step": {"shop / s3"}, "title": {"Payments failing"}, "severity": {"SEV2"},
		"status": {"investigating"}, "journeys": {"shop"}, "steps": {"shop / s3"},
	}
	rec := ib.do(b, http.MethodPost, "/incidents/new", strings.NewReader(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther {
		b.Fatalf("create: %d %s", rec.Code, rec.Body.String())
	}
	for name, p := range map[string]string{"page": "/incidents/1", "postmortem": "/incidents/1/postmortem.md"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				rec := ib.do(b, http.MethodGet, p, nil)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", p, rec.Code)
				}
			}
		})
	}
}
