package rollup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/journeys"
)

// LateFinder is what a trace source can say cheaply about spans that
// arrived after the rollups had read their minutes, so that only those
// minutes are recounted rather than the whole lookback.
type LateFinder interface {
	// Cutoff is the arrival time before which the source holds spans
	// completely, for sources that know when they received each span
	// (zero for the others): runs read with it as
	// journeys.SpanQuery.ReceivedBefore, so that whatever arrives later is
	// known to be unread.
	Cutoff(ctx context.Context) (time.Time, error)
	// FirstLate returns the start of the earliest minute in [q.From, q.To)
	// holding spans of q's steps that the rollups have not counted, false
	// when there is none, and what looking cost the source.
	FirstLate(ctx context.Context, q LateQuery) (time.Time, bool, journeys.FetchStats, error)
}

// The domain's (journeys) types a source answers with, so that sources
// need not import this package.
type (
	// LateQuery asks for spans that arrived late.
	LateQuery = journeys.LateQuery
	// Read is what a source read.
	Read = journeys.Read
)

// RunOptions configure a Runner. Zero values take the defaults.
type RunOptions struct {
	// Chunk bounds the range one computation covers while catching up
	// (DefaultChunk), so that memory and each transaction stay bounded.
	Chunk time.Duration
	// Budget: a run starts no new chunk after this long (DefaultBudget);
	// the next run carries on from the watermark.
	Budget time.Duration
	// History is how far back a journey never rolled up starts
	// (DefaultHistory).
	History time.Duration
	// LateLookback is how far before the watermark late spans are looked
	// for (DefaultLateLookback), LateEvery how often (DefaultLateEvery).
	// Without a LateFinder the whole lookback is recounted that often.
	LateLookback time.Duration
	LateEvery    time.Duration
	// Source names the trace source in run reports ("tempo", "embedded").
	Source string
	// AdjustedCountKey is the span attribute of sampled traffic's adjusted
	// counts, if any (see Range).
	AdjustedCountKey string
	// Now is the clock.
	Now func() time.Time
}

// Defaults of RunOptions.
const (
	DefaultChunk        = time.Hour
	DefaultBudget       = 45 * time.Second
	DefaultHistory      = 24 * time.Hour
	DefaultLateLookback = 2 * time.Hour
	DefaultLateEvery    = 10 * time.Minute
)

func (o RunOptions) withDefaults() RunOptions {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Chunk, DefaultChunk)
	def(&o.Budget, DefaultBudget)
	def(&o.History, DefaultHistory)
	def(&o.LateLookback, DefaultLateLookback)
	def(&o.LateEvery, DefaultLateEvery)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Runner advances journeys' rollups: from each journey's watermark to the
// live edge, chunk by chunk, each computation carrying the funnel state of
// the one before, so that a run reads the spans that are new and little
// else; and now and then it recounts the minutes that received late spans.
// One worker at a time advances a journey (LockRuns); several workers
// share the journeys. It is safe for concurrent use.
type Runner struct {
	src   TraceSource
	store *Store
	opts  RunOptions

	mu sync.Mutex
	// cache keeps the funnel state this process last wrote per journey, so
	// that the next run on the same worker need not read and decode it.
	cache map[int64]Progress
}

// NewRunner returns a Runner reading src and writing to store.
func NewRunner(src TraceSource, store *Store, opts RunOptions) *Runner {
	return &Runner{src: src, store: store, opts: opts.withDefaults(), cache: map[int64]Progress{}}
}

