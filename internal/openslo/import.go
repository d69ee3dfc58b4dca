package openslo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
)

// ErrInvalid is wrapped by every error about the documents themselves:
// not OpenSLO, not something Waymark can measure, or at odds with the
// journey they are applied to.
var ErrInvalid = fault.New(fault.ErrInvalid, "invalid OpenSLO")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Limits of what Decode reads.
const (
	// MaxBytes bounds one input; SLO files are a few kilobytes.
	MaxBytes = 4 << 20
	// MaxDocuments bounds the documents of one input.
	MaxDocuments = 1000
)

// SLO is one SLO read from OpenSLO, for the journey it names.
type SLO struct {
	// Journey is the journey's slug: the SLO's spec.service.
	Journey string
	SLO     journeys.SLO
	// Alerts are the burn-rate conditions of its alert policies, nil when
	// it has none. Waymark alerts with slo.ScaledPairs of the window;
	// Apply refuses other conditions rather than drop them.
	Alerts []slo.BurnPair
	// Correlation and ConversionWindow are what a conversion SLO was
	// defined under, when its annotations say.
	Correlation      string
	ConversionWindow time.Duration
	// Object is the SLO's metadata.name, for messages.
	Object string
}

// Set is the SLOs of one or more OpenSLO inputs, in document order.
type Set struct {
	SLOs []SLO
}

// Journeys lists the journeys the set's SLOs are for, in first-seen order.
func (s *Set) Journeys() []string {
	var out []string
	for _, o := range s.SLOs {
		if !slices.Contains(out, o.Journey) {
			out = append(out, o.Journey)
		}
	}
	return out
}

// raw is one document before its spec is read.
type raw struct {
	APIVersion string    `yaml:"apiVersion"`
	Kind       string    `yaml:"kind"`
	Metadata   metadata  `yaml:"metadata"`
	Spec       yaml.Node `yaml:"spec"`
}

// Decode reads OpenSLO v1 documents (separated by ---) and resolves their
// references: an SLO's indicatorRef to an SLI, alertPolicyRef to an
// AlertPolicy, conditionRef to an AlertCondition, metricSourceRef to a
// DataSource, among the documents given. It is strict about the objects
// it reads (an unknown field of an SLO is an error) and about what Waymark
// can measure: ratio SLIs of a Waymark metric source, occurrences, one
// objective. Services, notification targets and data sources of other
// types are accepted and ignored. Every error wraps ErrInvalid and names
// the object.
func Decode(data []byte) (set *Set, err error) {
	defer func() {
		// The YAML parser is third-party code; a panic in it on hostile
		// input must not take the caller down.
		if r := recover(); r != nil {
			set, err = nil, invalid("cannot parse YAML")
		}
	}()
	if len(data) > MaxBytes {
		return nil, invalid("larger than %d MiB", MaxBytes>>20)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	byKind := map[string]map[string]raw{}
	var slos []raw
	for n := 0; ; n++ {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, invalid("%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if n >= MaxDocuments {
			return nil, invalid("more than %d documents", MaxDocuments)
		}
		if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null") {
			continue
		}
		var r raw
		if err := strict(&doc, &r); err != nil {
			return nil, invalid("document %d: %s", n+1, err)
		}
		if r.APIVersion != APIVersion {
			return nil, invalid("document %d: apiVersion %q: only %s is read", n+1, r.APIVersion, APIVersion)
		}
		switch r.Kind {
		case KindSLO, KindSLI, KindService, KindAlertPolicy, KindAlertCondition, KindAlertNotificationTarget, KindDataSource:
		default:
			return nil, invalid("document %d: unknown kind %q", n+1, r.Kind)
		}
		if r.Metadata.Name == "" {
			return nil, invalid("document %d: %s without metadata.name", n+1, r.Kind)
		}
		if byKind[r.Kind] == nil {
			byKind[r.Kind] = map[string]raw{}
		}
		if _, dup := byKind[r.Kind][r.Metadata.Name]; dup {
			return nil, invalid("%s %q is defined twice", r.Kind, r.Metadata.Name)
		}
		byKind[r.Kind][r.Metadata.Name] = r
		if r.Kind == KindSLO {
			slos = append(slos, r)
		}
	}
	if len(slos) == 0 {
		return nil, invalid("no SLO found")
	}
	set = &Set{}
	seen := map[[2]string]string{}
	for _, r := range slos {
		s, err := readSLO(r, byKind)
		if err != nil {
			return nil, fmt.Errorf("SLO %q: %w", r.Metadata.Name, err)
		}
		key := [2]string{s.Journey, s.SLO.Name}
		if other, dup := seen[key]; dup {
			return nil, invalid("SLOs %q and %q are both %s of journey %s", other, r.Metadata.Name, s.SLO.Name, s.Journey)
		}
		seen[key] = r.Metadata.Name
		set.SLOs = append(set.SLOs, s)
	}
	return set, nil
}

