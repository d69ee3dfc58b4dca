package preview_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/preview"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sketch"
	"github.com/waymarkhq/waymark/internal/sourcetest"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func shopTraffic(t testing.TB, sessions int) *demo.Traffic {
	t.Helper()
	cfg := demo.DefaultConfig()
	cfg.Start = start
	cfg.Sessions = sessions
	tr, err := demo.Plan(cfg)
	require.NoError(t, err)
	return tr
}

func example(t testing.TB, file string) journeys.Journey {
	t.Helper()
	b, err := examples.FS.ReadFile(file)
	require.NoError(t, err)
	js, err := journeys.DecodeYAML(b)
	require.NoError(t, err)
	return js[0]
}

// p95 is what the rollups' sketch says of exact durations.
func p95(durs []time.Duration) time.Duration {
	var sk sketch.Sketch
	for _, d := range durs {
		sk.Add(d)
	}
	return time.Duration(sk.QuantileNanos(0.95))
}

func quantile(durs []time.Duration, q float64) time.Duration {
	var sk sketch.Sketch
	for _, d := range durs {
		sk.Add(d)
	}
	return time.Duration(sk.QuantileNanos(q))
}

// slowest are the traces of the three slowest spans.
func slowest(traces []*demo.Trace, span func(*demo.Trace) *demo.Span) []string {
	type x struct {
		id  string
		dur time.Duration
	}
	var xs []x
	for _, tr := range traces {
		if sp := span(tr); sp != nil {
			xs = append(xs, x{tr.ID.String(), sp.Duration()})
		}
	}
	slices.SortFunc(xs, func(a, b x) int { return cmp.Or(cmp.Compare(b.dur, a.dur), strings.Compare(a.id, b.id)) })
	out := []string{}
	for _, e := range xs[:min(3, len(xs))] {
		out = append(out, e.id)
	}
	return out
}

func TestPreviewIsTheTruthThroughBothSources(t *testing.T) {
	t.Parallel()
	tr := shopTraffic(t, 300)
	truth := tr.Truth()
	shop := example(t, "shop-checkout.yaml")
	login := example(t, "login-flow.yaml")

	// What the shop funnel must say: every session is inside the range and
	// its 30 minutes, so each reached exactly the steps it sent.
	byStep := make([][]*demo.Trace, demo.NumSteps)
	first := map[*demo.Session]*demo.Trace{}
	bySession := map[*demo.Session][]*demo.Trace{}
	for _, x := range tr.Traces() {
		byStep[x.Step] = append(byStep[x.Step], x)
		bySession[x.Session] = append(bySession[x.Session], x)
		if x.Step == 0 {
			first[x.Session] = x
		}
	}
	gaps := make([][]time.Duration, demo.NumSteps)
	for _, xs := range bySession {
		for k := 1; k < len(xs); k++ {
			gaps[k] = append(gaps[k], xs[k].Root().Start.Sub(xs[k-1].Root().Start))
		}
	}
	root := func(x *demo.Trace) *demo.Span { return x.Root() }

	for _, src := range sourcetest.Sources(t, tr.OTLP()) {
		t.Run(src.Name, func(t *testing.T) {
			t.Parallel()
			p := preview.New(src.Source, preview.Options{Now: func() time.Time { return start.Add(60*time.Minute + 30*time.Second) }})
			got, err := p.Run(context.Background(), preview.Request{Journey: shop})
			require.NoError(t, err)
			require.Equal(t, start, got.From)
			require.Equal(t, start.Add(time.Hour), got.To)
			require.False(t, got.Partial)
			require.Len(t, got.Steps, demo.NumSteps)
			for k, s := range got.Steps {
				want := truth.Steps[k]
				require.Equal(t, shop.Spec.Steps[k].Name, s.Name)
				require.Equal(t, int64(want.RootSpans), s.Spans, s.Name)
				require.Equal(t, int64(want.Errors), s.Errors, s.Name)
				require.InDelta(t, float64(want.Errors)/float64(want.RootSpans), s.ErrorRate, 1e-12, s.Name)
				require.Equal(t, p95(want.Latency.Durations), s.P95, s.Name)
				require.Equal(t, slowest(byStep[k], root), s.Samples, s.Name)
				require.True(t, s.Read)
				require.False(t, s.Unmatched)

				f := got.Funnel.Steps[k]
				require.Equal(t, int64(truth.Funnel[k].Sessions), f.Reached, s.Name)
				require.InDelta(t, truth.Funnel[k].Conversion, f.Conversion, 1e-12, s.Name)
				require.InDelta(t, truth.Funnel[k].Overall, f.Overall, 1e-12, s.Name)
				require.Equal(t, quantile(gaps[k], 0.5), f.FromPreviousP50, s.Name)
				require.Equal(t, quantile(gaps[k], 0.95), f.FromPreviousP95, s.Name)
			}
			require.Equal(t, int64(len(first)), got.Funnel.Entered)
			require.Equal(t, int64(truth.Funnel[demo.NumSteps-1].Sessions), got.Funnel.Completed)
			require.Zero(t, got.Funnel.InFlight)

			// By trace: every login trace has its lookup and its check.
			got, err = p.Run(context.Background(), preview.Request{Journey: login})
			require.NoError(t, err)
			logins := int64(truth.Steps[0].RootSpans)
			require.Equal(t, []int64{logins, logins, logins}, []int64{got.Funnel.Steps[0].Reached, got.Funnel.Steps[1].Reached, got.Funnel.Steps[2].Reached})
			child := func(name string) func(*demo.Trace) *demo.Span {
				return func(x *demo.Trace) *demo.Span {
					for i := range x.Spans {
						if x.Spans[i].Name == name {
							return &x.Spans[i]
						}
					}
					return nil
				}
			}
			require.Equal(t, int64(truth.Steps[0].Children[0].Spans), got.Steps[1].Spans)
			require.Equal(t, int64(truth.Steps[0].Children[0].ErrorSpans), got.Steps[1].Errors)
			require.Equal(t, slowest(byStep[0], child("SELECT users")), got.Steps[1].Samples)
			require.Equal(t, slowest(byStep[0], child("verify_password")), got.Steps[2].Samples)
		})
	}
}

