package web

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/incident"
)

// The post-mortem says what differs at the incident's step.
func TestPostmortemWhatDiffers(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	id := b.openFromTrace(t, declinedTrace, url.Values{})
	md, err := b.incidents.Postmortem(context.Background(), id, incident.PostmortemOptions{})
	require.NoError(t, err)
	// The incident names s3, the last step: nothing drops after it, so
	// the draft compares its slow spans (above the p95, 300 ms to the
	// sketch's 1%) with the rest, and none of the four is above it.
	require.Contains(t, string(md), "No traffic entered in the same hours a week earlier, so there is no baseline to compare with.\n\n"+
		"#### What differs: slow s3\n\n"+
		"Shop, 2026-03-01 10:00 to 2026-03-01 10:05 UTC: 0 spans of **s3** slower than 298 ms against 4 others.\n\n"+
		"No attribute value tells the two groups apart.\n\n## Timeline")
}
