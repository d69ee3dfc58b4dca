package incident

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

func validIncident() Incident {
	return Incident{
		Title:      "Payments failing on app 1.5.0",
		Severity:   SEV2,
		Status:     StatusInvestigating,
		StartedAt:  t0,
		DetectedAt: t0.Add(5 * time.Minute),
		Journeys:   []string{"shop-checkout"},
		Steps:      []StepRef{{Journey: "shop-checkout", Step: "Payment"}},
		Owner:      "alice",
		Summary:    "Payments failed.\n\n- one\n- two",
	}
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *journeys.ValidationError
	require.True(t, errors.As(err, &ve), "want a *journeys.ValidationError, got %T: %v", err, err)
	require.ErrorIs(t, err, journeys.ErrInvalid)
	return ve.Fields
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Incident)
		want   map[string]string
	}{
		{"valid", func(*Incident) {}, nil},
		{"missing title", func(in *Incident) { in.Title = "  " }, map[string]string{"title": "required"}},
		{"long title", func(in *Incident) { in.Title = strings.Repeat("é", 201) }, map[string]string{"title": "must be at most 200 characters"}},
		{"title of 200", func(in *Incident) { in.Title = strings.Repeat("é", 200) }, nil},
		{"title with newline", func(in *Incident) { in.Title = "a\nb" }, map[string]string{"title": "must not contain control characters"}},
		{"bad utf-8", func(in *Incident) { in.Title = "a\xffb" }, map[string]string{"title": "must be valid UTF-8"}},
		{"severity", func(in *Incident) { in.Severity = "SEV5" }, map[string]string{"severity": "must be SEV1, SEV2, SEV3 or SEV4"}},
		{"lowercase severity", func(in *Incident) { in.Severity = "sev1" }, map[string]string{"severity": "must be SEV1, SEV2, SEV3 or SEV4"}},
		{"status", func(in *Incident) { in.Status = "closed" }, map[string]string{"status": statusMessage}},
		{"no start", func(in *Incident) { in.StartedAt = time.Time{} }, map[string]string{"started_at": "required"}},
		{"detected before start", func(in *Incident) { in.DetectedAt = t0.Add(-time.Second) }, map[string]string{"detected_at": "must not be before the start"}},
		{"no detection", func(in *Incident) { in.DetectedAt = time.Time{} }, map[string]string{"detected_at": "required"}},
		{"resolved without time", func(in *Incident) { in.Status = StatusResolved }, map[string]string{"resolved_at": "required when resolved"}},
		{"resolution while open", func(in *Incident) { in.ResolvedAt = t0.Add(time.Hour) }, map[string]string{"resolved_at": "must be empty until the incident is resolved"}},
		{"resolved before start", func(in *Incident) {
			in.Status, in.ResolvedAt = StatusResolved, t0.Add(-time.Minute)
		}, map[string]string{"resolved_at": "must not be before the start"}},
		{"resolved", func(in *Incident) { in.Status, in.ResolvedAt = StatusResolved, t0.Add(time.Hour) }, nil},
		{"bad slug", func(in *Incident) { in.Journeys = append(in.Journeys, "Shop Checkout") }, map[string]string{
			"journeys[1]": "must be a journey slug: 1 to 64 lowercase letters, digits or dashes"}},
		{"slug twice", func(in *Incident) { in.Journeys = append(in.Journeys, "shop-checkout") }, map[string]string{
			"journeys[1]": `lists "shop-checkout" twice`}},
		{"step of another journey", func(in *Incident) { in.Steps = append(in.Steps, StepRef{"login-flow", "Login request"}) }, map[string]string{
			"steps[1].journey": `"login-flow" is not one of the incident's journeys`}},
		{"step without journey", func(in *Incident) { in.Steps = append(in.Steps, StepRef{Step: "Login"}) }, map[string]string{
			"steps[1].journey": "required"}},
		{"step without name", func(in *Incident) { in.Steps[0].Step = "" }, map[string]string{"steps[0].step": "required"}},
		{"step twice", func(in *Incident) { in.Steps = append(in.Steps, in.Steps[0]) }, map[string]string{
			"steps[1].step": "lists shop-checkout / Payment twice"}},
		{"summary of 20000", func(in *Incident) { in.Summary = strings.Repeat("x", MaxSummary) }, nil},
		{"long summary", func(in *Incident) { in.Summary = strings.Repeat("x", MaxSummary+1) }, map[string]string{
			"summary": "must be at most 20000 characters"}},
		{"summary with a bell", func(in *Incident) { in.Summary = "a\x07" }, map[string]string{
			"summary": "must not contain control characters other than newlines and tabs"}},
		{"long owner", func(in *Incident) { in.Owner = strings.Repeat("o", 101) }, map[string]string{"owner": "must be at most 100 characters"}},
		{"everything wrong", func(in *Incident) { *in = Incident{Status: "x"} }, map[string]string{
			"title": "required", "severity": "must be SEV1, SEV2, SEV3 or SEV4", "status": statusMessage, "started_at": "required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := validIncident()
			tt.change(&in)
			require.Equal(t, tt.want, fieldsOf(t, in.Validate()))
		})
	}
}

