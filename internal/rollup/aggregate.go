package rollup

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// Range is what one computation covers: the spans starting in [From, To).
// Bounds are on minutes.
//
// A computation either carries on from the funnel state of the one that
// ended at From (an Open), reading nothing before From, or, with no state
// to carry on from, recounts: it also recounts the cohorts of the window
// before From (whose instances could still reach steps inside the range),
// reading step 1 from two windows before From to know which sessions or
// traces had already entered.
type Range struct {
	From, To time.Time
	// ReceivedBefore, when set, reads only the spans the source received
	// before it (see journeys.SpanQuery).
	ReceivedBefore time.Time
	// AdjustedCountKey, when set, is a span attribute (scoped, e.g.
	// span.SampleRate) holding how many spans a sampled span stands for;
	// it wins over the source's Span.Weight (the tracestate's threshold).
	AdjustedCountKey string
}

func (r Range) validate() error {
	for _, t := range []time.Time{r.From, r.To} {
		if t.UnixNano()%int64(BucketWidth) != 0 {
			return fmt.Errorf("range bound %s is not on a minute", t.UTC().Format(time.RFC3339Nano))
		}
	}
	if !r.From.Before(r.To) {
		return fmt.Errorf("range [%s, %s) is empty", r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339))
	}
	return nil
}

// Aggregate reads the spans of every step of j for r from src and computes
// its rows, carrying on from open (the state a computation ending at
// r.From left; nil recounts). Steps are read one after the other, step 1
// first: each step's funnel position depends on the step before it.
func Aggregate(ctx context.Context, src TraceSource, j journeys.Journey, r Range, open *Open) (*Result, error) {
	a, err := NewAggregator(j, r, open)
	if err != nil {
		return nil, err
	}
	var stats journeys.FetchStats
	for k := range j.Spec.Steps {
		fn := a.Step(k)
		st, err := src.FetchSpans(ctx, a.Query(k), fn)
		stats.Add(st)
		if err != nil {
			return nil, fmt.Errorf("fetch spans of step %q: %w", j.Spec.Steps[k].Name, err)
		}
	}
	res := a.Result()
	res.Fetch = stats
	return res, nil
}

// maxSteps bounds the steps one journey may have here: reached steps are
// tracked as bits of a uint32.
const maxSteps = 32

// Aggregator turns the spans of a journey's steps into rows. Feed it every
// span of step 0 (from Query(0)), then of step 1, and so on; then call
// Result. Memory grows with buckets × segment values, plus a few words per
// open trace or session for funnels (and per step-1 span until step 1 is
// complete), not with the number of spans.
//
// What the rows mean:
//
//   - A span counts in the bucket of its start, in the all-traffic row and
//     in one row per segment key: under its own attribute value, except
//     with trace correlation past step 1, where the value is the one on
//     the step-1 span the trace entered with (business attributes live
//     there); a span outside the window of any entry of its trace counts
//     in all traffic only.
//   - An instance is one entry of a trace or a session into step 1: a
//     step-1 span enters unless an instance of its trace or session is
//     open at its start. Its window is [entry, entry+window) (10 minutes
//     for traces unless set). It reaches step k with the earliest span of
//     step k that starts at or after the span chosen for step k-1, inside
//     the window.
//   - An errored span reaches its step; the instance counts as errored.
//     Ties at one instant are broken so that arrival order never matters:
//     the lower span id enters, and an errored span wins a later step.
//   - An instance counts in the segment values of its entry span, so that
//     a breakdown never loses a conversion; it is in flight while its
//     window is open at the end of the range without reaching the last
//     step, and dropped once the window closes.
//   - Per bucket and segment key, the TopValues values with the most spans
//     and entries keep rows of their own; the rest fold into OtherValue.
//
// Splitting a range at any minute and carrying the Open of the first part
// into the second gives exactly the rows of one computation over the whole
// range.
type Aggregator struct {
	j       journeys.Journey
	r       Range
	slug    string
	nSteps  int
	byTrace bool
	window  int64
	from    int64
	to      int64
	ffrom   int64 // cohorts entering from here are computed
	recount bool

	sel      []string
	keys     []string
	stepKeys []int // the keys attributed at the step, as indexes of keys
	segAt    []int // index in Span.Attrs of each segment key
	valueAt  int   // -1 without a value attribute
	corrAt   int   // -1 for trace correlation
	// With trace correlation, spans past step 1 take their segments from
	// the trace's entry but for the keys attributed per step (hosts, pods):
	// they are read with those keys and the value attribute alone, which
	// costs Tempo less than selecting every segment key.
	laterSel     []string
	laterValueAt int
	laterSegAt   []int // per segment key: its index in laterSel, -1 when taken from the entry
	laterBuf     []int32
	weightAt     int // index in Span.Attrs of AdjustedCountKey, -1 for none
	laterWeight  int

	thresholds [][]time.Duration
	vals       []valueTable
	buckets    map[bucketKey]*bucketRows
	lastKey    bucketKey
	last       *bucketRows
	segBuf     []int32

	step      int // step being fed; -1 before the first span
	spansRead int64
	newSpans  int64
	done      bool

	funnel funnelState
}

