package rollup

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"math"
	"slices"
	"time"

	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/journeys"
)

// funnelState follows journey instances through the steps. An instance is
// one entry of a correlation key (a trace, or a session) into step 1; its
// window is [entry, entry+window). Both correlations follow the same rule:
// a step-1 span enters unless an instance of its key is open at its start.
//
// It lives in flat slabs so that an instance costs a few words: inst[i],
// segs(i) and chosen[i*nSteps:] describe instance i. The first seeded
// instances were carried in from the previous computation (Open); was[i]
// is how far each had got then, so that only the change is counted.
type funnelState struct {
	a       *Aggregator
	nSteps  int
	nKeys   int
	window  int64
	byTrace bool

	inst    []instance
	segSlab []int32 // value ids in a.vals, nKeys per instance
	chosen  []int64 // start of the span chosen for each reached step

	// The keys attributed at the step: stepKeys[j] indexes a.keys, and
	// stepVals[(i*nSteps+k)*nSK+j] is the value of key j on the span
	// instance i chose for step k (-1 where not known: a carried
	// instance's steps before its furthest).
	stepKeys []int
	nSK      int
	stepVals []int32

	// keep, for looking at instances (Instances), also keeps the trace
	// and duration of each chosen span: kept[i*nSteps+k].
	keep bool
	kept []keptSpan

	seed   *Open
	seeded int
	was    []instance

	// Correlation keys: a trace's 16 bytes, or a 128-bit hash of a session
	// id (a map without pointers is not scanned by the garbage collector,
	// and keeps no copy of millions of ids). raw keeps each key as it must
	// be carried to the next computation.
	seeds   [2]maphash.Seed
	keyIdx  map[[16]byte]int32
	raw     []byte
	rawOff  []int32
	keySeed []int32     // per key: its seeded instance, or -1
	keyNew  []instRange // per key: its new instances, by entry

	// Step-1 spans, kept until step 1 is complete: which of them enter
	// depends on all of them in start order.
	cands    []candidate
	candSegs []int32
	closed   bool
}

type instance struct {
	entry int64
	key   int32
	depth uint8  // steps reached
	errs  uint32 // bit k: the span chosen for step k is an error
	// value is the value attribute of the chosen span of the furthest step
	// that carried one (valueAt that step), for revenue at risk.
	value   float64
	valueAt int8 // -1: none yet
	// weight is how many instances this one stands for: its entry span's
	// adjusted count when the traffic was sampled, else 1.
	weight int64
}

type instRange struct{ first, n int32 }

type keptSpan struct {
	trace string
	dur   time.Duration
}

type candidate struct {
	start    int64
	id       [8]byte
	key      int32
	seg      int32 // offset in candSegs
	err      bool
	hasValue bool
	value    float64
	weight   int64
	kept     keptSpan
}

func (f *funnelState) init(a *Aggregator, seed *Open) {
	f.a = a
	f.nSteps = a.nSteps
	f.nKeys = len(a.keys)
	f.window = a.window
	f.byTrace = a.byTrace
	f.stepKeys = a.stepKeys
	f.nSK = len(a.stepKeys)
	f.keyIdx = make(map[[16]byte]int32)
	f.rawOff = []int32{0}
	f.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	if seed == nil {
		return
	}
	f.seed = seed
	n := seed.Len()
	// Room for the new instances of a run too: growing slabs of hundreds
	// of thousands of instances copies them whole.
	c := n + n/4 + 64
	f.inst = make([]instance, 0, c)
	f.chosen = make([]int64, 0, c*f.nSteps)
	f.segSlab = make([]int32, 0, c*f.nKeys)
	f.keyIdx = make(map[[16]byte]int32, c)
	f.raw = make([]byte, 0, len(seed.keys)+len(seed.keys)/4)
	f.rawOff = make([]int32, 1, c+1)
	f.keySeed = make([]int32, 0, c)
	ids := make([][]int32, f.nKeys) // seed value index → a.vals id
	for s := range f.nKeys {
		ids[s] = make([]int32, len(seed.vals[s]))
		for v, name := range seed.vals[s] {
			ids[s][v] = a.vals[s].intern(name)
		}
	}
	for i := range n {
		k := f.carriedKey(seed.key(i))
		f.keySeed[k] = int32(i)
		f.inst = append(f.inst, instance{entry: seed.entry[i], key: k, depth: seed.depth[i], errs: seed.errs[i],
			value: seed.value[i], valueAt: seed.valueAt[i], weight: seed.weight[i]})
		f.chosen = append(f.chosen, seed.chosen[i*f.nSteps:(i+1)*f.nSteps]...)
		for s := range f.nKeys {
			f.segSlab = append(f.segSlab, ids[s][seed.segs[i*f.nKeys+s]])
		}
		if f.nSK > 0 {
			base := len(f.stepVals) + (int(seed.depth[i])-1)*f.nSK
			f.stepVals = append(f.stepVals, unknownVals(f.nSteps*f.nSK)...)
			for j, s := range f.stepKeys {
				f.stepVals[base+j] = ids[s][seed.at[i*f.nSK+j]]
			}
		}
	}
	f.seeded = n
	f.was = slices.Clone(f.inst)
}

