package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

func FuzzIncidentBody(f *testing.F) {
	for _, s := range []string{
		`{"title": "T", "severity": "SEV1", "started_at": "2026-03-01T10:00:00Z", "steps": [{"journey": "a", "step": "b"}]}`,
		`{"title": 5}`, `{"x": 1}`, `[]`, `{`, `null`, `{} {}`, `{"started_at": "nope"}`, `{"step": {"journey": 1}}`,
		`{"version": 1e400}`, `"x"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/incidents", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var in apiIncidentInput
		err := httpx.DecodeJSON(r, &in, "incident")
		if err == nil {
			_, err = in.incident()
			if err == nil {
				return
			}
			err = incidenthttp.Err(err)
		}
		// Bad input is always the client's fault, told as such.
		he := httpx.Classify(err)
		require.Contains(t, []int{http.StatusBadRequest, http.StatusUnprocessableEntity}, he.Status, "%s: %v", he.Msg, err)
		require.NotEmpty(t, he.Msg)
	})
}