// bucketKey and bucketRows hold the rows of one step and bucket: one map
// lookup per span (usually none: spans come roughly in time order and the
// last bucket is cached), then slices indexed by segment value id.
type bucketKey struct {
	bucket int64 // minutes since the epoch
	step   int
}

type bucketRows struct {
	all   *stepAcc
	byKey [][]*stepAcc // [key][value id]
}

// NewAggregator prepares the aggregation of j over r, carrying on from open
// (nil recounts; see Range).
func NewAggregator(j journeys.Journey, r Range, open *Open) (*Aggregator, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	n := len(j.Spec.Steps)
	switch {
	case n == 0:
		return nil, errors.New("journey has no steps")
	case n > maxSteps:
		return nil, fmt.Errorf("journey has %d steps; at most %d are supported", n, maxSteps)
	case !j.Spec.Correlation.ByTrace() && j.Spec.Correlation.By == "":
		return nil, errors.New("journey has no correlation: set correlation.by")
	}
	a := &Aggregator{
		j:           j,
		r:           r,
		slug:        j.Metadata.Slug,
		nSteps:      n,
		byTrace:     j.Spec.Correlation.ByTrace(),
		window:      int64(Window(j)),
		from:        r.From.UnixNano(),
		to:          r.To.UnixNano(),
		valueAt:     -1,
		corrAt:      -1,
		weightAt:    -1,
		laterWeight: -1,
		buckets:     make(map[bucketKey]*bucketRows),
		lastKey:     bucketKey{step: -1},
		step:        -1,
		recount:     open == nil,
	}
	a.ffrom = a.from
	if a.recount {
		a.ffrom = a.from - a.window
	}
	a.sel = j.SelectKeys()
	at := func(k string) int { return slices.Index(a.sel, k) }
	a.keys, a.stepKeys = segmentKeys(j)
	for _, k := range a.keys {
		a.segAt = append(a.segAt, at(k))
	}
	if j.Spec.Value != "" {
		a.valueAt = at(j.Spec.Value)
	}
	if !a.byTrace {
		a.corrAt = at(j.Spec.Correlation.By)
	}
	if slices.Contains(a.segAt, -1) || (j.Spec.Value != "" && a.valueAt < 0) || (!a.byTrace && a.corrAt < 0) {
		return nil, errors.New("select keys do not cover the journey's attributes")
	}
	a.laterSel, a.laterValueAt = a.sel, a.valueAt
	if a.byTrace {
		a.laterSel, a.laterValueAt = []string{}, -1
		if j.Spec.Value != "" {
			a.laterSel, a.laterValueAt = []string{j.Spec.Value}, 0
		}
		for _, k := range a.keys {
			at := -1
			if j.Spec.SegmentAttribution(k) == journeys.AttributeAtStep {
				at = len(a.laterSel)
				a.laterSel = append(a.laterSel, k)
			}
			a.laterSegAt = append(a.laterSegAt, at)
		}
		a.laterBuf = make([]int32, len(a.keys))
	}
	if k := r.AdjustedCountKey; k != "" {
		if _, err := journeys.ParseKey(k); err != nil {
			return nil, fmt.Errorf("adjusted count attribute: %w", err)
		}
		a.sel = append(slices.Clone(a.sel), k)
		a.weightAt = len(a.sel) - 1
		if a.byTrace {
			a.laterSel = append(slices.Clone(a.laterSel), k)
			a.laterWeight = len(a.laterSel) - 1
		} else {
			a.laterSel, a.laterWeight = a.sel, a.weightAt
		}
	}
	if open != nil {
		switch {
		case !open.Through.Equal(r.From):
			return nil, fmt.Errorf("funnel state is through %s, not the range's start %s",
				open.Through.UTC().Format(time.RFC3339), r.From.UTC().Format(time.RFC3339))
		case !open.Fits(j):
			return nil, fmt.Errorf("funnel state has %d steps and %d segment keys (%d at the step), the journey %d and %d (%d)",
				open.NSteps, open.NKeys, len(open.StepKeys), n, len(a.keys), len(a.stepKeys))
		}
	}
	a.vals = make([]valueTable, len(a.keys))
	for i := range a.vals {
		a.vals[i] = newValueTable()
	}
	a.segBuf = make([]int32, len(a.keys))
	a.thresholds = Thresholds(j)
	a.funnel.init(a, open)
	return a, nil
}

