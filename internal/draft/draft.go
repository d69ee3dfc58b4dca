// Package draft turns spans a person picked in a trace's waterfall into a
// journey to edit: one step per span in start order, matched by service,
// exact name and kind; correlated by trace when the spans share one, or
// by an id attribute they all carry (a session id) when they come from
// several traces; with segments suggested from the attributes the first
// span carries, the business ones (tier, region, app version, feature
// flags) first. Names are derived the same way every time, so that the
// same picks give the same draft.
package draft

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/journeys"
)

// ErrSelection is wrapped by errors about the picked spans: unknown, picked
// twice, too few, too many, or nothing to correlate them by.
var ErrSelection = errors.New("cannot draft a journey from these spans")

func selErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSelection, fmt.Sprintf(format, args...))
}

// Pick is one span picked in a trace.
type Pick struct {
	TraceID string
	SpanID  string
}

// Draft is a journey drafted from spans, and what the editor may offer
// besides.
type Draft struct {
	// Journey validates; its segments are the business keys found.
	Journey journeys.Journey
	// Segments lists every segment key worth offering, business keys
	// first, then other attributes of the first span that look like
	// categories rather than ids or amounts.
	Segments []string
	// Values lists numeric span attributes that look like amounts
	// (totals, prices), for the journey's value; Journey.Spec.Value is
	// the first.
	Values []string
}

// FromTrace drafts a journey from spans of one trace.
func FromTrace(t journeys.Trace, spanIDs []string) (Draft, error) {
	picks := make([]Pick, len(spanIDs))
	for i, id := range spanIDs {
		picks[i] = Pick{TraceID: t.TraceID, SpanID: id}
	}
	return FromTraces([]journeys.Trace{t}, picks)
}

// picked is a resolved pick.
type picked struct {
	trace string
	span  journeys.TraceSpan
}

// FromTraces drafts a journey from spans picked in traces (as
// rollup.TraceSource.Trace returns them).
func FromTraces(traces []journeys.Trace, picks []Pick) (Draft, error) {
	switch {
	case len(picks) < journeys.MinSteps:
		return Draft{}, selErr("pick at least %d spans, one per step", journeys.MinSteps)
	case len(picks) > journeys.MaxSteps:
		return Draft{}, selErr("pick at most %d spans, one per step; %d were picked", journeys.MaxSteps, len(picks))
	}
	byID := map[string]journeys.Trace{}
	for _, t := range traces {
		if id, ok := journeys.NormalizeTraceID(t.TraceID); ok {
			byID[id] = t
		}
	}
	var sel []picked
	seen := map[Pick]bool{}
	for _, p := range picks {
		tid, ok := journeys.NormalizeTraceID(p.TraceID)
		if !ok {
			return Draft{}, selErr("trace id %q is not 1 to 32 hex digits", p.TraceID)
		}
		key := Pick{tid, strings.ToLower(p.SpanID)}
		if seen[key] {
			return Draft{}, selErr("span %s of trace %s is picked twice", p.SpanID, tid)
		}
		seen[key] = true
		t, ok := byID[tid]
		if !ok {
			return Draft{}, selErr("trace %s was not given", tid)
		}
		i := slices.IndexFunc(t.Spans, func(s journeys.TraceSpan) bool { return strings.EqualFold(s.SpanID, p.SpanID) })
		if i < 0 {
			return Draft{}, selErr("trace %s has no span %s", tid, p.SpanID)
		}
		sel = append(sel, picked{trace: tid, span: t.Spans[i]})
	}
	slices.SortFunc(sel, func(a, b picked) int {
		return cmp.Or(a.span.Start.Compare(b.span.Start), strings.Compare(a.trace, b.trace), strings.Compare(a.span.SpanID, b.span.SpanID))
	})

	j := journeys.Journey{APIVersion: journeys.APIVersion, Kind: journeys.Kind}
	refs := make([]SpanRef, len(sel))
	for i, p := range sel {
		refs[i] = SpanRef{Service: p.span.Service, Name: p.span.Name, Kind: p.span.Kind}
	}
	j.Spec.Steps = Steps(refs)
	corr, err := correlation(sel)
	if err != nil {
		return Draft{}, err
	}
	j.Spec.Correlation = corr

	d := Draft{}
	d.Segments, j.Spec.Segments = segments(sel[0].span, corr.By)
	d.Values = values(sel)
	if len(d.Values) > 0 {
		j.Spec.Value = d.Values[0]
	}
	j.Metadata.Name, j.Metadata.Slug = Title(j.Spec.Steps)
	if err := j.Validate(); err != nil {
		return Draft{}, fmt.Errorf("draft journey: %w", err)
	}
	d.Journey = j
	return d, nil
}

