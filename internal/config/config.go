// Package config is Waymark's runtime configuration: one Config built once
// from command-line flags and WAYMARK_* environment variables, validated, and
// passed down. A flag overrides its environment variable.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/journeys"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Trace sources.
const (
	SourceEmbedded = "embedded"
	SourceTempo    = "tempo"
)

// Log formats.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// TraceIDPlaceholder is replaced by a trace id in Config.TraceURLTemplate.
const TraceIDPlaceholder = "{traceID}"

// MinAPITokenLength is the shortest API token accepted, so that a token is
// not guessable.
const MinAPITokenLength = 16

// Config is everything a Waymark process is configured with.
type Config struct {
	// DatabaseURL is the Postgres URL or key=value DSN for journeys,
	// rollups, spans and the job queue.
	DatabaseURL string
	// Listen is the host:port of the UI and API.
	Listen string
	// LogLevel and LogFormat (FormatText or FormatJSON) shape the logs.
	LogLevel  slog.Level
	LogFormat string
	// TraceSource is SourceEmbedded or SourceTempo.
	TraceSource string
	// OTLPListen is the host:port of the embedded store's OTLP/HTTP
	// receiver.
	OTLPListen string
	// SpanRetentionDays is how many days of spans the embedded store keeps.
	SpanRetentionDays int
	// Tempo is how to reach Tempo when TraceSource is SourceTempo.
	Tempo Tempo
	// PublicURL is the base URL of this Waymark in links it sends out, with
	// no trailing slash.
	PublicURL string
	// TraceURLTemplate, when set, links a trace to another UI (Grafana,
	// Tempo); it contains TraceIDPlaceholder.
	TraceURLTemplate string
	// SampleRateAttribute, when set, is a scoped span attribute (e.g.
	// span.SampleRate) holding how many spans a sampled span stands for,
	// for traffic sampled where the tracestate cannot say so (Tempo's
	// search cannot return it).
	SampleRateAttribute string
	// APIToken, when set, is accepted as a bearer token on the API with
	// every scope. Deprecated: create scoped tokens with `waymark tokens
	// create`; this stays as a bootstrap.
	APIToken string
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// ProxyAuth, when its Header is set, trusts that header for the user's
	// email on requests from ProxyCIDRs (an oauth2-proxy in front).
	ProxyAuth ProxyAuth
	// SecureCookies marks session cookies Secure; on by default when
	// PublicURL is https.
	SecureCookies bool
	// Pools are the database connection budgets of serve and worker, one
	// per class of work, so that a flood of spans cannot take the
	// connections the dashboards need, nor a slow rollup the receiver's.
	Pools Pools
	// RequestTimeout bounds one web request on the server side; its
	// context ends then, and so do its queries.
	RequestTimeout time.Duration
	// JobRescueAfter is how long a job may run before River takes it for
	// the job of a crashed worker and runs it again. Every job's own
	// timeout is shorter.
	JobRescueAfter time.Duration
}

// Pools are the connection budgets by class of work.
type Pools struct {
	// Web serves the UI and the API.
	Web Pool
	// Ingest writes spans from the OTLP receiver and applies retention.
	Ingest Pool
	// Jobs runs the job queue: rollups, backfills, SLO evaluation,
	// notifications.
	Jobs Pool
}

// Pool is one class's connection budget.
type Pool struct {
	// MaxConns is how many connections the class may hold at once.
	MaxConns int
	// StatementTimeout ends any one statement of the class that runs
	// longer (Postgres statement_timeout).
	StatementTimeout time.Duration
}

// ProxyAuth is the auth-proxy mode.
type ProxyAuth struct {
	Header      string
	CIDRs       []netip.Prefix
	DefaultRole string
}

// Tempo is the Tempo connection.
type Tempo struct {
	// URL is Tempo's HTTP API, e.g. http://tempo:3200.
	URL string
	// Tenant is sent as X-Scope-OrgID when set.
	Tenant string
	// User and Password are basic auth; Token a bearer token. At most one
	// of the two is set.
	User     string
	Password string
	Token    string
	// Timeout bounds each request.
	Timeout time.Duration
}

// TraceURL returns the link to traceID in the external trace UI, or "" when
// no template is configured.
func (c Config) TraceURL(traceID string) string {
	if c.TraceURLTemplate == "" {
		return ""
	}
	return strings.ReplaceAll(c.TraceURLTemplate, TraceIDPlaceholder, url.QueryEscape(traceID))
}