// corrKey is a correlation key: h is what it is looked up by (a trace's 16
// bytes, or a 128-bit hash of a session id), raw what is carried to the
// next computation (empty for a trace: h itself).
type corrKey struct {
	h   [16]byte
	raw string
	ok  bool
}

// traceCorr is the key of a trace.
func traceCorr(id string) corrKey { return corrKey{h: traceKey(id), ok: true} }

// sessionCorr is the key of a session id; a span without one has none.
func (f *funnelState) sessionCorr(id string) corrKey {
	if id == "" {
		return corrKey{}
	}
	k := corrKey{raw: id, ok: true}
	binary.LittleEndian.PutUint64(k.h[:8], maphash.String(f.seeds[0], id))
	binary.LittleEndian.PutUint64(k.h[8:], maphash.String(f.seeds[1], id))
	return k
}

// carriedKey is the number of the key of a carried instance, raw as
// carried.
func (f *funnelState) carriedKey(raw []byte) int32 {
	var h [16]byte
	if f.byTrace {
		copy(h[:], raw)
	} else {
		binary.LittleEndian.PutUint64(h[:8], maphash.Bytes(f.seeds[0], raw))
		binary.LittleEndian.PutUint64(h[8:], maphash.Bytes(f.seeds[1], raw))
	}
	if n, ok := f.keyIdx[h]; ok {
		return n
	}
	n := int32(len(f.keySeed))
	f.keyIdx[h] = n
	f.raw = append(f.raw, raw...)
	f.rawOff = append(f.rawOff, int32(len(f.raw)))
	f.keySeed = append(f.keySeed, -1)
	return n
}

// keyOf returns the number of a correlation key, adding it when new.
func (f *funnelState) keyOf(k corrKey) int32 {
	if n, ok := f.keyIdx[k.h]; ok {
		return n
	}
	n := int32(len(f.keySeed))
	f.keyIdx[k.h] = n
	if f.byTrace {
		f.raw = append(f.raw, k.h[:]...)
	} else {
		f.raw = append(f.raw, k.raw...)
	}
	f.rawOff = append(f.rawOff, int32(len(f.raw)))
	f.keySeed = append(f.keySeed, -1)
	return n
}

func (f *funnelState) rawKey(n int32) []byte { return f.raw[f.rawOff[n]:f.rawOff[n+1]] }

func (f *funnelState) segs(i int32) []int32 {
	return f.segSlab[int(i)*f.nKeys : (int(i)+1)*f.nKeys]
}

func errBit(k int, isErr bool) uint32 {
	if isErr {
		return 1 << k
	}
	return 0
}

// candidate records a step-1 span of correlation key k (none: the span
// has no key and enters nothing).
func (f *funnelState) candidate(k corrKey, id [8]byte, start int64, isErr bool, seg []int32, value float64, hasValue bool, w int64, s *journeys.Span) {
	if !k.ok {
		return
	}
	c := candidate{start: start, id: id, key: f.keyOf(k), seg: int32(len(f.candSegs)), err: isErr, value: value, hasValue: hasValue, weight: w}
	if f.keep {
		c.kept = keptSpan{trace: s.TraceID, dur: s.Duration}
	}
	f.cands = append(f.cands, c)
	f.candSegs = append(f.candSegs, seg...)
}