// SpanRef is the service, name and kind of a span a step matches.
type SpanRef struct {
	Service string
	Name    string
	Kind    string
}

// Steps is one step per span, matching its service, exact name and kind
// (none when the kind is unspecified), named by StepName and made unique.
func Steps(refs []SpanRef) []journeys.Step {
	names := map[string]bool{}
	steps := make([]journeys.Step, 0, len(refs))
	for _, r := range refs {
		pat := journeys.Pattern{Service: r.Service, Span: r.Name}
		if isKind(r.Kind) {
			pat.Kind = r.Kind
		}
		steps = append(steps, journeys.Step{Name: uniqueName(names, r.Service, r.Name), Match: pat})
	}
	return steps
}

// Title is a journey's name from its steps, "Login to Payments", and the
// slug of that name.
func Title(steps []journeys.Step) (name, slug string) {
	if len(steps) == 0 {
		return "Journey", "journey"
	}
	name = truncate(steps[0].Name+" to "+steps[len(steps)-1].Name, 100)
	return name, Slug(name)
}

func isKind(k string) bool {
	switch k {
	case "server", "client", "producer", "consumer", "internal":
		return true
	}
	return false
}

// uniqueName is StepName, made unique among the steps so far: the
// service in brackets, then a number.
func uniqueName(taken map[string]bool, service, span string) string {
	name := StepName(span)
	if taken[name] {
		name = truncate(name+" ("+service+")", 100)
	}
	base := name
	for n := 2; taken[name]; n++ {
		suffix := " " + strconv.Itoa(n)
		name = truncate(base, 100-len(suffix)) + suffix
	}
	taken[name] = true
	return name
}

var httpMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// StepName is a readable name for a span: an HTTP route's words without
// its method or parameters ("POST /cart/items" is "Cart items", "GET /"
// is "Home"), anything else with underscores as spaces and its first
// letter upper case ("verify_password" is "Verify password").
func StepName(span string) string {
	s := strings.TrimSpace(span)
	if method, path, ok := strings.Cut(s, " "); ok && slices.Contains(httpMethods, method) && strings.HasPrefix(path, "/") && !strings.Contains(path, " ") {
		var words []string
		for _, seg := range strings.Split(strings.SplitN(path, "?", 2)[0], "/") {
			if seg == "" || isParam(seg) {
				continue
			}
			words = append(words, strings.ToLower(strings.NewReplacer("-", " ", "_", " ", ".", " ").Replace(seg)))
		}
		s = strings.Join(words, " ")
		if s == "" {
			s = "home"
		}
	} else {
		s = strings.ReplaceAll(s, "_", " ")
	}
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		s = "Step"
	}
	r, n := utf8.DecodeRuneInString(s)
	return truncate(string(unicode.ToUpper(r))+s[n:], 100)
}

// isParam reports a path segment that stands for a value: {id}, :id, *,
// a number, or a long hex or uuid.
func isParam(seg string) bool {
	switch {
	case strings.HasPrefix(seg, "{"), strings.HasPrefix(seg, ":"), strings.HasPrefix(seg, "*"), strings.HasPrefix(seg, "<"):
		return true
	}
	digits, hex := true, len(seg) >= 8
	for _, c := range seg {
		if c < '0' || c > '9' {
			digits = false
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-') {
			hex = false
		}
	}
	return digits || hex
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n]))
}

// Slug is a journey slug for a name: lowercase letters and digits, runs of
// anything else as one dash, at most 64 characters; "journey" when nothing
// is left.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > 64 {
		s = strings.TrimRight(s[:64], "-")
	}
	if s == "" {
		return "journey"
	}
	return s
}

// sessionKeys are the attributes that name a session, the natural
// correlation of spans across traces, in order of preference.
var sessionKeys = []string{"session.id", "session_id", "sessionId", "app.session.id", "user.session.id", "browser.session.id"}

// correlation ties the picks together: by trace when they share one, else
// by a span attribute all of them carry with one value, session keys
// first, then any other id (user.id, cart.id), alphabetically.
func correlation(sel []picked) (journeys.Correlation, error) {
	one := true
	for _, p := range sel[1:] {
		if p.trace != sel[0].trace {
			one = false
		}
	}
	if one {
		return journeys.Correlation{By: journeys.CorrelateByTrace}, nil
	}
	var shared []string
	for _, kv := range sel[0].span.Attributes {
		if kv.Value == "" {
			continue
		}
		all := true
		for _, p := range sel[1:] {
			if v, ok := attr(p.span, kv.Key); !ok || v != kv.Value {
				all = false
				break
			}
		}
		if all && isID(kv.Key) {
			if _, err := journeys.ParseKey("span." + kv.Key); err == nil {
				shared = append(shared, kv.Key)
			}
		}
	}
	if len(shared) == 0 {
		return journeys.Correlation{}, selErr("the spans come from %d traces and share no session or other id attribute to tie them together", countTraces(sel))
	}
	slices.SortFunc(shared, func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
	})
	spread := sel[len(sel)-1].span.Start.Sub(sel[0].span.Start)
	window := max(rollup.DefaultSessionWindow, (2*spread).Truncate(time.Minute)+time.Minute)
	if window > journeys.MaxCorrelationWindow {
		return journeys.Correlation{}, selErr("the spans are %s apart; a journey's steps must be within 7 days of its first", spread.Round(time.Minute))
	}
	return journeys.Correlation{By: "span." + shared[0], Window: journeys.NewDuration(window)}, nil
}

