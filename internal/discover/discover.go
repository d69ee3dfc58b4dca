// Package discover proposes journeys from recent traffic: the sequences
// of requests that many sessions, or many traces, go through.
//
// # Method
//
// Discovery reads the entry spans of the range (the last hour by
// default): every server and consumer span, through FetchSpans, which
// Tempo and the embedded store answer alike (see internal/entryspans).
// From them it mines two kinds of sequences:
//
//   - Sessions. Each trace enters by its earliest server or consumer span.
//     The entries carrying the session attribute (span.session.id by
//     default) are grouped by its value; a session's sequence is its
//     entries in start order (ties by trace id). Such a journey is
//     correlated by the session attribute.
//   - Traces. A trace's sequence is all its server and consumer spans in
//     start order: a request crossing services. Such a journey is
//     correlated by trace.
//
// A step is a span's service, name and kind. Consecutive repeats of one
// step are collapsed (a page reloaded is one visit), and a sequence is cut
// at the 20 steps a journey may have.
//
// The mining is bounded. Sessions and traces are sampled by the smallest
// 64-bit FNV-1a hashes of their session value or trace id, at most
// Options.MaxSessions of each: the same sample whatever order spans come
// in and whichever source they come from, spread evenly over the range.
// The spans read are capped (Options.MaxSpans) and the whole discovery has
// a time budget (Options.Budget); either cut makes the result partial.
//
// The sampled sequences are put in a prefix tree from their first step:
// each node counts the sequences that start with its path. A node is
// frequent when at least Options.MinShare of the sampled sequences of its
// kind (and at least 2) pass through it. Every frequent node of two steps
// or more with no frequent child is a candidate: the longest paths many
// sequences follow, so that a funnel is proposed whole rather than as
// each of its prefixes. A candidate counts the sequences that went
// through every step (Completed: "seen in N sessions") and those that
// entered at its first step (Entered); the first of its funnel.
// Candidates are ranked by Completed, then Entered, then length, and the
// top Options.Top are returned as valid journeys, with the business
// segments (tier, region, app version, feature flags) their first steps
// carry.
package discover

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/draft"
	"github.com/waymarkhq/waymark/internal/entryspans"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// Defaults of Options.
const (
	DefaultRange       = time.Hour
	DefaultSessionKey  = "span.session.id"
	DefaultMaxSessions = 10_000
	DefaultMaxSpans    = 500_000
	DefaultBudget      = 20 * time.Second
	DefaultMinShare    = 0.01
	DefaultTop         = 10
)

