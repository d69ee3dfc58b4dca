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

// funnelState follows journey instances (traces or sessions) through the
// steps. It lives in flat slabs so that an instance costs a few words:
// inst[i], segs(i) and chosen[i*nSteps:] describe instance i.
type funnelState struct {
	a       *Aggregator
	nSteps  int
	nKeys   int
	window  int64
	inst    []instance
	segSlab []int32
	chosen  []int64 // start of the span chosen for each reached step

	// Trace correlation: trace → instance, and the entry span's id to
	// break ties between step-1 spans starting at the same instant.
	traces   map[[16]byte]int32
	entryIDs [][8]byte

	// Attribute correlation: session → session number, its step-1 spans
	// until step 1 is complete, then its instances. Sessions are keyed by a
	// 128-bit hash of their id: a map without pointers is not scanned by
	// the garbage collector, and keeps no copy of millions of ids.
	seeds    [2]maphash.Seed
	sessIdx  map[[16]byte]int32
	cands    []candidate
	candSegs []int32
	sessions []instRange
}

type instance struct {
	entry int64
	depth uint8  // steps reached
	errs  uint32 // bit k: the span chosen for step k is an error
}

type instRange struct{ first, n int32 }

// candidate is a step-1 span of a session, kept until step 1 is complete:
// which of them are entries depends on all of them in start order.
type candidate struct {
	start int64
	id    [8]byte
	sess  int32
	seg   int32 // offset in candSegs
	err   bool
}

func (f *funnelState) init(a *Aggregator) {
	f.a = a
	f.nSteps = a.nSteps
	f.nKeys = len(a.keys)
	f.window = a.window
	if a.byTrace {
		f.traces = make(map[[16]byte]int32)
	} else {
		f.sessIdx = make(map[[16]byte]int32)
		f.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	}
}

// sessKey hashes a session id to 128 bits; two ids colliding is as likely
// as two random UUIDs being equal.
func (f *funnelState) sessKey(sess string) [16]byte {
	var k [16]byte
	binary.LittleEndian.PutUint64(k[:8], maphash.String(f.seeds[0], sess))
	binary.LittleEndian.PutUint64(k[8:], maphash.String(f.seeds[1], sess))
	return k
}

func (f *funnelState) segs(i int32) []int32 {
	return f.segSlab[int(i)*f.nKeys : (int(i)+1)*f.nKeys]
}

func (f *funnelState) newInstance(start int64, isErr bool, seg []int32) int32 {
	i := int32(len(f.inst))
	f.inst = append(f.inst, instance{entry: start, depth: 1, errs: errBit(0, isErr)})
	f.segSlab = append(f.segSlab, seg...)
	f.chosen = append(f.chosen, make([]int64, f.nSteps)...)
	f.chosen[int(i)*f.nSteps] = start
	return i
}

func errBit(k int, isErr bool) uint32 {
	if isErr {
		return 1 << k
	}
	return 0
}

// traceEntry keeps, per trace, the earliest step-1 span (ties broken by span
// id so that arrival order never matters): the trace's entry.
func (f *funnelState) traceEntry(s journeys.Span, start int64, seg []int32) {
	tk := traceKey(s.TraceID)
	id := spanKey(s.SpanID)
	i, ok := f.traces[tk]
	if !ok {
		f.traces[tk] = f.newInstance(start, s.Error, seg)
		f.entryIDs = append(f.entryIDs, id)
		return
	}
	in := &f.inst[i]
	if start < in.entry || (start == in.entry && bytes.Compare(id[:], f.entryIDs[i][:]) < 0) {
		in.entry, f.entryIDs[i] = start, id
		in.errs = errBit(0, s.Error)
		f.chosen[int(i)*f.nSteps] = start
		copy(f.segs(i), seg)
	}
}

func (f *funnelState) sessionCandidate(sess string, s journeys.Span, start int64, seg []int32) {
	if sess == "" {
		return
	}
	key := f.sessKey(sess)
	n, ok := f.sessIdx[key]
	if !ok {
		n = int32(len(f.sessIdx))
		f.sessIdx[key] = n
	}
	f.cands = append(f.cands, candidate{start: start, id: spanKey(s.SpanID), sess: n, seg: int32(len(f.candSegs)), err: s.Error})
	f.candSegs = append(f.candSegs, seg...)
}

// closeStep0 turns each session's step-1 spans into instances: the first
// enters; a step-1 span at or after the end of the open instance's window
// enters again. Only instances entering in the funnel range are kept; the
// earlier ones were read only to know that a session had already entered.
func (f *funnelState) closeStep0() {
	if f.a == nil || f.a.byTrace || f.sessions != nil {
		return
	}
	f.entryIDs = nil
	slices.SortFunc(f.cands, func(x, y candidate) int {
		return cmp.Or(cmp.Compare(x.sess, y.sess), cmp.Compare(x.start, y.start), bytes.Compare(x.id[:], y.id[:]))
	})
	f.sessions = make([]instRange, len(f.sessIdx))
	ffrom, to := f.a.ffrom, f.a.to
	for lo := 0; lo < len(f.cands); {
		sess := f.cands[lo].sess
		hi := lo
		for hi < len(f.cands) && f.cands[hi].sess == sess {
			hi++
		}
		first := int32(len(f.inst))
		open := int64(math.MinInt64)
		for _, c := range f.cands[lo:hi] {
			if open != math.MinInt64 && c.start < open+f.window {
				continue
			}
			open = c.start
			if c.start < ffrom || c.start >= to {
				continue
			}
			f.newInstance(c.start, c.err, f.candSegs[c.seg:int(c.seg)+f.nKeys])
		}
		f.sessions[sess] = instRange{first: first, n: int32(len(f.inst)) - first}
		lo = hi
	}
	f.cands, f.candSegs = nil, nil
}