func TestCheckTransition(t *testing.T) {
	t.Parallel()
	// want[from][to]: "" allowed, else the message.
	I, D, M, R := StatusInvestigating, StatusIdentified, StatusMonitoring, StatusResolved
	tests := []struct {
		from, to Status
		want     string
	}{
		{I, I, ""}, {I, D, ""}, {I, M, ""}, {I, R, ""},
		{D, I, "cannot go from identified back to investigating"}, {D, D, ""}, {D, M, ""}, {D, R, ""},
		{M, I, "cannot go from monitoring back to investigating"}, {M, D, "cannot go from monitoring back to identified"}, {M, M, ""}, {M, R, ""},
		{R, I, ""},
		{R, D, "cannot go from resolved to identified: a resolved incident reopens as investigating"},
		{R, M, "cannot go from resolved to monitoring: a resolved incident reopens as investigating"},
		{R, R, ""},
		{I, "done", statusMessage},
		{"", I, `current status "" is unknown`},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+"→"+string(tt.to), func(t *testing.T) {
			t.Parallel()
			err := CheckTransition(tt.from, tt.to)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Equal(t, map[string]string{"status": tt.want}, fieldsOf(t, err))
		})
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 12, 0, 0, 123456789, time.UTC)
	paris := time.FixedZone("CET", 3600)
	in := Incident{
		Title:     "  Slow payments \t",
		Owner:     " bob ",
		Status:    StatusResolved,
		StartedAt: time.Date(2026, 3, 2, 10, 0, 0, 999, paris),
		Journeys:  []string{"login-flow"},
		Steps:     []StepRef{{"shop-checkout", "Payment"}, {"login-flow", "Login request"}, {"shop-checkout", "Checkout"}},
	}
	in.Normalize(now)
	want := Incident{
		Title:      "Slow payments",
		Owner:      "bob",
		Status:     StatusResolved,
		StartedAt:  time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
		DetectedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
		ResolvedAt: time.Date(2026, 3, 2, 12, 0, 0, 123456000, time.UTC),
		Journeys:   []string{"login-flow", "shop-checkout"},
		Steps:      in.Steps,
	}
	require.Equal(t, want, in)

	var empty Incident
	empty.Normalize(now)
	require.Equal(t, Incident{Status: StatusInvestigating}, empty)
}

func TestIncidentEnd(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.FixedZone("X", -7200))
	require.Equal(t, now.UTC(), Incident{}.End(now))
	require.Equal(t, t0, Incident{ResolvedAt: t0}.End(now))
}

func FuzzValidate(f *testing.F) {
	f.Add("title", "SEV1", "investigating", "shop-checkout", "Payment", "summary", int64(0), int64(60))
	f.Add("", "SEV9", "resolved", "Bad Slug", "", "\x00", int64(-5), int64(-10))
	f.Add(strings.Repeat("t", 300), "", "", "", "x", "", int64(1), int64(0))
	f.Fuzz(func(t *testing.T, title, sev, status, journey, step, summary string, detect, resolve int64) {
		in := Incident{
			Title: title, Severity: Severity(sev), Status: Status(status),
			StartedAt: t0, DetectedAt: t0.Add(time.Duration(detect) * time.Second),
			Journeys: []string{journey}, Steps: []StepRef{{journey, step}}, Summary: summary,
		}
		if resolve != 0 {
			in.ResolvedAt = t0.Add(time.Duration(resolve) * time.Second)
		}
		in.Normalize(t0)
		err := in.Validate()
		if err != nil {
			var ve *journeys.ValidationError
			require.True(t, errors.As(err, &ve))
			require.NotEmpty(t, ve.Fields)
		}
		_ = CheckTransition(Status(status), StatusResolved)
	})
}
