package incident

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/demo"
)

// erroring lists the traces of tr whose root span, on the given step,
// failed in [from, to), newest first.
func erroring(tr *demo.Traffic, step int, from, to time.Time) []string {
	type hit struct {
		id    string
		start time.Time
	}
	var hits []hit
	for _, dt := range tr.Traces() {
		root := dt.Root()
		if dt.Step == step && root.Error && !root.Start.Before(from) && root.Start.Before(to) {
			hits = append(hits, hit{dt.ID.String(), root.Start})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if c := b.start.Compare(a.start); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	return ids
}

func suggestionIDs(s []Suggestion) []string {
	ids := make([]string, len(s))
	for i, sg := range s {
		ids[i] = sg.TraceID
	}
	return ids
}

func TestRelatedOnScriptedTraffic(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	cfg := demo.DefaultConfig()
	cfg.Start, cfg.Sessions = t0, 600
	cfg.BadDeploy.ErrorRate = 0.5
	tr := b.send(t, cfg)
	pay := demo.StepIndex(demo.StepPayment)
	from, to := t0.Add(cfg.BadDeploy.After), t0.Add(cfg.BadDeploy.After+cfg.BadDeploy.For)
	want := erroring(tr, pay, from, to)
	require.Greater(t, len(want), 15, "the scripted deploy must fail enough payments")

	// Traces the suggestions must rank or leave out: card declines on the
	// payment step in the window, the same decline on checkout (another
	// step), one before the window, and a payment that succeeded.
	declines := []string{
		b.insert(t, "d0000000000000000000000000000001", from.Add(90*time.Second), payment("card declined")...),
		b.insert(t, "d0000000000000000000000000000002", from.Add(9*time.Minute), payment("card declined")...),
	}
	b.insert(t, "e0000000000000000000000000000001", from.Add(time.Minute), span{id: "3000000000000001",
		service: "checkout_svc", name: "POST /checkout", kind: tracepb.Span_SPAN_KIND_SERVER, dur: time.Second, err: true, msg: "card declined"})
	b.insert(t, "e0000000000000000000000000000002", from.Add(-time.Second), payment("card declined")...)
	b.insert(t, "e0000000000000000000000000000003", from.Add(2*time.Minute), payment("")...)

	// The incident cites the earliest failing payment of the deploy.
	first := want[len(want)-1]
	in := Incident{Title: "Payments failing on 1.5.0", Severity: SEV1, StartedAt: from,
		Status: StatusResolved, ResolvedAt: to}
	created, _, err := b.store.CreateFromTrace(ctx, in, first, "", StepRef{"shop-checkout", "Payment"}, "alice")
	require.NoError(t, err)
	rest := want[:len(want)-1]

	all := RelatedOptions{Limit: 1000, Candidates: 500}
	got, err := b.store.Related(ctx, created.ID, all)
	require.NoError(t, err)
	// Same error as the linked trace ("internal server error") first,
	// newest first; then the other errors on the step.
	require.Equal(t, append(slices.Clone(rest), declines[1], declines[0]), suggestionIDs(got))
	for i, sg := range got {
		require.Equal(t, StepRef{"shop-checkout", "Payment"}, sg.Step)
		require.Equal(t, "payment_svc", sg.Service)
		require.Equal(t, "POST /payments", sg.Name)
		require.Equal(t, i < len(rest), sg.SameError, sg.TraceID)
		if i < len(rest) {
			require.Equal(t, "internal server error", sg.Error)
		} else {
			require.Equal(t, "card declined", sg.Error)
			require.Equal(t, 420*time.Millisecond, sg.Duration)
		}
		require.False(t, sg.Start.Before(from) || !sg.Start.Before(to))
	}

	// Asked about card declines, those come first.
	got, err = b.store.Related(ctx, created.ID, RelatedOptions{Limit: 1000, Candidates: 500, Error: "card declined"})
	require.NoError(t, err)
	require.Equal(t, append([]string{declines[1], declines[0]}, rest...), suggestionIDs(got))

	// Examining only the newest few bounds the cost and the answer.
	// The five newest errors, whatever their message, are examined; of
	// those, the three newest with the linked trace's error are answered.
	newest := append(slices.Clone(declines), rest...)
	slices.SortFunc(newest, func(a, b string) int { return startOf(t, got, b).Compare(startOf(t, got, a)) })
	var sameError []string
	for _, id := range newest[:5] {
		if !slices.Contains(declines, id) {
			sameError = append(sameError, id)
		}
	}
	got, err = b.store.Related(ctx, created.ID, RelatedOptions{Limit: 3, Candidates: 5})
	require.NoError(t, err)
	require.Equal(t, sameError[:3], suggestionIDs(got))

	// Linking a suggestion removes it from the next answer.
	_, err = b.store.LinkTrace(ctx, created.ID, rest[0], "", StepRef{}, "bob")
	require.NoError(t, err)
	got, err = b.store.Related(ctx, created.ID, all)
	require.NoError(t, err)
	require.Equal(t, append(slices.Clone(rest[1:]), declines[1], declines[0]), suggestionIDs(got))
}

func startOf(t *testing.T, s []Suggestion, id string) time.Time {
	t.Helper()
	for _, sg := range s {
		if sg.TraceID == id {
			return sg.Start
		}
	}
	t.Fatalf("no suggestion %s", id)
	return time.Time{}
}

func TestRelatedWithoutStepsUsesJourney(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	b.insert(t, declinedID, t0.Add(time.Minute), payment("card declined")...)
	b.insert(t, "e0000000000000000000000000000001", t0.Add(2*time.Minute), span{id: "3000000000000001",
		service: "checkout_svc", name: "POST /checkout", kind: tracepb.Span_SPAN_KIND_SERVER, dur: time.Second,
		err: true, attrs: map[string]any{"exception.type": "StockError"}})
	b.insert(t, "e0000000000000000000000000000002", t0.Add(3*time.Minute), span{id: "3000000000000002",
		service: "auth_svc", name: "POST /login", kind: tracepb.Span_SPAN_KIND_SERVER, dur: time.Second, err: true, msg: "locked"})

	in, err := b.store.Create(ctx, Incident{Title: "Checkout errors", Severity: SEV3, StartedAt: t0, Journeys: []string{"shop-checkout"}}, "alice")
	require.NoError(t, err)
	got, err := b.store.Related(ctx, in.ID, RelatedOptions{Error: "StockError"})
	require.NoError(t, err)
	require.Equal(t, []Suggestion{
		{TraceID: "e0000000000000000000000000000001", Step: StepRef{"shop-checkout", "Checkout"}, SpanID: "3000000000000001",
			Service: "checkout_svc", Name: "POST /checkout", Start: t0.Add(2 * time.Minute), Duration: time.Second,
			ExceptionType: "StockError", SameError: true},
		{TraceID: "e0000000000000000000000000000002", Step: StepRef{"shop-checkout", "Login"}, SpanID: "3000000000000002",
			Service: "auth_svc", Name: "POST /login", Start: t0.Add(3 * time.Minute), Duration: time.Second, Error: "locked"},
		{TraceID: declinedID, Step: StepRef{"shop-checkout", "Payment"}, SpanID: "1000000000000001",
			Service: "payment_svc", Name: "POST /payments", Start: t0.Add(time.Minute), Duration: 420 * time.Millisecond, Error: "card declined"},
	}, got)

	// A journey deleted since the incident opened is skipped.
	require.NoError(t, b.journeys.DeleteJourney(ctx, "shop-checkout", "admin"))
	got, err = b.store.Related(ctx, in.ID, RelatedOptions{})
	require.NoError(t, err)
	require.Empty(t, got)

	_, err = b.store.Related(ctx, in.ID+1, RelatedOptions{})
	require.ErrorIs(t, err, ErrNotFound)
}

func TestNewestKeepsBoundedSet(t *testing.T) {
	t.Parallel()
	k := &newest{n: 3, byID: map[string]candidate{}}
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	// Offered oldest to newest and back, with repeats: the three newest
	// traces remain, each with its newest span.
	for _, c := range []candidate{
		{traceID: "a", spanID: "1", start: at(1)}, {traceID: "b", spanID: "1", start: at(2)},
		{traceID: "c", spanID: "1", start: at(3)}, {traceID: "d", spanID: "1", start: at(4)},
		{traceID: "e", spanID: "1", start: at(5)}, {traceID: "f", spanID: "1", start: at(6)},
		{traceID: "g", spanID: "1", start: at(7)}, {traceID: "a", spanID: "2", start: at(8)},
		{traceID: "b", spanID: "0", start: at(0)}, {traceID: "g", spanID: "0", start: at(6)},
		{traceID: "h", spanID: "1", start: at(7)},
	} {
		k.offer(c)
	}
	list := k.list()[:3]
	require.Equal(t, []candidate{
		{traceID: "a", spanID: "2", start: at(8)},
		{traceID: "g", spanID: "1", start: at(7)},
		{traceID: "h", spanID: "1", start: at(7)},
	}, list)
}
