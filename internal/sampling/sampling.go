// Package sampling derives an OpenTelemetry Collector tail_sampling
// processor configuration from journeys: keep every trace in which a step
// failed or was slower than its latency SLO, a share of the traces through
// each step, and a sample of the rest, with a session's traces kept or
// dropped together for journeys correlated by an attribute.
package sampling

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// ProcessorVersion is the OpenTelemetry Collector Contrib release whose
// tail_sampling processor the output is checked against: its tests decode
// the output with that release's own configuration types and build the
// processor from it.
const ProcessorVersion = "v0.161.0"

// Format is how Policy writes the configuration.
type Format string

// Formats Policy writes. The collector reads both: JSON is YAML.
const (
	FormatYAML Format = "yaml"
	FormatJSON Format = "json"
)

// Options tune the generated policies.
type Options struct {
	// KeepRate is the share of all other traces kept, in [0, 1].
	KeepRate float64
	// StepKeepRate is the share of the traces through each step kept
	// whatever else they hold, in [0, 1]. At 1 every trace that holds a
	// step span is kept, and numbers computed from the sample stay exact.
	StepKeepRate float64
	// DecisionWait is how long the processor holds a trace before
	// deciding; zero means 30s, the processor's default.
	DecisionWait time.Duration
	// Format is FormatYAML (the default, with comments) or FormatJSON.
	Format Format
}

// DefaultOptions are the options waymark sampling policy starts from.
func DefaultOptions() Options {
	return Options{KeepRate: 0.1, StepKeepRate: 0.25, DecisionWait: 30 * time.Second, Format: FormatYAML}
}

func (o Options) check() error {
	switch {
	case math.IsNaN(o.KeepRate) || o.KeepRate < 0 || o.KeepRate > 1:
		return fmt.Errorf("keep rate %v is not between 0 and 1", o.KeepRate)
	case math.IsNaN(o.StepKeepRate) || o.StepKeepRate < 0 || o.StepKeepRate > 1:
		return fmt.Errorf("step keep rate %v is not between 0 and 1", o.StepKeepRate)
	case o.DecisionWait < 0:
		return fmt.Errorf("decision wait %v is negative", o.DecisionWait)
	}
	switch o.Format {
	case "", FormatYAML, FormatJSON:
		return nil
	}
	return fmt.Errorf("unknown format %q: use yaml or json", o.Format)
}

// ParseRate reads a share between 0 and 1, as the command's flags and the
// API's parameters take it.
func ParseRate(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
		return 0, fmt.Errorf("%q is not a number between 0 and 1", s)
	}
	return f, nil
}

// Policy returns the processors.tail_sampling section of a collector
// configuration for js, in the order given. The YAML form explains each
// policy in comments; JSON has none.
func Policy(js []journeys.Journey, opts Options) ([]byte, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if len(js) == 0 {
		return nil, fmt.Errorf("no journeys to sample for")
	}
	g := generator{opts: opts, sessions: map[string][]string{}}
	var policies []item
	for _, j := range js {
		ps, err := g.journey(j)
		if err != nil {
			return nil, fmt.Errorf("journey %s: %w", j.Metadata.Slug, err)
		}
		policies = append(policies, ps...)
	}
	policies = append(policies, g.rest()...)

	wait := opts.DecisionWait
	if wait == 0 {
		wait = 30 * time.Second
	}
	doc := obj{}.with("processors", obj{}.with("tail_sampling", obj{}.
		withComment("Long enough for the slowest trace of a journey to end.", "decision_wait", wait.String()).
		with("policies", policies)))
	if opts.Format == FormatJSON {
		return renderJSON(doc)
	}
	return renderYAML(g.header(js), doc)
}

// generator collects, while writing each journey's policies, what the
// closing ones and the header need.
type generator struct {
	opts Options
	// sessions maps each correlation attribute to the journeys
	// correlated by it.
	sessions map[string][]string
	slow     bool
}

