package journeyform

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/ui/journeypages"
)

// readJourneyForm reads the editor's inputs as typed. Rows are ordered by
// their index and renumbered from 0, so gaps left by a removed row close.
func readJourneyForm(v url.Values) *JourneyForm {
	f := &JourneyForm{
		Slug:              strings.TrimSpace(v.Get("metadata.slug")),
		Name:              strings.TrimSpace(v.Get("metadata.name")),
		Owner:             strings.TrimSpace(v.Get("metadata.owner")),
		Description:       strings.TrimSpace(v.Get("metadata.description")),
		CorrelationBy:     strings.TrimSpace(v.Get("correlation.by")),
		CorrelationWindow: strings.TrimSpace(v.Get("correlation.window")),
		Segments:          strings.TrimSpace(v.Get("segments")),
		Value:             strings.TrimSpace(v.Get("value")),
	}
	for _, i := range rowIndexes(v, "steps[") {
		p := StepField(i, "")
		f.Steps = append(f.Steps, StepForm{
			Name:       strings.TrimSpace(v.Get(p + ".name")),
			Service:    strings.TrimSpace(v.Get(p + ".match.service")),
			Span:       strings.TrimSpace(v.Get(p + ".match.span")),
			SpanRegex:  strings.TrimSpace(v.Get(p + ".match.spanRegex")),
			Kind:       strings.TrimSpace(v.Get(p + ".match.kind")),
			Attributes: matcherText(v.Get(p + ".match.attributes")),
		})
	}
	for _, i := range rowIndexes(v, "slos[") {
		p := SLOField(i, "")
		f.SLOs = append(f.SLOs, SLOForm{
			Name:      strings.TrimSpace(v.Get(p + ".name")),
			Step:      strings.TrimSpace(v.Get(p + ".step")),
			Kind:      strings.TrimSpace(v.Get(p + ".kind")),
			Threshold: strings.TrimSpace(v.Get(p + ".threshold")),
			Objective: strings.TrimSpace(v.Get(p + ".objective")),
			Window:    strings.TrimSpace(v.Get(p + ".window")),
			WeekStart: strings.TrimSpace(v.Get(p + ".weekStart")),
			TimeZone:  strings.TrimSpace(v.Get(p + ".timeZone")),
			// Both are optional: an SLO read from a form without them
			// keeps them unset.
			MinEvents:    strings.TrimSpace(v.Get(p + ".minEvents")),
			ResolveAfter: strings.TrimSpace(v.Get(p + ".resolveAfter")),
		})
	}
	return f
}

