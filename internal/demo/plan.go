package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// EndReason says why a session stopped.
type EndReason string

// Why sessions stop.
const (
	EndCompleted EndReason = "completed" // paid
	EndDropped   EndReason = "dropped"   // left after a successful step
	EndError     EndReason = "error"     // a step failed
	// EndInFlight is a session cut by the end of the planned window or of a
	// live run: its next step had not finished yet.
	EndInFlight EndReason = "in_flight"
)

// Session is one visit of one user to the shop.
type Session struct {
	ID         string
	UserID     string
	Tier       string
	Region     string
	AppVersion string
	// OrderCents is the order total carried by payment spans, in cents.
	OrderCents int64
	Start      time.Time
	End        EndReason
	// Steps is how many funnel steps the session reached, i.e. its number
	// of traces.
	Steps int
	// Randomness is the session's 56-bit sampling randomness, that of its
	// first trace's id; Sampled says whether the session is sent (always,
	// unless Config.Sample is below 1).
	Randomness uint64
	Sampled    bool
}

// Segment returns the session's value of a segment key (user.tier, region,
// app.version), or "".
func (s *Session) Segment(key string) string {
	switch key {
	case AttrUserTier:
		return s.Tier
	case AttrRegion:
		return s.Region
	case AttrAppVersion:
		return s.AppVersion
	}
	return ""
}

// Trace is one step of one session: a root SERVER span and its children.
type Trace struct {
	ID      trace.TraceID
	Session *Session
	// Step is the 0-based funnel position (Steps()[Step]).
	Step int
	// ServiceVersion is the service.version of the step's service when the
	// trace was sent: Steps()[Step].ServiceVersion unless a propagation
	// break changed it.
	ServiceVersion string
	// Spans holds the root first, then its children in start order.
	Spans []Span
}

// TraceIDOf is the id of the trace sp was sent in: the trace's, unless the
// span lost its trace context and started one of its own.
func (t *Trace) TraceIDOf(sp *Span) trace.TraceID {
	if sp.TraceID.IsValid() {
		return sp.TraceID
	}
	return t.ID
}

// Root returns the trace's root span.
func (t *Trace) Root() *Span { return &t.Spans[0] }

// Span is one span exactly as sent.
type Span struct {
	ID trace.SpanID
	// TraceID is zero, except for a span that lost its trace context (see
	// PropagationBreak): the id of the trace it started, of which it is the
	// root.
	TraceID trace.TraceID
	// Parent is zero for a root span.
	Parent        trace.SpanID
	Name          string
	Kind          trace.SpanKind
	Start         time.Time
	End           time.Time
	Error         bool
	StatusMessage string
	Attrs         []attribute.KeyValue
}

// Duration is End - Start.
func (s *Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Traffic is a planned batch of sessions, ready to send, with its truth.
// It is immutable once planned; the slices it returns must not be modified.
type Traffic struct {
	cfg       Config
	sessions  []*Session
	traces    []*Trace
	anomalies []Anomaly
	curve     *rateCurve
}

// Config returns the configuration the traffic was planned from.
func (t *Traffic) Config() Config { return t.cfg }

// Sessions returns every session in planning order.
func (t *Traffic) Sessions() []*Session { return t.sessions }

// Traces returns every trace in planning order (session by session).
func (t *Traffic) Traces() []*Trace { return t.traces }

// Anomalies returns the anomalies active in the window, fixed and
// scheduled, in start order.
func (t *Traffic) Anomalies() []Anomaly { return t.anomalies }

// End is the end of the planned window, cfg.Start+cfg.Duration. Every span
// starts and ends before it.
func (t *Traffic) End() time.Time { return t.cfg.Start.Add(t.cfg.Duration) }

// Plan builds every session, trace and span of cfg's window. It is fully
// deterministic: the same Config gives the same ids, timestamps and
// durations.
func Plan(cfg Config) (*Traffic, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("plan traffic: %w", err)
	}
	// Monotonic readings and zones would make equal plans compare unequal.
	cfg.Start = cfg.Start.Round(0).UTC()
	cfg.Anomalies = slices.Clone(cfg.Anomalies)
	for i := range cfg.Anomalies {
		a := &cfg.Anomalies[i]
		a.From, a.To = a.From.Round(0).UTC(), a.To.Round(0).UTC()
	}
	p := newPlanner(cfg, cfg.Start)
	end := cfg.Start.Add(cfg.Duration)
	// Anomalies of every slot that starts inside the window.
	p.scheduleUntil(end.Add(-1))
	tr := &Traffic{cfg: cfg, sessions: make([]*Session, 0, cfg.Sessions), curve: p.curve}
	// With a daily pattern, each session's uniform draw is mapped through
	// the pattern's distribution over the window: the same draws, denser
	// where the rate is higher.
	var cdf *windowCDF
	if p.curve.on {
		cdf = newWindowCDF(p.curve, cfg.Start, end)
	}
	for i := range cfg.Sessions {
		off := p.rng.Int64N(int64(cfg.Duration))
		start := cfg.Start.Add(time.Duration(off))
		if cdf != nil {
			start = cdf.at(float64(off) / float64(cfg.Duration))
		}
		s, traces := p.session(i, start, end)
		tr.sessions = append(tr.sessions, s)
		tr.traces = append(tr.traces, traces...)
	}
	tr.anomalies = anomaliesIn(p.anomalies, cfg.Start, end)
	return tr, nil
}