func (g *generator) journey(j journeys.Journey) ([]item, error) {
	corr := ""
	if !j.Spec.Correlation.ByTrace() {
		path, err := attrPath(j.Spec.Correlation.By)
		if err != nil {
			return nil, fmt.Errorf("correlation: %w", err)
		}
		corr = path
		g.sessions[j.Spec.Correlation.By] = append(g.sessions[j.Spec.Correlation.By], j.Metadata.Slug)
	}
	thresholds := slowest(j)
	var out []item
	for i, s := range j.Spec.Steps {
		match, err := spanCondition(s.Match)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", s.Name, err)
		}
		name := j.Metadata.Slug + "/" + strconv.Itoa(i+1)
		out = append(out, item{
			comment: fmt.Sprintf("%s step %d %q: keep every trace in which it failed.", j.Metadata.Slug, i+1, s.Name),
			val:     ottlPolicy(name+"/errors", match+" and span.status.code == STATUS_CODE_ERROR"),
		})
		if th, ok := thresholds[i]; ok {
			g.slow = true
			out = append(out, item{
				comment: fmt.Sprintf("Slower than its latency SLO threshold, %s.", th),
				val:     ottlPolicy(name+"/slow", match+" and "+durationExpr+" > "+strconv.FormatInt(th.Nanoseconds(), 10)),
			})
		}
		if p, ok := g.share(name+"/share", match, corr); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// share keeps StepKeepRate of the traces through one step: by trace id,
// or by the session's id so that a session is kept or dropped whole.
func (g *generator) share(name, match, corr string) (item, bool) {
	rate := g.opts.StepKeepRate
	pct := percent(rate)
	switch {
	case rate == 0:
		return item{}, false
	case rate >= 1:
		return item{comment: "Every trace through it.", val: ottlPolicy(name, match)}, true
	case corr != "":
		return item{
			comment: fmt.Sprintf("%s%% of the sessions through it, every trace of each: the session id is hashed, not the trace id.", pct),
			val:     ottlPolicy(name, match+" and "+corr+" != nil and "+hashBelow(corr, rate)),
		}, true
	}
	return item{
		comment: fmt.Sprintf("%s%% of the traces through it.", pct),
		val: obj{}.with("name", name).with("type", "and").with("and", obj{}.with("and_sub_policy", []item{
			{val: ottlPolicy(name+"/match", match)},
			{val: probabilistic(name+"/sample", rate)},
		})),
	}, true
}

// rest samples every other trace at KeepRate: traces that carry a
// session id by the session, all others by trace id.
func (g *generator) rest() []item {
	rate := g.opts.KeepRate
	if rate == 0 {
		return nil
	}
	keys := make([]string, 0, len(g.sessions))
	for k := range g.sessions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []item
	var has []string
	for _, k := range keys {
		path, _ := attrPath(k) // checked in journey
		has = append(has, path+" != nil")
		cond := path + " != nil"
		if rate < 1 {
			cond += " and " + hashBelow(path, rate)
		}
		out = append(out, item{
			comment: fmt.Sprintf("%s%% of the sessions by %s (%s), every trace of each.", percent(rate), k, strings.Join(g.sessions[k], ", ")),
			val:     ottlPolicy("sessions/"+k, cond),
		})
	}
	sample := probabilistic("rest", rate)
	comment := fmt.Sprintf("%s%% of all other traces.", percent(rate))
	if len(has) > 0 {
		comment = fmt.Sprintf("%s%% of the traces that carry no session id; those that do are sampled by session above.", percent(rate))
		sample = obj{}.with("name", "rest").with("type", "and").with("and", obj{}.with("and_sub_policy", []item{
			{val: probabilistic("rest/sample", rate)},
			{val: obj{}.with("name", "rest/no-session").with("type", "not").with("not", obj{}.
				with("not_sub_policy", ottlPolicy("rest/has-session", has...)))},
		}))
	}
	return append(out, item{comment: comment, val: sample})
}

func ottlPolicy(name string, conds ...string) obj {
	return obj{}.with("name", name).with("type", "ottl_condition").with("ottl_condition", obj{}.
		with("error_mode", "ignore").
		with("span", texts(conds)))
}

func probabilistic(name string, rate float64) obj {
	return obj{}.with("name", name).with("type", "probabilistic").with("probabilistic", obj{}.
		with("sampling_percentage", math.Round(rate*100*1e6)/1e6))
}

// percent spells a rate as a percentage without float noise: 0.1 is 10.
func percent(rate float64) string {
	return strconv.FormatFloat(math.Round(rate*100*1e6)/1e6, 'f', -1, 64)
}

// slowest returns, per step index, the lowest latency SLO threshold on the
// step: a span over it is bad for at least one SLO. A latency SLO on the
// whole journey applies to every step, as rollups count it.
func slowest(j journeys.Journey) map[int]time.Duration {
	out := map[int]time.Duration{}
	for _, s := range j.Spec.SLOs {
		if s.Kind != journeys.SLOLatency || s.Threshold.D <= 0 {
			continue
		}
		for k, st := range j.Spec.Steps {
			if s.Step != "" && s.Step != st.Name {
				continue
			}
			if cur, ok := out[k]; !ok || s.Threshold.D < cur {
				out[k] = s.Threshold.D
			}
		}
	}
	return out
}
