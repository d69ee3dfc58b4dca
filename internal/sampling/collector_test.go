package sampling

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/xxh3"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.yaml.in/yaml/v3"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
)

// decode reads the output of Policy the way the collector reads its
// configuration: the tail_sampling section unmarshalled by confmap into the
// processor's own Config, starting from its defaults, refusing keys it
// does not know; then the Config's Validate.
func decode(t *testing.T, out []byte) *tailsamplingprocessor.Config {
	t.Helper()
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(out, &doc))
	require.Len(t, doc, 1, "only a processors section")
	procs, ok := doc["processors"].(map[string]any)
	require.True(t, ok, "processors is a mapping")
	require.Len(t, procs, 1, "only tail_sampling")
	section, ok := procs["tail_sampling"].(map[string]any)
	require.True(t, ok, "tail_sampling is a mapping")

	cfg := tailsamplingprocessor.NewFactory().CreateDefaultConfig().(*tailsamplingprocessor.Config)
	require.NoError(t, confmap.NewFromStringMap(section).Unmarshal(cfg))
	require.NoError(t, cfg.Validate())
	requireNoExtensionKeys(t, cfg)
	return cfg
}

// requireNoExtensionKeys fails on keys the policies do not know: the
// processor collects them (",remain") for policy extensions instead of
// refusing them, so a misspelt policy field would pass decoding.
func requireNoExtensionKeys(t *testing.T, cfg *tailsamplingprocessor.Config) {
	t.Helper()
	for _, p := range cfg.PolicyCfgs {
		require.Empty(t, p.ExtensionCfg, "policy %s", p.Name)
		for _, s := range p.AndCfg.SubPolicyCfg {
			require.Empty(t, s.ExtensionCfg, "policy %s", s.Name)
			require.Empty(t, s.NotCfg.SubPolicy.ExtensionCfg, "policy %s", s.NotCfg.SubPolicy.Name)
		}
		for _, s := range p.CompositeCfg.SubPolicyCfg {
			require.Empty(t, s.ExtensionCfg, "policy %s", s.Name)
		}
		require.Empty(t, p.NotCfg.SubPolicy.ExtensionCfg, "policy %s", p.NotCfg.SubPolicy.Name)
	}
}

// build creates the processor from cfg and starts it in front of a sink;
// starting compiles every OTTL condition.
func build(t *testing.T, cfg *tailsamplingprocessor.Config) (processor.Traces, *consumertest.TracesSink) {
	t.Helper()
	f := tailsamplingprocessor.NewFactory()
	sink := new(consumertest.TracesSink)
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	return p, sink
}

func policyNames(cfg *tailsamplingprocessor.Config) []string {
	var names []string
	for _, p := range cfg.PolicyCfgs {
		names = append(names, p.Name)
	}
	return names
}