// strict decodes n into v, refusing fields v does not have.
func strict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

func readSLO(r raw, byKind map[string]map[string]raw) (SLO, error) {
	var spec sloSpec
	if err := strict(&r.Spec, &spec); err != nil {
		return SLO{}, invalid("%s", err)
	}
	ann := r.Metadata.Annotations
	out := SLO{Journey: spec.Service, Object: r.Metadata.Name}
	if !journeys.ValidSlug(spec.Service) {
		return SLO{}, invalid("spec.service %q must name a journey by its slug", spec.Service)
	}
	name := ann[AnnotationSLO]
	if name == "" {
		name = strings.TrimPrefix(r.Metadata.Name, spec.Service+"-")
	}
	if !journeys.ValidSlug(name) {
		return SLO{}, invalid("SLO name %q must be 1 to 64 lowercase letters, digits or dashes", name)
	}
	s := journeys.SLO{Name: name}

	// The indicator: inline, or an SLI document.
	var sli sliSpec
	switch {
	case spec.Indicator != nil && spec.IndicatorRef != "":
		return SLO{}, invalid("set indicator or indicatorRef, not both")
	case spec.Indicator != nil:
		sli = spec.Indicator.Spec
	case spec.IndicatorRef != "":
		d, ok := byKind[KindSLI][spec.IndicatorRef]
		if !ok {
			return SLO{}, invalid("indicatorRef %q: no SLI of that name", spec.IndicatorRef)
		}
		if err := strict(&d.Spec, &sli); err != nil {
			return SLO{}, invalid("SLI %q: %s", spec.IndicatorRef, err)
		}
	default:
		return SLO{}, invalid("no indicator or indicatorRef")
	}
	src, err := readIndicator(sli, spec.Service, byKind)
	if err != nil {
		return SLO{}, err
	}
	s.Kind, s.Step = journeys.SLOKind(src.Kind), src.Step
	if src.Threshold != "" {
		if s.Threshold, err = journeys.ParseDuration(src.Threshold); err != nil {
			return SLO{}, invalid("threshold: %s", err)
		}
	}

	if spec.BudgetingMethod != "Occurrences" {
		return SLO{}, invalid("budgetingMethod %q: Waymark counts Occurrences (good events over all events)", spec.BudgetingMethod)
	}
	if len(spec.Objectives) != 1 {
		return SLO{}, invalid("has %d objectives; a Waymark SLO has one", len(spec.Objectives))
	}
	if s.Objective, err = readObjective(spec.Objectives[0]); err != nil {
		return SLO{}, err
	}
	if err := readWindow(spec.TimeWindow, ann, &s); err != nil {
		return SLO{}, err
	}
	if v, ok := ann[AnnotationMinEvents]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != v {
			return SLO{}, invalid("annotation %s: %q is not a whole number", AnnotationMinEvents, v)
		}
		s.MinEvents = journeys.NewCount(n)
	}
	if v, ok := ann[AnnotationResolveAfter]; ok {
		if s.ResolveAfter, err = journeys.ParseDuration(v); err != nil {
			return SLO{}, invalid("annotation %s: %s", AnnotationResolveAfter, err)
		}
	}
	if v, ok := ann[AnnotationCorrelation]; ok {
		out.Correlation = v
	}
	if v, ok := ann[AnnotationConversionWindow]; ok {
		d, err := journeys.ParseDuration(v)
		if err != nil {
			return SLO{}, invalid("annotation %s: %s", AnnotationConversionWindow, err)
		}
		out.ConversionWindow = d.D
	}
	for i, p := range spec.AlertPolicies {
		pairs, err := readPolicy(p, byKind)
		if err != nil {
			return SLO{}, fmt.Errorf("alertPolicies[%d]: %w", i, err)
		}
		out.Alerts = append(out.Alerts, pairs...)
	}
	out.SLO = s
	return out, nil
}