// NewLogger returns a logger writing to w at the configured level and
// format.
func (c Config) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == FormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// LogValue logs the configuration with its secrets redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.String("listen", c.Listen),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
		slog.String("trace_source", c.TraceSource),
		slog.String("otlp_listen", c.OTLPListen),
		slog.Int("span_retention_days", c.SpanRetentionDays),
		slog.String("tempo_url", redactURL(c.Tempo.URL)),
		slog.String("tempo_tenant", c.Tempo.Tenant),
		slog.Bool("tempo_basic_auth", c.Tempo.User != ""),
		slog.Bool("tempo_token", c.Tempo.Token != ""),
		slog.Duration("tempo_timeout", c.Tempo.Timeout),
		slog.String("public_url", c.PublicURL),
		slog.String("trace_url_template", c.TraceURLTemplate),
		slog.Bool("api_token", c.APIToken != ""),
		slog.String("db_pools", fmt.Sprintf("web %d/%s, ingest %d/%s, jobs %d/%s",
			c.Pools.Web.MaxConns, c.Pools.Web.StatementTimeout, c.Pools.Ingest.MaxConns, c.Pools.Ingest.StatementTimeout,
			c.Pools.Jobs.MaxConns, c.Pools.Jobs.StatementTimeout)),
		slog.Duration("request_timeout", c.RequestTimeout),
		slog.Duration("job_rescue_after", c.JobRescueAfter),
	)
}

// Group selects which settings a command takes.
type Group int

// Groups of settings. Every command takes GroupBase.
const (
	// GroupBase is the database and logging.
	GroupBase Group = 1 << iota
	// GroupServer is everything serve needs beyond GroupBase.
	GroupServer
	// GroupAll is every setting.
	GroupAll = GroupBase | GroupServer
)

// setting is one configurable value: its variable, flag, default and how
// it is checked and stored.
type setting struct {
	env   string
	def   string
	usage string
	group Group
	// secret values are redacted in -h; their checks never echo them.
	secret bool
	set    func(c *Config, v string) error
}

func (s setting) flagName() string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(s.env, "WAYMARK_")), "_", "-")
}