// segmentKeys are the distinct segment keys of j, and which of them (as
// indexes) are attributed at the step.
func segmentKeys(j journeys.Journey) (keys []string, atStep []int) {
	for _, k := range j.Spec.Segments {
		if k == "" || slices.Contains(keys, k) {
			continue
		}
		if j.Spec.SegmentAttribution(k) == journeys.AttributeAtStep {
			atStep = append(atStep, len(keys))
		}
		keys = append(keys, k)
	}
	return keys, atStep
}

// Thresholds returns the latency SLO thresholds of each step of j,
// ascending and distinct. A latency SLO on the whole journey applies to
// every step.
func Thresholds(j journeys.Journey) [][]time.Duration {
	out := make([][]time.Duration, len(j.Spec.Steps))
	for _, s := range j.Spec.SLOs {
		if s.Kind != journeys.SLOLatency || s.Threshold.D <= 0 {
			continue
		}
		for k, st := range j.Spec.Steps {
			if s.Step == "" || s.Step == st.Name {
				out[k] = append(out[k], s.Threshold.D)
			}
		}
	}
	for k := range out {
		slices.Sort(out[k])
		out[k] = slices.Compact(out[k])
	}
	return out
}

// Query is the span query for step k: the step's pattern, the attributes the
// rollup needs, and the time range to read (see Range).
func (a *Aggregator) Query(k int) journeys.SpanQuery {
	q := journeys.SpanQuery{Select: a.sel, From: a.r.From, To: a.r.To, ReceivedBefore: a.r.ReceivedBefore}
	if k > 0 {
		q.Select = a.laterSel
	}
	if k >= 0 && k < a.nSteps {
		q.Pattern = a.j.Spec.Steps[k].Match
	}
	if a.recount {
		q.From = time.Unix(0, a.ffrom).UTC()
		if k == 0 {
			q.From = time.Unix(0, a.ffrom-a.window).UTC()
		}
	}
	return q
}

// Step returns the function that consumes the spans of step k, for
// TraceSource.FetchSpans.
func (a *Aggregator) Step(k int) func(journeys.Span) error {
	return func(s journeys.Span) error { return a.Add(k, s) }
}