// rowIndexes lists the distinct indexes N of the inputs named prefix+"N]...",
// in order. Only indexes present are returned, so a forged steps[999999999]
// costs one row, not a billion.
func rowIndexes(v url.Values, prefix string) []int {
	seen := map[int]bool{}
	for k := range v {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		num, _, ok := strings.Cut(rest, "]")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// matcherText keeps the matcher lines as typed, minus blank lines, so that
// line N of the box is always matcher N-1 of the journey.
func matcherText(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// dropBlankRows removes steps and SLOs left entirely empty, e.g. one added
// and then not needed.
func dropBlankRows(f *JourneyForm) {
	steps := f.Steps[:0]
	for _, s := range f.Steps {
		if s != (StepForm{}) {
			steps = append(steps, s)
		}
	}
	f.Steps = steps
	slos := f.SLOs[:0]
	for _, s := range f.SLOs {
		if s != (SLOForm{}) {
			slos = append(slos, s)
		}
	}
	f.SLOs = slos
}

// applyFormAction performs an editor button other than save: add or remove
// a step or SLO row. It reports whether action was one of them.
func applyFormAction(f *JourneyForm, action string) bool {
	switch {
	case action == "add-step":
		f.Steps = append(f.Steps, StepForm{})
	case action == "add-slo":
		f.SLOs = append(f.SLOs, SLOForm{})
	case strings.HasPrefix(action, "remove-step:"):
		if i, err := strconv.Atoi(strings.TrimPrefix(action, "remove-step:")); err == nil && i >= 0 && i < len(f.Steps) {
			f.Steps = append(f.Steps[:i], f.Steps[i+1:]...)
		}
	case strings.HasPrefix(action, "remove-slo:"):
		if i, err := strconv.Atoi(strings.TrimPrefix(action, "remove-slo:")); err == nil && i >= 0 && i < len(f.SLOs) {
			f.SLOs = append(f.SLOs[:i], f.SLOs[i+1:]...)
		}
	default:
		return false
	}
	return true
}

// formJourney builds a journey from the form. Inputs that cannot be read at
// all (a duration, a number, a matcher line) get a message under their path;
// everything else is left to the journey's own validation.
func formJourney(f *JourneyForm) (journeys.Journey, map[string]string) {
	errs := map[string]string{}
	j := journeys.Journey{
		APIVersion: journeys.APIVersion,
		Kind:       journeys.Kind,
		Metadata: journeys.Metadata{
			Slug:        f.Slug,
			Name:        f.Name,
			Owner:       f.Owner,
			Description: f.Description,
		},
		Spec: journeys.Spec{
			Correlation: journeys.Correlation{By: f.CorrelationBy},
			Segments:    httpx.SplitList(f.Segments),
			Value:       f.Value,
		},
	}
	j.Spec.Correlation.Window = formDuration(f.CorrelationWindow, "correlation.window", errs)
	for i, s := range f.Steps {
		step := journeys.Step{
			Name: s.Name,
			Match: journeys.Pattern{
				Service:   s.Service,
				Span:      s.Span,
				SpanRegex: s.SpanRegex,
				Kind:      s.Kind,
			},
		}
		if s.Attributes != "" {
			for n, line := range strings.Split(s.Attributes, "\n") {
				m, err := parseMatcherLine(line)
				if err != nil {
					errs[StepField(i, ".match.attributes["+strconv.Itoa(n)+"]")] = err.Error()
				}
				step.Match.Attributes = append(step.Match.Attributes, m)
			}
		}
		j.Spec.Steps = append(j.Spec.Steps, step)
	}
	for i, s := range f.SLOs {
		slo := journeys.SLO{
			Name: s.Name,
			Step: s.Step,
			Kind: journeys.SLOKind(s.Kind),
		}
		slo.Threshold = formDuration(s.Threshold, SLOField(i, ".threshold"), errs)
		slo.Window, slo.Calendar = formWindow(s.Window, SLOField(i, ".window"), errs)
		slo.WeekStart, slo.TimeZone = s.WeekStart, s.TimeZone
		slo.ResolveAfter = formDuration(s.ResolveAfter, SLOField(i, ".resolveAfter"), errs)
		if s.MinEvents != "" {
			n, err := strconv.ParseInt(s.MinEvents, 10, 64)
			if err != nil {
				errs[SLOField(i, ".minEvents")] = "must be a whole number such as 100"
			} else {
				slo.MinEvents = journeys.NewCount(n)
			}
		}
		if s.Objective != "" {
			o, err := strconv.ParseFloat(strings.TrimSuffix(s.Objective, "%"), 64)
			switch {
			case err != nil:
				errs[SLOField(i, ".objective")] = "must be a number such as 0.995"
			case strings.HasSuffix(s.Objective, "%"):
				slo.Objective = o / 100
			default:
				slo.Objective = o
			}
		}
		j.Spec.SLOs = append(j.Spec.SLOs, slo)
	}
	return j, errs
}

func formDuration(s, path string, errs map[string]string) journeys.Duration {
	if s == "" {
		return journeys.Duration{}
	}
	d, err := journeys.ParseDuration(s)
	if err != nil {
		errs[path] = "must be a duration such as 800ms, 30m or 28d"
	}
	return d
}

// formWindow reads an SLO window: a rolling duration, or month or week
// (in any case, as people type them) for a calendar window.
func formWindow(s, path string, errs map[string]string) (journeys.Duration, journeys.Calendar) {
	switch c := journeys.Calendar(strings.ToLower(s)); c {
	case journeys.CalendarMonth, journeys.CalendarWeek:
		return journeys.Duration{}, c
	}
	if s == "" {
		return journeys.Duration{}, ""
	}
	d, err := journeys.ParseDuration(s)
	if err != nil {
		errs[path] = "must be a duration such as 28d, or month or week"
	}
	return d, ""
}

// ops lists matcher operators, two-character ones first so that ">=" is not
// read as ">" followed by "=".
var ops = []journeys.Op{
	journeys.OpNe, journeys.OpRegex, journeys.OpNotRegex, journeys.OpGe, journeys.OpLe,
	journeys.OpEq, journeys.OpGt, journeys.OpLt,
}

// parseMatcherLine reads one "key op value" line of the editor. The value
// is typed as journeypages.InferValue says; quote it ("...", Go syntax) to match a
// number or boolean as a string, or to keep spaces around it.
func parseMatcherLine(line string) (journeys.Matcher, error) {
	line = strings.TrimSpace(line)
	end := strings.IndexFunc(line, func(r rune) bool {
		return r == ' ' || r == '\t' || strings.ContainsRune("=!~<>", r)
	})
	if end <= 0 {
		if end == 0 {
			return journeys.Matcher{}, fmt.Errorf("missing attribute key before %q", line)
		}
		return journeys.Matcher{}, fmt.Errorf("expected key op value, e.g. span.user.tier = gold")
	}
	m := journeys.Matcher{Key: line[:end]}
	rest := strings.TrimLeft(line[end:], " \t")
	for _, op := range ops {
		if strings.HasPrefix(rest, string(op)) {
			m.Op = op
			rest = strings.TrimSpace(rest[len(op):])
			break
		}
	}
	if m.Op == "" {
		word, _, _ := strings.Cut(rest, " ")
		return m, fmt.Errorf("unknown operator %q after %s: use one of = != =~ !~ > >= < <=", word, m.Key)
	}
	switch {
	case rest == "":
		return m, fmt.Errorf("missing value after %s %s", m.Key, m.Op)
	case strings.HasPrefix(rest, `"`):
		s, err := strconv.Unquote(rest)
		if err != nil {
			return m, fmt.Errorf("malformed quoted value %s: close the quotes and escape \" and \\ inside", rest)
		}
		m.Value = journeys.StringValue(s)
	default:
		m.Value = journeypages.InferValue(rest)
	}
	return m, nil
}

// journeyForm fills the editor from a stored journey.
func journeyForm(j journeys.Journey) *JourneyForm {
	f := &JourneyForm{
		Slug:          j.Metadata.Slug,
		Name:          j.Metadata.Name,
		Owner:         j.Metadata.Owner,
		Description:   j.Metadata.Description,
		CorrelationBy: j.Spec.Correlation.By,
		Segments:      strings.Join(j.Spec.Segments, ", "),
		Value:         j.Spec.Value,
	}
	f.CorrelationWindow = durationText(j.Spec.Correlation.Window)
	for _, s := range j.Spec.Steps {
		lines := make([]string, 0, len(s.Match.Attributes))
		for _, m := range s.Match.Attributes {
			lines = append(lines, journeypages.FormatMatcher(m))
		}
		f.Steps = append(f.Steps, StepForm{
			Name:       s.Name,
			Service:    s.Match.Service,
			Span:       s.Match.Span,
			SpanRegex:  s.Match.SpanRegex,
			Kind:       s.Match.Kind,
			Attributes: strings.Join(lines, "\n"),
		})
	}
	for _, o := range j.Spec.SLOs {
		f.SLOs = append(f.SLOs, SLOForm{
			Name:         o.Name,
			Step:         o.Step,
			Kind:         string(o.Kind),
			Threshold:    durationText(o.Threshold),
			Objective:    strconv.FormatFloat(o.Objective, 'f', -1, 64),
			Window:       o.WindowSpec(),
			WeekStart:    o.WeekStart,
			TimeZone:     o.TimeZone,
			MinEvents:    o.MinEvents.String(),
			ResolveAfter: durationText(o.ResolveAfter),
		})
	}
	return f
}

func durationText(d journeys.Duration) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}
