package rollup_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/rollup/rolluptest"
)

func TestOpenStateRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, byTrace := range []bool{false, true} {
		j := splitJourney(byTrace)
		src := &rolluptest.Source{}
		src.Add(randomTraffic(rand.New(rand.NewPCG(3, 3)), byTrace, rollup.Window(j))...)
		res, err := rollup.Aggregate(ctx, src, j, rollup.Range{From: at(60 * time.Minute), To: at(120 * time.Minute)}, nil)
		require.NoError(t, err)
		require.Positive(t, res.Open.Len())
		b := res.Open.Encode()
		got, err := rollup.DecodeOpen(b)
		require.NoError(t, err)
		require.Equal(t, res.Open, got)
		require.Equal(t, b, got.Encode())

		// What a decoded state carries on to is what the original does.
		next := rollup.Range{From: at(120 * time.Minute), To: at(180 * time.Minute)}
		a, err := rollup.Aggregate(ctx, src, j, next, res.Open)
		require.NoError(t, err)
		c, err := rollup.Aggregate(ctx, src, j, next, got)
		require.NoError(t, err)
		require.Equal(t, describeFunnels(a.Deltas), describeFunnels(c.Deltas))
		require.Equal(t, describeFunnels(a.Funnels), describeFunnels(c.Funnels))
	}

	for name, b := range map[string][]byte{
		"empty":        nil,
		"other format": {9},
		"truncated":    {1, 2},
		"huge count":   append([]byte{1, 0, 2, 0}, 0xff, 0xff, 0xff, 0xff, 0x0f),
	} {
		_, err := rollup.DecodeOpen(b)
		require.Error(t, err, name)
	}
}

func FuzzDecodeOpen(f *testing.F) {
	j := splitJourney(false)
	src := &rolluptest.Source{}
	src.Add(randomTraffic(rand.New(rand.NewPCG(5, 5)), false, rollup.Window(j))[:200]...)
	res, err := rollup.Aggregate(context.Background(), src, j, rollup.Range{From: at(0), To: at(3 * time.Hour)}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(res.Open.Encode())
	f.Add([]byte{1, 0, 2, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := rollup.DecodeOpen(b)
		if err != nil {
			return
		}
		// Whatever decodes encodes back to itself.
		again, err := rollup.DecodeOpen(o.Encode())
		require.NoError(t, err)
		require.Equal(t, o, again)
	})
}