// closeStep0 turns the step-1 spans into instances: per key in start order
// (ties by span id, so arrival order never matters), a span enters unless
// an instance of the key is still open at its start. Only entries in the
// funnel range become instances; earlier ones were read to know whether a
// key had already entered.
func (f *funnelState) closeStep0() {
	if f.closed {
		return
	}
	f.closed = true
	slices.SortFunc(f.cands, func(x, y candidate) int {
		return cmp.Or(cmp.Compare(x.key, y.key), cmp.Compare(x.start, y.start), bytes.Compare(x.id[:], y.id[:]))
	})
	f.keyNew = make([]instRange, len(f.keySeed))
	ffrom, to := f.a.ffrom, f.a.to
	for lo := 0; lo < len(f.cands); {
		key := f.cands[lo].key
		hi := lo
		for hi < len(f.cands) && f.cands[hi].key == key {
			hi++
		}
		first := int32(len(f.inst))
		open := int64(math.MinInt64)
		if s := f.keySeed[key]; s >= 0 {
			open = f.inst[s].entry
		}
		for _, c := range f.cands[lo:hi] {
			if open != math.MinInt64 && c.start < open+f.window {
				continue
			}
			open = c.start
			if c.start < ffrom || c.start >= to {
				continue
			}
			in := instance{entry: c.start, key: key, depth: 1, errs: errBit(0, c.err), valueAt: -1, weight: c.weight}
			if c.hasValue {
				in.value, in.valueAt = c.value, 0
			}
			f.inst = append(f.inst, in)
			f.segSlab = append(f.segSlab, f.candSegs[c.seg:int(c.seg)+f.nKeys]...)
			f.chosen = append(f.chosen, make([]int64, f.nSteps)...)
			f.chosen[(len(f.inst)-1)*f.nSteps] = c.start
			if f.keep {
				f.kept = append(f.kept, make([]keptSpan, f.nSteps)...)
				f.kept[(len(f.inst)-1)*f.nSteps] = c.kept
			}
			if f.nSK > 0 {
				base := len(f.stepVals)
				f.stepVals = append(f.stepVals, unknownVals(f.nSteps*f.nSK)...)
				for j, s := range f.stepKeys {
					f.stepVals[base+j] = f.candSegs[int(c.seg)+s]
				}
			}
		}
		f.keyNew[key] = instRange{first: first, n: int32(len(f.inst)) - first}
		lo = hi
	}
	f.cands, f.candSegs = nil, nil
}

// instanceAt finds the instance of key k whose window holds t. Windows of
// one key never overlap, so there is at most one.
func (f *funnelState) instanceAt(k corrKey, t int64) (int32, bool) {
	if !k.ok {
		return 0, false
	}
	key, ok := f.keyIdx[k.h]
	if !ok {
		return 0, false
	}
	i := int32(-1)
	if int(key) < len(f.keyNew) {
		rg := f.keyNew[key]
		// The last new instance entering at or before t.
		for j := rg.first + rg.n - 1; j >= rg.first; j-- {
			if f.inst[j].entry <= t {
				i = j
				break
			}
		}
	}
	if i < 0 {
		i = f.keySeed[key]
	}
	if i < 0 || t < f.inst[i].entry || t >= f.inst[i].entry+f.window {
		return 0, false
	}
	return i, true
}

// unknownVals is n value ids not known yet.
func unknownVals(n int) []int32 {
	v := make([]int32, n)
	for i := range v {
		v[i] = -1
	}
	return v
}

// reach offers a span of step k (k ≥ 1) starting at t, with segment values
// seg (nil: unknown), to instance i. The instance reaches step k with its
// earliest span of step k that starts at or after the span chosen for step
// k-1 and inside the window. Among spans starting at the same instant an
// error wins, and for the keys attributed at the step the lowest value, so
// that the choice never depends on arrival order.
func (f *funnelState) reach(i int32, k int, t int64, isErr bool, value float64, hasValue bool, seg []int32, s *journeys.Span) {
	in := &f.inst[i]
	if int(in.depth) < k {
		return
	}
	base := int(i) * f.nSteps
	if t < f.chosen[base+k-1] || t >= in.entry+f.window {
		return
	}
	switch {
	case int(in.depth) == k:
		in.depth = uint8(k + 1)
		f.chosen[base+k] = t
		in.errs |= errBit(k, isErr)
		f.setStepVals(i, k, seg, false)
		f.keepSpan(base+k, s)
	case t < f.chosen[base+k]:
		f.chosen[base+k] = t
		in.errs = in.errs&^(1<<k) | errBit(k, isErr)
		f.setStepVals(i, k, seg, false)
		f.keepSpan(base+k, s)
	case t == f.chosen[base+k]:
		if isErr && in.errs&(1<<k) == 0 {
			f.keepSpan(base+k, s)
		}
		in.errs |= errBit(k, isErr)
		f.setStepVals(i, k, seg, true)
	}
	// The instance is worth the largest value carried by a span of its
	// furthest step that has any, among the spans that could reach it:
	// the same whatever order they arrive in, however the range is cut.
	if hasValue && (int(in.valueAt) < k || int(in.valueAt) == k && value > in.value) {
		in.value, in.valueAt = value, int8(k)
	}
}