var settings = []setting{
	{env: "WAYMARK_DATABASE_URL", def: "postgres://postgres@127.0.0.1:5432/waymark?sslmode=disable", group: GroupBase, secret: true,
		usage: "Postgres URL or DSN",
		set: func(c *Config, v string) error {
			if v == "" {
				return errors.New("must be set")
			}
			if _, err := pgxpool.ParseConfig(v); err != nil {
				return errors.New("is not a valid Postgres URL or key=value DSN")
			}
			c.DatabaseURL = v
			return nil
		}},
	{env: "WAYMARK_LOG_LEVEL", def: "info", group: GroupBase,
		usage: "log level: debug, info, warn or error",
		set: func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "debug":
				c.LogLevel = slog.LevelDebug
			case "info":
				c.LogLevel = slog.LevelInfo
			case "warn", "warning":
				c.LogLevel = slog.LevelWarn
			case "error":
				c.LogLevel = slog.LevelError
			default:
				return fmt.Errorf("%q is not one of debug, info, warn, error", v)
			}
			return nil
		}},
	{env: "WAYMARK_LOG_FORMAT", def: FormatText, group: GroupBase,
		usage: "log format: text or json",
		set: func(c *Config, v string) error {
			if v != FormatText && v != FormatJSON {
				return fmt.Errorf("%q is not one of text, json", v)
			}
			c.LogFormat = v
			return nil
		}},
	{env: "WAYMARK_LISTEN", def: "127.0.0.1:8080", group: GroupServer,
		usage: "host:port of the web UI and API",
		set: func(c *Config, v string) error {
			if err := checkHostPort(v); err != nil {
				return err
			}
			c.Listen = v
			return nil
		}},
	{env: "WAYMARK_TRACE_SOURCE", def: SourceEmbedded, group: GroupServer,
		usage: "where spans come from: embedded or tempo",
		set: func(c *Config, v string) error {
			if v != SourceEmbedded && v != SourceTempo {
				return fmt.Errorf("%q is not one of embedded, tempo", v)
			}
			c.TraceSource = v
			return nil
		}},
	{env: "WAYMARK_OTLP_LISTEN", def: "127.0.0.1:4318", group: GroupServer,
		usage: "host:port of the embedded store's OTLP/HTTP receiver",
		set: func(c *Config, v string) error {
			if err := checkHostPort(v); err != nil {
				return err
			}
			c.OTLPListen = v
			return nil
		}},
	{env: "WAYMARK_SPAN_RETENTION_DAYS", def: "7", group: GroupServer,
		usage: "days of spans the embedded store keeps",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 3650 {
				return fmt.Errorf("%q is not a whole number of days from 1 to 3650", v)
			}
			c.SpanRetentionDays = n
			return nil
		}},
	{env: "WAYMARK_TEMPO_URL", group: GroupServer,
		usage: "Tempo's HTTP API, e.g. http://tempo:3200 (required with -trace-source tempo)",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if err := checkHTTPURL(v); err != nil {
				return err
			}
			c.Tempo.URL = strings.TrimRight(v, "/")
			return nil
		}},
	{env: "WAYMARK_TEMPO_TENANT", group: GroupServer,
		usage: "X-Scope-OrgID for multi-tenant Tempo",
		set: func(c *Config, v string) error {
			if strings.ContainsAny(v, "\r\n") {
				return errors.New("must be one line")
			}
			c.Tempo.Tenant = v
			return nil
		}},
	{env: "WAYMARK_TEMPO_USER", group: GroupServer,
		usage: "basic auth user to Tempo",
		set: func(c *Config, v string) error {
			if strings.ContainsAny(v, ":\r\n") {
				return errors.New("must be one line without ':'")
			}
			c.Tempo.User = v
			return nil
		}},
	{env: "WAYMARK_TEMPO_PASSWORD", group: GroupServer, secret: true,
		usage: "basic auth password to Tempo",
		set:   func(c *Config, v string) error { c.Tempo.Password = v; return nil }},
	{env: "WAYMARK_TEMPO_TOKEN", group: GroupServer, secret: true,
		usage: "bearer token to Tempo (instead of basic auth)",
		set: func(c *Config, v string) error {
			if strings.ContainsAny(v, " \r\n") {
				return errors.New("must not contain spaces or line breaks")
			}
			c.Tempo.Token = v
			return nil
		}},
	{env: "WAYMARK_TEMPO_TIMEOUT", def: "30s", group: GroupServer,
		usage: "per-request timeout to Tempo",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration such as 30s", v)
			}
			c.Tempo.Timeout = d
			return nil
		}},
	{env: "WAYMARK_PUBLIC_URL", group: GroupServer,
		usage: "base URL of this Waymark in links it sends out (default: http:// and WAYMARK_LISTEN, 127.0.0.1 for an unspecified host)",
		set: func(c *Config, v string) error {
			if v == "" {
				// Links must reach the server that sent them, whatever
				// port it listens on.
				c.PublicURL = listenURL(c.Listen)
				return nil
			}
			if err := checkHTTPURL(v); err != nil {
				return err
			}
			c.PublicURL = strings.TrimRight(v, "/")
			return nil
		}},
	{env: "WAYMARK_SAMPLE_RATE_ATTRIBUTE", group: GroupServer,
		usage: "span attribute holding how many spans a sampled span stands for, e.g. span.SampleRate (the embedded store also reads the tracestate's ot=th)",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if _, err := journeys.ParseKey(v); err != nil {
				return fmt.Errorf("%q is not a scoped attribute such as span.SampleRate", v)
			}
			c.SampleRateAttribute = v
			return nil
		}},
	{env: "WAYMARK_TRACE_URL_TEMPLATE", group: GroupServer,
		usage: "link to open a trace in Grafana or Tempo, containing {traceID}",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if !strings.Contains(v, TraceIDPlaceholder) {
				return fmt.Errorf("%q does not contain %s", v, TraceIDPlaceholder)
			}
			if err := checkHTTPURL(strings.ReplaceAll(v, TraceIDPlaceholder, "0")); err != nil {
				return fmt.Errorf("%q is not an http(s) URL", v)
			}
			c.TraceURLTemplate = v
			return nil
		}},
	{env: "WAYMARK_METRICS_TOKEN", group: GroupServer, secret: true,
		usage: "bearer token /metrics requires (open when empty)",
		set: func(c *Config, v string) error {
			if strings.ContainsAny(v, " \r\n") {
				return errors.New("must not contain spaces or line breaks")
			}
			c.MetricsToken = v
			return nil
		}},
	{env: "WAYMARK_AUTH_PROXY_HEADER", group: GroupServer,
		usage: "header carrying the signed-in user's email from a trusted auth proxy, e.g. X-Forwarded-Email",
		set: func(c *Config, v string) error {
			if v != "" && !validHeaderName(v) {
				return fmt.Errorf("%q is not an HTTP header name", v)
			}
			c.ProxyAuth.Header = v
			return nil
		}},
	{env: "WAYMARK_AUTH_PROXY_CIDRS", def: "127.0.0.1/32,::1/128", group: GroupServer,
		usage: "comma-separated addresses of the trusted auth proxy",
		set: func(c *Config, v string) error {
			var ps []netip.Prefix
			for _, f := range strings.Split(v, ",") {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				p, err := netip.ParsePrefix(f)
				if err != nil {
					return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", f)
				}
				ps = append(ps, p.Masked())
			}
			c.ProxyAuth.CIDRs = ps
			return nil
		}},
	{env: "WAYMARK_AUTH_PROXY_ROLE", def: "viewer", group: GroupServer,
		usage: "role of users first seen through the auth proxy: viewer, editor or admin",
		set: func(c *Config, v string) error {
			switch v {
			case "viewer", "editor", "admin":
				c.ProxyAuth.DefaultRole = v
				return nil
			}
			return fmt.Errorf("%q is not one of viewer, editor, admin", v)
		}},
	{env: "WAYMARK_SECURE_COOKIES", group: GroupServer,
		usage: "mark session cookies Secure: true or false (default: true when WAYMARK_PUBLIC_URL is https)",
		set: func(c *Config, v string) error {
			switch v {
			case "":
				c.SecureCookies = strings.HasPrefix(c.PublicURL, "https://")
			case "true":
				c.SecureCookies = true
			case "false":
				c.SecureCookies = false
			default:
				return fmt.Errorf("%q is not true or false", v)
			}
			return nil
		}},
	{env: "WAYMARK_API_TOKEN", group: GroupServer, secret: true,
		usage: "deprecated bootstrap bearer token accepted on the API with every scope",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if len(v) < MinAPITokenLength {
				return fmt.Errorf("must be at least %d characters", MinAPITokenLength)
			}
			if strings.ContainsAny(v, " \r\n") {
				return errors.New("must not contain spaces or line breaks")
			}
			c.APIToken = v
			return nil
		}},
}

