package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"time"
)

// Truth is exactly what was sent: the numbers Waymark must show for this
// traffic. Counts are exact; durations are kept in nanoseconds so that
// percentile checks can be exact too. With sampling (Config.Sample below
// 1) the counts are still those of the whole traffic, and Sampling says
// how much of it was sent.
type Truth struct {
	Seed int64 `json:"seed"`
	// Model is the configuration the traffic came from; with Seed it
	// reproduces a planned batch exactly.
	Model Config `json:"model"`
	// The window sessions started in: Plan's [Start, Start+Duration), or a
	// live run's start and stop.
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// FirstSpanStart and LastSpanEnd bound every span sent (zero when none).
	FirstSpanStart time.Time `json:"first_span_start"`
	LastSpanEnd    time.Time `json:"last_span_end"`

	// Sessions counts sessions that sent at least one trace; a session cut
	// before its first step ended sent nothing and does not count.
	Sessions int `json:"sessions_total"`
	Users    int `json:"distinct_users"`
	// Traces counts distinct trace ids: one per step reached, plus one per
	// span that lost its trace context (BrokenSpans).
	Traces      int `json:"traces_total"`
	Spans       int `json:"spans_total"`
	ErrorTraces int `json:"error_traces_total"`
	ErrorSpans  int `json:"error_spans_total"`
	// FailedSpans counts spans of a live run that the endpoint refused:
	// they are counted above but were not stored. Plan's truth has none
	// (Send fails instead).
	FailedSpans int `json:"failed_spans,omitempty"`
	// SessionsBy counts sessions per segment key and value, e.g.
	// SessionsBy["user.tier"]["free"].
	SessionsBy map[string]map[string]int `json:"sessions_by"`
	// SessionEnd counts sessions per EndReason, SessionLastStep per the key
	// of the last step they reached.
	SessionEnd      map[EndReason]int `json:"session_end_reason"`
	SessionLastStep map[string]int    `json:"session_last_step"`
	// BadDeploys are the intervals the scripted bad deploy was active.
	BadDeploys []Window `json:"bad_deploys"`
	// Anomalies are the anomalies active in the window (none of them a
	// deploy), with what each touched.
	Anomalies []AnomalyTruth `json:"anomalies"`
	// PropagationBreaks are the intervals the propagation break was
	// active; BrokenSpans lists every span it sent as the root of a trace
	// of its own, in sending order.
	PropagationBreaks []Window      `json:"propagation_breaks"`
	BrokenSpans       []BrokenSpan  `json:"broken_spans"`
	Sampling          SamplingTruth `json:"sampling"`
	// SessionsPerHour counts session starts per UTC hour of the window,
	// beside what the model expects: the daily pattern.
	SessionsPerHour []HourCount `json:"sessions_per_hour"`

	Funnel []FunnelStep `json:"funnel"`
	// Cohorts groups sessions by the UTC minute their first step started
	// in, as funnel rollups do.
	Cohorts []Cohort    `json:"cohorts"`
	Steps   []StepTruth `json:"steps"`
}

// FunnelStep is how many sessions reached a step (in order; in this shop a
// session only reaches a step through all earlier ones).
type FunnelStep struct {
	Step     string `json:"step"`
	Sessions int    `json:"sessions"`
	// Succeeded counts sessions whose root span of this step did not fail.
	Succeeded int `json:"succeeded"`
	// Conversion is Sessions over the previous step's (1 for the first
	// step, 0 when the previous step had none); Overall is over the first
	// step's.
	Conversion float64 `json:"conversion"`
	Overall    float64 `json:"overall"`
}

// Cohort counts, for the sessions entering the funnel in one minute, how
// many reached each step.
type Cohort struct {
	Minute  time.Time `json:"minute"`
	Reached []int     `json:"reached"`
}

