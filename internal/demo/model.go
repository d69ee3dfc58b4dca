// Package demo generates synthetic online-shop traffic with exact ground
// truth: sessions that log in, browse, add to cart, check out and pay, each
// step its own trace on its own service, sent over OTLP/HTTP.
//
// One model serves two modes. Plan builds every span of a past window up
// front from a seed (tests, backfill), and its Truth says exactly what was
// sent, so that every number Waymark shows can be checked. Run keeps starting
// sessions in real time for `waymark demo`. Both include a scripted bad
// deploy: for a while, payments on one app version fail often and slowly.
// Optionally the start rate follows the time of day, anomalies that are
// not deploys hit one step of one segment for a while, sessions are
// sampled, and a service version loses trace context on one hop; the
// truth lists each of them.
package demo

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/waymarkhq/waymark/journeys"
)

// Span attribute keys the generator writes. Root spans carry all session
// attributes; child spans carry AttrSessionID only.
const (
	AttrSessionID  = "session.id"
	AttrUserID     = "user.id"
	AttrUserTier   = "user.tier"
	AttrRegion     = "region"
	AttrAppVersion = "app.version"
	AttrOrderTotal = "order.total"
	AttrStatusCode = "http.response.status_code"
)

// segmentKeys are the span attributes the truth breaks numbers down by.
var segmentKeys = [...]string{AttrUserTier, AttrRegion, AttrAppVersion}

// SegmentKeys returns the span attributes the truth breaks numbers down by.
func SegmentKeys() []string { return append([]string(nil), segmentKeys[:]...) }

// NumSteps is the length of the shop funnel.
const NumSteps = 5

// Step keys, in funnel order.
const (
	StepLogin     = "login"
	StepBrowse    = "browse"
	StepAddToCart = "add_to_cart"
	StepCheckout  = "checkout"
	StepPayment   = "payment"
)

// StepInfo describes one funnel step: the service that serves it, its root
// SERVER span and the children inside that root.
type StepInfo struct {
	Key            string
	Service        string
	ServiceVersion string
	Method         string
	Route          string
	Children       []ChildInfo
}

// ChildInfo is a CLIENT or INTERNAL span inside a step's root span.
type ChildInfo struct {
	Name  string
	Kind  trace.SpanKind
	Attrs []attribute.KeyValue
	// Share is the child's duration as a fraction of its root's, before a
	// ±20% jitter.
	Share float64
}

// SpanName is the root span's name, e.g. "POST /login".
func (s StepInfo) SpanName() string { return s.Method + " " + s.Route }

// Pattern matches the step's root spans.
func (s StepInfo) Pattern() journeys.Pattern {
	return journeys.Pattern{Service: s.Service, Span: s.SpanName(), Kind: trace.SpanKindServer.String()}
}

// ChildPattern matches the step's child spans of one name.
func (s StepInfo) ChildPattern(name string) journeys.Pattern {
	return journeys.Pattern{Service: s.Service, Span: name}
}

// shop is the funnel, built once; Steps hands out copies so that callers
// cannot change it.
var shop = buildSteps()

func buildSteps() [NumSteps]StepInfo {
	pg := func(op string) []attribute.KeyValue {
		return []attribute.KeyValue{attribute.String("db.system.name", "postgresql"), attribute.String("db.operation.name", op)}
	}
	call := func(host, method string) []attribute.KeyValue {
		return []attribute.KeyValue{attribute.String("server.address", host), attribute.String("http.request.method", method)}
	}
	return [NumSteps]StepInfo{
		{StepLogin, "auth_svc", "3.2.1", "POST", "/login", []ChildInfo{
			{"SELECT users", trace.SpanKindClient, pg("SELECT"), 0.35},
			{"verify_password", trace.SpanKindInternal, nil, 0.40},
		}},
		{StepBrowse, "product_svc", "5.0.4", "GET", "/products", []ChildInfo{
			{"GET /search", trace.SpanKindClient, call("search.internal", "GET"), 0.55},
			{"render_listing", trace.SpanKindInternal, nil, 0.25},
		}},
		{StepAddToCart, "cart_svc", "2.7.0", "POST", "/cart/items", []ChildInfo{
			{"redis SET", trace.SpanKindClient, []attribute.KeyValue{attribute.String("db.system.name", "redis"), attribute.String("db.operation.name", "SET")}, 0.30},
		}},
		{StepCheckout, "checkout_svc", "1.9.3", "POST", "/checkout", []ChildInfo{
			{"SELECT inventory", trace.SpanKindClient, pg("SELECT"), 0.30},
			{"compute_totals", trace.SpanKindInternal, nil, 0.30},
		}},
		{StepPayment, "payment_svc", PaymentVersion, "POST", "/payments", []ChildInfo{
			{"POST /psp/charge", trace.SpanKindClient, call("psp.example.com", "POST"), 0.70},
			{"fraud_check", trace.SpanKindInternal, nil, 0.15},
		}},
	}
}

