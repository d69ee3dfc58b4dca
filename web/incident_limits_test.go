package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestIncidentAPIRefusesHugeLists: a body near the size limit listing
// 100,000 journeys is refused at once, naming the field and its limit,
// rather than spending seconds checking the slugs pairwise.
func TestIncidentAPIRefusesHugeLists(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)

	slugs := make([]string, 100_000)
	for i := range slugs {
		slugs[i] = fmt.Sprintf("jy%d", i)
	}
	list, err := json.Marshal(slugs)
	require.NoError(t, err)
	body := `{"title": "Payments failing", "severity": "SEV1", "started_at": "2026-03-01T10:00:30Z", "journeys": ` + string(list) + `}`
	require.Greater(t, len(body), 980_000)
	require.Less(t, len(body), MaxBodyBytes)

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/incidents", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if b.acc != nil {
		req.AddCookie(b.acc.session)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	took := time.Since(start)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, string(got))
	require.JSONEq(t, `{"error": {"message": "invalid incident", "fields": {"journeys": "must list at most 20 journeys, lists 100000"}}}`, string(got))
	// Decoding the megabyte dominates; the check itself is constant.
	require.Less(t, took, 5*time.Second)
	var n int
	require.NoError(t, b.pool.QueryRow(t.Context(), `SELECT count(*) FROM incidents`).Scan(&n))
	require.Zero(t, n)
}