func TestPolicyDecodesIntoTheProcessorConfig(t *testing.T) {
	t.Parallel()
	js := []journeys.Journey{loginFlow(), shopCheckout(), everyMatcher()}
	for _, format := range []Format{FormatYAML, FormatJSON} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			opts := DefaultOptions()
			opts.Format = format
			out, err := Policy(js, opts)
			require.NoError(t, err)
			cfg := decode(t, out)
			require.Equal(t, 30*time.Second, cfg.DecisionWait)
			require.Equal(t, []string{
				"login-flow/1/errors", "login-flow/1/slow", "login-flow/1/share",
				"login-flow/2/errors", "login-flow/2/share",
				"shop-checkout/1/errors", "shop-checkout/1/share",
				"shop-checkout/2/errors", "shop-checkout/2/share",
				"shop-checkout/3/errors", "shop-checkout/3/slow", "shop-checkout/3/share",
				"matchers/1/errors", "matchers/1/slow", "matchers/1/share", "matchers/2/errors", "matchers/2/share",
				"sessions/resource.visit.id", "sessions/span.session.id", "rest",
			}, policyNames(cfg))

			byName := map[string]tailsamplingprocessor.PolicyCfg{}
			for _, p := range cfg.PolicyCfgs {
				byName[p.Name] = p
			}
			share := byName["login-flow/1/share"]
			require.Equal(t, tailsamplingprocessor.And, share.Type)
			require.Len(t, share.AndCfg.SubPolicyCfg, 2)
			require.Equal(t, tailsamplingprocessor.OTTLCondition, share.AndCfg.SubPolicyCfg[0].Type)
			require.Equal(t, tailsamplingprocessor.Probabilistic, share.AndCfg.SubPolicyCfg[1].Type)
			require.Equal(t, 25.0, share.AndCfg.SubPolicyCfg[1].ProbabilisticCfg.SamplingPercentage)
			require.Equal(t, []string{
				`resource.attributes["service.name"] == "auth_svc" and span.name == "POST /login" and span.kind == SPAN_KIND_SERVER and ` +
					durationExpr + ` > 300000000`,
			}, byName["login-flow/1/slow"].OTTLConditionCfg.SpanConditions)
			rest := byName["rest"]
			require.Equal(t, tailsamplingprocessor.And, rest.Type)
			require.Equal(t, 10.0, rest.AndCfg.SubPolicyCfg[0].ProbabilisticCfg.SamplingPercentage)
			require.Equal(t, tailsamplingprocessor.Not, rest.AndCfg.SubPolicyCfg[1].Type)
			require.Equal(t, []string{`resource.attributes["visit.id"] != nil`, `span.attributes["session.id"] != nil`},
				rest.AndCfg.SubPolicyCfg[1].NotCfg.SubPolicy.OTTLConditionCfg.SpanConditions)

			// Starting the processor parses every OTTL condition with the
			// functions the processor offers.
			build(t, cfg)
		})
	}
}

func TestDecodeRefusesWhatTheCollectorRefuses(t *testing.T) {
	t.Parallel()
	out, err := Policy([]journeys.Journey{loginFlow()}, DefaultOptions())
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(out, &doc))
	section := doc["processors"].(map[string]any)["tail_sampling"].(map[string]any)

	// An unknown top-level field fails confmap's strict decoding.
	section["decision_wiat"] = "1s"
	cfg := tailsamplingprocessor.NewFactory().CreateDefaultConfig().(*tailsamplingprocessor.Config)
	err = confmap.NewFromStringMap(section).Unmarshal(cfg)
	require.ErrorContains(t, err, "decision_wiat")
	delete(section, "decision_wiat")

	// A misspelt policy field is collected for extensions, which the
	// check above catches.
	first := section["policies"].([]any)[0].(map[string]any)
	first["ottl_conditon"] = map[string]any{"span": []any{"true"}}
	cfg = tailsamplingprocessor.NewFactory().CreateDefaultConfig().(*tailsamplingprocessor.Config)
	require.NoError(t, confmap.NewFromStringMap(section).Unmarshal(cfg))
	require.Equal(t, map[string]map[string]any{"ottl_conditon": {"span": []any{"true"}}}, cfg.PolicyCfgs[0].ExtensionCfg)
	delete(first, "ottl_conditon")

	// A condition OTTL cannot parse fails when the processor starts, which
	// is when it loads its policies.
	first["ottl_condition"].(map[string]any)["span"] = []any{`span.name == `}
	cfg = tailsamplingprocessor.NewFactory().CreateDefaultConfig().(*tailsamplingprocessor.Config)
	require.NoError(t, confmap.NewFromStringMap(section).Unmarshal(cfg))
	f := tailsamplingprocessor.NewFactory()
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), cfg, new(consumertest.TracesSink))
	require.NoError(t, err)
	require.ErrorContains(t, p.Start(context.Background(), componenttest.NewNopHost()), "login-flow/1/errors")
}

