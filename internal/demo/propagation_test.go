package demo

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
)

// breakConfig breaks login's password check from minute 10 to minute 20 of
// the default shop's half hour.
func breakConfig() Config {
	cfg := DefaultConfig()
	cfg.Start = t0
	cfg.Sessions = 600
	cfg.PropagationBreak.Enabled = true
	return cfg
}

func TestPropagationBreakIsExact(t *testing.T) {
	t.Parallel()
	cfg := breakConfig()
	tr, err := Plan(cfg)
	require.NoError(t, err)
	cfg.PropagationBreak.Enabled = false
	base, err := Plan(cfg)
	require.NoError(t, err)
	truth := tr.Truth()

	from, to := t0.Add(10*time.Minute), t0.Add(20*time.Minute)
	require.Equal(t, []Window{{From: from, To: to}}, truth.PropagationBreaks)
	require.Len(t, tr.Traces(), len(base.Traces()))
	var broken []BrokenSpan
	versions := map[string]int{}
	newTraces := map[trace.TraceID]bool{}
	for i, x := range tr.Traces() {
		y := base.Traces()[i]
		require.Equal(t, y.ID, x.ID)
		if x.Step != StepIndex(StepLogin) {
			require.Equal(t, y.Spans, x.Spans)
			require.Equal(t, Steps()[x.Step].ServiceVersion, x.ServiceVersion)
			continue
		}
		start := x.Root().Start
		verify := &x.Spans[2]
		require.Equal(t, "verify_password", verify.Name)
		versions[x.ServiceVersion]++
		switch {
		case start.Before(from):
			require.Equal(t, "3.2.1", x.ServiceVersion, "before the release: the usual version")
			require.Equal(t, y.Spans, x.Spans)
		case start.Before(to):
			require.Equal(t, "3.3.0", x.ServiceVersion)
			// The password check is the root of a trace of its own; the
			// rest of the login is as before.
			require.True(t, verify.TraceID.IsValid())
			require.NotEqual(t, x.ID, verify.TraceID)
			require.False(t, newTraces[verify.TraceID])
			newTraces[verify.TraceID] = true
			require.False(t, verify.Parent.IsValid())
			require.Equal(t, verify.TraceID, x.TraceIDOf(verify))
			want := y.Spans[2]
			want.TraceID, want.Parent = verify.TraceID, trace.SpanID{}
			require.Equal(t, want, *verify)
			require.Equal(t, y.Spans[:2], x.Spans[:2])
			broken = append(broken, BrokenSpan{Step: StepLogin, Service: "auth_svc", ServiceVersion: "3.3.0", Span: "verify_password",
				SpanID: verify.ID.String(), TraceID: x.ID.String(), NewTraceID: verify.TraceID.String()})
		default:
			require.Equal(t, "3.3.1", x.ServiceVersion, "the fix")
			require.Equal(t, y.Spans, x.Spans)
		}
	}
	require.Len(t, versions, 3)
	require.Greater(t, len(broken), 100)
	require.Equal(t, broken, truth.BrokenSpans)
	require.Equal(t, len(tr.Traces())+len(broken), truth.Traces)
	// Nothing else changes: the step numbers are those of the plan without.
	whole := base.Truth()
	require.Equal(t, whole.Steps, truth.Steps)
	require.Equal(t, whole.Funnel, truth.Funnel)
	require.Equal(t, []BrokenSpan{}, whole.BrokenSpans)
	require.Equal(t, []Window{}, whole.PropagationBreaks)
	require.Equal(t, []Window{{From: t0.Add(10 * time.Minute), To: t0.Add(20 * time.Minute)}}, truth.BadDeploys)
}

func TestSendPropagationBreak(t *testing.T) {
	t.Parallel()
	tr, err := Plan(breakConfig())
	require.NoError(t, err)
	sink, srv := newSink(t)
	require.NoError(t, tr.Send(context.Background(), srv.URL))
	got := sink.got()
	sortSpans(got)
	require.Equal(t, wantSpans(tr.Traces(), 1), got)

	truth := tr.Truth()
	broken := map[string]BrokenSpan{}
	for _, b := range truth.BrokenSpans {
		broken[b.SpanID] = b
	}
	var n int
	for _, g := range got {
		if b, ok := broken[g.SpanID]; ok {
			n++
			require.Equal(t, b.NewTraceID, g.TraceID)
			require.Empty(t, g.Parent)
			require.Equal(t, "3.3.0", g.Resource["service.version"])
			require.Equal(t, "auth_svc", g.Resource["service.name"])
		}
	}
	require.Equal(t, len(truth.BrokenSpans), n)
}
