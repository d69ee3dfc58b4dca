package journeys

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSelectKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(j *Journey)
		want []string
	}{
		{"attribute mode", func(*Journey) {}, []string{"span.session.id", "span.user.tier", "span.region", "span.app.version", "span.order.total"}},
		{"trace mode", func(j *Journey) { j.Spec.Correlation = Correlation{By: CorrelateByTrace} },
			[]string{"span.user.tier", "span.region", "span.app.version", "span.order.total"}},
		{"deduplicated in order", func(j *Journey) {
			j.Spec.Segments = []string{"span.region", "span.order.total", "span.region", "span.session.id"}
		}, []string{"span.session.id", "span.region", "span.order.total"}},
		{"nothing to select", func(j *Journey) {
			j.Spec.Correlation = Correlation{By: CorrelateByTrace}
			j.Spec.Segments, j.Spec.Value = nil, ""
		}, nil},
		{"value only", func(j *Journey) {
			j.Spec.Correlation = Correlation{By: CorrelateByTrace}
			j.Spec.Segments = nil
		}, []string{"span.order.total"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := shopCheckout(t)
			tt.edit(&j)
			require.Equal(t, tt.want, j.SelectKeys())
		})
	}
}

func TestStepIndex(t *testing.T) {
	t.Parallel()
	j := shopCheckout(t)
	for name, want := range map[string]int{"Login": 0, "Browse": 1, "Payment": 4, "payment": -1, "": -1} {
		require.Equal(t, want, j.StepIndex(name), name)
	}
	require.Equal(t, -1, Journey{}.StepIndex("Login"))
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	j := Journey{Metadata: Metadata{Slug: "x"}}
	j.Normalize()
	require.Equal(t, Journey{APIVersion: "waymark/v1", Kind: "Journey", Metadata: Metadata{Slug: "x"}}, j)

	// Values already set, even wrong ones, are the user's to fix.
	j = Journey{APIVersion: "waymark/v2", Kind: "Flow"}
	j.Normalize()
	require.Equal(t, Journey{APIVersion: "waymark/v2", Kind: "Flow"}, j)
}

func TestEffectiveWindow(t *testing.T) {
	t.Parallel()
	require.Equal(t, 28*24*time.Hour, SLO{}.EffectiveWindow())
	require.Equal(t, 7*24*time.Hour, SLO{Window: dur(t, "7d")}.EffectiveWindow())
	require.Equal(t, 90*time.Minute, SLO{Window: dur(t, "1h30m")}.EffectiveWindow())
	// Validate rejects a non-positive window; until then it is the default.
	require.Equal(t, 28*24*time.Hour, SLO{Window: dur(t, "-1h")}.EffectiveWindow())
}

func TestByTrace(t *testing.T) {
	t.Parallel()
	require.True(t, Correlation{By: "trace"}.ByTrace())
	require.False(t, Correlation{By: "span.trace"}.ByTrace())
}