// readIndicator checks a ratio SLI of a Waymark metric source and returns
// its good events' spec.
func readIndicator(sli sliSpec, journey string, byKind map[string]map[string]raw) (sourceSpec, error) {
	if sli.ThresholdMetric.Kind != 0 {
		return sourceSpec{}, invalid("a thresholdMetric SLI: Waymark SLOs are ratios of good to total events (ratioMetric)")
	}
	rm := sli.RatioMetric
	switch {
	case rm == nil:
		return sourceSpec{}, invalid("the SLI has no ratioMetric")
	case rm.Raw != nil || rm.Bad != nil:
		return sourceSpec{}, invalid("the ratioMetric must give good and total events")
	case rm.Good == nil || rm.Total == nil:
		return sourceSpec{}, invalid("the ratioMetric must give good and total events")
	}
	good, err := readSource(rm.Good.MetricSource, byKind)
	if err != nil {
		return sourceSpec{}, fmt.Errorf("good: %w", err)
	}
	total, err := readSource(rm.Total.MetricSource, byKind)
	if err != nil {
		return sourceSpec{}, fmt.Errorf("total: %w", err)
	}
	switch {
	case good.Events != "good" || total.Events != "total":
		return sourceSpec{}, invalid("good events must say events: good and total events events: total")
	case good.Journey != total.Journey || good.Step != total.Step || good.Kind != total.Kind:
		return sourceSpec{}, invalid("good and total events must be of one journey, step and kind")
	case good.Journey != journey:
		return sourceSpec{}, invalid("the SLI measures journey %q, the SLO is for %q", good.Journey, journey)
	case total.Threshold != "":
		return sourceSpec{}, invalid("a threshold belongs to the good events")
	}
	switch journeys.SLOKind(good.Kind) {
	case journeys.SLOLatency, journeys.SLOSuccess, journeys.SLOConversion:
	default:
		return sourceSpec{}, invalid("unknown kind %q; use latency, success or conversion", good.Kind)
	}
	return good, nil
}

func readSource(ms metricSource, byKind map[string]map[string]raw) (sourceSpec, error) {
	typ := ms.Type
	if ms.MetricSourceRef != "" {
		d, ok := byKind[KindDataSource][ms.MetricSourceRef]
		if !ok {
			return sourceSpec{}, invalid("metricSourceRef %q: no DataSource of that name", ms.MetricSourceRef)
		}
		var ds dataSourceSpec
		if err := strict(&d.Spec, &ds); err != nil {
			return sourceSpec{}, invalid("DataSource %q: %s", ms.MetricSourceRef, err)
		}
		if typ != "" && !strings.EqualFold(typ, ds.Type) {
			return sourceSpec{}, invalid("metric source type %q differs from DataSource %q's %q", typ, ms.MetricSourceRef, ds.Type)
		}
		typ = ds.Type
	}
	if !strings.EqualFold(typ, SourceType) {
		return sourceSpec{}, invalid("metric source type %q: Waymark measures its own journeys (type %s)", typ, SourceType)
	}
	var s sourceSpec
	if err := strict(&ms.Spec, &s); err != nil {
		return sourceSpec{}, invalid("metric source spec: %s", err)
	}
	return s, nil
}