func TestPolicyKeepsFailedAndSlowStepSpans(t *testing.T) {
	t.Parallel()
	out, err := Policy([]journeys.Journey{loginFlow(), shopCheckout(), everyMatcher()},
		Options{KeepRate: 0, StepKeepRate: 0, DecisionWait: time.Second})
	require.NoError(t, err)
	p, sink := build(t, decode(t, out))

	tb := newTraces()
	ms := time.Millisecond
	keep := []string{
		tb.trace("login step 2 failed", span{svc: "auth_svc", name: "POST /login", kind: server, dur: 20 * ms},
			span{svc: "auth_svc", name: "SELECT users", kind: client, dur: 5 * ms, err: true, attrs: kv("db.system.name", "postgresql")}),
		tb.trace("login slower than 300ms", span{svc: "auth_svc", name: "POST /login", kind: server, dur: 301 * ms}),
		tb.trace("cart step failed", span{svc: "cart_svc", name: "POST /cart/items", kind: server, dur: 10 * ms, err: true, attrs: kv("session.id", "s1")}),
		tb.trace("cart slower than 1s", span{svc: "cart_svc", name: "POST /cart/items", kind: server, dur: 1001 * ms, attrs: kv("session.id", "s1")}),
		tb.trace("every matcher holds, failed", span{svc: "search_svc", name: "GET /search/shoes", kind: server, dur: 10 * ms, err: true,
			attrs: kv("http.route", "/search/{q}", "retries", int64(2), "ratio", 0.5, "cached", false, "tier", "gold", "region", "eu-west-1"),
			res:   kv("visit.id", "v1", "deployment.environment", "prod")}),
	}
	drop := []string{
		tb.trace("login fine", span{svc: "auth_svc", name: "POST /login", kind: server, dur: 300 * ms},
			span{svc: "auth_svc", name: "SELECT users", kind: client, dur: 5 * ms, attrs: kv("db.system.name", "postgresql")}),
		// The trace holds an error, but not on a step span: a trace-level
		// and of the step and status_code would keep it.
		tb.trace("error off the step", span{svc: "auth_svc", name: "POST /login", kind: server, dur: 20 * ms},
			span{svc: "mail_svc", name: "send", kind: client, dur: 5 * ms, err: true}),
		tb.trace("same name, other service", span{svc: "admin_svc", name: "POST /login", kind: server, dur: 900 * ms, err: true}),
		tb.trace("same name, other kind", span{svc: "auth_svc", name: "POST /login", kind: client, dur: 900 * ms, err: true}),
		tb.trace("step 2 without its attribute", span{svc: "auth_svc", name: "SELECT users", kind: client, dur: 5 * ms, err: true}),
		tb.trace("step 2 with the attribute as a number", span{svc: "auth_svc", name: "SELECT users", kind: client, dur: 5 * ms, err: true,
			attrs: kv("db.system.name", int64(1))}),
		// One matcher false each: the regex name, then each attribute.
		tb.trace("regex is anchored", span{svc: "search_svc", name: "GET /search/shoes/2", kind: server, err: true,
			attrs: kv("http.route", "/search/{q}", "retries", int64(2), "ratio", 0.5, "cached", false, "tier", "gold", "region", "eu-west-1"),
			res:   kv("visit.id", "v1", "deployment.environment", "prod")}),
		tb.trace("retries too many", span{svc: "search_svc", name: "GET /search/shoes", kind: server, err: true,
			attrs: kv("http.route", "/search/{q}", "retries", int64(3), "ratio", 0.5, "cached", false, "tier", "gold", "region", "eu-west-1"),
			res:   kv("visit.id", "v1", "deployment.environment", "prod")}),
		tb.trace("ratio too high", span{svc: "search_svc", name: "GET /search/shoes", kind: server, err: true,
			attrs: kv("http.route", "/search/{q}", "retries", int64(2), "ratio", 0.75, "cached", false, "tier", "gold", "region", "eu-west-1"),
			res:   kv("visit.id", "v1", "deployment.environment", "prod")}),
		tb.trace("cached", span{svc: "search_svc", name: "GET /search/shoes", kind: server, err: true,
			attrs: kv("http.route", "/search/{q}", "retries", int64(2), "ratio", 0.5, "cached", true, "tier", "gold", "region", "eu-west-1"),
			res:   kv("visit.id", "v1", "deployment.environment", "prod")}),
		tb.trace("tier free", span{svc: "search_svc", name: "GET /search/shoes", kind: server, err: true,
			attrs: kv("http.route", "/search/{q}", "retries", int64(2), "ratio", 0.5, "cached", false, "tier", "free", "region", "eu-west-1"),
			res:   kv("visit.id", "v1", "deployment.environment", "prod")}),
		tb.trace("tier absent: != is false on a missing attribute", span{svc: "search_svc", name: "GET /search/shoes", kind: server, err: true,
			attrs: kv("http.route", "/search/{q}", "retries", int64(2), "ratio", 0.5, "cached", false, "region", "eu-west-1"),
			res:   kv("visit.id", "v1", "deployment.environment", "prod")}),
		tb.trace("region in the US", span{svc: "search_svc", name: "GET /search/shoes", kind: server, err: true,
			attrs: kv("http.route", "/search/{q}", "retries", int64(2), "ratio", 0.5, "cached", false, "tier", "gold", "region", "us-east-1"),
			res:   kv("visit.id", "v1", "deployment.environment", "prod")}),
		tb.trace("staging resource", span{svc: "search_svc", name: "GET /search/shoes", kind: server, err: true,
			attrs: kv("http.route", "/search/{q}", "retries", int64(2), "ratio", 0.5, "cached", false, "tier", "gold", "region", "eu-west-1"),
			res:   kv("visit.id", "v1", "deployment.environment", "staging")}),
	}
	require.NoError(t, p.ConsumeTraces(context.Background(), tb.td))
	got := settle(t, sink, tb.names, len(keep))
	slices.Sort(keep)
	require.Equal(t, keep, got)
	for _, d := range drop {
		require.NotContains(t, got, d)
	}
}