// StepTruth is everything sent for one step.
type StepTruth struct {
	Index        int    `json:"index"` // 1-based
	Step         string `json:"step"`
	Service      string `json:"service"`
	RootSpanName string `json:"root_span_name"`
	// Sessions reaching the step; equal to RootSpans and to the step's
	// traces, one per session.
	Sessions  int `json:"sessions"`
	RootSpans int `json:"root_spans"`
	// Spans counts every span of the step's traces, ErrorSpans those with
	// status error, Errors the failed root spans.
	Spans      int `json:"spans"`
	Errors     int `json:"errors"`
	ErrorSpans int `json:"error_spans"`
	// ValueCents sums order.total over the step's root spans (payment
	// only), ErrorValueCents over the failed ones: revenue at risk.
	ValueCents      int64 `json:"value_cents"`
	ErrorValueCents int64 `json:"error_value_cents"`
	// By breaks the step down per segment key and value, e.g.
	// By["app.version"]["1.5.0"].
	By       map[string]map[string]*SegmentTruth `json:"by"`
	Latency  Latency                             `json:"root_latency"`
	Children []ChildTruth                        `json:"children"`
	// PerMinute counts per UTC minute of span start, in time order.
	PerMinute []MinuteCount `json:"per_minute"`
}

// SegmentTruth is one step's numbers for one segment value.
type SegmentTruth struct {
	Sessions        int     `json:"sessions"`
	Errors          int     `json:"errors"`
	Spans           int     `json:"spans"`
	ErrorSpans      int     `json:"error_spans"`
	ValueCents      int64   `json:"value_cents"`
	ErrorValueCents int64   `json:"error_value_cents"`
	Latency         Latency `json:"root_latency"`
}

// ChildTruth counts one child span name of a step. Every trace of the step
// has exactly one, so a trace-correlated journey root → child reaches the
// child in Spans traces.
type ChildTruth struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Spans      int    `json:"spans"`
	ErrorSpans int    `json:"error_spans"`
}

// MinuteCount is one step's traffic in one UTC minute. RootSpans and Errors
// count root spans by their start; Spans counts every span of the step by
// its own start.
type MinuteCount struct {
	Minute    time.Time `json:"minute"`
	RootSpans int       `json:"root_spans"`
	Errors    int       `json:"errors"`
	Spans     int       `json:"spans"`
}

// Latency describes root span durations. Percentiles are nearest-rank on the
// exact durations: the smallest duration with at least q·N durations at or
// below it.
type Latency struct {
	N      int   `json:"n"`
	MinNs  int64 `json:"min_ns"`
	MeanNs int64 `json:"mean_ns"` // truncated
	P50Ns  int64 `json:"p50_ns"`
	P95Ns  int64 `json:"p95_ns"`
	P99Ns  int64 `json:"p99_ns"`
	MaxNs  int64 `json:"max_ns"`
	// Milliseconds, for reading.
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	P99Ms float64 `json:"p99_ms"`
	// Durations holds every duration, sorted ascending.
	Durations []time.Duration `json:"-"`
}

// Quantile returns the nearest-rank q-quantile (0 < q <= 1) of the
// durations, or 0 when there are none.
func (l Latency) Quantile(q float64) time.Duration {
	return nearestRank(l.Durations, q)
}