// Steps returns the shop funnel in order.
func Steps() []StepInfo {
	out := make([]StepInfo, 0, NumSteps)
	for _, s := range shop {
		s.Children = slices.Clone(s.Children)
		for i := range s.Children {
			s.Children[i].Attrs = slices.Clone(s.Children[i].Attrs)
		}
		out = append(out, s)
	}
	return out
}

// StepIndex returns the 0-based position of a step key, or -1.
func StepIndex(key string) int {
	for i, s := range shop {
		if s.Key == key {
			return i
		}
	}
	return -1
}

// Weighted is one value of a session attribute and its relative weight.
type Weighted struct {
	Value  string  `json:"value"`
	Weight float64 `json:"weight"`
}

// SegmentRate overrides a step's error rate for sessions whose segment
// attribute Key (user.tier, region or app.version) equals Value.
type SegmentRate struct {
	Key   string  `json:"key"`
	Value string  `json:"value"`
	Rate  float64 `json:"rate"`
}

// StepModel is how one step behaves.
type StepModel struct {
	// Continue is the probability that a session goes on to the next step
	// after this one succeeded, before the tier multiplier. The last step's
	// is ignored.
	Continue float64 `json:"continue"`
	// ErrorRate is the probability that the step's root span fails; an
	// error ends the session.
	ErrorRate float64 `json:"error_rate"`
	// ErrorRateBy overrides ErrorRate per segment; the first match wins.
	ErrorRateBy []SegmentRate `json:"error_rate_by,omitempty"`
	// Median and Sigma shape the lognormal root span duration.
	Median time.Duration `json:"median"`
	Sigma  float64       `json:"sigma"`
	// TierLatency multiplies Median per user tier; a missing tier is 1.
	TierLatency map[string]float64 `json:"tier_latency,omitempty"`
	// ErrorLatency multiplies the duration of a failed root span, because
	// failing calls often wait for a timeout.
	ErrorLatency float64 `json:"error_latency"`
}

// The payment service's releases: the one it runs, and the bad one the
// scripted deploy ships (and its deploy marker names).
const (
	PaymentVersion    = "4.1.0"
	BadPaymentVersion = "4.2.0"
)

// BadDeploy scripts an incident: while active, one step of sessions on one
// app version fails at ErrorRate and is Latency times slower.
type BadDeploy struct {
	Enabled bool   `json:"enabled"`
	Step    string `json:"step"`
	Version string `json:"version"`
	// The deploy is active from After past the traffic's start, for For,
	// and again every Every when Every > 0 (long-running demos). A step is
	// affected when its root span starts while the deploy is active.
	After     time.Duration `json:"after"`
	For       time.Duration `json:"for"`
	Every     time.Duration `json:"every,omitempty"`
	ErrorRate float64       `json:"error_rate"`
	Latency   float64       `json:"latency"`
	// ServiceVersion is the service.version the step's service reports
	// while the deploy is active (the release the deploy marker names);
	// empty keeps the step's usual version.
	ServiceVersion string `json:"service_version,omitempty"`
}

// active reports whether the deploy is active at t for traffic starting at
// start.
func (b BadDeploy) active(start, t time.Time) bool {
	return b.Enabled && scheduleActive(b.After, b.For, b.Every, start, t)
}

