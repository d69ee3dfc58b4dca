package rollup

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Open is the funnel state a computation carries to the next: every
// journey instance whose window is still open at Through, with what it has
// reached so far. The next computation starts from it and reads only the
// spans after Through, so a rollup's cost grows with the new spans, not
// with the correlation window.
//
// It is columnar (a few slices, no pointer per instance) because a busy
// journey has hundreds of thousands of open sessions.
type Open struct {
	Through time.Time
	NSteps  int
	NKeys   int
	// StepKeys are the segment keys (indexes of the NKeys) attributed at
	// the step.
	StepKeys []int

	// Instance i: its correlation key (a trace id's 16 bytes, or a session
	// id) is keys[keyOff[i]:keyOff[i+1]].
	keys   []byte
	keyOff []uint32
	entry  []int64
	depth  []uint8
	errs   []uint32
	// chosen[i*NSteps+k] is the start of the span chosen for step k, for
	// k < depth[i].
	chosen []int64
	// segs[i*NKeys+s] indexes vals[s]: the instance's own value of segment
	// key s, at entry.
	segs []int32
	vals [][]string
	// folded bit s: the instance's funnel rows count it under OtherValue
	// for key s, as its entry bucket's ranking decided.
	folded []uint16
	// value is the instance's value attribute so far, from the step
	// valueAt (-1: none).
	value   []float64
	valueAt []int8
	// weight is how many instances each stands for (sampled traffic).
	weight []int64
	// at[i*len(StepKeys)+j] indexes vals[StepKeys[j]]: the value on the
	// span of the instance's furthest step, as its AtStep rows counted it
	// (atFolded bit j: under OtherValue).
	at       []int32
	atFolded []uint16
}

// Fits reports whether o can carry on into a computation of j: the same
// steps and segment keys, attributed the same way.
func (o *Open) Fits(j journeys.Journey) bool {
	keys, atStep := segmentKeys(j)
	return o.NSteps == len(j.Spec.Steps) && o.NKeys == len(keys) && slices.Equal(o.StepKeys, atStep)
}

// Len is the number of open instances.
func (o *Open) Len() int {
	if o == nil {
		return 0
	}
	return len(o.entry)
}

func newOpen(through time.Time, nSteps, nKeys int, stepKeys []int) *Open {
	return &Open{Through: through, NSteps: nSteps, NKeys: nKeys, StepKeys: stepKeys, keyOff: []uint32{0}, vals: make([][]string, nKeys)}
}

func (o *Open) key(i int) []byte { return o.keys[o.keyOff[i]:o.keyOff[i+1]] }

func (o *Open) segName(i, s int) string { return o.vals[s][o.segs[i*o.NKeys+s]] }

func (o *Open) atName(i, j int) string {
	return o.vals[o.StepKeys[j]][o.at[i*len(o.StepKeys)+j]]
}

// openEncoding is the version of Encode's format.
const openEncoding = 2

// ErrOpenFormat means a stored funnel state was written in a format this
// version does not read: the rollups recount from the watermark instead.
var ErrOpenFormat = errors.New("funnel state format unknown")

// Encode serialises o compactly: times as varint deltas from the entry,
// segment values as indexes into per-key tables.
func (o *Open) Encode() []byte {
	b := make([]byte, 0, 64+o.Len()*(24+o.NKeys))
	b = append(b, openEncoding)
	b = binary.AppendVarint(b, o.Through.UnixNano())
	b = binary.AppendUvarint(b, uint64(o.NSteps))
	b = binary.AppendUvarint(b, uint64(o.NKeys))
	b = binary.AppendUvarint(b, uint64(len(o.StepKeys)))
	for _, s := range o.StepKeys {
		b = binary.AppendUvarint(b, uint64(s))
	}
	for _, vs := range o.vals {
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		}
	}
	b = binary.AppendUvarint(b, uint64(o.Len()))
	for i := range o.entry {
		k := o.key(i)
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendVarint(b, o.entry[i])
		b = append(b, o.depth[i])
		b = binary.AppendUvarint(b, uint64(o.errs[i]))
		b = binary.AppendUvarint(b, uint64(o.folded[i]))
		b = binary.AppendUvarint(b, uint64(o.weight[i]))
		b = append(b, byte(o.valueAt[i]+1))
		if o.valueAt[i] >= 0 {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(o.value[i]))
		}
		prev := o.entry[i]
		for k := 1; k < int(o.depth[i]); k++ {
			t := o.chosen[i*o.NSteps+k]
			b = binary.AppendUvarint(b, uint64(t-prev))
			prev = t
		}
		for s := range o.NKeys {
			b = binary.AppendUvarint(b, uint64(o.segs[i*o.NKeys+s]))
		}
		if n := len(o.StepKeys); n > 0 {
			b = binary.AppendUvarint(b, uint64(o.atFolded[i]))
			for j := range n {
				b = binary.AppendUvarint(b, uint64(o.at[i*n+j]))
			}
		}
	}
	return b
}

