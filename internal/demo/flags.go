package demo

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
)

// ParseFlags builds the configuration of `waymark demo` from its arguments
// (without the command name), starting from LiveDemoConfig. -h returns an
// error wrapping flag.ErrHelp; print Usage then.
func ParseFlags(args []string) (LiveConfig, error) {
	cfg := LiveDemoConfig()
	fs := newFlagSet(&cfg)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return LiveConfig{}, fmt.Errorf("demo flags: %w", err)
	}
	if fs.NArg() > 0 {
		return LiveConfig{}, fmt.Errorf("demo flags: unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.validate(); err != nil {
		return LiveConfig{}, fmt.Errorf("demo flags: %w", err)
	}
	return cfg, nil
}

// Usage writes the flags ParseFlags accepts, with their defaults.
func Usage(w io.Writer) {
	cfg := LiveDemoConfig()
	fs := newFlagSet(&cfg)
	fs.SetOutput(w)
	fmt.Fprintln(w, "Usage: waymark demo [flags]")
	fmt.Fprintln(w, "Sends synthetic online-shop traffic (login → browse → add to cart → checkout → payment) over OTLP/HTTP.")
	fs.PrintDefaults()
}

func newFlagSet(cfg *LiveConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("waymark demo", flag.ContinueOnError)
	b := &cfg.Model.BadDeploy
	fs.StringVar(&cfg.Endpoint, "endpoint", cfg.Endpoint, "OTLP/HTTP endpoint: the embedded receiver, Tempo's distributor or a collector (host:port or URL; /v1/traces is added when the URL has no path)")
	fs.Var(headerFlag{cfg}, "header", "`key=value` header sent with every export, e.g. X-Scope-OrgID=shop (repeatable)")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "sessions started per second, on average (over a weekday with -daily)")
	fs.Int64Var(&cfg.Model.Seed, "seed", cfg.Model.Seed, "random seed; 0 seeds from the clock so that restarts never reuse trace or session ids")
	fs.IntVar(&cfg.Model.Users, "users", cfg.Model.Users, "number of distinct users")
	fs.DurationVar(&cfg.Backfill, "backfill", cfg.Backfill, "send this much history first (0 for none)")
	fs.StringVar(&cfg.TruthPath, "truth", cfg.TruthPath, "write the exact truth of what was sent to this JSON file on exit")
	fs.BoolVar(&b.Enabled, "bad-deploy", b.Enabled, "script a bad deploy: one step on one app version fails often and slowly for a while")
	fs.StringVar(&b.Step, "bad-deploy-step", b.Step, "step the bad deploy hurts (login, browse, add_to_cart, checkout, payment)")
	fs.StringVar(&b.Version, "bad-deploy-version", b.Version, "app.version the bad deploy hurts")
	fs.DurationVar(&b.After, "bad-deploy-after", b.After, "the bad deploy starts this long after the demo")
	fs.DurationVar(&b.For, "bad-deploy-for", b.For, "how long the bad deploy lasts")
	fs.DurationVar(&b.Every, "bad-deploy-every", b.Every, "repeat the bad deploy this often (0 for once)")
	fs.Float64Var(&b.ErrorRate, "bad-deploy-error-rate", b.ErrorRate, "error rate of the hurt step during the bad deploy")
	fs.Float64Var(&b.Latency, "bad-deploy-latency", b.Latency, "latency multiplier of the hurt step during the bad deploy")
	fs.StringVar(&b.ServiceVersion, "bad-deploy-service-version", b.ServiceVersion, "service.version of the hurt step's service during the bad deploy, as its deploy marker names it (empty keeps its usual version)")
	d := &cfg.Model.Daily
	fs.BoolVar(&d.Enabled, "daily", d.Enabled, "make the session rate follow the time of day: a quarter of the peak at night, the peak at 13:00, an evening shoulder")
	fs.StringVar(&d.Zone, "zone", d.Zone, "IANA time zone whose clock the daily pattern follows, e.g. Europe/Paris")
	fs.Float64Var(&d.Weekend, "weekend", d.Weekend, "multiply the session rate by this on Saturdays and Sundays (with -daily)")
	a := &cfg.Model.AnomalySchedule
	fs.BoolVar(&a.Enabled, "anomaly", a.Enabled, "inject anomalies that no deploy explains: for 20 to 60 minutes at a seeded time, one step's conversion drops or its latency rises for one segment")
	fs.DurationVar(&a.Every, "anomaly-every", a.Every, "one anomaly in every this long of traffic")
	fs.Var(sampleFlag{&cfg.Model.Sample}, "sample", "send each session with this probability `P` in (0, 1], by its trace randomness; sent spans carry the tracestate threshold ot=th:… so that counts can be adjusted")
	fs.BoolVar(&cfg.Model.PropagationBreak.Enabled, "propagation-break", cfg.Model.PropagationBreak.Enabled,
		"script a release of auth_svc that loses trace context on one hop: its password check starts a trace of its own (waymark check fails on that traffic)")
	return fs
}

// sampleFlag is a keep probability in (0, 1].
type sampleFlag struct{ p *float64 }

func (f sampleFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strconv.FormatFloat(*f.p, 'g', -1, 64)
}

func (f sampleFlag) Set(s string) error {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(p) || p <= 0 || p > 1 {
		return errors.New("want a probability in (0, 1]")
	}
	*f.p = p
	return nil
}

// headerFlag adds one header per -header flag.
type headerFlag struct{ cfg *LiveConfig }

func (h headerFlag) String() string {
	if h.cfg == nil {
		return ""
	}
	var parts []string
	for k := range h.cfg.Headers {
		// Values may be credentials: never echo them.
		parts = append(parts, k+"=…")
	}
	return strings.Join(parts, ",")
}

func (h headerFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok || !validHeaderName(k) {
		return errors.New("want key=value with an HTTP header name as key")
	}
	if strings.ContainsAny(v, "\r\n\x00") {
		return errors.New("header value must not contain line breaks or NUL")
	}
	if h.cfg.Headers == nil {
		h.cfg.Headers = map[string]string{}
	}
	h.cfg.Headers[k] = v
	return nil
}

// LogValue keeps header values (possibly credentials) out of logs when a
// LiveConfig is logged.
func (c LiveConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", c.Endpoint),
		slog.Float64("rate", c.Rate),
		slog.Int64("seed", c.Model.Seed),
		slog.Duration("backfill", c.Backfill),
		slog.String("truth", c.TruthPath),
		slog.Int("headers", len(c.Headers)),
		slog.Bool("bad_deploy", c.Model.BadDeploy.Enabled),
		slog.Bool("daily", c.Model.Daily.Enabled),
		slog.Bool("anomaly", c.Model.AnomalySchedule.Enabled),
		slog.Float64("sample", c.Model.Sample),
		slog.Bool("propagation_break", c.Model.PropagationBreak.Enabled),
	)
}