// Run advances journey j (at version) towards edge, the end of the last
// minute the source holds completely, starting no computation after budget
// (0: RunOptions.Budget). It returns what it did; Skipped reports that
// another worker holds the journey or that the journey changed meanwhile,
// so the next run does the work.
func (r *Runner) Run(ctx context.Context, j journeys.Journey, version int, edge time.Time, budget time.Duration) (rep RunReport, err error) {
	if budget <= 0 {
		budget = r.opts.Budget
	}
	slug := j.Metadata.Slug
	edge = edge.UTC().Truncate(BucketWidth)
	rep = RunReport{Slug: slug, Version: version, Started: r.opts.Now(), Source: r.opts.Source}
	wall := time.Now()
	defer func() { rep.Duration = time.Since(wall) }()
	p, err := r.progress(ctx, slug, version, edge)
	if err != nil {
		return rep, err
	}
	release, ok, err := r.store.LockRuns(ctx, p.JourneyID)
	if err != nil {
		return rep, err
	}
	defer release()
	if !ok {
		rep.Skipped = true
		return rep, nil
	}
	// Read again under the lock: another worker may have moved it.
	if p, err = r.progress(ctx, slug, version, edge); err != nil {
		return rep, err
	}
	switch {
	case p.Version > version:
		rep.Skipped = true // the journey changed since it was read
		return rep, nil
	case p.Version < version:
		// Rollups of an older definition, changed without a recompute:
		// start over, as a change would.
		if p, err = r.rewind(ctx, slug, edge); err != nil {
			return rep, err
		}
	}
	rep.From, rep.To = p.Watermark, p.Watermark
	for p.Watermark.Before(edge) {
		if r.opts.Now().Sub(rep.Started) > budget && rep.To.After(rep.From) {
			break
		}
		to := p.Watermark.Truncate(r.opts.Chunk).Add(r.opts.Chunk)
		if to.After(edge) {
			to = edge
		}
		cutoff, err := r.cutoff(ctx)
		if err != nil {
			return rep, err
		}
		if p.Open != nil && !p.Open.Fits(j) {
			// A state carried under other segment keys cannot go on: the
			// run recounts the window before the watermark instead.
			p.Open = nil
		}
		res, err := Aggregate(ctx, r.src, j, Range{From: p.Watermark, To: to, ReceivedBefore: cutoff, AdjustedCountKey: r.opts.AdjustedCountKey}, p.Open)
		if err == nil {
			err = r.store.Write(ctx, res, WriteOptions{Version: version, Progress: &p})
		}
		if errors.Is(err, ErrSuperseded) {
			r.forget(p.JourneyID)
			rep.Skipped = true
			return rep, nil
		}
		if err != nil {
			return rep, fmt.Errorf("roll up %q [%s, %s): %w", slug, res0(res, p.Watermark), to.Format(time.RFC3339), err)
		}
		rep.add(res, false)
		rep.To = p.Watermark
		r.remember(p)
	}
	if p.Watermark.Equal(edge) {
		// Caught up: what remains of a backfill's range is the live edge's.
		if err := r.store.finishBackfills(ctx, p.JourneyID, edge); err != nil {
			return rep, err
		}
	}
	if err := r.recountLate(ctx, j, version, &p, &rep); err != nil {
		return rep, err
	}
	return rep, nil
}

func res0(res *Result, from time.Time) string {
	if res != nil {
		return res.Range.From.Format(time.RFC3339)
	}
	return from.Format(time.RFC3339)
}

func (rep *RunReport) add(res *Result, recount bool) {
	rep.Spans += res.SpansRead
	if recount {
		rep.RecountSpans += res.SpansRead
	} else {
		rep.NewSpans += res.NewSpans
	}
	rep.Fetch.Add(res.Fetch)
}

// progress reads a journey's progress, starting it when there is none:
// where the rollups of an earlier Waymark stopped, else History before
// edge.
func (r *Runner) progress(ctx context.Context, slug string, version int, edge time.Time) (Progress, error) {
	p, err := r.store.Progress(ctx, slug, true)
	if errors.Is(err, ErrNoProgress) {
		start := edge.Add(-r.opts.History)
		if fr, err := r.store.Freshness(ctx, slug); err == nil && fr.CompleteThrough.After(start) && !fr.CompleteThrough.After(edge) {
			start = fr.CompleteThrough
		}
		return r.store.Start(ctx, slug, version, start)
	}
	if err != nil {
		return p, err
	}
	r.mu.Lock()
	c, ok := r.cache[p.JourneyID]
	r.mu.Unlock()
	if ok && c.Generation == p.Generation && c.Watermark.Equal(p.Watermark) && c.Open != nil && c.Open.Len() == p.OpenInstances {
		p.Open = c.Open
		return p, nil
	}
	return r.store.Progress(ctx, slug, false)
}

func (r *Runner) rewind(ctx context.Context, slug string, edge time.Time) (Progress, error) {
	err := pgx.BeginFunc(ctx, r.store.pool, func(tx pgx.Tx) error {
		_, err := Rewind(ctx, tx, slug, edge.Add(-r.opts.History), edge)
		return err
	})
	if err != nil {
		return Progress{}, err
	}
	return r.store.Progress(ctx, slug, false)
}

