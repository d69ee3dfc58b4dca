package demo

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/spanstore"
)

// OTLP must hold exactly what Send exports: the same store filled either
// way gives back the same traces, attribute types, scopes and resources
// included.
func TestOTLPIsWhatSendExports(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Start = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cfg.Sessions = 40
	cfg.Environment = "staging"
	tr, err := Plan(cfg)
	require.NoError(t, err)

	sent := storeWithTraffic(t, tr)
	loaded := spanstore.NewStore(pgtest.New(t), nil)
	n, err := loaded.Insert(context.Background(), tr.OTLP())
	require.NoError(t, err)
	require.Equal(t, int64(tr.Truth().Spans), n)

	ctx := context.Background()
	require.NotEmpty(t, tr.Traces())
	for _, x := range tr.Traces() {
		want, err := sent.TraceOTLP(ctx, x.ID.String())
		require.NoError(t, err)
		got, err := loaded.TraceOTLP(ctx, x.ID.String())
		require.NoError(t, err)
		require.True(t, proto.Equal(want, got), "trace %s:\nsent   %v\nloaded %v", x.ID, want, got)
	}
}
