package journeystore_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/journeys"
)

func setup(t *testing.T) (*journeystore.Store, context.Context) {
	t.Helper()
	t.Parallel()
	return journeystore.New(pgtest.New(t)), context.Background()
}

// journey returns a valid two-step journey; name varies the definition.
func journey(slug, name string) journeys.Journey {
	return journeys.Journey{
		APIVersion: journeys.APIVersion,
		Kind:       journeys.Kind,
		Metadata:   journeys.Metadata{Slug: slug, Name: name, Owner: "team-shop"},
		Spec: journeys.Spec{
			Correlation: journeys.Correlation{By: "span.session.id", Window: journeys.Duration{D: 30 * time.Minute, Raw: "30m"}},
			Segments:    []string{"span.user.tier"},
			Steps: []journeys.Step{
				{Name: "Login", Match: journeys.Pattern{Service: "auth_svc", Span: "POST /login", Kind: "server"}},
				{Name: "Pay", Match: journeys.Pattern{
					Service: "payment_svc", SpanRegex: "^POST /pay.*",
					Attributes: []journeys.Matcher{{Key: "span.amount", Op: journeys.OpGt, Value: journeys.Value{Type: journeys.TypeInt, Raw: "10"}}},
				}},
			},
			SLOs: []journeys.SLO{{Name: "fast", Step: "Pay", Kind: journeys.SLOLatency, Threshold: journeys.Duration{D: time.Second, Raw: "1s"}, Objective: 0.99}},
		},
	}
}

type entry struct {
	Version int
	Action  string
	By      string
	Name    string
}

func history(t *testing.T, s *journeystore.Store, slug string) []entry {
	t.Helper()
	hist, err := s.JourneyHistory(context.Background(), slug)
	require.NoError(t, err)
	out := make([]entry, len(hist))
	for i, h := range hist {
		out[i] = entry{h.Version, h.Action, h.ChangedBy, h.Journey.Metadata.Name}
		require.False(t, h.ChangedAt.IsZero())
	}
	return out
}

func TestCreateGet(t *testing.T) {
	s, ctx := setup(t)
	j := journey("shop-checkout", "Shop checkout")
	rec, err := s.CreateJourney(ctx, j, "alice")
	require.NoError(t, err)
	require.Equal(t, 1, rec.Version)
	require.Equal(t, "alice", rec.UpdatedBy)
	require.Equal(t, j, rec.Journey)
	require.False(t, rec.CreatedAt.IsZero())
	require.Equal(t, rec.CreatedAt, rec.UpdatedAt)

	got, err := s.GetJourney(ctx, "shop-checkout")
	require.NoError(t, err)
	require.Equal(t, j, got.Journey)
	require.Equal(t, 1, got.Version)
	require.Equal(t, "alice", got.UpdatedBy)
	require.True(t, rec.CreatedAt.Equal(got.CreatedAt))

	require.Equal(t, []entry{{1, "created", "alice", "Shop checkout"}}, history(t, s, "shop-checkout"))
}

func TestNotFound(t *testing.T) {
	s, ctx := setup(t)
	_, err := s.GetJourney(ctx, "nope")
	require.ErrorIs(t, err, journeystore.ErrNotFound)
	require.EqualError(t, err, `journey "nope": not found`)
	_, err = s.UpdateJourney(ctx, "nope", journey("nope", "x"), "bob")
	require.ErrorIs(t, err, journeystore.ErrNotFound)
	require.ErrorIs(t, s.DeleteJourney(ctx, "nope", "bob"), journeystore.ErrNotFound)
	_, err = s.JourneyHistory(ctx, "nope")
	require.ErrorIs(t, err, journeystore.ErrNotFound)
}

func TestDuplicateCreate(t *testing.T) {
	s, ctx := setup(t)
	_, err := s.CreateJourney(ctx, journey("a", "A"), "alice")
	require.NoError(t, err)
	_, err = s.CreateJourney(ctx, journey("a", "A again"), "bob")
	require.ErrorIs(t, err, journeystore.ErrConflict)
	require.EqualError(t, err, `journey "a" already exists: conflict`)
	got, err := s.GetJourney(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "A", got.Journey.Metadata.Name)
	require.Equal(t, 1, got.Version)
}