// Options bound a discovery.
type Options struct {
	// Range is how far back from the last whole minute to look.
	Range time.Duration
	// SessionKey is the attribute that ties a session's traces together;
	// "-" mines traces only.
	SessionKey string
	// MaxSessions bounds the sessions, and separately the traces, sampled.
	MaxSessions int
	// MaxSpans bounds the server and consumer spans read.
	MaxSpans int
	// Budget bounds the time spent.
	Budget time.Duration
	// MinShare is the share of sampled sequences a step must be reached by
	// to be frequent.
	MinShare float64
	// Top is how many candidates are returned.
	Top int
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Range <= 0 {
		o.Range = DefaultRange
	}
	if o.SessionKey == "" {
		o.SessionKey = DefaultSessionKey
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.MaxSpans <= 0 {
		o.MaxSpans = DefaultMaxSpans
	}
	if o.Budget <= 0 {
		o.Budget = DefaultBudget
	}
	if !(o.MinShare > 0 && o.MinShare <= 1) {
		o.MinShare = DefaultMinShare
	}
	if o.Top <= 0 {
		o.Top = DefaultTop
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Candidate is one proposed journey.
type Candidate struct {
	// Journey is valid and ready to edit.
	Journey journeys.Journey `json:"journey"`
	// By is the correlation: the session attribute, or "trace".
	By string `json:"by"`
	// Steps are the candidate's steps.
	Steps []draft.SpanRef `json:"steps"`
	// Completed counts the sampled sessions (or traces) that went through
	// every step in order; Entered those whose sequence began with step 1.
	Completed int64 `json:"completed"`
	Entered   int64 `json:"entered"`
	// Summary says it for people: "auth_svc POST /login → … seen in 2,310
	// sessions in the last hour".
	Summary string `json:"summary"`
}

// Result is what a discovery found.
type Result struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Candidates are the top candidates, best first.
	Candidates []Candidate `json:"candidates"`
	// Sessions and Traces count the sequences sampled; SessionsSeen and
	// TracesSeen those found before sampling.
	Sessions     int `json:"sessions"`
	SessionsSeen int `json:"sessions_seen"`
	Traces       int `json:"traces"`
	TracesSeen   int `json:"traces_seen"`
	// Spans counts the server and consumer spans read.
	Spans int64 `json:"spans_read"`
	// Partial is set when the span cap or the budget stopped the reading;
	// Reason says which.
	Partial bool   `json:"partial"`
	Reason  string `json:"reason,omitempty"`
}

// Discover proposes journeys from src's recent traffic.
func Discover(ctx context.Context, src entryspans.Source, o Options) (*Result, error) {
	o.defaults()
	bySession := o.SessionKey != "-"
	if bySession {
		k, err := journeys.ParseKey(o.SessionKey)
		if err != nil || k.IsIntrinsic() {
			return nil, fmt.Errorf("discover journeys: session key %q must be a span. or resource. attribute", o.SessionKey)
		}
	}
	to := o.Now().UTC().Truncate(time.Minute)
	from := to.Add(-o.Range)
	res := &Result{From: from, To: to}

	sel := []string{}
	if bySession {
		sel = append(sel, o.SessionKey)
	}
	for _, k := range draft.BusinessKeys() {
		if len(sel) < entryspans.MaxSelect && "span."+k != o.SessionKey {
			sel = append(sel, "span."+k)
		}
	}
	bctx, cancel := context.WithTimeout(ctx, o.Budget)
	defer cancel()
	got, err := entryspans.Fetch(bctx, src, entryspans.Query{From: from, To: to, Select: sel, MaxSpans: o.MaxSpans, All: true})
	if err != nil {
		if bctx.Err() != nil && ctx.Err() == nil {
			res.Partial, res.Reason = true, fmt.Sprintf("stopped after %s, the time budget", o.Budget)
			return res, nil
		}
		return nil, fmt.Errorf("discover journeys: %w", err)
	}
	res.Spans, res.Partial, res.Reason = got.Spans, got.Partial, got.Reason

	// Group every entry-kind span by trace; the trace's first one enters.
	traces := map[string][]entryspans.Entry{}
	for _, e := range got.Entries {
		traces[e.TraceID] = append(traces[e.TraceID], e)
	}
	var cands []Candidate
	if bySession {
		sessions := map[string][]entryspans.Entry{}
		for _, es := range traces {
			if v := es[0].Attrs[0]; v != "" {
				sessions[v] = append(sessions[v], es[0])
			}
		}
		res.SessionsSeen = len(sessions)
		keep := sample(sessions, o.MaxSessions)
		res.Sessions = len(keep)
		seqs := make([][]entryspans.Entry, 0, len(keep))
		for _, v := range keep {
			es := sessions[v]
			slices.SortFunc(es, func(a, b entryspans.Entry) int {
				return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.TraceID, b.TraceID))
			})
			seqs = append(seqs, es)
		}
		cands = append(cands, mine(seqs, o, o.SessionKey, sel)...)
	}
	res.TracesSeen = len(traces)
	keep := sample(traces, o.MaxSessions)
	res.Traces = len(keep)
	seqs := make([][]entryspans.Entry, 0, len(keep))
	for _, id := range keep {
		seqs = append(seqs, traces[id])
	}
	cands = append(cands, mine(seqs, o, journeys.CorrelateByTrace, sel)...)

	slices.SortFunc(cands, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(b.Completed, a.Completed), cmp.Compare(b.Entered, a.Entered),
			cmp.Compare(len(b.Steps), len(a.Steps)), strings.Compare(a.Summary, b.Summary))
	})
	if len(cands) > o.Top {
		cands = cands[:o.Top]
	}
	slugs := map[string]bool{}
	for i := range cands {
		m := &cands[i].Journey.Metadata
		base := m.Slug
		for n := 2; slugs[m.Slug]; n++ {
			suffix := "-" + strconv.Itoa(n)
			m.Slug = strings.TrimRight(base[:min(len(base), 64-len(suffix))], "-") + suffix
		}
		slugs[m.Slug] = true
		if err := cands[i].Journey.Validate(); err != nil {
			return nil, fmt.Errorf("discover journeys: candidate %q: %w", cands[i].Summary, err)
		}
	}
	res.Candidates = cands
	if res.Candidates == nil {
		res.Candidates = []Candidate{}
	}
	return res, nil
}

