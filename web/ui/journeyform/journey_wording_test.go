package journeyform

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFieldLabelNamesFieldsAsTheFormDoes(t *testing.T) {
	for path, want := range map[string]string{
		"metadata.slug":                      "Slug",
		"correlation.window":                 "Conversion window",
		"segments[2]":                        "Segments",
		"steps":                              "Steps",
		"steps[0]":                           "Step 1",
		"steps[1].match.service":             "Step 2 service",
		"steps[2].match.spanRegex":           "Step 3 span name regex",
		"steps[0].match.attributes[1]":       "Step 1 attribute matchers, line 2",
		"steps[0].match.attributes[0].value": "Step 1 attribute matchers, line 1",
		"slos[0].objective":                  "SLO 1 objective",
		"slos[3]":                            "SLO 4",
		"document":                           "document",
	} {
		require.Equal(t, want, FieldLabel(path), path)
	}
}

func TestFormMessagesNumberRowsAsTheFormDoes(t *testing.T) {
	got := formMessages(map[string]string{
		"steps":         "must have 2 to 20 steps, has 0",
		"steps[2].name": `duplicate step name "Pay", also steps[0]`,
		"slos[1].name":  `duplicate SLO name "x", also slos[0]`,
		"metadata.slug": "must be lowercase",
	}, 0)
	require.Equal(t, map[string]string{
		"steps":         "a journey needs at least 2 steps; fill in the service or span name of each (none is filled in)",
		"steps[2].name": `duplicate step name "Pay", also step 1`,
		"slos[1].name":  `duplicate SLO name "x", also SLO 1`,
		"metadata.slug": "must be lowercase",
	}, got)
	require.Equal(t, "a journey needs at least 2 steps; fill in the service or span name of each (1 is filled in)",
		formMessages(map[string]string{"steps": "must have 2 to 20 steps, has 1"}, 1)["steps"])
}
