package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/openslo"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/journeys"
)

func TestSLOsExportAndApplyGoThroughTheJourneyOwner(t *testing.T) {
	t.Parallel()
	pool, db := pgtest.NewWithURL(t)
	dir := t.TempDir()
	checkout := example(t, "shop-checkout.yaml")
	writeFile(t, dir, "shop-checkout.yaml", checkout)
	r := waymark(t, "journeys", "apply", "-database-url", db, "-actor", "ci", dir)
	require.Equal(t, 0, r.code, r.stderr)

	// The export is the journey's SLOs as OpenSLO.
	js, err := journeys.DecodeYAML([]byte(checkout))
	require.NoError(t, err)
	want, err := openslo.Export(js[0])
	require.NoError(t, err)
	r = waymark(t, "slos", "export", "-database-url", db, "shop-checkout")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, string(want), r.stdout)
	r = waymark(t, "slos", "export", "-database-url", db)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, string(want), r.stdout)

	// Applied back as it is, nothing changes.
	file := writeFile(t, t.TempDir(), "slos.yaml", r.stdout)
	r = waymark(t, "slos", "apply", "-database-url", db, file)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "unchanged shop-checkout (version 1)\n", r.stdout)

	// A tighter objective, dry run first: a diff, and nothing written.
	tighter := strings.Replace(string(want), "- target: 0.995\n", "- target: 0.998\n", 1)
	require.NotEqual(t, string(want), tighter)
	writeFile(t, filepath.Dir(file), "slos.yaml", tighter)
	r = waymark(t, "slos", "apply", "-database-url", db, "-dry-run", file)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "would update shop-checkout (version 1)\n")
	require.Contains(t, r.stdout, "\n-      objective: 0.995\n+      objective: 0.998\n")
	r = waymark(t, "slos", "apply", "-database-url", db, "-actor", "alice", file)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "updated shop-checkout (version 2); same steps, correlation, segments and thresholds: history kept\n", r.stdout)
	r = waymark(t, "journeys", "export", "-database-url", db, "shop-checkout")
	require.Equal(t, strings.Replace(checkout, "objective: 0.995\n", "objective: 0.998\n", 1), r.stdout)

	// The change is audited under its actor, like any journey change.
	rows, err := pool.Query(context.Background(), `SELECT actor, action FROM audit_log WHERE object = 'journey' ORDER BY id`)
	require.NoError(t, err)
	type entry struct{ actor, action string }
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (entry, error) {
		var e entry
		return e, r.Scan(&e.actor, &e.action)
	})
	require.NoError(t, err)
	require.Equal(t, []entry{{"cli:ci", "journey.create"}, {"cli:alice", "journey.update"}}, entries)

	// A hand-written SLO is added; the journey's others stay.
	hand, err := os.ReadFile(filepath.Join("..", "..", "internal", "openslo", "testdata", "handwritten.yaml"))
	require.NoError(t, err)
	r = waymark(t, "slos", "apply", "-database-url", db, "-actor", "alice", writeFile(t, t.TempDir(), "hand.yaml", string(hand)))
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "updated shop-checkout (version 3); same steps, correlation, segments and thresholds: history kept\n", r.stdout)
	r = waymark(t, "journeys", "export", "-database-url", db, "shop-checkout")
	require.True(t, strings.HasSuffix(r.stdout, "    - name: checkout-availability\n      step: Checkout\n      kind: success\n      objective: 0.995\n      window: 28d\n"), r.stdout)
	require.Contains(t, r.stdout, "    - name: payment-success\n")
}

func TestSLOsApplyRefusesWithOneLine(t *testing.T) {
	t.Parallel()
	db := database(t)
	dir := t.TempDir()
	hand, err := os.ReadFile(filepath.Join("..", "..", "internal", "openslo", "testdata", "handwritten.yaml"))
	require.NoError(t, err)
	file := writeFile(t, dir, "hand.yaml", string(hand))

	r := waymark(t, "slos", "apply", "-database-url", db, file)
	require.Equal(t, 1, r.code)
	require.Equal(t, "waymark: journey \"shop-checkout\" (spec.service of its SLOs) does not exist: apply the journey first\n", r.stderr)

	writeFile(t, dir, "shop-checkout.yaml", example(t, "shop-checkout.yaml"))
	r = waymark(t, "journeys", "apply", "-database-url", db, filepath.Join(dir, "shop-checkout.yaml"))
	require.Equal(t, 0, r.code, r.stderr)
	bad := writeFile(t, dir, "bad.yaml", strings.Replace(string(hand), "threshold: 14.4", "threshold: 2", 1))
	r = waymark(t, "slos", "apply", "-database-url", db, file, bad)
	require.Equal(t, 1, r.code)
	require.Equal(t, "waymark: "+bad+": SLO checkout-availability of journey shop-checkout is also defined in "+file+"\n", r.stderr)
	r = waymark(t, "slos", "apply", "-database-url", db, bad)
	require.Equal(t, 1, r.code)
	require.True(t, strings.HasPrefix(r.stderr, `waymark: SLO "checkout-availability": invalid OpenSLO: its alert conditions are not the ones Waymark evaluates for a 28d window`), r.stderr)
	require.Equal(t, 1, strings.Count(r.stderr, "\n"))

	r = waymark(t, "slos", "export", "-database-url", db, "nope")
	require.Equal(t, 1, r.code)
	require.Equal(t, "waymark: journey \"nope\": not found\n", r.stderr)
	r = waymark(t, "slos", "apply")
	require.Equal(t, 2, r.code)
	require.Equal(t, "waymark: slos apply: missing argument", firstLine(r.stderr))
}