// SampleHash is the hash sessions and traces are sampled by: 64-bit
// FNV-1a of the session value or trace id.
func SampleHash(v string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(v))
	return h.Sum64()
}

// sample keeps the keys with the n smallest hashes, in hash order.
func sample[T any](m map[string]T, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(SampleHash(a), SampleHash(b)), strings.Compare(a, b))
	})
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}

// node is one step of the prefix tree.
type node struct {
	ref      draft.SpanRef
	count    int64
	children map[draft.SpanRef]*node
	order    []draft.SpanRef
	// firsts holds the sequences' first entries, for segments.
	firsts []entryspans.Entry
	// spread is the longest time from the sequence's first step to this
	// one, for the correlation window.
	spread time.Duration
}

func (n *node) child(r draft.SpanRef) *node {
	if n.children == nil {
		n.children = map[draft.SpanRef]*node{}
	}
	c := n.children[r]
	if c == nil {
		c = &node{ref: r}
		n.children[r] = c
		n.order = append(n.order, r)
	}
	return c
}

// mine finds the candidates among sequences correlated by by.
func mine(seqs [][]entryspans.Entry, o Options, by string, sel []string) []Candidate {
	root := &node{}
	for _, es := range seqs {
		n := root
		var last draft.SpanRef
		depth := 0
		for i, e := range es {
			r := draft.SpanRef{Service: e.Service, Name: e.Name, Kind: e.Kind}
			if i > 0 && r == last {
				continue
			}
			if depth == journeys.MaxSteps {
				break
			}
			last = r
			depth++
			n = n.child(r)
			n.count++
			if depth == 1 {
				n.firsts = append(n.firsts, e)
			}
			n.spread = max(n.spread, e.Start.Sub(es[0].Start))
		}
	}
	minCount := max(2, int64(math.Ceil(o.MinShare*float64(len(seqs)))))
	var out []Candidate
	var walk func(n *node, path []*node)
	walk = func(n *node, path []*node) {
		leaf := true
		for _, r := range n.order {
			c := n.children[r]
			if c.count >= minCount {
				leaf = false
				walk(c, append(path, c))
			}
		}
		if leaf && len(path) >= journeys.MinSteps {
			out = append(out, candidate(path, o, by, sel))
		}
	}
	for _, r := range root.order {
		if c := root.children[r]; c.count >= minCount {
			walk(c, []*node{c})
		}
	}
	return out
}

func candidate(path []*node, o Options, by string, sel []string) Candidate {
	refs := make([]draft.SpanRef, len(path))
	for i, n := range path {
		refs[i] = n.ref
	}
	last := path[len(path)-1]
	j := journeys.Journey{APIVersion: journeys.APIVersion, Kind: journeys.Kind}
	j.Spec.Steps = draft.Steps(refs)
	j.Metadata.Name, j.Metadata.Slug = draft.Title(j.Spec.Steps)
	j.Spec.Correlation = journeys.Correlation{By: by}
	noun := "traces"
	if by != journeys.CorrelateByTrace {
		noun = "sessions"
		w := rollup.DefaultSessionWindow
		if last.spread >= w {
			w = min(last.spread.Truncate(time.Hour)+time.Hour, journeys.MaxCorrelationWindow)
		}
		j.Spec.Correlation.Window = journeys.NewDuration(w)
	}
	// Segments: the business keys the first step's entries carry.
	for i, k := range sel {
		if k == by || !strings.HasPrefix(k, "span.") {
			continue
		}
		for _, e := range path[0].firsts {
			if e.Attrs[i] != "" {
				j.Spec.Segments = append(j.Spec.Segments, k)
				break
			}
		}
	}
	if len(j.Spec.Segments) > journeys.MaxSegments {
		j.Spec.Segments = j.Spec.Segments[:journeys.MaxSegments]
	}
	var b strings.Builder
	for i, r := range refs {
		if i > 0 {
			b.WriteString(" → ")
		}
		b.WriteString(r.Service + " " + r.Name)
	}
	fmt.Fprintf(&b, " seen in %s %s in the last %s", thousands(last.count), noun, rangeWords(o.Range))
	return Candidate{Journey: j, By: by, Steps: refs, Completed: last.count, Entered: path[0].count, Summary: b.String()}
}

// rangeWords is "hour" for an hour, else the duration: "6h", "1d".
func rangeWords(d time.Duration) string {
	if d == time.Hour {
		return "hour"
	}
	return journeys.NewDuration(d).String()
}

// thousands writes n with commas: 2,310.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
