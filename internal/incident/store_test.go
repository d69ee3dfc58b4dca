package incident

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCreateAndGet(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	in := validIncident()
	in.Steps = append(in.Steps, StepRef{"login-flow", "Login request"})

	got, err := b.store.Create(ctx, in, "alice")
	require.NoError(t, err)
	now := b.clock.Now()
	want := in
	want.ID = got.ID
	want.Journeys = []string{"shop-checkout", "login-flow"}
	want.Version = 1
	want.CreatedAt, want.CreatedBy = now, "alice"
	want.UpdatedAt, want.UpdatedBy = now, "alice"
	require.Equal(t, want, got)

	read, err := b.store.Get(ctx, got.ID)
	require.NoError(t, err)
	require.Equal(t, want, read)

	changes, err := b.store.StatusChanges(ctx, got.ID)
	require.NoError(t, err)
	require.Equal(t, []StatusChange{{To: StatusInvestigating, At: now, By: "alice"}}, changes)

	_, err = b.store.Get(ctx, got.ID+100)
	require.ErrorIs(t, err, ErrNotFound)
	_, err = b.store.StatusChanges(ctx, got.ID+100)
	require.ErrorIs(t, err, ErrNotFound)
}

func TestCreateRejects(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(*Incident)
		want   map[string]string
	}{
		{"missing title", func(in *Incident) { in.Title = "" }, map[string]string{"title": "required"}},
		{"unknown journey", func(in *Incident) { in.Journeys = append(in.Journeys, "returns") }, map[string]string{
			"journeys[1]": `no journey "returns"`}},
		{"unknown step", func(in *Incident) { in.Steps[0].Step = "Pay" }, map[string]string{
			"steps[0].step": `journey "shop-checkout" has no step "Pay"`}},
		{"step of unknown journey", func(in *Incident) { in.Steps = append(in.Steps, StepRef{"returns", "Ship"}) }, map[string]string{
			"journeys[1]": `no journey "returns"`, "steps[1].journey": `no journey "returns"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validIncident()
			tt.change(&in)
			_, err := b.store.Create(ctx, in, "alice")
			require.Equal(t, tt.want, fieldsOf(t, err))
		})
	}
	require.Equal(t, 0, b.count(t, "incidents"))
	require.Equal(t, 0, b.count(t, "incident_status_changes"))
}

func TestList(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	h := time.Hour
	mk := func(title string, start, resolved time.Duration, journeys ...string) int64 {
		in := Incident{Title: title, Severity: SEV3, StartedAt: t0.Add(start), Journeys: journeys}
		if resolved > 0 {
			in.Status, in.ResolvedAt = StatusResolved, t0.Add(resolved)
		}
		got, err := b.store.Create(ctx, in, "bob")
		require.NoError(t, err)
		return got.ID
	}
	a := mk("a", 0, 2*h, "shop-checkout")                 // [0h, 2h)
	c := mk("c", 1*h, 0, "login-flow")                    // [1h, open)
	d := mk("d", 3*h, 4*h, "shop-checkout", "login-flow") // [3h, 4h)
	e := mk("e", 5*h, 0)                                  // [5h, open)

	tests := []struct {
		name string
		f    Filter
		want []int64
	}{
		{"all, latest start first", Filter{}, []int64{e, d, c, a}},
		{"open", Filter{Statuses: []Status{StatusInvestigating}}, []int64{e, c}},
		{"resolved or monitoring", Filter{Statuses: []Status{StatusResolved, StatusMonitoring}}, []int64{d, a}},
		{"journey", Filter{Journey: "shop-checkout"}, []int64{d, a}},
		{"journey and status", Filter{Journey: "login-flow", Statuses: []Status{StatusInvestigating}}, []int64{c}},
		{"overlap", Filter{From: t0.Add(2 * h), To: t0.Add(3 * h)}, []int64{c}},
		{"overlap touching a start", Filter{From: t0.Add(2 * h), To: t0.Add(3*h + time.Second)}, []int64{d, c}},
		{"from only", Filter{From: t0.Add(4 * h)}, []int64{e, c}},
		{"to only", Filter{To: t0.Add(time.Second)}, []int64{a}},
		{"limit", Filter{Limit: 2}, []int64{e, d}},
		{"no journey matches", Filter{Journey: "returns"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.store.List(ctx, tt.f)
			require.NoError(t, err)
			var ids []int64
			for _, in := range got {
				ids = append(ids, in.ID)
			}
			require.Equal(t, tt.want, ids)
		})
	}
	_, err := b.store.List(ctx, Filter{Statuses: []Status{"open"}})
	require.Equal(t, map[string]string{"statuses[0]": statusMessage}, fieldsOf(t, err))
}

func TestUpdateRecordsStatusChanges(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	created, err := b.store.Create(ctx, validIncident(), "alice")
	require.NoError(t, err)
	t1 := b.clock.Now()

	b.clock.Set(t1.Add(10 * time.Minute))
	in := created
	in.Status = StatusIdentified
	in.Summary = "Bad deploy of 1.5.0."
	got, err := b.store.Update(ctx, in, "bob")
	require.NoError(t, err)
	require.Equal(t, 2, got.Version)
	require.Equal(t, StatusIdentified, got.Status)
	require.Equal(t, "Bad deploy of 1.5.0.", got.Summary)
	require.Equal(t, t1, got.CreatedAt)
	require.Equal(t, t1.Add(10*time.Minute), got.UpdatedAt)
	require.Equal(t, "bob", got.UpdatedBy)

	// A save without a status change records none.
	b.clock.Set(t1.Add(15 * time.Minute))
	got.Severity = SEV1
	got, err = b.store.Update(ctx, got, "carol")
	require.NoError(t, err)
	require.Equal(t, 3, got.Version)

	// Going back is refused, naming both states, and changes nothing.
	back := got
	back.Status = StatusInvestigating
	back.Title = "changed"
	_, err = b.store.Update(ctx, back, "dave")
	require.Equal(t, map[string]string{"status": "cannot go from identified back to investigating"}, fieldsOf(t, err))

	// A stale version is a conflict.
	stale := created
	stale.Status = StatusMonitoring
	_, err = b.store.Update(ctx, stale, "erin")
	require.ErrorIs(t, err, ErrConflict)

	// Invalid content is refused without a trace.
	bad := got
	bad.Title = ""
	_, err = b.store.Update(ctx, bad, "dave")
	require.Equal(t, map[string]string{"title": "required"}, fieldsOf(t, err))

	read, err := b.store.Get(ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, got, read)

	// Resolve in one click, then reopen: the resolution time goes away.
	b.clock.Set(t1.Add(40 * time.Minute))
	res, err := b.store.SetStatus(ctx, created.ID, StatusResolved, "frank")
	require.NoError(t, err)
	require.Equal(t, t1.Add(40*time.Minute), res.ResolvedAt)
	b.clock.Set(t1.Add(50 * time.Minute))
	_, err = b.store.SetStatus(ctx, created.ID, StatusMonitoring, "frank")
	require.Equal(t, map[string]string{"status": "cannot go from resolved to monitoring: a resolved incident reopens as investigating"}, fieldsOf(t, err))
	re, err := b.store.SetStatus(ctx, created.ID, StatusInvestigating, "grace")
	require.NoError(t, err)
	require.True(t, re.ResolvedAt.IsZero())
	require.Equal(t, 5, re.Version)

	_, err = b.store.Update(ctx, Incident{ID: created.ID + 1}, "x")
	require.ErrorIs(t, err, ErrNotFound)

	changes, err := b.store.StatusChanges(ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, []StatusChange{
		{From: "", To: StatusInvestigating, At: t1, By: "alice"},
		{From: StatusInvestigating, To: StatusIdentified, At: t1.Add(10 * time.Minute), By: "bob"},
		{From: StatusIdentified, To: StatusResolved, At: t1.Add(40 * time.Minute), By: "frank"},
		{From: StatusResolved, To: StatusInvestigating, At: t1.Add(50 * time.Minute), By: "grace"},
	}, changes)
}

func TestUpdateKeepsDeletedJourney(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	in := validIncident()
	in.Journeys = append(in.Journeys, "login-flow")
	created, err := b.store.Create(ctx, in, "alice")
	require.NoError(t, err)
	require.NoError(t, b.journeys.DeleteJourney(ctx, "login-flow", "admin"))

	// The incident still resolves although it names a journey that is gone.
	created.Status = StatusResolved
	got, err := b.store.Update(ctx, created, "alice")
	require.NoError(t, err)
	require.Equal(t, []string{"shop-checkout", "login-flow"}, got.Journeys)

	// Naming it anew is refused.
	got.Journeys = []string{"shop-checkout"}
	got, err = b.store.Update(ctx, got, "alice")
	require.NoError(t, err)
	got.Journeys = append(got.Journeys, "login-flow")
	_, err = b.store.Update(ctx, got, "alice")
	require.Equal(t, map[string]string{"journeys[1]": `no journey "login-flow"`}, fieldsOf(t, err))
}
