package sketch_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/sketch"
)

func TestHistogram(t *testing.T) {
	t.Parallel()
	s := sketch.New()
	for _, d := range []time.Duration{0, 3 * time.Millisecond, 4 * time.Millisecond, 15 * time.Millisecond, 70 * time.Millisecond, 3 * time.Second} {
		s.Add(d)
	}
	edges := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 100 * time.Millisecond}
	// Below 5ms: 0, 3ms, 4ms; [10, 20): 15ms; [20, 100): 70ms; 100ms up: 3s.
	require.Equal(t, []uint64{3, 0, 1, 1, 1}, s.Histogram(edges))
	require.Equal(t, []uint64{6}, s.Histogram(nil))
	var empty *sketch.Sketch
	require.Equal(t, []uint64{0, 0}, empty.Histogram([]time.Duration{time.Second}))

	lo, hi := s.Range()
	require.Equal(t, time.Duration(0), lo)
	require.InDelta(t, float64(3*time.Second), float64(hi), 0.01*float64(3*time.Second))
}

func TestNiceEdges(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	require.Equal(t, []time.Duration{2 * ms, 5 * ms, 10 * ms, 20 * ms, 50 * ms, 100 * ms}, sketch.NiceEdges(3*ms, 70*ms))
	require.Equal(t, []time.Duration{ms, 2 * ms}, sketch.NiceEdges(ms, ms))
	require.Equal(t, []time.Duration{time.Microsecond, 2 * time.Microsecond}, sketch.NiceEdges(0, 0))
	require.Equal(t, []time.Duration{500 * ms, time.Second, 2 * time.Second, 5 * time.Second}, sketch.NiceEdges(600*ms, 2*time.Second))
	huge := sketch.NiceEdges(time.Hour, time.Duration(1<<62))
	require.NotEmpty(t, huge)
}
