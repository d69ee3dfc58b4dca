package incident

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMergeTimeline(t *testing.T) {
	t.Parallel()
	tokyo := time.FixedZone("JST", 9*3600)
	ny := time.FixedZone("EST", -5*3600)
	at := func(h, m int, loc *time.Location) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, loc) }

	status := []Event{
		{At: at(10, 0, time.UTC), Kind: KindStatus, Title: "opened"},
		{At: at(10, 30, time.UTC), Kind: KindStatus, Title: "identified"},
	}
	// 19:00 JST is 10:00 UTC, 05:00 EST is 10:00 UTC: ties with "opened".
	deploys := []Event{
		{At: at(19, 0, tokyo), Kind: KindDeploy, Title: "deploy 1.5.0"},
		{At: at(18, 45, tokyo), Kind: KindDeploy, Title: "deploy 1.4.9"},
	}
	alerts := []Event{
		{At: at(5, 0, ny), Kind: KindAlert, Title: "burn page"},
		{At: at(5, 20, ny), Kind: KindAlert, Title: "burn warning"},
		{At: at(10, 20, time.UTC), Kind: KindAlert, Title: "burn page resolved"},
	}
	got, err := MergeTimeline(status, deploys, alerts)
	require.NoError(t, err)
	want := []Event{
		{At: at(9, 45, time.UTC), Kind: KindDeploy, Title: "deploy 1.4.9"},
		{At: at(10, 0, time.UTC), Kind: KindStatus, Title: "opened"},
		{At: at(10, 0, time.UTC), Kind: KindDeploy, Title: "deploy 1.5.0"},
		{At: at(10, 0, time.UTC), Kind: KindAlert, Title: "burn page"},
		{At: at(10, 20, time.UTC), Kind: KindAlert, Title: "burn warning"},
		{At: at(10, 20, time.UTC), Kind: KindAlert, Title: "burn page resolved"},
		{At: at(10, 30, time.UTC), Kind: KindStatus, Title: "identified"},
	}
	require.Equal(t, want, got)
	for _, e := range got {
		require.Equal(t, time.UTC, e.At.Location())
	}

	// The same inputs in another order of lists tie in that order instead,
	// and the inputs are left as they were.
	got, err = MergeTimeline(alerts, status, deploys)
	require.NoError(t, err)
	require.Equal(t, []string{"deploy 1.4.9", "burn page", "opened", "deploy 1.5.0", "burn warning", "burn page resolved", "identified"}, titles(got))
	require.Equal(t, tokyo, deploys[0].At.Location())

	_, err = MergeTimeline(status, []Event{{Kind: KindDeploy, Title: "v2"}})
	require.EqualError(t, err, `timeline: deploy event "v2" has no time`)
	got, err = MergeTimeline()
	require.NoError(t, err)
	require.Empty(t, got)
}

func titles(es []Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Title
	}
	return out
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	traceAt := t0.Add(12 * time.Minute)
	b.insert(t, declinedID, traceAt, payment("card declined")...)
	b.insert(t, okID, t0.Add(3*time.Minute), payment("")...)

	b.clock.Set(t0.Add(20 * time.Minute))
	in, link, err := b.store.CreateFromTrace(ctx, Incident{Title: "Declines", Severity: SEV2, StartedAt: t0.Add(10 * time.Minute),
		DetectedAt: t0.Add(15 * time.Minute)}, declinedID, "customer report", StepRef{"shop-checkout", "Payment"}, "alice")
	require.NoError(t, err)
	b.clock.Set(t0.Add(25 * time.Minute))
	_, err = b.store.LinkTrace(ctx, in.ID, okID, "", StepRef{}, "bob")
	require.NoError(t, err)
	b.clock.Set(t0.Add(40 * time.Minute))
	in.Status = StatusResolved
	in.ResolvedAt = t0.Add(35 * time.Minute)
	_, err = b.store.Update(ctx, in, "carol")
	require.NoError(t, err)

	cet := time.FixedZone("CET", 3600)
	deploys := []Event{{At: t0.Add(12 * time.Minute).In(cet), Title: "payment_svc 4.1.0", Link: "https://ci.example.com/1"}}
	alerts := []Event{{At: t0.Add(14 * time.Minute).In(cet), Title: "payment-success burning", Detail: "14.4x"}}
	got, err := b.store.Timeline(ctx, in.ID, deploys, alerts)
	require.NoError(t, err)
	require.Equal(t, []Event{
		{At: t0.Add(3 * time.Minute), Kind: KindTrace, Title: "Trace 4bf92f35: payment_svc POST /payments", Link: "/traces/" + okID},
		{At: t0.Add(10 * time.Minute), Kind: KindIncident, Title: "Impact started"},
		{At: traceAt, Kind: KindTrace, Title: "Trace 0af76519: payment_svc POST /payments",
			Detail: "error: card declined; step: shop-checkout / Payment; customer report", Link: "/traces/" + declinedID},
		{At: t0.Add(12 * time.Minute), Kind: KindDeploy, Title: "payment_svc 4.1.0", Link: "https://ci.example.com/1"},
		{At: t0.Add(14 * time.Minute), Kind: KindAlert, Title: "payment-success burning", Detail: "14.4x"},
		{At: t0.Add(15 * time.Minute), Kind: KindIncident, Title: "Detected"},
		{At: t0.Add(20 * time.Minute), Kind: KindStatus, Title: "Incident opened as investigating", Detail: "by alice"},
		{At: t0.Add(35 * time.Minute), Kind: KindIncident, Title: "Impact ended"},
		{At: t0.Add(40 * time.Minute), Kind: KindStatus, Title: "Status investigating → resolved", Detail: "by carol"},
	}, got)
	require.Equal(t, traceAt, link.Start)

	_, err = b.store.Timeline(ctx, in.ID+1, nil, nil)
	require.ErrorIs(t, err, ErrNotFound)
}
