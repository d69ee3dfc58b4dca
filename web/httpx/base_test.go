package httpx

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRecoverPanics(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	b := &Base{Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	boom := b.RecoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret detail")
	}))
	for _, target := range []string{"/journeys", "/api/v1/journeys"} {
		rec := httptest.NewRecorder()
		boom.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		require.Equal(t, http.StatusInternalServerError, rec.Code, target)
		require.NotContains(t, rec.Body.String(), "secret detail")
		require.NotContains(t, rec.Body.String(), "goroutine")
	}
	require.Contains(t, logs.String(), `"panic":"secret detail"`)
	require.Contains(t, logs.String(), `"stack":"goroutine`)

	rec := httptest.NewRecorder()
	boom.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/journeys", nil))
	require.JSONEq(t, `{"error":{"message":"internal server error"}}`, rec.Body.String())
}

func TestTraceURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		template, id, want string
	}{
		{"", "0af7651916cd43dd8448eb211c80319c", "/traces/0af7651916cd43dd8448eb211c80319c"},
		{"https://grafana.example/explore?traceId={traceID}", "0af7651916cd43dd8448eb211c80319c",
			"https://grafana.example/explore?traceId=0af7651916cd43dd8448eb211c80319c"},
		{"https://t.example/{traceID}?again={traceID}", "a&b", "https://t.example/a%26b?again=a%26b"},
	}
	for _, tc := range cases {
		b := &Base{TraceURLTemplate: tc.template}
		require.Equal(t, tc.want, b.TraceURL(tc.id))
		wantExternal := tc.want
		if tc.template == "" {
			wantExternal = ""
		}
		require.Equal(t, wantExternal, b.ExternalTraceURL(tc.id))
	}
}
