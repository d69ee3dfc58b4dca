package web

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSLOAPIsNameFieldsAlike: the list and the detail of an SLO use the
// same names and durations in words; the old names stay for a release,
// each listed as deprecated with its replacement.
func TestSLOAPIsNameFieldsAlike(t *testing.T) {
	t.Parallel()
	b := setupSLO(t, nil)
	b.seedIncident(t)
	rec := b.do(t, http.MethodGet, "/api/v1/journeys/shop/slos", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var list struct {
		SLOs []map[string]any `json:"slos"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	first := list.SLOs[0]
	require.Equal(t, "pay-success", first["slo"])
	require.Equal(t, sloT0.Format(time.RFC3339), first["state_since"])
	require.Equal(t, first["since"], first["state_since"])
	require.Equal(t, first["reason"], first["state_reason"])
	require.NotEmpty(t, first["state_reason"])
	require.Equal(t, first["evaluated_at"], first["numbers_at"])
	require.Equal(t, "1d", list.SLOs[1]["window"])
	require.Equal(t, float64(24*time.Hour), list.SLOs[1]["window_ns"])
	require.Equal(t, "15m", first["resolve_after"])
	require.Equal(t, map[string]any{
		"reason":           "deprecated, removed in the next release: use state_reason",
		"since":            "deprecated, removed in the next release: use state_since",
		"window_ns":        "deprecated, removed in the next release: use window",
		"resolve_after_ns": "deprecated, removed in the next release: use resolve_after",
	}, first["deprecated"])

	rec = b.do(t, http.MethodGet, "/api/v1/journeys/shop/slos/pay-success", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var detail map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &detail))
	for _, k := range []string{"state_since", "state_reason", "numbers_at", "window", "resolve_after"} {
		require.Contains(t, detail, k)
	}
	require.Equal(t, first["state_since"], detail["state_since"])
	require.Equal(t, first["window"], detail["window"])
	require.Equal(t, detail["at"], detail["numbers_at"])
	require.Equal(t, map[string]any{
		"at":               "deprecated, removed in the next release: use numbers_at",
		"window_ns":        "deprecated, removed in the next release: use window",
		"resolve_after_ns": "deprecated, removed in the next release: use resolve_after",
	}, detail["deprecated"])
}