func TestUpdateKeepsHistory(t *testing.T) {
	s, ctx := setup(t)
	created, err := s.CreateJourney(ctx, journey("a", "v1"), "alice")
	require.NoError(t, err)
	rec, err := s.UpdateJourney(ctx, "a", journey("a", "v2"), "bob")
	require.NoError(t, err)
	require.Equal(t, 2, rec.Version)
	require.Equal(t, "bob", rec.UpdatedBy)
	require.True(t, created.CreatedAt.Equal(rec.CreatedAt))
	require.False(t, rec.UpdatedAt.Before(rec.CreatedAt))
	// An explicit save of the same definition is recorded too.
	rec, err = s.UpdateJourney(ctx, "a", journey("a", "v2"), "carol")
	require.NoError(t, err)
	require.Equal(t, 3, rec.Version)

	got, err := s.GetJourney(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, journey("a", "v2"), got.Journey)
	require.Equal(t, 3, got.Version)
	require.Equal(t, []entry{
		{3, "updated", "carol", "v2"},
		{2, "updated", "bob", "v2"},
		{1, "created", "alice", "v1"},
	}, history(t, s, "a"))
}

func TestRename(t *testing.T) {
	s, ctx := setup(t)
	_, err := s.CreateJourney(ctx, journey("old", "v1"), "alice")
	require.NoError(t, err)
	_, err = s.CreateJourney(ctx, journey("other", "o"), "alice")
	require.NoError(t, err)

	_, err = s.UpdateJourney(ctx, "old", journey("other", "v2"), "bob")
	require.ErrorIs(t, err, journeystore.ErrConflict)

	rec, err := s.UpdateJourney(ctx, "old", journey("new", "v2"), "bob")
	require.NoError(t, err)
	require.Equal(t, 2, rec.Version)
	require.Equal(t, "new", rec.Journey.Metadata.Slug)
	_, err = s.GetJourney(ctx, "old")
	require.ErrorIs(t, err, journeystore.ErrNotFound)
	require.Equal(t, []entry{{2, "updated", "bob", "v2"}, {1, "created", "alice", "v1"}}, history(t, s, "new"))

	// A new journey under the freed slug numbers above what "old" recorded.
	rec, err = s.CreateJourney(ctx, journey("old", "fresh"), "carol")
	require.NoError(t, err)
	require.Equal(t, 2, rec.Version)
	require.Equal(t, []entry{{2, "created", "carol", "fresh"}}, history(t, s, "old"))
}

func TestPut(t *testing.T) {
	s, ctx := setup(t)
	rec, created, err := s.PutJourney(ctx, journey("a", "v1"), "alice")
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, 1, rec.Version)

	rec, created, err = s.PutJourney(ctx, journey("a", "v1"), "bob")
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, 1, rec.Version, "identical definition must not bump the version")
	require.Equal(t, "alice", rec.UpdatedBy)
	require.Equal(t, journey("a", "v1"), rec.Journey)

	rec, created, err = s.PutJourney(ctx, journey("a", "v2"), "carol")
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, 2, rec.Version)
	require.Equal(t, "carol", rec.UpdatedBy)

	require.Equal(t, []entry{{2, "updated", "carol", "v2"}, {1, "created", "alice", "v1"}}, history(t, s, "a"))
}

func TestList(t *testing.T) {
	s, ctx := setup(t)
	recs, err := s.ListJourneys(ctx)
	require.NoError(t, err)
	require.Empty(t, recs)
	for _, slug := range []string{"checkout", "b-login", "search", "a-browse"} {
		_, err := s.CreateJourney(ctx, journey(slug, slug), "alice")
		require.NoError(t, err)
	}
	require.NoError(t, s.DeleteJourney(ctx, "search", "alice"))
	_, err = s.UpdateJourney(ctx, "checkout", journey("checkout", "Checkout"), "bob")
	require.NoError(t, err)

	recs, err = s.ListJourneys(ctx)
	require.NoError(t, err)
	type row struct {
		Slug, Name string
		Version    int
	}
	var got []row
	for _, r := range recs {
		got = append(got, row{r.Journey.Metadata.Slug, r.Journey.Metadata.Name, r.Version})
	}
	require.Equal(t, []row{{"a-browse", "a-browse", 1}, {"b-login", "b-login", 1}, {"checkout", "Checkout", 2}}, got)
}