// errOpenCorrupt means a stored funnel state does not decode.
var errOpenCorrupt = errors.New("corrupt funnel state")

// DecodeOpen reads what Encode wrote.
func DecodeOpen(b []byte) (*Open, error) {
	d := decoder{b: b}
	if v := d.byte(); v != openEncoding {
		return nil, fmt.Errorf("decode funnel state: format %d, want %d: %w", v, openEncoding, ErrOpenFormat)
	}
	through := d.varint()
	nSteps, nKeys := int(d.uvarint()), int(d.uvarint())
	nSK := int(d.uvarint())
	if d.err != nil || nSteps < 1 || nSteps > maxSteps || nKeys < 0 || nKeys > 16 || nSK > nKeys {
		return nil, fmt.Errorf("decode funnel state: %w", errOpenCorrupt)
	}
	var stepKeys []int
	for range nSK {
		s := d.uvarint()
		if s >= uint64(nKeys) || len(stepKeys) > 0 && int(s) <= stepKeys[len(stepKeys)-1] {
			d.fail()
			break
		}
		stepKeys = append(stepKeys, int(s))
	}
	if d.err != nil {
		return nil, fmt.Errorf("decode funnel state: %w", errOpenCorrupt)
	}
	o := newOpen(time.Unix(0, through).UTC(), nSteps, nKeys, stepKeys)
	for s := range nKeys {
		n := d.count(1)
		o.vals[s] = make([]string, n)
		for v := range n {
			o.vals[s][v] = string(d.bytes(d.count(1)))
		}
	}
	n := d.count(3 + nKeys)
	o.keyOff = make([]uint32, 1, n+1)
	o.entry, o.depth, o.errs, o.folded = make([]int64, 0, n), make([]uint8, 0, n), make([]uint32, 0, n), make([]uint16, 0, n)
	o.value, o.valueAt, o.weight = make([]float64, 0, n), make([]int8, 0, n), make([]int64, 0, n)
	o.chosen, o.segs = make([]int64, 0, n*nSteps), make([]int32, 0, n*nKeys)
	for range n {
		o.keys = append(o.keys, d.bytes(d.count(1))...)
		o.keyOff = append(o.keyOff, uint32(len(o.keys)))
		entry := d.varint()
		depth := d.byte()
		errs, folded := d.uvarint(), d.uvarint()
		if depth < 1 || int(depth) > nSteps || errs > math.MaxUint32 || folded > math.MaxUint16 {
			d.fail()
		}
		o.entry, o.depth, o.errs, o.folded = append(o.entry, entry), append(o.depth, depth), append(o.errs, uint32(errs)), append(o.folded, uint16(folded))
		w := d.uvarint()
		if w < 1 || w > 1<<40 {
			d.fail()
		}
		o.weight = append(o.weight, int64(w))
		valueAt := int8(d.byte()) - 1
		var value float64
		if valueAt >= int8(depth) {
			d.fail()
		}
		if valueAt >= 0 {
			b := d.bytes(8)
			if len(b) == 8 {
				value = math.Float64frombits(binary.LittleEndian.Uint64(b))
			}
		}
		o.value, o.valueAt = append(o.value, value), append(o.valueAt, valueAt)
		t := entry
		o.chosen = append(o.chosen, entry)
		for k := 1; k < nSteps; k++ {
			if k < int(depth) {
				t += int64(d.uvarint())
				o.chosen = append(o.chosen, t)
			} else {
				o.chosen = append(o.chosen, 0)
			}
		}
		for s := range nKeys {
			v := d.uvarint()
			if v >= uint64(len(o.vals[s])) {
				d.fail()
			}
			o.segs = append(o.segs, int32(v))
		}
		if nSK > 0 {
			folded := d.uvarint()
			if folded >= 1<<nSK {
				d.fail()
			}
			o.atFolded = append(o.atFolded, uint16(folded))
			for _, s := range stepKeys {
				v := d.uvarint()
				if v >= uint64(len(o.vals[s])) {
					d.fail()
				}
				o.at = append(o.at, int32(v))
			}
		}
		if d.err != nil {
			break
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, fmt.Errorf("decode funnel state: %w", errOpenCorrupt)
	}
	return o, nil
}

// decoder reads varints, remembering the first failure.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errOpenCorrupt
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length whose items take at least min bytes each, refusing
// one the remaining input cannot hold, so that corrupt input never makes a
// huge allocation.
func (d *decoder) count(min int) int {
	v := d.uvarint()
	if v > uint64(len(d.b)/max(min, 1)) {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *decoder) bytes(n int) []byte {
	if n > len(d.b) {
		d.fail()
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}