// scheduleActive reports whether a schedule that is on from after past
// start, for dur, and again every every when every > 0, is on at t.
func scheduleActive(after, dur, every time.Duration, start, t time.Time) bool {
	d := t.Sub(start) - after
	if d < 0 {
		return false
	}
	if every > 0 {
		d %= every
	}
	return d < dur
}

// Window is a half-open time interval [From, To).
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// windows lists the deploy's active intervals that overlap [start, end).
func (b BadDeploy) windows(start, end time.Time) []Window {
	if !b.Enabled {
		return nil
	}
	return scheduleWindows(b.After, b.For, b.Every, start, end)
}

// scheduleWindows lists a schedule's intervals (see scheduleActive) that
// start before end.
func scheduleWindows(after, dur, every time.Duration, start, end time.Time) []Window {
	var out []Window
	for from := start.Add(after); from.Before(end); from = from.Add(every) {
		out = append(out, Window{From: from, To: from.Add(dur)})
		if every <= 0 {
			break
		}
	}
	return out
}

// Config is the traffic model. Start, Duration and Sessions only matter to
// Plan; Run starts sessions at its own rate from the time it starts.
type Config struct {
	// Seed makes the traffic reproducible: the same Config gives the same
	// ids, timestamps and durations.
	Seed int64 `json:"seed"`
	// Sessions start uniformly in [Start, Start+Duration). A step that would
	// not end before Start+Duration is not sent: the session is cut, as it
	// would be in flight at that moment.
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	Sessions int           `json:"sessions"`
	// Users is the number of distinct users; each session picks one.
	Users    int        `json:"users"`
	Tiers    []Weighted `json:"tiers"`
	Regions  []Weighted `json:"regions"`
	Versions []Weighted `json:"versions"`
	// TierContinue multiplies every step's Continue for a tier (a missing
	// tier is 1); the product is capped at ContinueCap.
	TierContinue map[string]float64 `json:"tier_continue,omitempty"`
	ContinueCap  float64            `json:"continue_cap"`
	// Think time between the end of one step and the start of the next is
	// uniform in [ThinkMin, ThinkMax].
	ThinkMin time.Duration `json:"think_min"`
	ThinkMax time.Duration `json:"think_max"`
	// Each session's order total (on payment root spans) is uniform in
	// [OrderMin, OrderMax], in whole cents.
	OrderMin  float64             `json:"order_min"`
	OrderMax  float64             `json:"order_max"`
	Steps     [NumSteps]StepModel `json:"steps"`
	BadDeploy BadDeploy           `json:"bad_deploy"`
	// Daily makes the session start rate follow the time of day; off,
	// sessions start uniformly.
	Daily DailyPattern `json:"daily"`
	// Anomalies are scripted at fixed times, AnomalySchedule places more
	// at seeded ones; none is a deploy.
	Anomalies       []Anomaly       `json:"anomalies,omitempty"`
	AnomalySchedule AnomalySchedule `json:"anomaly_schedule"`
	// Sample is the probability that a session is sent, in [0, 1]; 0
	// and 1 send every session. Sent spans carry their sampling
	// threshold; the truth stays that of the whole traffic.
	Sample float64 `json:"sample,omitempty"`
	// PropagationBreak scripts a service version that loses trace
	// context on one hop.
	PropagationBreak PropagationBreak `json:"propagation_break"`
	// Environment is the deployment.environment resource attribute
	// (default "prod"). A run that must find its own spans again in a
	// shared backend gives it a value of its own.
	Environment string `json:"environment,omitempty"`
}

