package config_test

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/config"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func defaults() config.Config {
	return config.Config{
		DatabaseURL:       "postgres://postgres@127.0.0.1:5432/waymark?sslmode=disable",
		Listen:            "127.0.0.1:8080",
		LogLevel:          slog.LevelInfo,
		LogFormat:         "text",
		TraceSource:       "embedded",
		OTLPListen:        "127.0.0.1:4318",
		SpanRetentionDays: 7,
		Tempo:             config.Tempo{Timeout: 30 * time.Second},
		PublicURL:         "http://127.0.0.1:8080",
		ProxyAuth: config.ProxyAuth{
			CIDRs:       []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
			DefaultRole: "viewer",
		},
		Pools: config.Pools{
			Web:    config.Pool{MaxConns: 10, StatementTimeout: 5 * time.Second},
			Ingest: config.Pool{MaxConns: 4, StatementTimeout: 30 * time.Second},
			Jobs:   config.Pool{MaxConns: 8, StatementTimeout: 2 * time.Minute},
		},
		RequestTimeout: 20 * time.Second,
		JobRescueAfter: 5 * time.Minute,
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  []string
		want func(c *config.Config)
	}{
		{name: "defaults", want: func(c *config.Config) {}},
		{name: "public url follows the listen address", env: []string{"WAYMARK_LISTEN", "127.0.0.1:9090"},
			want: func(c *config.Config) { c.Listen, c.PublicURL = "127.0.0.1:9090", "http://127.0.0.1:9090" }},
		{name: "public url of an unspecified host is loopback", env: []string{"WAYMARK_LISTEN", ":8181"},
			want: func(c *config.Config) { c.Listen, c.PublicURL = ":8181", "http://127.0.0.1:8181" }},
		{name: "public url of all IPv6 addresses", env: []string{"WAYMARK_LISTEN", "[::]:8282"},
			want: func(c *config.Config) { c.Listen, c.PublicURL = "[::]:8282", "http://[::1]:8282" }},
		{name: "public url set wins over the listen address", env: []string{"WAYMARK_LISTEN", "0.0.0.0:9090", "WAYMARK_PUBLIC_URL", "https://w.example.com"},
			want: func(c *config.Config) {
				c.Listen, c.PublicURL, c.SecureCookies = "0.0.0.0:9090", "https://w.example.com", true
			}},
		{
			name: "budgets",
			args: []string{"-db-ingest-conns", "2", "-request-timeout", "3s"},
			env: []string{"WAYMARK_DB_WEB_CONNS", "20", "WAYMARK_DB_JOBS_STATEMENT_TIMEOUT", "10m",
				"WAYMARK_DB_WEB_STATEMENT_TIMEOUT", "750ms", "WAYMARK_JOB_RESCUE_AFTER", "2m"},
			want: func(c *config.Config) {
				c.Pools.Web = config.Pool{MaxConns: 20, StatementTimeout: 750 * time.Millisecond}
				c.Pools.Ingest.MaxConns = 2
				c.Pools.Jobs.StatementTimeout = 10 * time.Minute
				c.RequestTimeout = 3 * time.Second
				c.JobRescueAfter = 2 * time.Minute
			},
		},
		{
			name: "env",
			env: []string{
				"WAYMARK_DATABASE_URL", "host=db user=waymark dbname=w",
				"WAYMARK_LISTEN", ":9000",
				"WAYMARK_LOG_LEVEL", "DEBUG",
				"WAYMARK_LOG_FORMAT", "json",
				"WAYMARK_TRACE_SOURCE", "tempo",
				"WAYMARK_OTLP_LISTEN", "0.0.0.0:4318",
				"WAYMARK_SPAN_RETENTION_DAYS", "30",
				"WAYMARK_TEMPO_URL", "https://tempo.example.com:3200/",
				"WAYMARK_TEMPO_TENANT", "shop",
				"WAYMARK_TEMPO_USER", "u",
				"WAYMARK_TEMPO_PASSWORD", "p w",
				"WAYMARK_TEMPO_TIMEOUT", "1m30s",
				"WAYMARK_PUBLIC_URL", "https://waymark.example.com/",
				"WAYMARK_TRACE_URL_TEMPLATE", "https://grafana.example.com/explore?trace={traceID}",
				"WAYMARK_API_TOKEN", "0123456789abcdef",
			},
			want: func(c *config.Config) {
				c.DatabaseURL = "host=db user=waymark dbname=w"
				c.Listen = ":9000"
				c.LogLevel = slog.LevelDebug
				c.LogFormat = "json"
				c.TraceSource = "tempo"
				c.OTLPListen = "0.0.0.0:4318"
				c.SpanRetentionDays = 30
				c.Tempo = config.Tempo{URL: "https://tempo.example.com:3200", Tenant: "shop", User: "u", Password: "p w", Timeout: 90 * time.Second}
				c.PublicURL = "https://waymark.example.com"
				c.SecureCookies = true // https public URL
				c.TraceURLTemplate = "https://grafana.example.com/explore?trace={traceID}"
				c.APIToken = "0123456789abcdef"
			},
		},
		{
			name: "flag overrides env",
			args: []string{"-listen", "127.0.0.1:1", "-log-level=warn", "-trace-source", "tempo", "-tempo-url", "http://tempo:3200", "-tempo-token", "tok"},
			env:  []string{"WAYMARK_LISTEN", "127.0.0.1:2", "WAYMARK_LOG_LEVEL", "error", "WAYMARK_TEMPO_URL", "http://other:3200"},
			want: func(c *config.Config) {
				c.Listen = "127.0.0.1:1"
				// Links follow the listen address the flag set.
				c.PublicURL = "http://127.0.0.1:1"
				c.LogLevel = slog.LevelWarn
				c.TraceSource = "tempo"
				c.Tempo.URL = "http://tempo:3200"
				c.Tempo.Token = "tok"
			},
		},
		{
			name: "empty env falls back to default",
			env:  []string{"WAYMARK_LISTEN", ""},
			want: func(c *config.Config) {},
		},
		{
			name: "tempo url without tempo source is kept",
			env:  []string{"WAYMARK_TEMPO_URL", "http://tempo:3200"},
			want: func(c *config.Config) { c.Tempo.URL = "http://tempo:3200" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := config.Parse(tt.args, env(tt.env...))
			require.NoError(t, err)
			want := defaults()
			tt.want(&want)
			require.Equal(t, want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"listen not host:port", nil, []string{"WAYMARK_LISTEN", "abc"}, `WAYMARK_LISTEN: "abc" is not host:port`},
		{"listen bad port", nil, []string{"WAYMARK_LISTEN", "127.0.0.1:99999"}, `WAYMARK_LISTEN: "127.0.0.1:99999" has no valid port`},
		{"listen flag", []string{"-listen", "8080"}, nil, `WAYMARK_LISTEN: "8080" is not host:port`},
		{"listen empty flag", []string{"-listen="}, nil, `WAYMARK_LISTEN: "" is not host:port`},
		{"otlp listen", nil, []string{"WAYMARK_OTLP_LISTEN", "localhost:http"}, `WAYMARK_OTLP_LISTEN: "localhost:http" has no valid port`},
		{"database url", nil, []string{"WAYMARK_DATABASE_URL", "postgres://u:secret@host:notaport/db"}, `WAYMARK_DATABASE_URL: is not a valid Postgres URL or key=value DSN`},
		{"database url empty flag", []string{"-database-url", ""}, nil, `WAYMARK_DATABASE_URL: must be set`},
		{"log level", nil, []string{"WAYMARK_LOG_LEVEL", "loud"}, `WAYMARK_LOG_LEVEL: "loud" is not one of debug, info, warn, error`},
		{"log format", nil, []string{"WAYMARK_LOG_FORMAT", "xml"}, `WAYMARK_LOG_FORMAT: "xml" is not one of text, json`},
		{"trace source", nil, []string{"WAYMARK_TRACE_SOURCE", "jaeger"}, `WAYMARK_TRACE_SOURCE: "jaeger" is not one of embedded, tempo`},
		{"tempo without url", nil, []string{"WAYMARK_TRACE_SOURCE", "tempo"}, `WAYMARK_TEMPO_URL: required when WAYMARK_TRACE_SOURCE is tempo`},
		{"tempo url scheme", nil, []string{"WAYMARK_TEMPO_URL", "tempo:3200"}, `WAYMARK_TEMPO_URL: "tempo:3200" is not an http(s) URL`},
		{"tempo url password redacted", nil, []string{"WAYMARK_TEMPO_URL", "ftp://u:secret@tempo"}, `WAYMARK_TEMPO_URL: "ftp://u:xxxxx@tempo" is not an http(s) URL`},
		{"tempo token and basic", nil, []string{"WAYMARK_TEMPO_TOKEN", "t", "WAYMARK_TEMPO_USER", "u", "WAYMARK_TEMPO_PASSWORD", "p"}, `WAYMARK_TEMPO_TOKEN: set either it or WAYMARK_TEMPO_USER/WAYMARK_TEMPO_PASSWORD, not both`},
		{"tempo token and password", nil, []string{"WAYMARK_TEMPO_TOKEN", "t", "WAYMARK_TEMPO_PASSWORD", "p"}, `WAYMARK_TEMPO_TOKEN: set either it or WAYMARK_TEMPO_USER/WAYMARK_TEMPO_PASSWORD, not both`},
		{"tempo password alone", nil, []string{"WAYMARK_TEMPO_PASSWORD", "p"}, `WAYMARK_TEMPO_PASSWORD: set without WAYMARK_TEMPO_USER`},
		{"tempo user alone", nil, []string{"WAYMARK_TEMPO_USER", "u"}, `WAYMARK_TEMPO_USER: set without WAYMARK_TEMPO_PASSWORD`},
		{"tempo user colon", nil, []string{"WAYMARK_TEMPO_USER", "a:b"}, `WAYMARK_TEMPO_USER: must be one line without ':'`},
		{"tempo tenant newline", nil, []string{"WAYMARK_TEMPO_TENANT", "a\nb"}, `WAYMARK_TEMPO_TENANT: must be one line`},
		{"tempo token space", nil, []string{"WAYMARK_TEMPO_TOKEN", "a b"}, `WAYMARK_TEMPO_TOKEN: must not contain spaces or line breaks`},
		{"tempo timeout", nil, []string{"WAYMARK_TEMPO_TIMEOUT", "30"}, `WAYMARK_TEMPO_TIMEOUT: "30" is not a positive duration such as 30s`},
		{"tempo timeout negative", nil, []string{"WAYMARK_TEMPO_TIMEOUT", "-1s"}, `WAYMARK_TEMPO_TIMEOUT: "-1s" is not a positive duration such as 30s`},
		{"web conns", nil, []string{"WAYMARK_DB_WEB_CONNS", "0"}, `WAYMARK_DB_WEB_CONNS: "0" is not a whole number from 1 to 1000`},
		{"ingest statement timeout", nil, []string{"WAYMARK_DB_INGEST_STATEMENT_TIMEOUT", "0s"}, `WAYMARK_DB_INGEST_STATEMENT_TIMEOUT: "0s" is not a positive duration such as 30s`},
		{"request timeout", nil, []string{"WAYMARK_REQUEST_TIMEOUT", "5"}, `WAYMARK_REQUEST_TIMEOUT: "5" is not a positive duration such as 30s`},
		{"rescue too short", nil, []string{"WAYMARK_JOB_RESCUE_AFTER", "30s"}, `WAYMARK_JOB_RESCUE_AFTER: "30s" is shorter than 1m`},
		{"retention", nil, []string{"WAYMARK_SPAN_RETENTION_DAYS", "0"}, `WAYMARK_SPAN_RETENTION_DAYS: "0" is not a whole number of days from 1 to 3650`},
		{"retention text", nil, []string{"WAYMARK_SPAN_RETENTION_DAYS", "7d"}, `WAYMARK_SPAN_RETENTION_DAYS: "7d" is not a whole number of days from 1 to 3650`},
		{"public url", nil, []string{"WAYMARK_PUBLIC_URL", "/waymark"}, `WAYMARK_PUBLIC_URL: "/waymark" is not an http(s) URL`},
		{"trace template without placeholder", nil, []string{"WAYMARK_TRACE_URL_TEMPLATE", "https://g/explore"}, `WAYMARK_TRACE_URL_TEMPLATE: "https://g/explore" does not contain {traceID}`},
		{"trace template not a URL", nil, []string{"WAYMARK_TRACE_URL_TEMPLATE", "grafana/{traceID}"}, `WAYMARK_TRACE_URL_TEMPLATE: "grafana/{traceID}" is not an http(s) URL`},
		{"api token short", nil, []string{"WAYMARK_API_TOKEN", "short"}, `WAYMARK_API_TOKEN: must be at least 16 characters`},
		{"api token space", nil, []string{"WAYMARK_API_TOKEN", "0123456789 abcdef"}, `WAYMARK_API_TOKEN: must not contain spaces or line breaks`},
		{"metrics token space", nil, []string{"WAYMARK_METRICS_TOKEN", "a b"}, `WAYMARK_METRICS_TOKEN: must not contain spaces or line breaks`},
		{"proxy header", nil, []string{"WAYMARK_AUTH_PROXY_HEADER", "X Email"}, `WAYMARK_AUTH_PROXY_HEADER: "X Email" is not an HTTP header name`},
		{"proxy cidrs", nil, []string{"WAYMARK_AUTH_PROXY_CIDRS", "10.0.0.0/8, proxy"}, `WAYMARK_AUTH_PROXY_CIDRS: "proxy" is not a CIDR such as 10.0.0.0/8`},
		{"proxy role", nil, []string{"WAYMARK_AUTH_PROXY_ROLE", "owner"}, `WAYMARK_AUTH_PROXY_ROLE: "owner" is not one of viewer, editor, admin`},
		{"secure cookies", nil, []string{"WAYMARK_SECURE_COOKIES", "yes"}, `WAYMARK_SECURE_COOKIES: "yes" is not true or false`},
		{"unknown flag", []string{"-nope"}, nil, `flag provided but not defined: -nope`},
		{"stray argument", []string{"serve"}, nil, `unexpected argument "serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse(tt.args, env(tt.env...))
			require.EqualError(t, err, tt.want)
			require.NotContains(t, err.Error(), "\n")
			require.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestBindGroup(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	l := config.Bind(fs, env("WAYMARK_LISTEN", "abc", "WAYMARK_LOG_FORMAT", "json"), config.GroupBase)
	require.Nil(t, fs.Lookup("listen"), "server settings are not flags of a base command")
	require.NoError(t, fs.Parse([]string{"-database-url", "postgres://db/x"}))
	c, err := l.Load()
	require.NoError(t, err, "a bad server setting does not stop a base command")
	want := defaults()
	want.DatabaseURL = "postgres://db/x"
	want.LogFormat = "json"
	require.Equal(t, want, c)
}

func TestUsageShowsDefaultsWithoutSecrets(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	config.Bind(fs, env(), config.GroupAll)
	fs.PrintDefaults()
	out := buf.String()
	require.Contains(t, out, `-listen string`)
	require.Contains(t, out, `host:port of the web UI and API (env WAYMARK_LISTEN) (default "127.0.0.1:8080")`)
	require.Contains(t, out, `(env WAYMARK_TEMPO_TOKEN)`)
	require.Equal(t, 30, strings.Count(out, "(env WAYMARK_"))
	require.Contains(t, out, `database connections the OTLP receiver may hold at once (env WAYMARK_DB_INGEST_CONNS) (default "4")`)
}

func TestTraceURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tmpl, id, want string
	}{
		{"", "abc", ""},
		{"https://g/explore?left={traceID}&x={traceID}", "00ab", "https://g/explore?left=00ab&x=00ab"},
		{"https://g/t/{traceID}", "a b&c", "https://g/t/a+b%26c"},
	}
	for _, tt := range tests {
		c := config.Config{TraceURLTemplate: tt.tmpl}
		require.Equal(t, tt.want, c.TraceURL(tt.id))
	}
}

func TestLogger(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	c := defaults()
	c.LogFormat = "json"
	c.LogLevel = slog.LevelWarn
	c.DatabaseURL = "postgres://u:hunter2@db/x"
	c.APIToken = "0123456789abcdef"
	log := c.NewLogger(&buf)
	log.Info("hidden")
	log.Warn("shown", "config", c)
	out := buf.String()
	require.NotContains(t, out, "hidden")
	require.Contains(t, out, `"msg":"shown"`)
	require.Contains(t, out, `"database_url":"postgres://u:xxxxx@db/x"`)
	require.Contains(t, out, `"api_token":true`)
	require.NotContains(t, out, "hunter2")
	require.NotContains(t, out, "0123456789abcdef")
}