func readObjective(o objective) (float64, error) {
	switch {
	case o.Op != "" || o.Value.Kind != 0:
		return 0, invalid("objectives: op and value are for threshold metrics")
	case o.TimeSliceTarget.Kind != 0 || o.TimeSliceWindow.Kind != 0:
		return 0, invalid("objectives: time slices are not counted; Waymark counts occurrences")
	case (o.Target.Kind == 0) == (o.TargetPercent.Kind == 0):
		return 0, invalid("objectives: set target or targetPercent")
	}
	n, scale := &o.Target, int64(1)
	if n.Kind == 0 {
		n, scale = &o.TargetPercent, 100
	}
	// Exact decimal arithmetic, so that targetPercent 99.5 is exactly the
	// float 0.995 is. Only plain decimals: an exponent such as 1e999999999
	// would have big.Rat build a billion-digit number.
	if n.Kind != yaml.ScalarNode || !decimalRe.MatchString(n.Value) {
		return 0, invalid("objectives: target %q is not a decimal number such as 0.995", n.Value)
	}
	r, ok := new(big.Rat).SetString(n.Value)
	if !ok {
		return 0, invalid("objectives: target %q is not a number", n.Value)
	}
	f, _ := r.Quo(r, big.NewRat(scale, 1)).Float64()
	if !(f > 0 && f < 1) {
		return 0, invalid("objectives: target must be between 0 and 1 (targetPercent 0 and 100), exclusive")
	}
	return f, nil
}