// DefaultConfig is the demo shop: 2000 sessions over 30 minutes with a bad
// deploy of app 1.5.0 hurting payments from minute 10 to minute 20. Start
// must still be set before Plan. The daily pattern, the anomaly schedule
// and the propagation break are set up but off, and every session is
// sent, so that a plan's traffic stays what it was before they existed.
func DefaultConfig() Config {
	ms := time.Millisecond
	base := func(cont, errRate float64, median time.Duration, sigma float64) StepModel {
		return StepModel{Continue: cont, ErrorRate: errRate, Median: median, Sigma: sigma, ErrorLatency: 1}
	}
	c := Config{
		Seed:         1,
		Duration:     30 * time.Minute,
		Sessions:     2000,
		Users:        1200,
		Tiers:        []Weighted{{"free", 0.6}, {"pro", 0.3}, {"enterprise", 0.1}},
		Regions:      []Weighted{{"eu", 0.45}, {"us", 0.55}},
		Versions:     []Weighted{{"1.4.0", 0.5}, {"1.5.0", 0.5}},
		TierContinue: map[string]float64{"free": 0.9, "pro": 1.0, "enterprise": 1.1},
		ContinueCap:  0.99,
		ThinkMin:     3 * time.Second,
		ThinkMax:     60 * time.Second,
		OrderMin:     12.50,
		OrderMax:     400.00,
		Steps: [NumSteps]StepModel{
			base(0.90, 0.02, 80*ms, 0.45),
			base(0.70, 0.02, 120*ms, 0.50),
			base(0.60, 0.02, 60*ms, 0.40),
			base(0.85, 0.03, 200*ms, 0.50),
			base(0, 0.03, 350*ms, 0.55),
		},
		BadDeploy: BadDeploy{
			Enabled:   true,
			Step:      StepPayment,
			Version:   "1.5.0",
			After:     10 * time.Minute,
			For:       10 * time.Minute,
			ErrorRate: 0.15,
			Latency:   2,
		},
		Daily: DailyPattern{Night: 0.25, Weekend: 1, Zone: "UTC"},
		AnomalySchedule: AnomalySchedule{
			Every:            3 * time.Hour,
			MinFor:           20 * time.Minute,
			MaxFor:           60 * time.Minute,
			ConversionFactor: 0.4,
			LatencyFactor:    3,
		},
		PropagationBreak: PropagationBreak{
			Step:    StepLogin,
			Span:    "verify_password",
			Version: "3.3.0",
			Fixed:   "3.3.1",
			After:   10 * time.Minute,
			For:     10 * time.Minute,
		},
	}
	pay := &c.Steps[StepIndex(StepPayment)]
	pay.TierLatency = map[string]float64{"free": 2.5, "pro": 1.2}
	pay.ErrorLatency = 1.5
	return c
}

// Limits that keep a mistyped number from exhausting memory.
const (
	maxSessions = 10_000_000
	maxUsers    = 10_000_000
	maxDuration = 400 * 24 * time.Hour
	// minSample is one in 2^56, the finest a sampling threshold can say.
	minSample = 1.0 / (1 << randomnessBits)
)

func checkProb(name string, p float64) error {
	if math.IsNaN(p) || p < 0 || p > 1 {
		return fmt.Errorf("%s must be in [0, 1], got %v", name, p)
	}
	return nil
}

func checkMult(name string, m float64) error {
	if math.IsNaN(m) || math.IsInf(m, 0) || m <= 0 || m > 1000 {
		return fmt.Errorf("%s must be in (0, 1000], got %v", name, m)
	}
	return nil
}

func checkWeights(name string, ws []Weighted) error {
	if len(ws) == 0 {
		return fmt.Errorf("%s: at least one value is required", name)
	}
	seen := map[string]bool{}
	var sum float64
	for _, w := range ws {
		if w.Value == "" {
			return fmt.Errorf("%s: empty value", name)
		}
		if seen[w.Value] {
			return fmt.Errorf("%s: duplicate value %q", name, w.Value)
		}
		seen[w.Value] = true
		if math.IsNaN(w.Weight) || math.IsInf(w.Weight, 0) || w.Weight < 0 {
			return fmt.Errorf("%s: weight of %q must be a non-negative number, got %v", name, w.Value, w.Weight)
		}
		sum += w.Weight
	}
	if sum <= 0 || math.IsInf(sum, 0) {
		return fmt.Errorf("%s: weights must add up to a positive number", name)
	}
	return nil
}