func init() {
	settings = append(settings, poolSettings("WEB", "the web UI and API", "10", "5s", func(c *Config) *Pool { return &c.Pools.Web })...)
	settings = append(settings, poolSettings("INGEST", "the OTLP receiver", "4", "30s", func(c *Config) *Pool { return &c.Pools.Ingest })...)
	settings = append(settings, poolSettings("JOBS", "the job workers", "8", "2m", func(c *Config) *Pool { return &c.Pools.Jobs })...)
	settings = append(settings,
		setting{env: "WAYMARK_REQUEST_TIMEOUT", def: "20s", group: GroupServer,
			usage: "server-side bound on one web request; its queries end with it",
			set: func(c *Config, v string) error {
				d, err := positiveDuration(v)
				c.RequestTimeout = d
				return err
			}},
		setting{env: "WAYMARK_JOB_RESCUE_AFTER", def: "5m", group: GroupServer,
			usage: "how long a job may run before it is taken for a crashed worker's and run again (at least 1m)",
			set: func(c *Config, v string) error {
				d, err := positiveDuration(v)
				if err == nil && d < time.Minute {
					err = fmt.Errorf("%q is shorter than 1m", v)
				}
				c.JobRescueAfter = d
				return err
			}},
	)
}

// poolSettings are the connection budget and statement timeout of one
// class of work.
func poolSettings(class, what, conns, timeout string, pool func(*Config) *Pool) []setting {
	return []setting{
		{env: "WAYMARK_DB_" + class + "_CONNS", def: conns, group: GroupServer,
			usage: "database connections " + what + " may hold at once",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 1000 {
					return fmt.Errorf("%q is not a whole number from 1 to 1000", v)
				}
				pool(c).MaxConns = n
				return nil
			}},
		{env: "WAYMARK_DB_" + class + "_STATEMENT_TIMEOUT", def: timeout, group: GroupServer,
			usage: "longest any one database statement of " + what + " may run",
			set: func(c *Config, v string) error {
				d, err := positiveDuration(v)
				pool(c).StatementTimeout = d
				return err
			}},
	}
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 30s", v)
	}
	return d, nil
}