func TestDeleteAndRecreate(t *testing.T) {
	s, ctx := setup(t)
	_, err := s.CreateJourney(ctx, journey("a", "v1"), "alice")
	require.NoError(t, err)
	_, err = s.UpdateJourney(ctx, "a", journey("a", "v2"), "bob")
	require.NoError(t, err)
	require.NoError(t, s.DeleteJourney(ctx, "a", "carol"))

	_, err = s.GetJourney(ctx, "a")
	require.ErrorIs(t, err, journeystore.ErrNotFound)
	require.ErrorIs(t, s.DeleteJourney(ctx, "a", "carol"), journeystore.ErrNotFound)
	_, err = s.UpdateJourney(ctx, "a", journey("a", "v3"), "bob")
	require.ErrorIs(t, err, journeystore.ErrNotFound)
	require.Equal(t, []entry{
		{3, "deleted", "carol", "v2"},
		{2, "updated", "bob", "v2"},
		{1, "created", "alice", "v1"},
	}, history(t, s, "a"))

	rec, err := s.CreateJourney(ctx, journey("a", "again"), "dave")
	require.NoError(t, err)
	require.Equal(t, 4, rec.Version)
	require.Equal(t, []entry{
		{4, "created", "dave", "again"},
		{3, "deleted", "carol", "v2"},
		{2, "updated", "bob", "v2"},
		{1, "created", "alice", "v1"},
	}, history(t, s, "a"))

	// Put after a delete revives the journey too.
	require.NoError(t, s.DeleteJourney(ctx, "a", "carol"))
	rec, created, err := s.PutJourney(ctx, journey("a", "put"), "erin")
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, 6, rec.Version)
}

func TestConcurrentCreates(t *testing.T) {
	for _, revive := range []bool{false, true} {
		name := map[bool]string{false: "new", true: "revive"}[revive]
		t.Run(name, func(t *testing.T) {
			s, ctx := setup(t)
			base := 0
			if revive {
				_, err := s.CreateJourney(ctx, journey("a", "gone"), "alice")
				require.NoError(t, err)
				require.NoError(t, s.DeleteJourney(ctx, "a", "alice"))
				base = 2
			}
			const n = 8
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					_, errs[i] = s.CreateJourney(ctx, journey("a", "racer"), "alice")
				})
			}
			wg.Wait()
			var ok, conflicts int
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, journeystore.ErrConflict):
					conflicts++
				default:
					t.Fatalf("unexpected error: %v", err)
				}
			}
			require.Equal(t, 1, ok)
			require.Equal(t, n-1, conflicts)
			got, err := s.GetJourney(ctx, "a")
			require.NoError(t, err)
			require.Equal(t, base+1, got.Version)
		})
	}
}

func TestConcurrentUpdatesKeepEveryVersion(t *testing.T) {
	s, ctx := setup(t)
	_, err := s.CreateJourney(ctx, journey("a", "v0"), "alice")
	require.NoError(t, err)
	const n = 8
	versions := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rec, err := s.UpdateJourney(ctx, "a", journey("a", "racer"), "bob")
			if err == nil {
				versions[i] = rec.Version
			}
		})
	}
	wg.Wait()
	sort.Ints(versions)
	require.Equal(t, []int{2, 3, 4, 5, 6, 7, 8, 9}, versions)
	require.Len(t, history(t, s, "a"), n+1)
}

func TestConcurrentPutsOfNewSlug(t *testing.T) {
	s, ctx := setup(t)
	const n = 8
	created := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, created[i], errs[i] = s.PutJourney(ctx, journey("a", "same"), "alice")
		})
	}
	wg.Wait()
	nCreated := 0
	for i := range n {
		require.NoError(t, errs[i])
		if created[i] {
			nCreated++
		}
	}
	require.Equal(t, 1, nCreated)
	require.Equal(t, []entry{{1, "created", "alice", "same"}}, history(t, s, "a"))
}