// cutoff is the arrival time to read with: the source's, when it knows
// arrival times.
func (r *Runner) cutoff(ctx context.Context) (time.Time, error) {
	lf, ok := r.src.(LateFinder)
	if !ok {
		return time.Time{}, nil
	}
	t, err := lf.Cutoff(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("read the source's arrival cutoff: %w", err)
	}
	return t, nil
}

func (r *Runner) remember(p Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache[p.JourneyID] = p
}

func (r *Runner) forget(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.cache, id)
}

// recountLate recounts, every LateEvery, the minutes of the lookback that
// received spans after they were counted: from the earliest such minute to
// the watermark, in one computation that replaces those minutes' rows and
// the funnel state.
func (r *Runner) recountLate(ctx context.Context, j journeys.Journey, version int, p *Progress, rep *RunReport) error {
	now := r.opts.Now()
	switch {
	case p.Open == nil || (!p.LateChecked.IsZero() && now.Sub(p.LateChecked) < r.opts.LateEvery):
		return nil
	case p.LateChecked.IsZero() && len(p.Reads) == 0:
		// The rollups were just computed from scratch from a source that
		// counts: its counts agree with them.
		if err := r.store.MarkLateChecked(ctx, *p, now, time.Time{}); err != nil {
			return err
		}
		p.LateChecked = now
		r.remember(*p)
		return nil
	}
	// Arrivals before this cutoff are committed: this check sees them all.
	checked, err := r.cutoff(ctx)
	if err != nil {
		return err
	}
	from := p.Watermark.Add(-r.opts.LateLookback).Truncate(BucketWidth)
	first, late := from, true
	if lf, ok := r.src.(LateFinder); ok {
		counts, err := r.store.stepCounts(ctx, p.JourneyID, from, p.Watermark)
		if err != nil {
			return err
		}
		q := LateQuery{From: from, To: p.Watermark, Since: p.LateSince, Reads: p.Reads, Counted: func(step int, b time.Time) int64 {
			return counts[stepBucket{step, b.UnixNano()}]
		}}
		for _, s := range j.Spec.Steps {
			q.Steps = append(q.Steps, s.Match)
		}
		var cost journeys.FetchStats
		first, late, cost, err = lf.FirstLate(ctx, q)
		rep.Fetch.Add(cost)
		if err != nil {
			return fmt.Errorf("look for late spans of %q: %w", j.Metadata.Slug, err)
		}
	}
	if late && first.Before(p.Watermark) {
		cutoff, err := r.cutoff(ctx)
		if err != nil {
			return err
		}
		res, err := Aggregate(ctx, r.src, j, Range{From: first.UTC().Truncate(BucketWidth), To: p.Watermark, ReceivedBefore: cutoff, AdjustedCountKey: r.opts.AdjustedCountKey}, nil)
		if err == nil {
			err = r.store.Write(ctx, res, WriteOptions{Version: version, Progress: p, Recount: true})
		}
		if errors.Is(err, ErrSuperseded) {
			r.forget(p.JourneyID)
			return nil
		}
		if err != nil {
			return fmt.Errorf("recount late spans of %q: %w", j.Metadata.Slug, err)
		}
		rep.add(res, true)
		r.remember(*p)
	}
	if err := r.store.MarkLateChecked(ctx, *p, now, checked); err != nil {
		return err
	}
	p.LateChecked = now
	if !checked.IsZero() {
		p.LateSince = checked
	}
	r.remember(*p)
	return nil
}

// SameRollups reports whether two definitions of a journey compute the
// same rollups: the same steps, correlation, segments, value attribute and
// latency thresholds. A change of name, description, owner or SLO
// objective then needs no recompute.
func SameRollups(a, b journeys.Journey) bool {
	type shape struct {
		Steps       []journeys.Pattern
		Correlation journeys.Correlation
		Segments    []string
		Value       string
		Thresholds  [][]time.Duration
		AtStep      []int
	}
	of := func(j journeys.Journey) []byte {
		_, atStep := segmentKeys(j)
		s := shape{Correlation: j.Spec.Correlation, Segments: j.Spec.Segments, Value: j.Spec.Value, Thresholds: Thresholds(j), AtStep: atStep}
		for _, st := range j.Spec.Steps {
			s.Steps = append(s.Steps, st.Match)
		}
		s.Correlation.Window = journeys.NewDuration(Window(j))
		b, _ := json.Marshal(s)
		return b
	}
	return slices.Equal(of(a), of(b))
}
