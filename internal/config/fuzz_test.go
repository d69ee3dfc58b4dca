package config_test

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/config"
)

// FuzzParse feeds arbitrary values to the settings with the most parsing:
// a bad value never panics and is reported on one line naming the setting;
// a good one satisfies what the rest of Waymark relies on.
func FuzzParse(f *testing.F) {
	f.Add("127.0.0.1:8080", "30s", "7", "https://g/explore?t={traceID}", "http://tempo:3200", "embedded")
	f.Add("abc", "-1s", "0", "{traceID}", "tempo:3200", "tempo")
	f.Add("[::1]:0", "1h", "3650", "", "", "")
	f.Add(":99999", "1e9h", "+7", "http://%zz/{traceID}", "http://u:p@h/", "EMBEDDED")
	f.Add("\x00:1", "0", " 7 ", "https://\n/{traceID}", "https://[::1]:3200", "embedded\n")
	f.Fuzz(func(t *testing.T, listen, timeout, days, tmpl, tempoURL, source string) {
		c, err := config.Parse(nil, env(
			"WAYMARK_LISTEN", listen,
			"WAYMARK_TEMPO_TIMEOUT", timeout,
			"WAYMARK_SPAN_RETENTION_DAYS", days,
			"WAYMARK_TRACE_URL_TEMPLATE", tmpl,
			"WAYMARK_TEMPO_URL", tempoURL,
			"WAYMARK_TRACE_SOURCE", source,
		))
		if err != nil {
			msg := err.Error()
			require.True(t, strings.HasPrefix(msg, "WAYMARK_"), msg)
			require.NotContains(t, msg, "\n")
			return
		}
		_, _, err = net.SplitHostPort(c.Listen)
		require.NoError(t, err)
		require.Positive(t, c.Tempo.Timeout)
		require.GreaterOrEqual(t, c.SpanRetentionDays, 1)
		require.Contains(t, []string{"embedded", "tempo"}, c.TraceSource)
		if c.TraceSource == "tempo" {
			require.NotEmpty(t, c.Tempo.URL)
		}
		if c.TraceURLTemplate != "" {
			require.Contains(t, c.TraceURLTemplate, "{traceID}")
		}
	})
}
