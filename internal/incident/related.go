package incident

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Defaults of RelatedOptions.
const (
	DefaultRelatedLimit      = 20
	DefaultRelatedCandidates = 50
	// MaxRelatedCandidates bounds the traces one call may read whole.
	MaxRelatedCandidates = 500
	relatedParallelism   = 4
)

// RelatedOptions tune Related.
type RelatedOptions struct {
	// Limit caps the suggestions (DefaultRelatedLimit when 0).
	Limit int
	// Candidates caps the error spans examined, newest first: each costs a
	// whole-trace read to learn its message (DefaultRelatedCandidates when
	// 0, at most MaxRelatedCandidates).
	Candidates int
	// Error is an error message or exception type to rank first instead
	// of those of the traces already linked ("more like this one").
	Error string
}

// Suggestion is a trace that may belong to an incident: an error on one of
// its affected steps during its window.
type Suggestion struct {
	TraceID string  `json:"trace_id"`
	Step    StepRef `json:"step"`
	// SpanID, Service, Name, Start and Duration are the erroring span's.
	SpanID   string        `json:"span_id"`
	Service  string        `json:"service"`
	Name     string        `json:"name"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	// Error is the span's status message, ExceptionType its exception.type
	// attribute; either may be empty.
	Error         string `json:"error,omitempty"`
	ExceptionType string `json:"exception_type,omitempty"`
	// SameError is set when Error or ExceptionType is that of a linked
	// trace, or RelatedOptions.Error when given.
	SameError bool `json:"same_error"`
}

// exceptionKey is selected with every span so that the exception type
// needs no whole-trace read.
const exceptionKey = "span.exception.type"

// candidate is one erroring span seen while scanning a step.
type candidate struct {
	traceID, spanID string
	step            StepRef
	start           time.Time
	duration        time.Duration
	excType         string
}

// newer orders candidates newest first, then by trace id, so that the
// order is total and the result deterministic.
func newer(a, b candidate) int {
	if c := b.start.Compare(a.start); c != 0 {
		return c
	}
	if c := strings.Compare(a.traceID, b.traceID); c != 0 {
		return c
	}
	return strings.Compare(a.spanID, b.spanID)
}

// newest keeps, per trace, its newest erroring span, and only the n
// newest traces: older ones are dropped as the scan goes so that a busy
// window costs bounded memory.
type newest struct {
	n      int
	byID   map[string]candidate
	cutoff *candidate // anything not newer than this was dropped
}

func (k *newest) offer(c candidate) {
	if k.cutoff != nil && newer(c, *k.cutoff) >= 0 {
		return
	}
	if old, ok := k.byID[c.traceID]; ok && newer(old, c) <= 0 {
		return
	}
	k.byID[c.traceID] = c
	if len(k.byID) > 2*k.n {
		k.prune()
	}
}

func (k *newest) prune() {
	list := k.list()
	if len(list) <= k.n {
		return
	}
	for _, c := range list[k.n:] {
		delete(k.byID, c.traceID)
	}
	last := list[k.n-1]
	k.cutoff = &last
}

func (k *newest) list() []candidate {
	out := make([]candidate, 0, len(k.byID))
	for _, c := range k.byID {
		out = append(out, c)
	}
	slices.SortFunc(out, newer)
	return out
}

// Related suggests traces for an incident: traces with an error on one of
// its affected steps (every step of its journeys when it names none) during
// [StartedAt, ResolvedAt or now), not linked yet. Those failing with the
// error of a linked trace (status message or exception type), or with
// opts.Error when given, come first, then the other errors on the steps;
// newest first within each. It needs Config.Journeys to know the steps'
// patterns.
//
// Only the opts.Candidates newest erroring traces are examined, since
// learning a span's message takes a whole-trace read.
func (s *Store) Related(ctx context.Context, incidentID int64, opts RelatedOptions) ([]Suggestion, error) {
	if s.cfg.Source == nil {
		return nil, errors.New("related traces: no trace source configured")
	}
	limit := cmp.Or(max(opts.Limit, 0), DefaultRelatedLimit)
	n := min(cmp.Or(max(opts.Candidates, 0), DefaultRelatedCandidates), MaxRelatedCandidates)
	in, err := s.Get(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	linked, err := s.LinkedTraces(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	isLinked := map[string]bool{}
	signatures := map[string]bool{}
	for _, l := range linked {
		isLinked[l.TraceID] = true
		if l.Error != "" && l.Error != "error" {
			signatures[l.Error] = true
		}
	}
	if e := strings.TrimSpace(opts.Error); e != "" {
		signatures = map[string]bool{e: true}
	}
	steps, err := s.affectedSteps(ctx, in)
	if err != nil {
		return nil, err
	}

	from, to := in.StartedAt, in.End(s.now())
	if !from.Before(to) {
		return nil, nil // an incident dated in the future has no traces yet
	}
	keep := &newest{n: n, byID: map[string]candidate{}}
	for _, st := range steps {
		q := journeys.SpanQuery{Pattern: st.pattern, From: from, To: to, Select: []string{exceptionKey}}
		_, err := s.cfg.Source.FetchSpans(ctx, q, func(sp journeys.Span) error {
			if !sp.Error || isLinked[sp.TraceID] {
				return nil
			}
			c := candidate{traceID: sp.TraceID, spanID: sp.SpanID, step: st.ref, start: sp.Start.UTC(), duration: sp.Duration}
			if len(sp.Attrs) > 0 {
				c.excType = sp.Attrs[0]
			}
			keep.offer(c)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("related traces: fetch spans of %s: %w", st.ref, err)
		}
	}
	cands := keep.list()
	if len(cands) > n {
		cands = cands[:n]
	}
	out, err := s.examine(ctx, cands, signatures)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		if a.SameError != b.SameError {
			if a.SameError {
				return -1
			}
			return 1
		}
		return 0 // examine kept the newest-first order
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// stepPattern is an affected step and the spans that stand for it.
type stepPattern struct {
	ref     StepRef
	pattern journeys.Pattern
}

// affectedSteps resolves the incident's steps to patterns, skipping
// journeys and steps that no longer exist.
func (s *Store) affectedSteps(ctx context.Context, in Incident) ([]stepPattern, error) {
	refs := in.Steps
	defs := map[string]*journeys.Journey{}
	for _, slug := range in.Journeys {
		j, err := s.journey(ctx, slug)
		if err != nil {
			return nil, fmt.Errorf("related traces: %w", err)
		}
		defs[slug] = j
		if len(in.Steps) == 0 && j != nil {
			for _, st := range j.Spec.Steps {
				refs = append(refs, StepRef{Journey: slug, Step: st.Name})
			}
		}
	}
	var out []stepPattern
	for _, r := range refs {
		j := defs[r.Journey]
		if j == nil {
			s.log.Warn("related traces: journey no longer exists", "journey", r.Journey)
			continue
		}
		i := j.StepIndex(r.Step)
		if i < 0 {
			s.log.Warn("related traces: step no longer exists", "journey", r.Journey, "step", r.Step)
			continue
		}
		out = append(out, stepPattern{ref: r, pattern: j.Spec.Steps[i].Match})
	}
	return out, nil
}

// examine reads each candidate's trace for its error message, a few at a
// time, keeping the candidates' order. A trace gone meanwhile is dropped.
func (s *Store) examine(ctx context.Context, cands []candidate, signatures map[string]bool) ([]Suggestion, error) {
	out := make([]Suggestion, len(cands))
	found := make([]bool, len(cands))
	errs := make([]error, len(cands))
	sem := make(chan struct{}, relatedParallelism)
	var wg sync.WaitGroup
	for i, c := range cands {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			t, err := s.cfg.Source.Trace(ctx, c.traceID)
			if errors.Is(err, journeys.ErrTraceNotFound) {
				return
			}
			if err != nil {
				errs[i] = fmt.Errorf("related traces: read trace %s: %w", c.traceID, err)
				return
			}
			sg := Suggestion{TraceID: c.traceID, Step: c.step, SpanID: c.spanID, Start: c.start,
				Duration: c.duration, ExceptionType: c.excType}
			for _, sp := range t.Spans {
				if sp.SpanID != c.spanID {
					continue
				}
				sg.Service, sg.Name = sp.Service, sp.Name
				sg.Error = strings.TrimSpace(sp.StatusMessage)
				if sg.ExceptionType == "" {
					sg.ExceptionType = exceptionType(sp)
				}
				break
			}
			sg.SameError = (sg.Error != "" && signatures[sg.Error]) || (sg.ExceptionType != "" && signatures[sg.ExceptionType])
			out[i], found[i] = sg, true
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	kept := out[:0]
	for i, sg := range out {
		if found[i] {
			kept = append(kept, sg)
		}
	}
	return kept, nil
}