func (f *funnelState) keepSpan(at int, s *journeys.Span) {
	if f.keep {
		f.kept[at] = keptSpan{trace: s.TraceID, dur: s.Duration}
	}
}

// setStepVals records the values of the keys attributed at the step on the
// span chosen for step k of instance i; tie keeps, per key, the lower of
// the value held and the span's.
func (f *funnelState) setStepVals(i int32, k int, seg []int32, tie bool) {
	if f.nSK == 0 || seg == nil {
		return
	}
	at := f.stepVals[(int(i)*f.nSteps+k)*f.nSK:][:f.nSK]
	for j, s := range f.stepKeys {
		v := seg[s]
		if tie && at[j] >= 0 && f.a.vals[s].names[at[j]] <= f.a.vals[s].names[v] {
			continue
		}
		at[j] = v
	}
}

type funnelAcc struct {
	atStep    bool
	continued []int64
	reached   []int64
	inFlight  []int64
	errored   int64
	times     []sketch.Sketch
	dropped   []float64
	failed    []float64
}

func newFunnelAcc(n int) *funnelAcc {
	return &funnelAcc{
		continued: make([]int64, n),
		reached:   make([]int64, n),
		inFlight:  make([]int64, n),
		times:     make([]sketch.Sketch, n-1),
		dropped:   make([]float64, n),
		failed:    make([]float64, n),
	}
}

// funnelKey names one cohort row: entry bucket and segment.
type funnelKey struct {
	bucket int64
	seg    Segment
}

// funnelRows counts the instances into their cohort rows: a new instance
// whole, under the segment values its entry bucket's ranking names; a
// carried one by what changed since it was carried, under the names it
// was first counted with. An instance is in flight while its window is
// still open at the end of the range without reaching the last step.
func (f *funnelState) funnelRows(named func(bucket int64, key int, v int32) bool) (full, deltas map[funnelKey]*funnelAcc) {
	full, deltas = map[funnelKey]*funnelAcc{}, map[funnelKey]*funnelAcc{}
	a := f.a
	add := func(m map[funnelKey]*funnelAcc, k funnelKey) *funnelAcc {
		acc := m[k]
		if acc == nil {
			acc = newFunnelAcc(f.nSteps)
			m[k] = acc
		}
		return acc
	}
	for i := range f.inst {
		in := &f.inst[i]
		bucket := bucketOf(in.entry)
		flying := int(in.depth) < f.nSteps && in.entry+f.window > a.to
		chosen := f.chosen[i*f.nSteps : (i+1)*f.nSteps]
		if i >= f.seeded {
			if in.entry < a.ffrom || in.entry >= a.to {
				continue
			}
			k := funnelKey{bucket: bucket}
			add(full, k).count(0, int(in.depth), false, flying, 0, in.errs, chosen, in.weight)
			add(full, k).settle(in, f.window, a.to, f.nSteps)
			for s, v := range f.segs(int32(i)) {
				k.seg = Segment{Key: a.keys[s], Value: OtherValue}
				if named(bucket, s, v) {
					k.seg.Value = a.vals[s].names[v]
				}
				acc := add(full, k)
				acc.count(0, int(in.depth), false, flying, 0, in.errs, chosen, in.weight)
				acc.settle(in, f.window, a.to, f.nSteps)
			}
			f.countAtStep(add, full, i, bucket, 0, false, flying, named)
			continue
		}
		was := f.was[i]
		wasFlying := int(was.depth) < f.nSteps
		closes := in.entry+f.window <= a.to
		if was.depth == in.depth && was.errs == in.errs && flying == wasFlying && !closes {
			continue
		}
		k := funnelKey{bucket: bucket}
		add(deltas, k).count(int(was.depth), int(in.depth), wasFlying, flying, was.errs, in.errs, chosen, in.weight)
		add(deltas, k).settle(in, f.window, a.to, f.nSteps)
		for s := range f.nKeys {
			k.seg = Segment{Key: a.keys[s], Value: OtherValue}
			if f.seed.folded[i]&(1<<s) == 0 {
				k.seg.Value = f.seed.segName(i, s)
			}
			acc := add(deltas, k)
			acc.count(int(was.depth), int(in.depth), wasFlying, flying, was.errs, in.errs, chosen, in.weight)
			acc.settle(in, f.window, a.to, f.nSteps)
		}
		f.countAtStep(add, deltas, i, bucket, int(was.depth), wasFlying, flying, named)
	}
	return full, deltas
}