func TestPolicyKeepsSessionsWhole(t *testing.T) {
	t.Parallel()
	const keepRate, stepRate = 0.1, 0.25
	// Only the session journey: login-flow's share would also keep, by
	// trace id, login traces of sessions dropped here.
	out, err := Policy([]journeys.Journey{shopCheckout()},
		Options{KeepRate: keepRate, StepKeepRate: stepRate, DecisionWait: time.Second})
	require.NoError(t, err)
	p, sink := build(t, decode(t, out))

	tb := newTraces()
	var want []string
	ms := time.Millisecond
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		id := fmt.Sprintf("session-%d-%d", i, r.Uint64())
		h := xxh3Hex(id)
		login := tb.trace(id+" login", span{svc: "auth_svc", name: "POST /login", kind: server, dur: 20 * ms, attrs: kv("session.id", id)})
		browse := tb.trace(id+" browse", span{svc: "product_svc", name: "GET /products", kind: server, dur: 20 * ms, attrs: kv("session.id", id)})
		other := tb.trace(id+" other", span{svc: "product_svc", name: "GET /health", kind: server, dur: 1 * ms, attrs: kv("session.id", id)})
		switch {
		case h < hashThreshold(keepRate):
			want = append(want, login, browse, other)
		case h < hashThreshold(stepRate):
			want = append(want, login, browse)
		}
	}
	require.NoError(t, p.ConsumeTraces(context.Background(), tb.td))
	got := settle(t, sink, tb.names, len(want))
	slices.Sort(want)
	require.Equal(t, want, got)
	// The shares are those asked for, give or take chance over 300
	// sessions.
	require.InDelta(t, 300*keepRate, float64(countSuffix(want, " other")), 15)
	require.InDelta(t, 300*stepRate, float64(countSuffix(want, " login")), 20)
}

func TestPolicySharesTracesByTraceID(t *testing.T) {
	t.Parallel()
	out, err := Policy([]journeys.Journey{loginFlow()}, Options{KeepRate: 0.1, StepKeepRate: 0.5, DecisionWait: time.Second})
	require.NoError(t, err)
	p, sink := build(t, decode(t, out))
	tb := newTraces()
	for i := range 400 {
		tb.trace(fmt.Sprintf("login %d", i), span{svc: "auth_svc", name: "POST /login", kind: server, dur: time.Millisecond})
		tb.trace(fmt.Sprintf("other %d", i), span{svc: "web", name: "GET /", kind: server, dur: time.Millisecond})
	}
	require.NoError(t, p.ConsumeTraces(context.Background(), tb.td))
	got := settle(t, sink, tb.names, 1)
	require.InDelta(t, 200, countPrefix(got, "login "), 40)
	require.InDelta(t, 40, countPrefix(got, "other "), 20)
}