func rank(key string) int {
	if i := slices.Index(sessionKeys, key); i >= 0 {
		return i
	}
	if strings.Contains(strings.ToLower(key), "session") {
		return len(sessionKeys)
	}
	return len(sessionKeys) + 1
}

func countTraces(sel []picked) int {
	set := map[string]bool{}
	for _, p := range sel {
		set[p.trace] = true
	}
	return len(set)
}

func attr(s journeys.TraceSpan, key string) (string, bool) {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// isID reports an attribute that names one thing: x.id, x_id, xId.
func isID(key string) bool {
	return key == "id" || strings.HasSuffix(key, ".id") || strings.HasSuffix(key, "_id") || strings.HasSuffix(key, "Id") || slices.Contains(sessionKeys, key)
}

// BusinessKeys returns the span attributes (unscoped) product people break
// numbers down by, in the order they are offered: tiers and plans,
// regions, app versions. Feature flags are besides any attribute under
// feature_flag., flag. or feature.
func BusinessKeys() []string { return slices.Clone(businessKeys) }

var businessKeys = []string{
	"user.tier", "customer.tier", "user.plan", "plan", "tier", "user.segment", "customer.segment",
	"region", "cloud.region", "geo.region", "geo.country", "country",
	"app.version", "client.version", "release",
}

func isFlag(key string) bool {
	return strings.HasPrefix(key, "feature_flag.") || strings.HasPrefix(key, "flag.") || strings.HasPrefix(key, "feature.")
}

// notCategory are attributes whose values are not categories to break
// numbers down by: where a request went, how it was made, what it
// answered.
var notCategory = []string{"url.", "http.", "server.", "client.", "network.", "db.", "net.", "rpc.", "messaging.", "code.", "thread.", "exception.", "otel.", "funnel."}

// segments lists the segment keys of the first span: business keys first
// (the journey's segments), then the rest that look like categories.
func segments(first journeys.TraceSpan, corrBy string) (offer, chosen []string) {
	have := map[string]string{}
	for _, kv := range first.Attributes {
		have[kv.Key] = kv.Value
	}
	ok := func(key string) bool {
		k := "span." + key
		_, err := journeys.ParseKey(k)
		return err == nil && k != corrBy
	}
	for _, k := range businessKeys {
		if _, found := have[k]; found && ok(k) {
			chosen = append(chosen, "span."+k)
		}
	}
	var flags, rest []string
	for _, kv := range first.Attributes {
		switch {
		case !ok(kv.Key) || slices.Contains(businessKeys, kv.Key):
		case isFlag(kv.Key):
			flags = append(flags, "span."+kv.Key)
		case isID(kv.Key) || hasPrefix(kv.Key, notCategory) || isNumber(kv.Value):
		default:
			rest = append(rest, "span."+kv.Key)
		}
	}
	slices.Sort(flags)
	slices.Sort(rest)
	chosen = append(chosen, flags...)
	offer = append(slices.Clone(chosen), rest...)
	if len(chosen) > journeys.MaxSegments {
		chosen = chosen[:journeys.MaxSegments]
	}
	return offer, chosen
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func isNumber(v string) bool {
	_, err := strconv.ParseFloat(v, 64)
	return err == nil
}

// amountWords mark a numeric attribute as an amount worth summing.
var amountWords = []string{"total", "amount", "price", "revenue", "value", "cost"}

// values lists the numeric span attributes of the picks whose names say
// amount, in step order.
func values(sel []picked) []string {
	var out []string
	for _, p := range sel {
		for _, kv := range p.span.Attributes {
			k := "span." + kv.Key
			if _, err := journeys.ParseKey(k); err != nil || slices.Contains(out, k) || !isNumber(kv.Value) {
				continue
			}
			lower := strings.ToLower(kv.Key)
			for _, w := range amountWords {
				if strings.Contains(lower, w) {
					out = append(out, k)
					break
				}
			}
		}
	}
	return out
}