// decimalRe is a plain decimal number.
var decimalRe = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{1,30})?$`)

// shorthandRe is OpenSLO's duration shorthand.
var shorthandRe = regexp.MustCompile(`^([1-9][0-9]{0,8})([mhdwMQY])$`)

// parseShorthand reads a shorthand duration of minutes to weeks; months,
// quarters and years have no fixed length.
func parseShorthand(s string) (time.Duration, error) {
	m := shorthandRe.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a duration shorthand such as 30m, 12h, 28d or 4w", s)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": journeys.Day, "w": 7 * journeys.Day}[m[2]]
	if unit == 0 {
		return 0, fmt.Errorf("%q: a rolling window of months, quarters or years has no fixed length; use days", s)
	}
	return time.Duration(n) * unit, nil
}

func readWindow(tws []timeWindow, ann map[string]string, s *journeys.SLO) error {
	switch len(tws) {
	case 0:
		return nil
	case 1:
	default:
		return invalid("timeWindow has %d items; OpenSLO allows one", len(tws))
	}
	tw := tws[0]
	rolling := tw.Calendar == nil
	if tw.IsRolling != nil && *tw.IsRolling != rolling {
		return invalid("timeWindow: isRolling must be %t %s a calendar", rolling, map[bool]string{true: "without", false: "with"}[rolling])
	}
	if rolling {
		d, err := parseShorthand(tw.Duration)
		if err != nil {
			return invalid("timeWindow: %s", err)
		}
		s.Window = journeys.NewDuration(d)
		if v, ok := ann[AnnotationWindow]; ok {
			if w, err := journeys.ParseDuration(v); err == nil && w.D == d {
				s.Window = w
			}
		}
		return nil
	}
	switch tw.Duration {
	case "1M":
		s.Calendar = journeys.CalendarMonth
	case "1w", "7d":
		s.Calendar = journeys.CalendarWeek
	default:
		return invalid("timeWindow: a calendar window of %q: Waymark has calendar months (1M) and weeks (1w)", tw.Duration)
	}
	start, err := time.Parse("2006-01-02 15:04:05", tw.Calendar.StartTime)
	if err != nil {
		if start, err = time.Parse("2006-01-02", tw.Calendar.StartTime); err != nil {
			return invalid("timeWindow: calendar startTime %q is not a date such as 2024-01-01 00:00:00", tw.Calendar.StartTime)
		}
	}
	if start.Hour() != 0 || start.Minute() != 0 || start.Second() != 0 {
		return invalid("timeWindow: calendar periods start at midnight, not %s", start.Format("15:04:05"))
	}
	if s.Calendar == journeys.CalendarMonth && start.Day() != 1 {
		return invalid("timeWindow: calendar months start on the 1st, not the %d", start.Day())
	}
	switch zone := tw.Calendar.TimeZone; {
	case zone == "UTC" && ann[AnnotationTimeZone] != "UTC":
	default:
		s.TimeZone = zone
	}
	if s.Calendar == journeys.CalendarWeek {
		if v, ok := ann[AnnotationWeekStart]; ok {
			if d, known := journeys.ParseWeekday(v); known && d == start.Weekday() {
				s.WeekStart = v
			}
		}
		if s.WeekStart == "" && start.Weekday() != time.Monday {
			s.WeekStart = strings.ToLower(start.Weekday().String())
		}
	}
	return nil
}

// readPolicy reads the burn-rate condition of one alert policy.
func readPolicy(p policyEntry, byKind map[string]map[string]raw) ([]slo.BurnPair, error) {
	spec := p.Spec
	if p.AlertPolicyRef != "" {
		if spec != nil {
			return nil, invalid("set alertPolicyRef or an inline policy, not both")
		}
		d, ok := byKind[KindAlertPolicy][p.AlertPolicyRef]
		if !ok {
			return nil, invalid("alertPolicyRef %q: no AlertPolicy of that name", p.AlertPolicyRef)
		}
		spec = &policySpec{}
		if err := strict(&d.Spec, spec); err != nil {
			return nil, invalid("AlertPolicy %q: %s", p.AlertPolicyRef, err)
		}
	}
	if spec == nil {
		return nil, invalid("an alert policy needs alertPolicyRef or a spec")
	}
	var out []slo.BurnPair
	for i, c := range spec.Conditions {
		cs, meta := c.Spec, c.Metadata
		if c.ConditionRef != "" {
			if cs != nil {
				return nil, invalid("conditions[%d]: set conditionRef or an inline condition, not both", i)
			}
			d, ok := byKind[KindAlertCondition][c.ConditionRef]
			if !ok {
				return nil, invalid("conditions[%d]: conditionRef %q: no AlertCondition of that name", i, c.ConditionRef)
			}
			cs, meta = &conditionSpec{}, &d.Metadata
			if err := strict(&d.Spec, cs); err != nil {
				return nil, invalid("AlertCondition %q: %s", c.ConditionRef, err)
			}
		}
		if cs == nil {
			return nil, invalid("conditions[%d] needs conditionRef or a spec", i)
		}
		var ann map[string]string
		if meta != nil {
			ann = meta.Annotations
		}
		pair, err := readCondition(*cs, ann)
		if err != nil {
			return nil, fmt.Errorf("conditions[%d]: %w", i, err)
		}
		out = append(out, pair)
	}
	return out, nil
}

func readCondition(c conditionSpec, ann map[string]string) (slo.BurnPair, error) {
	cond := c.Condition
	if cond.Kind != "" && cond.Kind != "burnrate" {
		return slo.BurnPair{}, invalid("condition kind %q: Waymark alerts on burn rates (burnrate)", cond.Kind)
	}
	if cond.Op != "" && cond.Op != "gte" {
		return slo.BurnPair{}, invalid("condition op %q: a burn rate alerts when it reaches the threshold (gte)", cond.Op)
	}
	sev := slo.Severity(c.Severity)
	if sev != slo.SeverityPage && sev != slo.SeverityTicket {
		return slo.BurnPair{}, invalid("severity %q: Waymark pages (page) or opens a ticket (ticket)", c.Severity)
	}
	th, err := strconv.ParseFloat(cond.Threshold.Value, 64)
	if err != nil || cond.Threshold.Kind != yaml.ScalarNode || !(th > 0) {
		return slo.BurnPair{}, invalid("threshold %q must be a positive number", cond.Threshold.Value)
	}
	long, err := parseShorthand(cond.LookbackWindow)
	if err != nil {
		return slo.BurnPair{}, invalid("lookbackWindow: %s", err)
	}
	if cond.AlertAfter != "" && cond.AlertAfter != "0m" && cond.AlertAfter != "0" {
		return slo.BurnPair{}, invalid("alertAfter %q: Waymark alerts as soon as both windows burn; its short window is what makes an alert last", cond.AlertAfter)
	}
	pair := slo.BurnPair{Severity: sev, Long: long, Threshold: th}
	if v, ok := ann[AnnotationShortWindow]; ok {
		if pair.Short, err = parseShorthand(v); err != nil {
			return slo.BurnPair{}, invalid("annotation %s: %s", AnnotationShortWindow, err)
		}
	}
	return pair, nil
}

// Apply puts the SLOs of set that are for j into j: an SLO of a name j
// has replaces it where it stands, a new one is appended. It refuses an
// SLO whose alert conditions are not the burn-rate table Waymark
// evaluates for its window (nothing would honour them), a conversion SLO
// defined under another correlation, and a result that does not validate.
// j is not changed.
func Apply(j journeys.Journey, set *Set) (journeys.Journey, error) {
	out := j
	out.Spec.SLOs = slices.Clone(j.Spec.SLOs)
	for _, s := range set.SLOs {
		if s.Journey != j.Metadata.Slug {
			continue
		}
		if err := checkAlerts(s); err != nil {
			return journeys.Journey{}, fmt.Errorf("SLO %q: %w", s.Object, err)
		}
		if s.SLO.Kind == journeys.SLOConversion && s.Correlation != "" {
			w := rollup.Window(j)
			if s.Correlation != j.Spec.Correlation.By || (s.ConversionWindow != 0 && s.ConversionWindow != w) {
				return journeys.Journey{}, fmt.Errorf("SLO %q: %w", s.Object, invalid(
					"it was defined on %s correlated by %s within %s; the journey now correlates by %s within %s, so its conversion means something else: edit the SLO file",
					j.Metadata.Slug, s.Correlation, journeys.NewDuration(s.ConversionWindow), j.Spec.Correlation.By, journeys.NewDuration(w)))
			}
		}
		if i := slices.IndexFunc(out.Spec.SLOs, func(o journeys.SLO) bool { return o.Name == s.SLO.Name }); i >= 0 {
			out.Spec.SLOs[i] = s.SLO
		} else {
			out.Spec.SLOs = append(out.Spec.SLOs, s.SLO)
		}
	}
	if err := out.Validate(); err != nil {
		return journeys.Journey{}, fmt.Errorf("apply OpenSLO to %s: %w", j.Metadata.Slug, err)
	}
	return out, nil
}

// checkAlerts accepts alert conditions that are exactly Waymark's table
// for the SLO's window, the short windows given or implied by it.
func checkAlerts(s SLO) error {
	if len(s.Alerts) == 0 {
		return nil
	}
	want := slo.ScaledPairs(s.SLO.EffectiveWindow())
	got := slices.Clone(s.Alerts)
	for i := range got {
		if got[i].Short != 0 {
			continue
		}
		for _, w := range want {
			if w.Severity == got[i].Severity && w.Long == got[i].Long && w.Threshold == got[i].Threshold {
				got[i].Short = w.Short
			}
		}
	}
	order := func(a, b slo.BurnPair) int {
		if a.Severity != b.Severity {
			return strings.Compare(string(a.Severity), string(b.Severity))
		}
		return int(a.Long - b.Long)
	}
	slices.SortFunc(got, order)
	slices.SortFunc(want, order)
	if slices.Equal(got, want) {
		return nil
	}
	var b strings.Builder
	for i, p := range slo.ScaledPairs(s.SLO.EffectiveWindow()) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s at %s× over %s and %s", p.Severity, formatFloat(p.Threshold), shorthand(p.Long), shorthand(p.Short))
	}
	return invalid("its alert conditions are not the ones Waymark evaluates for a %s window (%s); remove them or use those", journeys.NewDuration(s.SLO.EffectiveWindow()), b.String())
}

// Import reads OpenSLO documents and applies their SLOs for j to j.
func Import(j journeys.Journey, data []byte) (journeys.Journey, error) {
	set, err := Decode(data)
	if err != nil {
		return journeys.Journey{}, err
	}
	if !slices.Contains(set.Journeys(), j.Metadata.Slug) {
		return journeys.Journey{}, invalid("no SLO for journey %s (spec.service)", j.Metadata.Slug)
	}
	return Apply(j, set)
}