func TestWritesJoinTheCallersTransaction(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	s, ctx := journeystore.New(pool), context.Background()

	// Put reports what it found: nothing, then the version it replaced,
	// then (unchanged) the same record twice.
	var before *journeystore.JourneyRecord
	var after journeystore.JourneyRecord
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		before, after, err = s.Put(ctx, tx, journey("a", "v1"), "alice")
		return err
	}))
	require.Nil(t, before)
	require.Equal(t, 1, after.Version)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		before, after, err = s.Put(ctx, tx, journey("a", "v2"), "bob")
		return err
	}))
	require.Equal(t, 1, before.Version)
	require.Equal(t, "v1", before.Journey.Metadata.Name)
	require.Equal(t, 2, after.Version)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		before, after, err = s.Put(ctx, tx, journey("a", "v2"), "carol")
		return err
	}))
	require.Equal(t, *before, after)
	require.Equal(t, "bob", after.UpdatedBy)

	rec, ok, err := s.Unchanged(ctx, journey("a", "v2"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 2, rec.Version)
	_, ok, err = s.Unchanged(ctx, journey("a", "v3"))
	require.NoError(t, err)
	require.False(t, ok)

	// A write rolled back with the caller's transaction leaves nothing.
	errLater := errors.New("later step failed")
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, _, err := s.Update(ctx, tx, "a", journey("a", "v3"), "dave"); err != nil {
			return err
		}
		if _, err := s.Create(ctx, tx, journey("b", "new"), "dave"); err != nil {
			return err
		}
		return errLater
	})
	require.ErrorIs(t, err, errLater)
	got, err := s.GetJourney(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, 2, got.Version)
	_, err = s.GetJourney(ctx, "b")
	require.ErrorIs(t, err, journeystore.ErrNotFound)

	var deleted journeystore.JourneyRecord
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		deleted, err = s.Delete(ctx, tx, "a", "erin")
		return err
	}))
	require.Equal(t, 2, deleted.Version)
	require.Equal(t, []entry{{3, "deleted", "erin", "v2"}, {2, "updated", "bob", "v2"}, {1, "created", "alice", "v1"}}, history(t, s, "a"))
}

func TestPing(t *testing.T) {
	s, ctx := setup(t)
	require.NoError(t, s.Ping(ctx))
}

func TestInvalidJourneyIsRefusedUnchanged(t *testing.T) {
	s, ctx := setup(t)
	bad := journey("a", "A")
	bad.Spec.Steps = bad.Spec.Steps[:1]
	bad.Spec.SLOs = nil
	want := bad.Validate()
	require.IsType(t, &journeys.ValidationError{}, want)

	_, err := s.CreateJourney(ctx, bad, "alice")
	require.Equal(t, want, err)
	_, _, err = s.PutJourney(ctx, bad, "alice")
	require.Equal(t, want, err)
	_, err = s.CreateJourney(ctx, journey("a", "A"), "alice")
	require.NoError(t, err)
	_, err = s.UpdateJourney(ctx, "a", bad, "alice")
	require.Equal(t, want, err)
	require.ErrorIs(t, err, journeys.ErrInvalid)

	got, err := s.GetJourney(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, 1, got.Version)
}

func TestLiteralsKeepTheirSpelling(t *testing.T) {
	s, ctx := setup(t)
	j := journey("a", "A")
	j.Spec.Correlation.Window = journeys.Duration{D: 90 * time.Minute, Raw: "90m"}
	j.Spec.Steps[1].Match.Attributes = []journeys.Matcher{
		{Key: "span.a", Op: journeys.OpGt, Value: journeys.Value{Type: journeys.TypeFloat, Raw: "1e3"}},
		{Key: "span.b", Op: journeys.OpLe, Value: journeys.Value{Type: journeys.TypeFloat, Raw: "10.0"}},
		{Key: "span.c", Op: journeys.OpEq, Value: journeys.Value{Type: journeys.TypeString, Raw: "10"}},
		{Key: "span.d", Op: journeys.OpEq, Value: journeys.Value{Type: journeys.TypeInt, Raw: "0x1f"}},
		{Key: "span.e", Op: journeys.OpNe, Value: journeys.Value{Type: journeys.TypeBool, Raw: "true"}},
	}
	require.NoError(t, j.Validate())
	_, err := s.CreateJourney(ctx, j, "alice")
	require.NoError(t, err)
	got, err := s.GetJourney(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, j, got.Journey)

	// 10.0 and 10 are equal numbers but different literals: a change.
	j.Spec.Steps[1].Match.Attributes[1].Value = journeys.Value{Type: journeys.TypeInt, Raw: "10"}
	rec, created, err := s.PutJourney(ctx, j, "bob")
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, 2, rec.Version)
	got, err = s.GetJourney(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, j, got.Journey)
}