type user struct {
	id, tier, region string
}

// planner draws sessions for both batch and live traffic, so that they
// share the model exactly. Users and session start times come from one
// stream; each session's content from a stream of its own, seeded by its
// index, so that a change of one probability changes the sessions it
// touches and no other.
type planner struct {
	cfg   Config
	rng   *rand.Rand
	start time.Time // where bad deploy, break and schedule offsets count from
	steps [NumSteps]StepInfo
	users []user
	seen  map[string]bool // session ids handed out
	curve *rateCurve
	samp  sampling
	// anomalies holds the fixed ones, then those of the schedule's slots
	// placed so far (slots of them).
	anomalies []Anomaly
	slots     int
}

func newPlanner(cfg Config, start time.Time) *planner {
	p := &planner{
		cfg:   cfg,
		rng:   rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed_0f_5409)),
		start: start,
		steps: shop,
		seen:  map[string]bool{},
		curve: newRateCurve(cfg.Daily),
		samp:  newSampling(cfg.Sample),
		// Fixed anomalies first: the truth lists them all in start order.
		anomalies: slices.Clone(cfg.Anomalies),
	}
	p.users = make([]user, cfg.Users)
	for i := range p.users {
		p.users[i] = user{
			id:     fmt.Sprintf("u-%05d", i+1),
			tier:   pick(p.rng, cfg.Tiers),
			region: pick(p.rng, cfg.Regions),
		}
	}
	return p
}

func pick(r *rand.Rand, ws []Weighted) string {
	var sum float64
	for _, w := range ws {
		sum += w.Weight
	}
	x := r.Float64() * sum
	var acc float64
	for _, w := range ws {
		acc += w.Weight
		if x < acc && w.Weight > 0 {
			return w.Value
		}
	}
	// Rounding can leave x at the very top: the last weighted value.
	for i := len(ws) - 1; i >= 0; i-- {
		if ws[i].Weight > 0 {
			return ws[i].Value
		}
	}
	return ws[len(ws)-1].Value
}

func traceID(r *rand.Rand) trace.TraceID {
	var id trace.TraceID
	for !id.IsValid() {
		a, b := r.Uint64(), r.Uint64()
		for i := range 8 {
			id[i] = byte(a >> (56 - 8*i))
			id[8+i] = byte(b >> (56 - 8*i))
		}
	}
	return id
}

func spanID(r *rand.Rand) trace.SpanID {
	var id trace.SpanID
	for !id.IsValid() {
		a := r.Uint64()
		for i := range 8 {
			id[i] = byte(a >> (56 - 8*i))
		}
	}
	return id
}

// errorRate is the probability that step i fails for s at time t.
func (p *planner) errorRate(i int, s *Session, t time.Time) float64 {
	m := p.cfg.Steps[i]
	rate := m.ErrorRate
	for _, r := range m.ErrorRateBy {
		if s.Segment(r.Key) == r.Value {
			rate = r.Rate
			break
		}
	}
	if p.badDeploy(i, s, t) {
		rate = p.cfg.BadDeploy.ErrorRate
	}
	return rate
}

func (p *planner) badDeploy(i int, s *Session, t time.Time) bool {
	b := p.cfg.BadDeploy
	return b.Enabled && b.Step == p.steps[i].Key && b.Version == s.AppVersion && b.active(p.start, t)
}

// Bounds on a root span's duration, so that extreme draws stay sane.
const (
	minSpanDuration = time.Microsecond
	maxSpanDuration = 24 * time.Hour
)