// countAtStep counts instance i in the rows of the keys attributed at the
// step (AtStep), from depth from (its furthest step when carried in, 0 for
// a new instance) to its depth now: each step newly reached under the
// value of its own span, and the step it was at when carried in as
// continued, or as no longer in flight once its window closed. A carried
// instance's furthest step keeps the name it was counted under.
func (f *funnelState) countAtStep(add func(map[funnelKey]*funnelAcc, funnelKey) *funnelAcc, m map[funnelKey]*funnelAcc,
	i int, bucket int64, from int, wasFlying, flying bool, named func(bucket int64, key int, v int32) bool) {
	if f.nSK == 0 {
		return
	}
	a := f.a
	in := &f.inst[i]
	to, w := int(in.depth), in.weight
	row := func(j int, name string) *funnelAcc {
		acc := add(m, funnelKey{bucket: bucket, seg: Segment{Key: AtStep(a.keys[f.stepKeys[j]]), Value: name}})
		acc.atStep = true
		return acc
	}
	for j, s := range f.stepKeys {
		if from > 0 {
			name := OtherValue
			if f.seed.atFolded[i]&(1<<j) == 0 {
				name = f.seed.atName(i, j)
			}
			switch {
			case to > from:
				acc := row(j, name)
				acc.continued[from-1] += w
				if wasFlying {
					acc.inFlight[from-1] -= w
				}
			case wasFlying && !flying:
				row(j, name).inFlight[from-1] -= w
			}
		}
		for k := from; k < to; k++ {
			v := f.stepVals[(i*f.nSteps+k)*f.nSK+j]
			name := OtherValue
			if v >= 0 && named(bucket, s, v) {
				name = a.vals[s].names[v]
			}
			acc := row(j, name)
			acc.reached[k] += w
			switch {
			case k+1 < to:
				acc.continued[k] += w
			case flying:
				acc.inFlight[k] += w
			}
		}
	}
}

// count adds the change of one instance from depth from (in flight or
// not, errors wasErrs) to depth to (flying, errs): every step newly
// reached, the time taken to reach it, the move out of or into flight.
func (c *funnelAcc) count(from, to int, wasFlying, flying bool, wasErrs, errs uint32, chosen []int64, w int64) {
	for k := from; k < to; k++ {
		c.reached[k] += w
		if k > 0 {
			c.times[k-1].AddIndex(sketch.Index(time.Duration(chosen[k]-chosen[k-1])), uint64(w))
		}
	}
	if wasFlying {
		for k := 0; k < from; k++ {
			c.inFlight[k] -= w
		}
	}
	if flying {
		for k := 0; k < to; k++ {
			c.inFlight[k] += w
		}
	}
	if wasErrs == 0 && errs != 0 {
		c.errored += w
	}
}

// settle counts what an instance was worth when its window closes before
// to (every instance here was open before this computation): dropped after
// its furthest step, and failed at each step whose span errored. A span
// inside the window may still set the value after the instance completed,
// so only a closed window settles it.
func (c *funnelAcc) settle(in *instance, window, to int64, nSteps int) {
	if in.entry+window > to || in.valueAt < 0 {
		return
	}
	if int(in.depth) < nSteps {
		c.dropped[in.depth-1] += in.value * float64(in.weight)
	}
	for k := range nSteps {
		if in.errs&(1<<k) != 0 {
			c.failed[k] += in.value * float64(in.weight)
		}
	}
}

