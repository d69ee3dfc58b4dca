package journeystore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
)

func benchStore(b *testing.B, n int) (*journeystore.Store, context.Context) {
	b.Helper()
	s, ctx := journeystore.New(pgtest.New(b)), context.Background()
	for i := range n {
		_, err := s.CreateJourney(ctx, journey(fmt.Sprintf("j-%03d", i), "bench"), "bench")
		require.NoError(b, err)
	}
	return s, ctx
}

func BenchmarkGetJourney(b *testing.B) {
	s, ctx := benchStore(b, 1)
	for b.Loop() {
		if _, err := s.GetJourney(ctx, "j-000"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListJourneys100(b *testing.B) {
	s, ctx := benchStore(b, 100)
	for b.Loop() {
		recs, err := s.ListJourneys(ctx)
		if err != nil || len(recs) != 100 {
			b.Fatal(len(recs), err)
		}
	}
}

// BenchmarkPutJourneyUnchanged is what `journeys apply` costs per journey on
// every CI run that changed nothing.
func BenchmarkPutJourneyUnchanged(b *testing.B) {
	s, ctx := benchStore(b, 1)
	j := journey("j-000", "bench")
	for b.Loop() {
		if _, _, err := s.PutJourney(ctx, j, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdateJourney(b *testing.B) {
	s, ctx := benchStore(b, 1)
	i := 0
	for b.Loop() {
		i++
		if _, err := s.UpdateJourney(ctx, "j-000", journey("j-000", fmt.Sprint(i)), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