// session plans session number idx, starting at t. A step whose root span
// would not end before cutoff is left out and cuts the session; a zero
// cutoff never cuts.
func (p *planner) session(idx int, t time.Time, cutoff time.Time) (*Session, []*Trace) {
	r := rand.New(rand.NewPCG(uint64(p.cfg.Seed), uint64(idx)))
	u := p.users[r.IntN(len(p.users))]
	s := &Session{
		UserID:     u.id,
		Tier:       u.tier,
		Region:     u.region,
		AppVersion: pick(r, p.cfg.Versions),
		Start:      t,
	}
	for {
		s.ID = fmt.Sprintf("s-%016x", r.Uint64())
		if !p.seen[s.ID] {
			p.seen[s.ID] = true
			break
		}
	}
	lo, hi := int64(math.Round(p.cfg.OrderMin*100)), int64(math.Round(p.cfg.OrderMax*100))
	s.OrderCents = lo + r.Int64N(hi-lo+1)

	var traces []*Trace
	for i, st := range p.steps {
		m := p.cfg.Steps[i]
		// Every step draws the same numbers in the same order whatever its
		// outcome, so that a different error rate keeps ids and timings
		// of the steps before.
		tid := traceID(r)
		if i == 0 {
			s.Randomness = randomness(tid)
			s.Sampled = p.samp.keep(s.Randomness)
		}
		ids := make([]trace.SpanID, 1+len(st.Children))
		for k := range ids {
			ids[k] = spanID(r)
		}
		z := r.NormFloat64()
		uErr := r.Float64()
		jitter := make([]float64, len(st.Children))
		for k := range jitter {
			jitter[k] = r.Float64()
		}
		uCont := r.Float64()
		think := p.cfg.ThinkMin + time.Duration(r.Int64N(int64(p.cfg.ThinkMax-p.cfg.ThinkMin)+1))

		isErr := uErr < p.errorRate(i, s, t)
		ns := float64(m.Median) * math.Exp(m.Sigma*z)
		if mult, ok := m.TierLatency[s.Tier]; ok {
			ns *= mult
		}
		if p.badDeploy(i, s, t) {
			ns *= p.cfg.BadDeploy.Latency
		}
		ns *= p.anomalyFactor(MetricLatency, i, s, t)
		if isErr {
			ns *= m.ErrorLatency
		}
		dur := time.Duration(math.Round(min(max(ns, float64(minSpanDuration)), float64(maxSpanDuration))))
		end := t.Add(dur)
		if !cutoff.IsZero() && !end.Before(cutoff) {
			s.End = EndInFlight
			break
		}

		version, broken := p.version(i, t)
		tr := &Trace{ID: tid, Session: s, Step: i, ServiceVersion: version, Spans: make([]Span, 0, len(ids))}
		tr.Spans = append(tr.Spans, p.rootSpan(i, s, ids[0], t, end, isErr))
		off := time.Duration(math.Round(float64(dur) * 0.05))
		for k, c := range st.Children {
			cd := time.Duration(math.Round(float64(dur) * c.Share * (0.8 + 0.4*jitter[k])))
			cd = min(cd, dur-off)
			sp := Span{
				ID:     ids[k+1],
				Parent: ids[0],
				Name:   c.Name,
				Kind:   c.Kind,
				Start:  t.Add(off),
				End:    t.Add(off + cd),
				Attrs:  append(append(make([]attribute.KeyValue, 0, len(c.Attrs)+2), c.Attrs...), attribute.String(AttrSessionID, s.ID)),
			}
			// A failed step failed in its first outbound call.
			if isErr && k == 0 && c.Kind == trace.SpanKindClient {
				sp.Error = true
				sp.StatusMessage = "upstream returned 500"
				sp.Attrs = append(sp.Attrs, attribute.Int(AttrStatusCode, 500))
			}
			if broken && c.Name == p.cfg.PropagationBreak.Span {
				sp.TraceID, sp.Parent = p.newTraceID(idx), trace.SpanID{}
			}
			tr.Spans = append(tr.Spans, sp)
			off += cd
		}
		traces = append(traces, tr)
		s.Steps++

		switch {
		case isErr:
			s.End = EndError
		case i == NumSteps-1:
			s.End = EndCompleted
		case uCont >= min(p.cfg.ContinueCap, m.Continue*tierMult(p.cfg.TierContinue, s.Tier)*p.anomalyFactor(MetricConversion, i+1, s, end)):
			s.End = EndDropped
		}
		if s.End != "" {
			break
		}
		t = end.Add(think)
	}
	return s, traces
}

func tierMult(m map[string]float64, tier string) float64 {
	if v, ok := m[tier]; ok {
		return v
	}
	return 1
}

func (p *planner) rootSpan(i int, s *Session, id trace.SpanID, start, end time.Time, isErr bool) Span {
	st := p.steps[i]
	status := 200
	if isErr {
		status = 500
	}
	attrs := []attribute.KeyValue{
		attribute.String(AttrSessionID, s.ID),
		attribute.String(AttrUserID, s.UserID),
		attribute.String(AttrUserTier, s.Tier),
		attribute.String(AttrRegion, s.Region),
		attribute.String(AttrAppVersion, s.AppVersion),
		attribute.String("funnel.step", st.Key),
		attribute.Int("funnel.step_index", i+1),
		attribute.String("http.request.method", st.Method),
		attribute.String("http.route", st.Route),
		attribute.String("url.path", st.Route),
		attribute.Int(AttrStatusCode, status),
	}
	if st.Key == StepPayment {
		attrs = append(attrs, attribute.Float64(AttrOrderTotal, float64(s.OrderCents)/100))
	}
	sp := Span{ID: id, Name: st.SpanName(), Kind: trace.SpanKindServer, Start: start, End: end, Attrs: attrs}
	if isErr {
		sp.Error = true
		sp.StatusMessage = "internal server error"
	}
	return sp
}