func (c *funnelAcc) row(bucket time.Time, seg Segment) FunnelRow {
	times := make([]*sketch.Sketch, len(c.times))
	for i := range c.times {
		times[i] = &c.times[i]
	}
	// A row counted at the step has no times between steps: its steps'
	// values differ.
	var continued []int64
	if c.atStep {
		continued, times = c.continued, nil
	}
	return FunnelRow{
		Bucket:    bucket,
		Width:     BucketWidth,
		Segment:   seg,
		Continued: continued,
		Reached:   c.reached,
		Errored:   c.errored,
		InFlight:  c.inFlight,
		StepTimes: times,

		DroppedValue: c.dropped,
		ErroredValue: c.failed,
	}
}

// open returns the instances still open at the end of the range, to be
// carried into the next computation.
func (f *funnelState) open(named func(bucket int64, key int, v int32) bool) *Open {
	a := f.a
	o := newOpen(time.Unix(0, a.to).UTC(), f.nSteps, f.nKeys, f.stepKeys)
	c := len(f.inst)
	o.keys = make([]byte, 0, len(f.raw))
	o.keyOff = make([]uint32, 1, c+1)
	o.entry, o.depth, o.errs, o.folded = make([]int64, 0, c), make([]uint8, 0, c), make([]uint32, 0, c), make([]uint16, 0, c)
	o.value, o.valueAt, o.weight = make([]float64, 0, c), make([]int8, 0, c), make([]int64, 0, c)
	o.chosen, o.segs = make([]int64, 0, c*f.nSteps), make([]int32, 0, c*f.nKeys)
	if f.nSK > 0 {
		o.at, o.atFolded = make([]int32, 0, c*f.nSK), make([]uint16, 0, c)
	}
	valIdx := make([]map[string]int32, f.nKeys)
	for s := range valIdx {
		valIdx[s] = map[string]int32{}
	}
	intern := func(s int, name string) int32 {
		if v, ok := valIdx[s][name]; ok {
			return v
		}
		v := int32(len(o.vals[s]))
		valIdx[s][name] = v
		o.vals[s] = append(o.vals[s], name)
		return v
	}
	for i := range f.inst {
		in := &f.inst[i]
		if in.entry+f.window <= a.to || (i >= f.seeded && (in.entry < a.ffrom || in.entry >= a.to)) {
			continue
		}
		o.keys = append(o.keys, f.rawKey(in.key)...)
		o.keyOff = append(o.keyOff, uint32(len(o.keys)))
		o.entry = append(o.entry, in.entry)
		o.depth = append(o.depth, in.depth)
		o.errs = append(o.errs, in.errs)
		o.value, o.valueAt = append(o.value, in.value), append(o.valueAt, in.valueAt)
		o.weight = append(o.weight, in.weight)
		o.chosen = append(o.chosen, f.chosen[i*f.nSteps:(i+1)*f.nSteps]...)
		var folded uint16
		bucket := bucketOf(in.entry)
		for s, v := range f.segs(int32(i)) {
			name := a.vals[s].names[v]
			if i < f.seeded {
				name = f.seed.segName(i, s)
				folded |= f.seed.folded[i] & (1 << s)
			} else if !named(bucket, s, v) {
				folded |= 1 << s
			}
			o.segs = append(o.segs, intern(s, name))
		}
		o.folded = append(o.folded, folded)
		if f.nSK == 0 {
			continue
		}
		// The furthest step's values, as its rows counted them.
		folded = 0
		d := int(in.depth) - 1
		for j, s := range f.stepKeys {
			var name string
			if i < f.seeded && in.depth == f.was[i].depth {
				name = f.seed.atName(i, j)
				folded |= f.seed.atFolded[i] & (1 << j)
			} else {
				v := f.stepVals[(i*f.nSteps+d)*f.nSK+j]
				if v < 0 || !named(bucket, s, v) {
					folded |= 1 << j
					v = max(v, otherID)
				}
				name = a.vals[s].names[v]
			}
			o.at = append(o.at, intern(s, name))
		}
		o.atFolded = append(o.atFolded, folded)
	}
	return o
}