// validHeaderName reports whether s is an HTTP header token.
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return s != ""
}

// Loader binds settings to the flags of one command and resolves them
// against the environment once the flags are parsed.
type Loader struct {
	fs     *flag.FlagSet
	getenv func(string) string
	group  Group
	vals   map[string]*string
}

// Bind registers on fs a flag for every setting in group (e.g.
// WAYMARK_TEMPO_URL becomes -tempo-url) and returns the Loader that resolves
// them. getenv is os.Getenv outside tests.
func Bind(fs *flag.FlagSet, getenv func(string) string, group Group) *Loader {
	l := &Loader{fs: fs, getenv: getenv, group: group, vals: map[string]*string{}}
	for _, s := range settings {
		if s.group&group == 0 {
			continue
		}
		usage := s.usage + " (env " + s.env + ")"
		def := s.def
		if s.secret && def != "" {
			def = redactURL(def)
		}
		v := new(string)
		fs.StringVar(v, s.flagName(), "", usage)
		if def != "" {
			// The default is shown in -h without being the flag's own
			// default, so that "flag unset" falls through to the env.
			f := fs.Lookup(s.flagName())
			f.DefValue = def
		}
		l.vals[s.env] = v
	}
	return l
}

// Load returns the validated Config, after fs.Parse. A flag overrides its
// variable, a variable the default. Settings outside the Loader's group keep
// their defaults. The error is one line naming the setting, e.g.
// `WAYMARK_LISTEN: "abc" is not host:port`.
func (l *Loader) Load() (Config, error) {
	set := map[string]bool{}
	l.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var c Config
	for _, s := range settings {
		v := s.def
		if s.group&l.group != 0 {
			if e := l.getenv(s.env); e != "" {
				v = e
			}
			if set[s.flagName()] {
				v = *l.vals[s.env]
			}
		}
		if err := s.set(&c, strings.TrimSpace(v)); err != nil {
			return Config{}, settingError(s, err)
		}
	}
	if l.group&GroupServer != 0 {
		if err := c.checkTempo(); err != nil {
			return Config{}, err
		}
	}
	return c, nil
}

// Parse builds a Config from args (flags for every setting) and the
// environment.
func Parse(args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("waymark", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	l := Bind(fs, getenv, GroupAll)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return l.Load()
}

// checkTempo checks the settings that depend on each other.
func (c Config) checkTempo() error {
	t := c.Tempo
	switch {
	case c.TraceSource == SourceTempo && t.URL == "":
		return errors.New("WAYMARK_TEMPO_URL: required when WAYMARK_TRACE_SOURCE is tempo")
	case t.Token != "" && (t.User != "" || t.Password != ""):
		return errors.New("WAYMARK_TEMPO_TOKEN: set either it or WAYMARK_TEMPO_USER/WAYMARK_TEMPO_PASSWORD, not both")
	case t.Password != "" && t.User == "":
		return errors.New("WAYMARK_TEMPO_PASSWORD: set without WAYMARK_TEMPO_USER")
	case t.User != "" && t.Password == "":
		return errors.New("WAYMARK_TEMPO_USER: set without WAYMARK_TEMPO_PASSWORD")
	}
	return nil
}

func settingError(s setting, err error) error {
	return fmt.Errorf("%s: %s", s.env, err.Error())
}

// listenURL is the URL a browser on this machine reaches a server
// listening on addr by: an unspecified host (":8080", "0.0.0.0:8080",
// "[::]:8080") is the loopback address.
func listenURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://127.0.0.1:8080"
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func checkHostPort(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("%q is not host:port", v)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no valid port", v)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q is not host:port", v)
	}
	return nil
}

func checkHTTPURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", redactURL(v))
	}
	return nil
}

// redactURL hides a password in a URL; other strings pass through.
func redactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		if strings.Contains(v, "password") {
			return "(redacted)"
		}
		return v
	}
	return u.Redacted()
}
