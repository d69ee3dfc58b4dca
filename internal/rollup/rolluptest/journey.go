package rolluptest

import (
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Service is the service of every step of journeys built by Journey.
const Service = "shop"

// Journey returns a journey of n steps named s1..sN, each matching the span
// of that name on Service. by is the correlation ("trace" or an attribute
// key) and window its conversion window (0 for none).
func Journey(slug, by string, window time.Duration, n int) journeys.Journey {
	j := journeys.Journey{
		APIVersion: journeys.APIVersion,
		Kind:       journeys.Kind,
		Metadata:   journeys.Metadata{Slug: slug, Name: slug},
		Spec: journeys.Spec{
			Correlation: journeys.Correlation{By: by},
		},
	}
	if window > 0 {
		j.Spec.Correlation.Window = journeys.NewDuration(window)
	}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("s%d", i)
		j.Spec.Steps = append(j.Spec.Steps, journeys.Step{
			Name:  name,
			Match: journeys.Pattern{Service: Service, Span: name},
		})
	}
	return j
}

// TraceID returns a valid trace id derived from n.
func TraceID(n int) string { return fmt.Sprintf("%032x", n) }

// SpanID returns a valid span id derived from n.
func SpanID(n int) string { return fmt.Sprintf("%016x", n) }

// StepSpan returns a span of step k (1-based) of a Journey-built journey.
func StepSpan(k int, trace, span int, start time.Time, d time.Duration, isErr bool, attrs map[string]string) Span {
	return Span{
		Service: Service,
		Name:    fmt.Sprintf("s%d", k),
		Span: journeys.Span{
			TraceID:  TraceID(trace),
			SpanID:   SpanID(span),
			Start:    start,
			Duration: d,
			Error:    isErr,
		},
		Attrs: attrs,
	}
}

// CheckoutJourney is a three-step journey correlated by span.session.id
// with a 30-minute window and a span.tier segment, for CheckoutSpans.
func CheckoutJourney() journeys.Journey {
	j := Journey("checkout", "span.session.id", 30*time.Minute, 3)
	j.Spec.Segments = []string{"span.tier"}
	return j
}

// CheckoutSpans is traffic for CheckoutJourney around base, meant to be
// computed for [base+60m, base+120m). Over that range, with a horizon of
// base+200m: 5 sessions enter (B 61m silver, C 70m silver, A 85m gold,
// D 110m none, F 119m none), reaching steps [5 4 1]; C errors; step spans
// are [8 4 3].
func CheckoutSpans(base time.Time) []Span {
	n := 0
	sp := func(step int, session string, m float64, isErr bool, kv ...string) Span {
		n++
		a := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			a[kv[i]] = kv[i+1]
		}
		if session != "" {
			a["span.session.id"] = session
		}
		return StepSpan(step, n, n, base.Add(time.Duration(m*float64(time.Minute))), 10*time.Millisecond, isErr, a)
	}
	withID := func(s Span, id int) Span {
		s.SpanID = SpanID(id)
		return s
	}
	return []Span{
		// A entered at 50; its step-1 span at 65 is inside that window, so
		// not an entry. At 85 the window is over: a new entry.
		sp(1, "A", 50, false, "span.tier", "gold"),
		sp(1, "A", 65, false, "span.tier", "gold"),
		sp(2, "A", 70, false),
		sp(1, "A", 85, false, "span.tier", "gold"),
		sp(2, "A", 90, false),
		sp(3, "A", 95, false),
		// B's step 3 comes after the window closed. Its step-2 span carries
		// another tier: the step row says bronze, the funnel silver.
		sp(1, "B", 61, false, "span.tier", "silver"),
		sp(2, "B", 62, false, "span.tier", "bronze"),
		sp(3, "B", 100, false),
		// C: two step-1 spans at once, the lower span id (silver) enters;
		// step 2 at the same instant counts, errored; step 3 exactly at the
		// window end does not.
		withID(sp(1, "C", 70, false, "span.tier", "gold"), 1001),
		withID(sp(1, "C", 70, false, "span.tier", "silver"), 1000),
		sp(2, "C", 70, true),
		sp(3, "C", 100, false),
		// D reaches step 2 after the range ends, inside its window.
		sp(1, "D", 110, false),
		sp(2, "D", 125, false),
		// E has no session: a step-1 span, not an instance.
		sp(1, "", 75, false),
		// F enters at the end of the range; its later step-1 span is inside
		// F's window.
		sp(1, "F", 119, false),
		sp(1, "F", 121, false),
	}
}