// validateModel checks what both Plan and Run use.
func (c Config) validateModel() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if c.Users < 1 || c.Users > maxUsers {
		add(fmt.Errorf("users must be in [1, %d], got %d", maxUsers, c.Users))
	}
	add(checkWeights("tiers", c.Tiers))
	add(checkWeights("regions", c.Regions))
	add(checkWeights("versions", c.Versions))
	for t, m := range c.TierContinue {
		add(checkMult(fmt.Sprintf("tier_continue[%s]", t), m))
	}
	add(checkProb("continue_cap", c.ContinueCap))
	if c.ThinkMin < 0 || c.ThinkMax < c.ThinkMin || c.ThinkMax > time.Hour {
		add(fmt.Errorf("think time must satisfy 0 <= think_min (%s) <= think_max (%s) <= 1h", c.ThinkMin, c.ThinkMax))
	}
	if math.IsNaN(c.OrderMin) || math.IsNaN(c.OrderMax) || c.OrderMin < 0 || c.OrderMax < c.OrderMin || c.OrderMax > 1e9 {
		add(fmt.Errorf("order totals must satisfy 0 <= order_min (%v) <= order_max (%v) <= 1e9", c.OrderMin, c.OrderMax))
	}
	for i, s := range c.Steps {
		name := fmt.Sprintf("steps[%s]", shop[i].Key)
		add(checkProb(name+".continue", s.Continue))
		add(checkProb(name+".error_rate", s.ErrorRate))
		for _, r := range s.ErrorRateBy {
			if !isSegmentKey(r.Key) {
				add(fmt.Errorf("%s.error_rate_by: unknown segment key %q (want one of %v)", name, r.Key, segmentKeys))
			}
			add(checkProb(fmt.Sprintf("%s.error_rate_by[%s=%s]", name, r.Key, r.Value), r.Rate))
		}
		if s.Median < time.Microsecond || s.Median > time.Hour {
			add(fmt.Errorf("%s.median must be in [1µs, 1h], got %s", name, s.Median))
		}
		if math.IsNaN(s.Sigma) || s.Sigma < 0 || s.Sigma > 3 {
			add(fmt.Errorf("%s.sigma must be in [0, 3], got %v", name, s.Sigma))
		}
		for t, m := range s.TierLatency {
			add(checkMult(fmt.Sprintf("%s.tier_latency[%s]", name, t), m))
		}
		add(checkMult(name+".error_latency", s.ErrorLatency))
	}
	if b := c.BadDeploy; b.Enabled {
		if StepIndex(b.Step) < 0 {
			add(fmt.Errorf("bad_deploy.step: unknown step %q", b.Step))
		}
		if b.Version == "" {
			add(errors.New("bad_deploy.version is required"))
		}
		if b.After < 0 || b.For <= 0 || b.Every < 0 || (b.Every > 0 && b.Every < b.For) {
			add(fmt.Errorf("bad_deploy timing must satisfy after >= 0, for > 0 and every = 0 or every >= for (after %s, for %s, every %s)", b.After, b.For, b.Every))
		}
		add(checkProb("bad_deploy.error_rate", b.ErrorRate))
		add(checkMult("bad_deploy.latency", b.Latency))
	}
	add(c.Daily.validate())
	for i, a := range c.Anomalies {
		add(a.validate(fmt.Sprintf("anomalies[%d]", i)))
	}
	add(c.AnomalySchedule.validate())
	add(checkProb("sample", c.Sample))
	if c.Sample > 0 && c.Sample < minSample {
		add(fmt.Errorf("sample must be 0 (send everything) or at least 2^-56, got %v", c.Sample))
	}
	add(c.PropagationBreak.validate())
	return errors.Join(errs...)
}

// validate checks a Config for Plan.
func (c Config) validate() error {
	var errs []error
	if c.Start.IsZero() {
		errs = append(errs, errors.New("start is required"))
	}
	if c.Duration <= 0 || c.Duration > maxDuration {
		errs = append(errs, fmt.Errorf("duration must be in (0, %s], got %s", maxDuration, c.Duration))
	}
	if c.Sessions < 0 || c.Sessions > maxSessions {
		errs = append(errs, fmt.Errorf("sessions must be in [0, %d], got %d", maxSessions, c.Sessions))
	}
	if err := c.validateModel(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func isSegmentKey(k string) bool {
	for _, s := range segmentKeys {
		if s == k {
			return true
		}
	}
	return false
}