func nearestRank(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 || math.IsNaN(q) {
		return 0
	}
	// The epsilon keeps q·n that should be whole (0.95·100) from rounding
	// up to the next rank.
	rank := int(math.Ceil(q*float64(n) - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

func newLatency(d []time.Duration) Latency {
	s := slices.Clone(d)
	slices.Sort(s)
	l := Latency{N: len(s), Durations: s}
	if len(s) == 0 {
		return l
	}
	var sum float64
	for _, x := range s {
		sum += float64(x)
	}
	l.MinNs, l.MaxNs = int64(s[0]), int64(s[len(s)-1])
	l.MeanNs = int64(sum / float64(len(s)))
	l.P50Ns, l.P95Ns, l.P99Ns = int64(nearestRank(s, 0.50)), int64(nearestRank(s, 0.95)), int64(nearestRank(s, 0.99))
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	l.P50Ms, l.P95Ms, l.P99Ms = ms(l.P50Ns), ms(l.P95Ns), ms(l.P99Ns)
	return l
}

// AnomalyTruth is one anomaly and what it touched.
type AnomalyTruth struct {
	Anomaly
	// Sessions counts, for a latency anomaly, the root spans of the step
	// it slowed down; for a conversion anomaly, the sessions of its
	// segment that finished the step before successfully while it was
	// active, and so chose under it whether to go on. Continued counts
	// those that went on (their step was sent).
	Sessions  int `json:"sessions"`
	Continued int `json:"continued,omitempty"`
}

// Truth returns exactly what Send sends (and, when sampling, what it would
// send without).
func (t *Traffic) Truth() *Truth {
	b := newTruthBuilder(t.cfg)
	for _, tr := range t.traces {
		b.add(tr)
	}
	whole := t.curve.integral(t.cfg.Start, t.End())
	n := float64(t.cfg.Sessions)
	return b.truth(truthWindow{
		from: t.cfg.Start, to: t.End(), base: t.cfg.Start, anomalies: t.anomalies,
		expected: func(from, to time.Time) float64 { return n * t.curve.integral(from, to) / whole },
	})
}

// WriteTruth writes Truth as indented JSON.
func (t *Traffic) WriteTruth(w io.Writer) error {
	return writeTruth(w, t.Truth())
}

func writeTruth(w io.Writer, tr *Truth) error {
	b, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		return fmt.Errorf("encode truth: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write truth: %w", err)
	}
	return nil
}

// truthBuilder accumulates traces as they are sent, so that live runs can
// report what they sent so far.
type truthBuilder struct {
	cfg      Config
	steps    [NumSteps]StepInfo
	sessions map[*Session]int // traces sent per session
	order    []*Session       // first-seen order, for a stable result
	traces   []*Trace
}

func newTruthBuilder(cfg Config) *truthBuilder {
	return &truthBuilder{cfg: cfg, steps: shop, sessions: map[*Session]int{}}
}

func (b *truthBuilder) add(tr *Trace) {
	if _, ok := b.sessions[tr.Session]; !ok {
		b.order = append(b.order, tr.Session)
	}
	b.sessions[tr.Session]++
	b.traces = append(b.traces, tr)
}

// truthWindow is what the truth needs beside the traces: the window
// sessions started in, where scheduled offsets count from (base), the
// anomalies placed, and the model's expected session starts in a part of
// the window.
type truthWindow struct {
	from, to, base time.Time
	anomalies      []Anomaly
	expected       func(from, to time.Time) float64
}

// truth sums up the traces added so far.
func (b *truthBuilder) truth(w truthWindow) *Truth {
	windowStart, windowEnd := w.from, w.to
	samp := newSampling(b.cfg.Sample)
	t := &Truth{
		Seed:              b.cfg.Seed,
		Model:             b.cfg,
		WindowStart:       windowStart,
		WindowEnd:         windowEnd,
		SessionsBy:        map[string]map[string]int{},
		SessionEnd:        map[EndReason]int{},
		SessionLastStep:   map[string]int{},
		BadDeploys:        b.cfg.BadDeploy.windows(w.base, windowEnd),
		Anomalies:         []AnomalyTruth{},
		PropagationBreaks: b.cfg.PropagationBreak.windows(w.base, windowEnd),
		BrokenSpans:       []BrokenSpan{},
		Sampling:          SamplingTruth{Probability: samp.p, AdjustedCount: samp.adjustedCount()},
		SessionsPerHour:   []HourCount{},
	}
	if samp.on() {
		t.Sampling.Threshold = samp.thHex
	}
	if t.BadDeploys == nil {
		t.BadDeploys = []Window{}
	}
	if t.PropagationBreaks == nil {
		t.PropagationBreaks = []Window{}
	}
	for _, k := range segmentKeys {
		t.SessionsBy[k] = map[string]int{}
	}

	users := map[string]bool{}
	reached := make([]int, NumSteps)
	cohorts := map[time.Time][]int{}
	for _, s := range b.order {
		sent := b.sessions[s]
		t.Sessions++
		users[s.UserID] = true
		for _, k := range segmentKeys {
			t.SessionsBy[k][s.Segment(k)]++
		}
		end := s.End
		if sent < s.Steps {
			end = EndInFlight
		}
		t.SessionEnd[end]++
		t.SessionLastStep[b.steps[sent-1].Key]++
		if s.Sampled {
			t.Sampling.Sessions++
		}
	}
	t.Users = len(users)
	t.SessionsPerHour = b.hours(w)
	for _, a := range w.anomalies {
		t.Anomalies = append(t.Anomalies, b.touched(a))
	}

	st := make([]*stepAcc, NumSteps)
	for i := range st {
		st[i] = newStepAcc()
	}
	for _, tr := range b.traces {
		a := st[tr.Step]
		a.add(tr)
		reached[tr.Step]++
		root := tr.Root()
		t.Traces++
		if tr.Session.Sampled {
			t.Sampling.Traces++
			t.Sampling.Spans += len(tr.Spans)
		}
		if root.Error {
			t.ErrorTraces++
		}
		for k := range tr.Spans {
			sp := &tr.Spans[k]
			if sp.TraceID.IsValid() {
				t.Traces++
				if tr.Session.Sampled {
					t.Sampling.Traces++
				}
				t.BrokenSpans = append(t.BrokenSpans, BrokenSpan{
					Step: b.steps[tr.Step].Key, Service: b.steps[tr.Step].Service, ServiceVersion: tr.ServiceVersion,
					Span: sp.Name, SpanID: sp.ID.String(), TraceID: tr.ID.String(), NewTraceID: sp.TraceID.String(),
				})
			}
			t.Spans++
			if sp.Error {
				t.ErrorSpans++
			}
			if t.FirstSpanStart.IsZero() || sp.Start.Before(t.FirstSpanStart) {
				t.FirstSpanStart = sp.Start
			}
			if sp.End.After(t.LastSpanEnd) {
				t.LastSpanEnd = sp.End
			}
		}
	}
	// Cohorts need each session's entry minute, known once all its traces
	// are in.
	entry := map[*Session]time.Time{}
	for _, tr := range b.traces {
		if tr.Step == 0 {
			m := tr.Root().Start.Truncate(time.Minute)
			entry[tr.Session] = m
			if cohorts[m] == nil {
				cohorts[m] = make([]int, NumSteps)
			}
		}
	}
	for _, tr := range b.traces {
		if m, ok := entry[tr.Session]; ok {
			cohorts[m][tr.Step]++
		}
	}
	for m, r := range cohorts {
		t.Cohorts = append(t.Cohorts, Cohort{Minute: m, Reached: r})
	}
	sort.Slice(t.Cohorts, func(i, j int) bool { return t.Cohorts[i].Minute.Before(t.Cohorts[j].Minute) })
	if t.Cohorts == nil {
		t.Cohorts = []Cohort{}
	}

	for i, a := range st {
		t.Steps = append(t.Steps, a.result(i, b.steps[i]))
		f := FunnelStep{Step: b.steps[i].Key, Sessions: reached[i], Succeeded: reached[i] - a.errors}
		switch {
		case i == 0:
			f.Conversion = 1
		case reached[i-1] > 0:
			f.Conversion = float64(reached[i]) / float64(reached[i-1])
		}
		if reached[0] > 0 {
			f.Overall = float64(reached[i]) / float64(reached[0])
		}
		t.Funnel = append(t.Funnel, f)
	}
	return t
}

type segAcc struct {
	SegmentTruth
	durs []time.Duration
}

type stepAcc struct {
	sessions, spans, errors, errorSpans int
	value, errorValue                   int64
	durs                                []time.Duration
	by                                  map[string]map[string]*segAcc
	children                            map[string]*ChildTruth
	minutes                             map[time.Time]*MinuteCount
}

func newStepAcc() *stepAcc {
	a := &stepAcc{by: map[string]map[string]*segAcc{}, children: map[string]*ChildTruth{}, minutes: map[time.Time]*MinuteCount{}}
	for _, k := range segmentKeys {
		a.by[k] = map[string]*segAcc{}
	}
	return a
}

func (a *stepAcc) minute(t time.Time) *MinuteCount {
	m := t.Truncate(time.Minute)
	c, ok := a.minutes[m]
	if !ok {
		c = &MinuteCount{Minute: m}
		a.minutes[m] = c
	}
	return c
}

func (a *stepAcc) add(tr *Trace) {
	root := tr.Root()
	s := tr.Session
	var value int64
	if tr.Step == StepIndex(StepPayment) {
		value = s.OrderCents
	}
	errSpans := 0
	for k := range tr.Spans {
		sp := &tr.Spans[k]
		if sp.Error {
			errSpans++
		}
		a.minute(sp.Start).Spans++
		if k == 0 {
			continue
		}
		c, ok := a.children[sp.Name]
		if !ok {
			c = &ChildTruth{Name: sp.Name, Kind: sp.Kind.String()}
			a.children[sp.Name] = c
		}
		c.Spans++
		if sp.Error {
			c.ErrorSpans++
		}
	}
	m := a.minute(root.Start)
	m.RootSpans++
	a.sessions++
	a.spans += len(tr.Spans)
	a.errorSpans += errSpans
	a.value += value
	a.durs = append(a.durs, root.Duration())
	if root.Error {
		a.errors++
		a.errorValue += value
		m.Errors++
	}
	for _, k := range segmentKeys {
		v := s.Segment(k)
		g, ok := a.by[k][v]
		if !ok {
			g = &segAcc{}
			a.by[k][v] = g
		}
		g.Sessions++
		g.Spans += len(tr.Spans)
		g.ErrorSpans += errSpans
		g.ValueCents += value
		g.durs = append(g.durs, root.Duration())
		if root.Error {
			g.Errors++
			g.ErrorValueCents += value
		}
	}
}

func (a *stepAcc) result(i int, info StepInfo) StepTruth {
	r := StepTruth{
		Index:           i + 1,
		Step:            info.Key,
		Service:         info.Service,
		RootSpanName:    info.SpanName(),
		Sessions:        a.sessions,
		RootSpans:       a.sessions,
		Spans:           a.spans,
		Errors:          a.errors,
		ErrorSpans:      a.errorSpans,
		ValueCents:      a.value,
		ErrorValueCents: a.errorValue,
		By:              map[string]map[string]*SegmentTruth{},
		Latency:         newLatency(a.durs),
		Children:        []ChildTruth{},
		PerMinute:       []MinuteCount{},
	}
	for k, vals := range a.by {
		r.By[k] = map[string]*SegmentTruth{}
		for v, g := range vals {
			s := g.SegmentTruth
			s.Latency = newLatency(g.durs)
			r.By[k][v] = &s
		}
	}
	// Children in model order, whatever order traces came in.
	for _, c := range info.Children {
		if ct, ok := a.children[c.Name]; ok {
			r.Children = append(r.Children, *ct)
		}
	}
	for _, m := range a.minutes {
		r.PerMinute = append(r.PerMinute, *m)
	}
	sort.Slice(r.PerMinute, func(i, j int) bool { return r.PerMinute[i].Minute.Before(r.PerMinute[j].Minute) })
	return r
}

// hours counts the session starts of every UTC hour of the window.
func (b *truthBuilder) hours(w truthWindow) []HourCount {
	out := []HourCount{}
	if !w.to.After(w.from) {
		return out
	}
	first := w.from.Truncate(time.Hour)
	for h := first; h.Before(w.to); h = h.Add(time.Hour) {
		from, to := h, h.Add(time.Hour)
		if from.Before(w.from) {
			from = w.from
		}
		if to.After(w.to) {
			to = w.to
		}
		out = append(out, HourCount{Hour: h, Expected: w.expected(from, to)})
	}
	for _, s := range b.order {
		if i := int(s.Start.Sub(first) / time.Hour); i >= 0 && i < len(out) {
			out[i].Sessions++
		}
	}
	return out
}

// touched counts what anomaly a touched among the traces sent.
func (b *truthBuilder) touched(a Anomaly) AnomalyTruth {
	at := AnomalyTruth{Anomaly: a}
	k := StepIndex(a.Step)
	for _, tr := range b.traces {
		root := tr.Root()
		switch {
		case a.Metric == MetricLatency && tr.Step == k && a.matches(tr.Session, root.Start):
			at.Sessions++
		case a.Metric == MetricConversion && tr.Step == k-1 && !root.Error && a.matches(tr.Session, root.End):
			at.Sessions++
			if b.sessions[tr.Session] > k {
				at.Continued++
			}
		}
	}
	return at
}