// Add consumes one span of step k. Steps must be fed in order: once a span
// of step k has been added, spans of earlier steps are refused.
func (a *Aggregator) Add(k int, s journeys.Span) error {
	if a.done {
		return errors.New("aggregation already finished")
	}
	if k != a.step {
		if k < a.step || k < 0 || k >= a.nSteps {
			return fmt.Errorf("span of step %d after step %d: steps must be fed in order", k, a.step)
		}
		if k > 0 {
			a.funnel.closeStep0()
		}
		a.step = k
	}
	a.spansRead++
	start := s.Start.UnixNano()
	inRange := start >= a.from && start < a.to
	if inRange {
		a.newSpans++
	}
	var key corrKey
	if a.byTrace {
		key = traceCorr(s.TraceID)
	} else {
		key = a.funnel.sessionCorr(attr(s.Attrs, a.corrAt))
	}
	value, hasValue := a.valueOf(k, s)
	w := a.weightOf(k, s)
	if k == 0 {
		seg := a.ownSegments(s)
		if inRange {
			a.addRows(k, start, s, seg, true, w)
		}
		a.funnel.candidate(key, spanKey(s.SpanID), start, s.Error, seg, value, hasValue, w, &s)
		return nil
	}
	i, ok := a.funnel.instanceAt(key, start)
	// Past step 1, a trace's spans count in the segment values it entered
	// with (but for the keys attributed at the step); a session's in their
	// own. A trace's span outside every entry's window has none.
	var seg []int32
	if inRange || ok {
		switch {
		case !a.byTrace:
			seg = a.ownSegments(s)
		case ok:
			seg = a.laterSegments(s, a.funnel.segs(i))
		}
	}
	if inRange {
		a.addRows(k, start, s, seg, seg != nil, w)
	}
	if ok {
		a.funnel.reach(i, k, start, s.Error, value, hasValue, seg, &s)
	}
	return nil
}

// weightOf is how many spans s stands for: the adjusted count attribute
// when set and numeric, else the source's weight, rounded to a whole
// number of spans (journeys.RoundCount); 1 for unsampled traffic.
func (a *Aggregator) weightOf(k int, s journeys.Span) int64 {
	at := a.weightAt
	if k > 0 {
		at = a.laterWeight
	}
	if at >= 0 {
		if f, err := strconv.ParseFloat(attr(s.Attrs, at), 64); err == nil {
			return journeys.RoundCount(f)
		}
	}
	if s.Weight == 0 {
		return 1
	}
	return journeys.RoundCount(s.Weight)
}