// settle waits until the sink holds at least want traces and then for no
// more to arrive for longer than the processor's one-second tick, and
// returns the names of the traces kept, sorted.
func settle(t *testing.T, sink *consumertest.TracesSink, names map[pcommon.TraceID]string, want int) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last, since := -1, time.Now()
	for {
		n := sink.SpanCount()
		if n != last {
			last, since = n, time.Now()
		}
		if traceCount(sink) >= want && time.Since(since) > 1500*time.Millisecond {
			break
		}
		require.True(t, time.Now().Before(deadline), "the processor kept %d traces, want at least %d", traceCount(sink), want)
		time.Sleep(50 * time.Millisecond)
	}
	seen := map[pcommon.TraceID]bool{}
	var out []string
	for _, td := range sink.AllTraces() {
		forEachSpan(td, func(s ptrace.Span) {
			if !seen[s.TraceID()] {
				seen[s.TraceID()] = true
				out = append(out, names[s.TraceID()])
			}
		})
	}
	slices.Sort(out)
	return out
}

func traceCount(sink *consumertest.TracesSink) int {
	seen := map[pcommon.TraceID]bool{}
	for _, td := range sink.AllTraces() {
		forEachSpan(td, func(s ptrace.Span) { seen[s.TraceID()] = true })
	}
	return len(seen)
}

func forEachSpan(td ptrace.Traces, fn func(ptrace.Span)) {
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			for k := 0; k < ss.Spans().Len(); k++ {
				fn(ss.Spans().At(k))
			}
		}
	}
}

func countSuffix(names []string, suffix string) int {
	n := 0
	for _, s := range names {
		if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
			n++
		}
	}
	return n
}

func countPrefix(names []string, prefix string) float64 {
	n := 0
	for _, s := range names {
		if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
			n++
		}
	}
	return float64(n)
}

// xxh3Hex is what OTTL's XXH3 returns for s.
func xxh3Hex(s string) string {
	h := xxh3.New()
	_, _ = h.WriteString(s)
	return hex.EncodeToString(h.Sum(nil))
}

type spanKind int

const (
	server spanKind = iota
	client
)

type span struct {
	svc, name  string
	kind       spanKind
	dur        time.Duration
	err        bool
	attrs, res map[string]any
}

func kv(pairs ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(pairs); i += 2 {
		m[pairs[i].(string)] = pairs[i+1]
	}
	return m
}

// traces builds one batch of named traces with distinct ids.
type traces struct {
	mu    sync.Mutex
	td    ptrace.Traces
	names map[pcommon.TraceID]string
	next  uint64
}

func newTraces() *traces {
	return &traces{td: ptrace.NewTraces(), names: map[pcommon.TraceID]string{}}
}

func (b *traces) trace(name string, spans ...span) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	var id pcommon.TraceID
	// Spread the ids over the hash space of the probabilistic policy.
	binary.BigEndian.PutUint64(id[:8], b.next*0x9e3779b97f4a7c15)
	binary.BigEndian.PutUint64(id[8:], b.next)
	b.names[id] = name
	start := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	for i, s := range spans {
		rs := b.td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", s.svc)
		putAll(rs.Resource().Attributes(), s.res)
		sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetTraceID(id)
		var sid pcommon.SpanID
		binary.BigEndian.PutUint64(sid[:], b.next<<8|uint64(i+1))
		sp.SetSpanID(sid)
		sp.SetName(s.name)
		sp.SetKind(ptrace.SpanKindServer)
		if s.kind == client {
			sp.SetKind(ptrace.SpanKindClient)
		}
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(s.dur)))
		if s.err {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
		putAll(sp.Attributes(), s.attrs)
	}
	return name
}

func putAll(m pcommon.Map, attrs map[string]any) {
	for k, v := range attrs {
		switch x := v.(type) {
		case string:
			m.PutStr(k, x)
		case int64:
			m.PutInt(k, x)
		case float64:
			m.PutDouble(k, x)
		case bool:
			m.PutBool(k, x)
		default:
			panic(fmt.Sprintf("no attribute of type %T", v))
		}
	}
}

func TestPolicyForTheExamples(t *testing.T) {
	t.Parallel()
	entries, err := examples.FS.ReadDir(".")
	require.NoError(t, err)
	var js []journeys.Journey
	for _, e := range entries {
		data, err := examples.FS.ReadFile(e.Name())
		require.NoError(t, err)
		got, err := journeys.DecodeYAML(data)
		require.NoError(t, err)
		js = append(js, got...)
	}
	require.Len(t, js, 2)
	out, err := Policy(js, DefaultOptions())
	require.NoError(t, err)
	build(t, decode(t, out))
}
