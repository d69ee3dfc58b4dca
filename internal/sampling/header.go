package sampling

import (
	"fmt"
	"slices"
	"strings"

	"github.com/waymarkhq/waymark/journeys"
)

// header is the comment that opens the YAML form: how to use the
// configuration, what each kind of policy keeps and why it is built the
// way it is.
func (g *generator) header(js []journeys.Journey) string {
	slugs := make([]string, len(js))
	for i, j := range js {
		slugs[i] = j.Metadata.Slug
	}
	var b strings.Builder
	line := func(format string, v ...any) { fmt.Fprintf(&b, format+"\n", v...) }
	line("Tail sampling for the journeys %s, written by waymark sampling policy", strings.Join(slugs, ", "))
	line("for the OpenTelemetry Collector Contrib tail_sampling processor (checked")
	line("against %s).", ProcessorVersion)
	line("")
	line("Use: give it to the collector beside its own configuration (otelcol")
	line("--config collector.yaml --config sampling.yaml merges the two) and add")
	line("tail_sampling to the traces pipeline, after memory_limiter and before batch.")
	line("")
	line("A trace is kept when any policy keeps it:")
	line("  SLUG/N/errors  a span of step N has status ERROR")
	if g.slow {
		line("  SLUG/N/slow    a span of step N is slower than the step's latency SLO threshold")
	}
	if r := g.opts.StepKeepRate; r > 0 {
		line("  SLUG/N/share   %s%% of the traces with a span of step N", percent(r))
	}
	if r := g.opts.KeepRate; r > 0 {
		if len(g.sessions) > 0 {
			line("  sessions/KEY   %s%% of the sessions, with every trace of each", percent(r))
		}
		line("  rest           %s%% of all other traces", percent(r))
	}
	line("Each step is matched on the span itself, in one ottl_condition: an and")
	line("policy of string_attribute and status_code would ask whether the trace has")
	line("the step's span and whether it has any errored span, not whether that span")
	line("failed; string_attribute cannot see a span's name, nor latency (which times")
	line("the whole trace) a span's duration.")
	if r := g.opts.StepKeepRate; r > 0 && r < 1 {
		line("")
		line("Step shares are probabilistic, not rate_limiting: a share keeps the same")
		line("fraction of a step at any traffic and on any number of collectors, and")
		line("hashing decides a trace the same way everywhere, so the step sample holds")
		line("the rest sample (both hash the trace id with the default salt).")
		line("rate_limiting counts spans per second on each collector and shard, first")
		line("come first kept: at a peak it keeps each second's first traces and drops")
		line("the others, and it cannot keep a session's traces together.")
	}
	if len(g.sessions) > 0 {
		keys := make([]string, 0, len(g.sessions))
		for k := range g.sessions {
			keys = append(keys, fmt.Sprintf("%s (%s)", k, strings.Join(g.sessions[k], ", ")))
		}
		slices.Sort(keys)
		line("")
		line("Sessions: journeys correlated by %s tie several", strings.Join(keys, ", "))
		line("traces together, and the processor decides each trace on its own spans. So")
		line("that a session's traces are kept or dropped together, the share and rest")
		line("policies of these journeys hash the session id (XXH3 in ottl_condition)")
		line("instead of the trace id: every trace of a session gets the same decision, on")
		line("every collector, without holding the session in memory. The probabilistic")
		line("policy can only hash the trace id in this release, and the loadbalancing")
		line("exporter's routing_key: attributes would send the spans of one trace that")
		line("lack the session id elsewhere, breaking tail sampling. Traces that carry no")
		line("session id are sampled by trace id. A span without the session id cannot")
		line("be tied to its session: waymark check reports them.")
	}
	line("")
	line("With more than one collector, put a loadbalancing exporter with routing_key:")
	line("traceID in front, so that all the spans of a trace reach the same one.")
	line("")
	line("Waymark counts what its trace source holds: reading a Tempo behind this")
	line("processor, throughput, error rates and conversion are those of the sample,")
	line("with errors and slow spans over-represented. Send the unsampled stream to")
	line("waymark serve's OTLP receiver as well, or keep every step's traces")
	line("(--step-keep-rate 1).")
	return strings.TrimRight(b.String(), "\n")
}
