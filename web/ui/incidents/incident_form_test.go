package incidents

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/web/httpx"
)

func TestParseFormTime(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return v.UTC()
	}
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", time.Time{}, true},
		{"2026-03-01 10:00", at("2026-03-01T10:00:00Z"), true},
		{"2026-03-01T10:00", at("2026-03-01T10:00:00Z"), true},
		{" 2026-03-01 10:00:30 UTC ", at("2026-03-01T10:00:30Z"), true},
		{"2026-03-01 10:00:30.25", at("2026-03-01T10:00:30.25Z"), true},
		{"2026-03-01T10:00:30Z", at("2026-03-01T10:00:30Z"), true},
		{"2026-03-01T11:00:30+01:00", at("2026-03-01T10:00:30Z"), true},
		{"2026-03-01T10:00:30.123456789Z", at("2026-03-01T10:00:30.123456789Z"), true},
		{"2026-03-01", time.Time{}, false},
		{"10:00", time.Time{}, false},
		{"2026-02-30 10:00", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	}
	for _, tc := range cases {
		got, err := httpx.ParseFormTime(tc.in)
		if !tc.ok {
			require.EqualError(t, err, "must be a UTC time such as 2026-03-01 10:00, or RFC 3339", tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.True(t, tc.want.Equal(got), "%q: %s", tc.in, got)
	}
	require.Equal(t, "2026-03-01 10:00:30", httpx.FormTime(at("2026-03-01T10:00:30Z")))
	require.Equal(t, "2026-03-01 10:00:30.25", httpx.FormTime(at("2026-03-01T11:00:30.25+01:00")))
	require.Equal(t, "", httpx.FormTime(time.Time{}))
}

func FuzzParseFormTime(f *testing.F) {
	for _, s := range []string{"", "2026-03-01 10:00", "2026-03-01T10:00:30.5Z", "2026-03-01T10:00:30+14:00",
		"2026-03-01 10:00:30 UTC", "0000-01-01 00:00", "9999-12-31T23:59:59.999999999Z", "UTCZ", "2026-03-01 24:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := httpx.ParseFormTime(s)
		if err != nil || v.IsZero() {
			return
		}
		// What a form shows reads back as the same instant, to the
		// microsecond the database keeps.
		again, err := httpx.ParseFormTime(httpx.FormTime(v))
		require.NoError(t, err, httpx.FormTime(v))
		require.True(t, v.Truncate(time.Microsecond).Equal(again), "%q → %q → %s", s, httpx.FormTime(v), again)
	})
}