// sessionInstance finds the instance of session sess whose window holds t.
// Windows of one session never overlap, so there is at most one.
func (f *funnelState) sessionInstance(sess string, t int64) (int32, bool) {
	if sess == "" {
		return 0, false
	}
	n, ok := f.sessIdx[f.sessKey(sess)]
	if !ok || int(n) >= len(f.sessions) {
		return 0, false
	}
	rg := f.sessions[n]
	insts := f.inst[rg.first : rg.first+rg.n]
	// The last instance entering at or before t.
	j := len(insts)
	for j > 0 && insts[j-1].entry > t {
		j--
	}
	if j == 0 || t >= insts[j-1].entry+f.window {
		return 0, false
	}
	return rg.first + int32(j-1), true
}

// reach offers a span of step k (k ≥ 1) starting at t to instance i. The
// instance reaches step k with its earliest span of step k that starts at or
// after the span chosen for step k-1 and inside the window. Among spans
// starting at the same instant an error wins, so that the choice never
// depends on arrival order.
func (f *funnelState) reach(i int32, k int, t int64, isErr bool) {
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
	case t < f.chosen[base+k]:
		f.chosen[base+k] = t
		in.errs = in.errs&^(1<<k) | errBit(k, isErr)
	case t == f.chosen[base+k]:
		in.errs |= errBit(k, isErr)
	}
}

// funnelBucket holds the funnel rows of one entry bucket.
type funnelBucket struct {
	all   *funnelAcc
	byKey [][]*funnelAcc // [key][value id]
}

type funnelAcc struct {
	reached  []int64
	inFlight []int64
	errored  int64
	times    []sketch.Sketch
}

func newFunnelAcc(n int) *funnelAcc {
	return &funnelAcc{
		reached:  make([]int64, n),
		inFlight: make([]int64, n),
		times:    make([]sketch.Sketch, n-1),
	}
}

// rows counts every instance entering in the funnel range into its entry
// bucket's all-traffic row and segment rows. Entries count towards a
// value's rank too, so that a value seen only in recounted cohorts keeps
// its rows.
func (f *funnelState) rows() map[int64]*funnelBucket {
	out := make(map[int64]*funnelBucket)
	a := f.a
	if a == nil {
		return out
	}
	var lastKey int64 = math.MinInt64
	var last *funnelBucket
	for i := range f.inst {
		in := &f.inst[i]
		if in.entry < a.ffrom || in.entry >= a.to {
			continue
		}
		bucket := floorDiv(in.entry, int64(BucketWidth))
		if bucket != lastKey {
			last = out[bucket]
			if last == nil {
				last = &funnelBucket{all: newFunnelAcc(f.nSteps), byKey: make([][]*funnelAcc, f.nKeys)}
				out[bucket] = last
			}
			lastKey = bucket
		}
		depth := int(in.depth)
		inFlight := !a.byTrace && depth < f.nSteps && in.entry+f.window > a.horizon
		chosen := f.chosen[i*f.nSteps : (i+1)*f.nSteps]
		last.all.add(depth, inFlight, in.errs != 0, chosen)
		for s, v := range f.segs(int32(i)) {
			row := last.byKey[s]
			if int(v) >= len(row) {
				row = append(row, make([]*funnelAcc, int(v)+1-len(row))...)
				last.byKey[s] = row
			}
			if row[v] == nil {
				row[v] = newFunnelAcc(f.nSteps)
			}
			row[v].add(depth, inFlight, in.errs != 0, chosen)
			a.vals[s].counts[v]++
		}
	}
	return out
}

func (c *funnelAcc) add(depth int, inFlight, errored bool, chosen []int64) {
	for k := 0; k < depth; k++ {
		c.reached[k]++
		if inFlight {
			c.inFlight[k]++
		}
		if k > 0 {
			c.times[k-1].Add(time.Duration(chosen[k] - chosen[k-1]))
		}
	}
	if errored {
		c.errored++
	}
}

func (c *funnelAcc) merge(o *funnelAcc) {
	for k := range c.reached {
		c.reached[k] += o.reached[k]
		c.inFlight[k] += o.inFlight[k]
	}
	for k := range c.times {
		c.times[k].Merge(&o.times[k])
	}
	c.errored += o.errored
}

func (c *funnelAcc) row(bucket time.Time, seg Segment) FunnelRow {
	times := make([]*sketch.Sketch, len(c.times))
	for i := range c.times {
		times[i] = &c.times[i]
	}
	return FunnelRow{
		Bucket:    bucket,
		Width:     BucketWidth,
		Segment:   seg,
		Reached:   c.reached,
		Errored:   c.errored,
		InFlight:  c.inFlight,
		StepTimes: times,
	}
}
