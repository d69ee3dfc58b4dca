package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/journeys"
)

// The SLO list and detail name their fields alike: state_since,
// state_reason, numbers_at (when the numbers were computed) and durations
// in words (window "28d", resolve_after "15m", cohort_delay "10m"). The
// names they had before (the list's since, reason and evaluated_at as the
// numbers' time, the detail's at, and the *_ns durations) are kept for one
// release, listed under "deprecated" with what replaces them.

// deprecatedNote is what each deprecated field's entry says.
const deprecatedNote = "deprecated, removed in the next release: use %s"

// sloObject is an alerting value as a JSON object, to add fields to.
func sloObject(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode SLO: %w", err)
	}
	m := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("encode SLO: %w", err)
	}
	return m, nil
}

func durationWords(d time.Duration) string { return journeys.NewDuration(d).String() }

// durations adds the durations in words, and deprecates their _ns forms.
func durations(m map[string]any, dep map[string]string, window, resolveAfter, cohortDelay time.Duration) {
	m["window"] = durationWords(window)
	m["resolve_after"] = durationWords(resolveAfter)
	dep["window_ns"] = fmt.Sprintf(deprecatedNote, "window")
	dep["resolve_after_ns"] = fmt.Sprintf(deprecatedNote, "resolve_after")
	if cohortDelay > 0 {
		m["cohort_delay"] = durationWords(cohortDelay)
		dep["cohort_delay_ns"] = fmt.Sprintf(deprecatedNote, "cohort_delay")
	}
}

// sloStateOut is one SLO of the list, with the unified names.
func sloStateOut(s sloeval.SLOState) (map[string]any, error) {
	m, err := sloObject(s)
	if err != nil {
		return nil, err
	}
	dep := map[string]string{"reason": fmt.Sprintf(deprecatedNote, "state_reason")}
	m["state_reason"] = s.Reason
	if !s.Since.IsZero() {
		m["state_since"] = s.Since
		dep["since"] = fmt.Sprintf(deprecatedNote, "state_since")
	}
	if !s.EvaluatedAt.IsZero() {
		// The list's numbers are those of the latest evaluation.
		m["numbers_at"] = s.EvaluatedAt
	}
	durations(m, dep, s.Window, s.ResolveAfter, s.CohortDelay)
	m["deprecated"] = dep
	return m, nil
}

// sloStatusOut is an SLO's detail, with the unified names.
func sloStatusOut(s sloeval.Status) (map[string]any, error) {
	m, err := sloObject(s)
	if err != nil {
		return nil, err
	}
	dep := map[string]string{"at": fmt.Sprintf(deprecatedNote, "numbers_at")}
	m["numbers_at"] = s.At
	durations(m, dep, s.Window, s.ResolveAfter, s.CohortDelay)
	m["deprecated"] = dep
	return m, nil
}