func TestAStepThatMatchedNothingInADayIsFlagged(t *testing.T) {
	t.Parallel()
	tr := shopTraffic(t, 60)
	for _, src := range sourcetest.Sources(t, tr.OTLP()) {
		t.Run(src.Name, func(t *testing.T) {
			t.Parallel()
			j := example(t, "shop-checkout.yaml")
			j.Spec.Steps[2].Match.Span = "POST /cart/item" // not the shop's POST /cart/items
			p := preview.New(src.Source, preview.Options{Now: func() time.Time { return start.Add(time.Hour) }})
			got, err := p.Run(context.Background(), preview.Request{Journey: j})
			require.NoError(t, err)
			for k, s := range got.Steps {
				require.Equal(t, k == 2, s.Unmatched, s.Name)
				if k == 2 {
					require.Zero(t, s.Spans)
					require.Equal(t, "no span matched this step in the last 24 hours: check the service, span name, kind and attributes", s.Warning)
				}
			}
			require.Zero(t, got.Funnel.Steps[2].Reached)

			// A quiet quarter of an hour is not a mistyped step: the steps
			// matched earlier that day.
			got, err = p.Run(context.Background(), preview.Request{Journey: example(t, "shop-checkout.yaml"), From: start.Add(40 * time.Minute), To: start.Add(55 * time.Minute)})
			require.NoError(t, err)
			for _, s := range got.Steps {
				require.Zero(t, s.Spans, s.Name)
				require.False(t, s.Unmatched, s.Name)
				require.Empty(t, s.Warning, s.Name)
			}
		})
	}
}

func TestPreviewStopsAtTheSpanCapAndSaysSo(t *testing.T) {
	t.Parallel()
	tr := shopTraffic(t, 60)
	src := sourcetest.Store(t, tr.OTLP())
	logins := int64(tr.Truth().Steps[0].RootSpans)
	p := preview.New(src, preview.Options{MaxSpans: logins + 10, Now: func() time.Time { return start.Add(time.Hour) }})
	got, err := p.Run(context.Background(), preview.Request{Journey: example(t, "shop-checkout.yaml")})
	require.NoError(t, err)
	require.True(t, got.Partial)
	require.Equal(t, `stopped at the cap of `+itoa(logins+10)+` spans while reading step "Browse"`, got.Reason)
	require.Equal(t, []bool{true, false, false, false, false}, reads(got))
	require.Equal(t, logins, got.Steps[0].Spans)
	require.Equal(t, int64(10), got.Steps[1].Spans)
}

// slowSource answers step 1 and then hangs until the budget runs out.
type slowSource struct {
	rollup.TraceSource
}

func (s slowSource) FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error) {
	if q.Pattern.Service != "auth_svc" {
		<-ctx.Done()
		return journeys.FetchStats{}, ctx.Err()
	}
	return s.TraceSource.FetchSpans(ctx, q, fn)
}

func TestPreviewStopsAtItsTimeBudget(t *testing.T) {
	t.Parallel()
	tr := shopTraffic(t, 60)
	src := slowSource{sourcetest.Store(t, tr.OTLP())}
	p := preview.New(src, preview.Options{Budget: 300 * time.Millisecond, Now: func() time.Time { return start.Add(time.Hour) }})
	began := time.Now()
	got, err := p.Run(context.Background(), preview.Request{Journey: example(t, "shop-checkout.yaml")})
	require.NoError(t, err)
	require.Less(t, time.Since(began), 5*time.Second)
	require.True(t, got.Partial)
	require.Equal(t, `stopped after 300ms, the time budget, while reading step "Browse"`, got.Reason)
	require.Equal(t, []bool{true, false, false, false, false}, reads(got))
	require.Equal(t, int64(tr.Truth().Steps[0].RootSpans), got.Steps[0].Spans)

	// The caller going away is an error, not a partial preview.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Run(ctx, preview.Request{Journey: example(t, "shop-checkout.yaml")})
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
}

func TestAnInvalidDraftNamesItsFields(t *testing.T) {
	t.Parallel()
	p := preview.New(sourcetest.Store(t, nil), preview.Options{})
	j := example(t, "shop-checkout.yaml")
	j.Metadata = journeys.Metadata{}        // an unsaved draft has no name yet: fine
	j.Spec.SLOs[0].Step = "No such step"    // SLOs are not previewed: fine
	j.Spec.Steps[1].Match.SpanRegex = "GET" // both span and spanRegex: not fine
	j.Spec.Steps = j.Spec.Steps[:2]
	_, err := p.Run(context.Background(), preview.Request{Journey: j})
	var ve *journeys.ValidationError
	require.True(t, errors.As(err, &ve), "%v", err)
	require.Equal(t, map[string]string{"steps[1].match.spanRegex": "set either span or spanRegex, not both"}, ve.Fields)

	_, err = p.Run(context.Background(), preview.Request{Journey: example(t, "login-flow.yaml"), From: start.Add(30 * time.Second), To: start.Add(time.Hour)})
	require.True(t, errors.As(err, &ve), "%v", err)
	require.Equal(t, map[string]string{"range": "from and to must be on whole minutes"}, ve.Fields)
}

func reads(p *preview.Preview) []bool {
	out := make([]bool, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = s.Read
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