func TestParseStepRef(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want incident.StepRef
		ok   bool
	}{
		{"", incident.StepRef{}, true},
		{"  ", incident.StepRef{}, true},
		{"shop-checkout / Payment", incident.StepRef{Journey: "shop-checkout", Step: "Payment"}, true},
		{"shop/s3", incident.StepRef{Journey: "shop", Step: "s3"}, true},
		{"shop / POST /cart / items", incident.StepRef{Journey: "shop", Step: "POST /cart / items"}, true},
		{"shop", incident.StepRef{}, false},
		{"shop /", incident.StepRef{}, false},
		{"/ Payment", incident.StepRef{}, false},
	}
	for _, tc := range cases {
		got, err := parseStepRef(tc.in)
		if !tc.ok {
			require.EqualError(t, err, "write journey / step, e.g. shop-checkout / Payment", tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func FuzzParseStepRef(f *testing.F) {
	for _, s := range []string{"", "shop / s3", "a/b/c", " / ", "x /\ty", "é / ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := parseStepRef(s)
		if err != nil || ref.IsZero() {
			return
		}
		// A step the form shows reads back as the same step.
		again, err := parseStepRef(ref.String())
		require.NoError(t, err)
		require.Equal(t, ref, again)
	})
}

func TestPrefillTitle(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 200)
	cases := []struct {
		trace, journey, step, err string
		want                      string
	}{
		{declinedTrace, "Shop", "s3", "card declined", "Shop / s3 failing: card declined"},
		{declinedTrace, "", "s3", " card\n declined ", "s3 failing: card declined"},
		{declinedTrace, "", "", "card declined", "card declined"},
		{declinedTrace, "Shop", "s3", "", "Shop / s3: trace abc00013"},
		{"00000000000000000000000000abcdef", "", "", "", "Trace 00000000"},
		{"", "", "", "", ""},
		{declinedTrace, "", "", long, strings.Repeat("é", 149) + "…"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, prefillTitle(tc.trace, tc.journey, tc.step, tc.err))
	}
}

func TestFormIncident(t *testing.T) {
	t.Parallel()
	f := readIncidentForm(url.Values{
		"title": {" Payments "}, "severity": {"SEV1"}, "status": {"identified"}, "started_at": {"2026-03-01 10:00"},
		"detected_at": {"soon"}, "journeys": {"shop, login  other"}, "steps": {"shop / s1\r\n\r\n bad line \r\nlogin / Login"},
		"summary": {"a\r\nb\r\n"}, "owner": {" me "},
	})
	in, errs := formIncident(f)
	require.Equal(t, map[string]string{
		"detected_at": "must be a UTC time such as 2026-03-01 10:00, or RFC 3339",
		"steps[1]":    "line 2: write journey / step, e.g. shop-checkout / Payment",
	}, errs)
	require.Equal(t, incident.Incident{
		Title: "Payments", Severity: incident.SEV1, Status: incident.StatusIdentified,
		StartedAt: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Journeys: []string{"shop", "login", "other"},
		Steps: []incident.StepRef{{Journey: "shop", Step: "s1"}, {}, {Journey: "login", Step: "Login"}},
		Owner: "me", Summary: "a\nb\n",
	}, in)
	require.Equal(t, "shop / s1\nbad line\nlogin / Login", f.Steps)

	// A stored incident fills the form so that saving it unchanged
	// changes nothing.
	stored := incident.Incident{ID: 4, Version: 3, Title: "T", Severity: incident.SEV2, Status: incident.StatusResolved,
		StartedAt: time.Date(2026, 3, 1, 10, 0, 0, 250_000_000, time.UTC), DetectedAt: time.Date(2026, 3, 1, 10, 1, 0, 0, time.UTC),
		ResolvedAt: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC), Journeys: []string{"shop"},
		Steps: []incident.StepRef{{Journey: "shop", Step: "POST /pay"}}, Owner: "o", Summary: "s\n"}
	form := incidentForm(stored)
	require.Equal(t, []string{"investigating", "resolved"}, form.Statuses)
	back, errs := formIncident(form)
	require.Empty(t, errs)
	require.Equal(t, stored, back)
}

func TestStatusOptions(t *testing.T) {
	t.Parallel()
	cases := map[incident.Status][]string{
		"":                             {"investigating", "identified", "monitoring", "resolved"},
		incident.StatusInvestigating:   {"investigating", "identified", "monitoring", "resolved"},
		incident.StatusMonitoring:      {"monitoring", "resolved"},
		incident.StatusResolved:        {"investigating", "resolved"},
		incident.Status("closed-ages"): {"closed-ages"},
	}
	for cur, want := range cases {
		require.Equal(t, want, statusOptions(cur), cur)
	}
	require.Equal(t, []incident.Status{incident.StatusIdentified, incident.StatusMonitoring, incident.StatusResolved},
		transitions(incident.StatusInvestigating))
	require.Equal(t, []incident.Status{incident.StatusInvestigating}, transitions(incident.StatusResolved))
}

// The form's fields are those the incident's validation names.
func TestIncidentFormFieldsMatchValidation(t *testing.T) {
	t.Parallel()
	in := incident.Incident{Title: strings.Repeat("x", incident.MaxTitle+1), Owner: strings.Repeat("o", incident.MaxOwner+1),
		Summary: "\x00", Severity: "x", Status: "y", Journeys: []string{"Bad!"}, Steps: []incident.StepRef{{Step: ""}}}
	var ve interface{ Paths() []string }
	require.True(t, errors.As(in.Validate(), &ve))
	f := &IncidentForm{}
	fields := map[string]string{}
	for _, p := range ve.Paths() {
		fields[p] = "m"
	}
	f.SetErrors(fields)
	require.Empty(t, f.ErrorsAt(""), "every message has a field beside which to show")
	require.Len(t, f.Errors(), len(fields))
}

// declinedTrace is a trace id of the shape the fixtures use.
const declinedTrace = "abc00013000000000000000000000013"