// valueOf parses a span's value attribute, when the journey has one and
// the span carries a finite number.
func (a *Aggregator) valueOf(k int, s journeys.Span) (float64, bool) {
	at := a.valueAt
	if k > 0 {
		at = a.laterValueAt
	}
	if at < 0 {
		return 0, false
	}
	v := attr(s.Attrs, at)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func attr(attrs []string, i int) string {
	if i < 0 || i >= len(attrs) {
		return ""
	}
	return attrs[i]
}

func (a *Aggregator) ownSegments(s journeys.Span) []int32 {
	for i, at := range a.segAt {
		a.segBuf[i] = a.vals[i].intern(attr(s.Attrs, at))
	}
	return a.segBuf
}

// laterSegments are the segment values of a trace's span past step 1: the
// entry's, but the span's own for the keys attributed per step.
func (a *Aggregator) laterSegments(s journeys.Span, entry []int32) []int32 {
	copy(a.laterBuf, entry)
	for i, at := range a.laterSegAt {
		if at >= 0 {
			a.laterBuf[i] = a.vals[i].intern(attr(s.Attrs, at))
		}
	}
	return a.laterBuf
}

// addRows counts s in the all-traffic row and, when its segment values are
// known, in one row per segment key.
func (a *Aggregator) addRows(k int, start int64, s journeys.Span, seg []int32, haveSeg bool, w int64) {
	idx := sketch.Index(s.Duration)
	value, hasValue := a.valueOf(k, s)
	br := a.bucket(bucketKey{bucket: bucketOf(start), step: k})
	th := a.thresholds[k]
	br.all.add(th, start, s, idx, value, hasValue, w)
	if !haveSeg {
		return
	}
	for i, v := range seg {
		row := br.byKey[i]
		if int(v) >= len(row) {
			row = append(row, make([]*stepAcc, int(v)+1-len(row))...)
			br.byKey[i] = row
		}
		acc := row[v]
		if acc == nil {
			acc = newStepAcc(th)
			row[v] = acc
		}
		acc.add(th, start, s, idx, value, hasValue, w)
	}
}

func (a *Aggregator) bucket(k bucketKey) *bucketRows {
	if k == a.lastKey {
		return a.last
	}
	br := a.buckets[k]
	if br == nil {
		br = &bucketRows{all: newStepAcc(a.thresholds[k.step]), byKey: make([][]*stepAcc, len(a.keys))}
		a.buckets[k] = br
	}
	a.lastKey, a.last = k, br
	return br
}

// bucketOf is the number of the bucket an instant in Unix nanoseconds
// falls in, rounding down before 1970 too.
func bucketOf(ns int64) int64 {
	const b = int64(BucketWidth)
	q := ns / b
	if ns%b != 0 && ns < 0 {
		q--
	}
	return q
}

// traceKey packs a trace id into 16 bytes; ids that are not hex (a source
// should never send them) are hashed instead, consistently.
func traceKey(id string) [16]byte {
	var k [16]byte
	if len(id) == 32 && hexDecode(k[:], id) {
		return k
	}
	if n, ok := journeys.NormalizeTraceID(id); ok && hexDecode(k[:], n) {
		return k
	}
	h := sha256.Sum256([]byte(id))
	copy(k[:], h[:])
	return k
}

func spanKey(id string) [8]byte {
	var k [8]byte
	if len(id) == 16 && hexDecode(k[:], id) {
		return k
	}
	h := sha256.Sum256([]byte(id))
	copy(k[:], h[:])
	return k
}

// hexDecode decodes s into dst (len(s) == 2*len(dst)) without allocating.
func hexDecode(dst []byte, s string) bool {
	for i := range dst {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Result finishes the aggregation: funnels are counted, each segment key
// keeps, per bucket, its TopValues most frequent values and folds the rest
// into OtherValue, and rows come out sorted by step, bucket and segment.
// The Aggregator cannot be used afterwards.
func (a *Aggregator) Result() *Result {
	a.funnel.closeStep0()
	a.done = true
	res := &Result{
		Slug:       a.slug,
		Range:      a.r,
		FunnelFrom: time.Unix(0, a.ffrom).UTC(),
		Thresholds: a.thresholds,
		SpansRead:  a.spansRead,
		NewSpans:   a.newSpans,
	}
	named := a.ranking()

	for bk, br := range a.buckets {
		bucket := time.Unix(0, bk.bucket*int64(BucketWidth)).UTC()
		res.Steps = append(res.Steps, a.stepRow(bk.step, bucket, Segment{}, br.all))
		for i, row := range br.byKey {
			var folded *stepAcc
			for v, acc := range row {
				if acc == nil {
					continue
				}
				if named(bk.bucket, i, int32(v)) {
					res.Steps = append(res.Steps, a.stepRow(bk.step, bucket, Segment{Key: a.keys[i], Value: a.vals[i].names[v]}, acc))
					continue
				}
				if folded == nil {
					folded = acc
				} else {
					folded.merge(acc)
				}
			}
			if folded != nil {
				res.Steps = append(res.Steps, a.stepRow(bk.step, bucket, Segment{Key: a.keys[i], Value: OtherValue}, folded))
			}
		}
	}
	slices.SortFunc(res.Steps, func(x, y StepRow) int {
		return cmp.Or(
			cmp.Compare(x.Step, y.Step),
			x.Bucket.Compare(y.Bucket),
			compareSegments(x.Segment, y.Segment),
		)
	})

	full, deltas := a.funnel.funnelRows(named)
	res.Funnels = funnelList(full)
	res.Deltas = funnelList(deltas)
	res.Open = a.funnel.open(named)
	a.buckets, a.last = nil, nil
	a.funnel = funnelState{}
	return res
}

func funnelList(m map[funnelKey]*funnelAcc) []FunnelRow {
	out := make([]FunnelRow, 0, len(m))
	for k, acc := range m {
		out = append(out, acc.row(time.Unix(0, k.bucket*int64(BucketWidth)).UTC(), k.seg))
	}
	slices.SortFunc(out, func(x, y FunnelRow) int {
		return cmp.Or(x.Bucket.Compare(y.Bucket), compareSegments(x.Segment, y.Segment))
	})
	return out
}

// compareSegments orders all traffic first, then by key and value.
func compareSegments(x, y Segment) int {
	return cmp.Or(strings.Compare(x.Key, y.Key), strings.Compare(x.Value, y.Value))
}

// ranking decides, per bucket and segment key, which values keep rows of
// their own: the TopValues with the most spans (of every step) and entries
// in that bucket, ties by value, so that the choice is deterministic and
// the same however a range is split. Values beyond trackedValues never do.
func (a *Aggregator) ranking() func(bucket int64, key int, v int32) bool {
	type bk struct {
		bucket int64
		key    int
	}
	counts := map[bk][]int64{}
	tally := func(bucket int64, key int, v int32, n int64) {
		c := counts[bk{bucket, key}]
		if int(v) >= len(c) {
			c = append(c, make([]int64, int(v)+1-len(c))...)
		}
		c[v] += n
		counts[bk{bucket, key}] = c
	}
	for k, br := range a.buckets {
		for s, row := range br.byKey {
			for v, acc := range row {
				if acc != nil {
					tally(k.bucket, s, int32(v), acc.spans)
				}
			}
		}
	}
	f := &a.funnel
	for i := f.seeded; i < len(f.inst); i++ {
		in := &f.inst[i]
		if in.entry < a.ffrom || in.entry >= a.to {
			continue
		}
		for s, v := range f.segs(int32(i)) {
			tally(bucketOf(in.entry), s, v, 1)
		}
	}
	// keep is nil where every value seen keeps its row.
	keep := map[bk][]bool{}
	for k, c := range counts {
		var ids []int32
		for v := 1; v < len(c); v++ {
			if c[v] > 0 {
				ids = append(ids, int32(v))
			}
		}
		if len(ids) <= TopValues {
			continue
		}
		names := a.vals[k.key].names
		slices.SortFunc(ids, func(x, y int32) int {
			return cmp.Or(cmp.Compare(c[y], c[x]), strings.Compare(names[x], names[y]))
		})
		kept := make([]bool, len(c))
		for _, id := range ids[:TopValues] {
			kept[id] = true
		}
		keep[k] = kept
	}
	return func(bucket int64, key int, v int32) bool {
		if v == otherID {
			return false
		}
		kept, ok := keep[bk{bucket, key}]
		return !ok || (int(v) < len(kept) && kept[v])
	}
}

func (a *Aggregator) stepRow(step int, bucket time.Time, seg Segment, r *stepAcc) StepRow {
	return StepRow{
		Step:     step,
		Bucket:   bucket,
		Width:    BucketWidth,
		Segment:  seg,
		Spans:    r.spans,
		Sampled:  r.sampled,
		Errors:   r.errors,
		Latency:  &r.lat,
		Good:     r.good,
		ValueSum: r.valueSum,
		Slowest:  r.slow.list(),
		Errored:  r.errs.list(),
	}
}
