package incident

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// manySlugs is n distinct valid journey slugs.
func manySlugs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("journey-%d", i)
	}
	return out
}

func manySteps(n int, journey string) []StepRef {
	out := make([]StepRef, n)
	for i := range out {
		out[i] = StepRef{Journey: journey, Step: fmt.Sprintf("step %d", i)}
	}
	return out
}

// TestListsOverTheirLimit: a list past its limit is refused whole, with
// one message naming the field and the limit, however long it is.
func TestListsOverTheirLimit(t *testing.T) {
	t.Parallel()
	valid := func() Incident {
		return Incident{Title: "Payments failing", Severity: SEV1, Status: StatusInvestigating, StartedAt: t0, DetectedAt: t0}
	}

	in := valid()
	in.Journeys = manySlugs(100_000)
	in.Normalize(t0)
	start := time.Now()
	err := in.Validate()
	took := time.Since(start)
	require.Equal(t, map[string]string{"journeys": "must list at most 20 journeys, lists 100000"}, fieldsOf(t, err))
	// Refusing does not look at the slugs: well under a millisecond where
	// the pairwise duplicate check took seconds.
	require.Less(t, took, 100*time.Millisecond)

	in = valid()
	in.Steps = manySteps(100_000, "shop-checkout")
	in.Normalize(t0)
	require.Empty(t, in.Journeys, "steps over the limit add no journeys")
	require.Equal(t, map[string]string{"steps": "must list at most 50 steps, lists 100000"}, fieldsOf(t, in.Validate()))

	in = valid()
	in.Journeys = manySlugs(MaxJourneys + 1)
	in.Steps = manySteps(MaxSteps+1, "journey-0")
	require.Equal(t, map[string]string{
		"journeys": "must list at most 20 journeys, lists 21",
		"steps":    "must list at most 50 steps, lists 51",
	}, fieldsOf(t, in.Validate()))

	// At the limits, every element is still checked.
	in = valid()
	in.Journeys = manySlugs(MaxJourneys)
	in.Journeys[19] = "journey-3"
	in.Steps = manySteps(MaxSteps, "journey-0")
	in.Steps[49] = in.Steps[7]
	in.Steps[48].Journey = "nope"
	require.Equal(t, map[string]string{
		"journeys[19]":      `lists "journey-3" twice`,
		"steps[48].journey": `"nope" is not one of the incident's journeys`,
		"steps[49].step":    "lists journey-0 / step 7 twice",
	}, fieldsOf(t, in.Validate()))

	in = valid()
	in.Journeys = manySlugs(MaxJourneys)
	in.Steps = manySteps(MaxSteps, "journey-0")
	require.NoError(t, in.Validate())
}

// TestCreateRefusesHugeLists: the store refuses before any query.
func TestCreateRefusesHugeLists(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	in := Incident{Title: "Payments failing", Severity: SEV1, StartedAt: t0, Journeys: manySlugs(100_000)}
	_, err := b.store.Create(context.Background(), in, "alice")
	require.Equal(t, map[string]string{"journeys": "must list at most 20 journeys, lists 100000"}, fieldsOf(t, err))
}

// TestLinkedTracesLimit: an incident cites at most MaxLinkedTraces traces.
func TestLinkedTracesLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	b.insert(t, declinedID, t0.Add(12*time.Minute), payment("card declined")...)
	b.insert(t, okID, t0.Add(16*time.Minute), payment("")...)
	in, err := b.store.Create(ctx, Incident{Title: "Payments failing", Severity: SEV1, StartedAt: t0}, "alice")
	require.NoError(t, err)
	_, err = b.store.LinkTrace(ctx, in.ID, declinedID, "", StepRef{}, "alice")
	require.NoError(t, err)
	// Fill the incident up to its limit with copies of that link.
	_, err = b.pool.Exec(ctx, `
		INSERT INTO incident_traces (incident_id, trace_id, note, linked_at, linked_by, journey, step, trace_start,
			duration_ns, span_count, root_service, root_name, error_message, snapshot, snapshot_bytes)
		SELECT incident_id, lpad(to_hex(g), 32, '0'), note, linked_at, linked_by, journey, step, trace_start,
			duration_ns, span_count, root_service, root_name, error_message, snapshot, snapshot_bytes
		FROM incident_traces, generate_series(1, $1 - 1) g`, MaxLinkedTraces)
	require.NoError(t, err)

	_, err = b.store.LinkTrace(ctx, in.ID, okID, "", StepRef{}, "alice")
	require.Equal(t, map[string]string{"trace_id": "an incident may cite at most 200 traces and this one cites 200: unlink one first"}, fieldsOf(t, err))
	links, err := b.store.LinkedTraces(ctx, in.ID)
	require.NoError(t, err)
	require.Len(t, links, MaxLinkedTraces)

	// Unlinking one makes room again.
	require.NoError(t, b.store.UnlinkTrace(ctx, in.ID, "1"))
	_, err = b.store.LinkTrace(ctx, in.ID, okID, "", StepRef{}, "alice")
	require.NoError(t, err)
}

// TestListStatusesRepeated: a filter repeating statuses reads as the
// distinct ones.
func TestListStatusesRepeated(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	_, err := b.store.Create(ctx, Incident{Title: "Payments failing", Severity: SEV1, StartedAt: t0}, "alice")
	require.NoError(t, err)
	statuses := make([]Status, 10_000)
	for i := range statuses {
		statuses[i] = Statuses()[i%4]
	}
	got, err := b.store.List(ctx, Filter{Statuses: statuses})
	require.NoError(t, err)
	require.Len(t, got, 1)
}

// BenchmarkValidateLimits shows validation costs time linear in the lists:
// the longest lists allowed, and a refused list 5,000 times longer.
func BenchmarkValidateLimits(b *testing.B) {
	for _, tc := range []struct {
		name     string
		journeys int
		steps    int
	}{
		{"max", MaxJourneys, MaxSteps},
		{"half", MaxJourneys / 2, MaxSteps / 2},
		{"100k-slugs", 100_000, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			in := Incident{Title: "Payments failing", Severity: SEV1, StartedAt: t0, DetectedAt: t0, Status: StatusInvestigating,
				Journeys: manySlugs(tc.journeys)}
			if tc.steps > 0 {
				in.Steps = manySteps(tc.steps, "journey-0")
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = in.Validate()
			}
		})
	}
}
