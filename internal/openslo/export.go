package openslo

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/slo"
	"github.com/waymarkhq/waymark/journeys"
)

// Export writes a journey's SLOs as OpenSLO v1 documents separated by ---:
// a Service for the journey, then per SLO one SLO with its SLI and its
// alert policies inlined. Alert policies are the burn-rate pairs Waymark
// evaluates (slo.ScaledPairs of the SLO's window), one policy per pair,
// since OpenSLO allows one condition per policy. A journey without SLOs
// exports its Service alone.
func Export(j journeys.Journey) ([]byte, error) {
	objs, err := objects(j)
	if err != nil {
		return nil, err
	}
	return encode(objs)
}

// ExportAll writes the SLOs of several journeys as one stream.
func ExportAll(js []journeys.Journey) ([]byte, error) {
	var all []object
	for _, j := range js {
		objs, err := objects(j)
		if err != nil {
			return nil, err
		}
		all = append(all, objs...)
	}
	return encode(all)
}

func encode(objs []object) ([]byte, error) {
	var buf bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			buf.WriteString("---\n")
		}
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(o); err != nil {
			return nil, fmt.Errorf("encode OpenSLO %s %q: %w", o.Kind, o.Metadata.Name, err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("encode OpenSLO %s %q: %w", o.Kind, o.Metadata.Name, err)
		}
	}
	return buf.Bytes(), nil
}

func objects(j journeys.Journey) ([]object, error) {
	slug := j.Metadata.Slug
	out := []object{{
		APIVersion: APIVersion, Kind: KindService,
		Metadata: metadata{Name: slug, DisplayName: j.Metadata.Name},
		Spec:     serviceSpec{Description: truncate(j.Metadata.Description)},
	}}
	for _, s := range j.Spec.SLOs {
		o, err := sloObject(j, s)
		if err != nil {
			return nil, fmt.Errorf("export SLO %q of %s: %w", s.Name, slug, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// objectName is an SLO's OpenSLO name: unique across journeys.
func objectName(journey, sloName string) string { return journey + "-" + sloName }

func sloObject(j journeys.Journey, s journeys.SLO) (object, error) {
	slug := j.Metadata.Slug
	name := objectName(slug, s.Name)
	ann := map[string]string{AnnotationSLO: s.Name}
	if s.MinEvents.Set {
		ann[AnnotationMinEvents] = strconv.FormatInt(s.MinEvents.N, 10)
	}
	if !s.ResolveAfter.IsZero() {
		ann[AnnotationResolveAfter] = s.ResolveAfter.String()
	}
	if s.Kind == journeys.SLOConversion {
		ann[AnnotationCorrelation] = j.Spec.Correlation.By
		ann[AnnotationConversionWindow] = journeys.NewDuration(rollup.Window(j)).String()
	}
	spec := sloSpec{
		Description:     describe(j, s),
		Service:         slug,
		BudgetingMethod: "Occurrences",
		Objectives:      []objective{{Target: *floatNode(s.Objective)}},
	}
	tw, err := window(s, ann)
	if err != nil {
		return object{}, err
	}
	spec.TimeWindow = tw

	good := sourceSpec{Journey: slug, Step: s.Step, Kind: string(s.Kind), Events: "good"}
	total := good
	total.Events = "total"
	if s.Kind == journeys.SLOLatency {
		good.Threshold = s.Threshold.String()
	}
	gn, err := node(good)
	if err != nil {
		return object{}, err
	}
	tn, err := node(total)
	if err != nil {
		return object{}, err
	}
	spec.Indicator = &inlineSLI{
		Metadata: metadata{Name: name},
		Spec: sliSpec{RatioMetric: &ratioMetric{
			Counter: true,
			Good:    &metric{MetricSource: metricSource{Type: SourceType, Spec: gn}},
			Total:   &metric{MetricSource: metricSource{Type: SourceType, Spec: tn}},
		}},
	}

	for i, p := range slo.ScaledPairs(s.EffectiveWindow()) {
		pname := fmt.Sprintf("%s-%s-%d", name, p.Severity, i+1)
		spec.AlertPolicies = append(spec.AlertPolicies, policyEntry{
			Kind:     KindAlertPolicy,
			Metadata: &metadata{Name: pname},
			Spec: &policySpec{
				Description: fmt.Sprintf("A %s when %s burns its error budget %s× as fast as its window allows, over %s and over the last %s.",
					p.Severity, s.Name, formatFloat(p.Threshold), shorthand(p.Long), shorthand(p.Short)),
				AlertWhenResolved:  true,
				AlertWhenBreaching: true,
				Conditions: []conditionEntry{{
					Kind:     KindAlertCondition,
					Metadata: &metadata{Name: pname, Annotations: map[string]string{AnnotationShortWindow: shorthand(p.Short)}},
					Spec: &conditionSpec{
						Severity: string(p.Severity),
						Condition: condition{
							Kind: "burnrate", Op: "gte", Threshold: *floatNode(p.Threshold),
							LookbackWindow: shorthand(p.Long), AlertAfter: "0m",
						},
					},
				}},
				NotificationTargets: []targetEntry{{
					Kind:     KindAlertNotificationTarget,
					Metadata: &metadata{Name: "waymark-" + string(p.Severity)},
					Spec:     &targetSpec{Target: "waymark", Description: "the alert channels Waymark routes " + string(p.Severity) + " alerts to"},
				}},
			},
		})
	}
	return object{APIVersion: APIVersion, Kind: KindSLO, Metadata: metadata{Name: name, Annotations: ann}, Spec: spec}, nil
}

// describe says what the SLO promises, for OpenSLO tools that show it.
func describe(j journeys.Journey, s journeys.SLO) string {
	pct := strconv.FormatFloat(s.Objective*100, 'f', -1, 64) + "%"
	scope := j.Metadata.Name
	if s.Step != "" {
		scope = fmt.Sprintf("step %s of %s", s.Step, j.Metadata.Name)
	}
	over := s.WindowLabel()
	switch s.Kind {
	case journeys.SLOLatency:
		return truncate(fmt.Sprintf("%s of the spans of %s within %s, over %s.", pct, scope, s.Threshold, over))
	case journeys.SLOSuccess:
		return truncate(fmt.Sprintf("%s of %s without an error, over %s.", pct, scope, over))
	default:
		return truncate(fmt.Sprintf("%s of the instances entering %s reach its end within %s, over %s.", pct, j.Metadata.Name, journeys.NewDuration(rollup.Window(j)), over))
	}
}

// calendarEpoch is the date calendar windows start from: a Monday, so
// that a week window starting on day d starts d days into that week.
var calendarEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// window writes the SLO's window: rolling in shorthand, or a calendar
// month or week starting on its first day; none when unset.
func window(s journeys.SLO, ann map[string]string) ([]timeWindow, error) {
	yes, no := true, false
	switch s.Calendar {
	case "":
		if s.Window.IsZero() {
			return nil, nil
		}
		sh := shorthand(s.Window.D)
		if s.Window.String() != sh {
			ann[AnnotationWindow] = s.Window.String()
		}
		return []timeWindow{{Duration: sh, IsRolling: &yes}}, nil
	case journeys.CalendarMonth, journeys.CalendarWeek:
		zone := s.TimeZone
		if zone == "" {
			zone = "UTC"
		} else if zone == "UTC" {
			ann[AnnotationTimeZone] = zone
		}
		duration, start := "1M", calendarEpoch
		if s.Calendar == journeys.CalendarWeek {
			duration = "1w"
			start = calendarEpoch.AddDate(0, 0, (int(s.FirstWeekday())-int(time.Monday)+7)%7)
			if s.WeekStart != "" {
				ann[AnnotationWeekStart] = s.WeekStart
			}
		}
		return []timeWindow{{Duration: duration, Calendar: &calendar{StartTime: start.Format("2006-01-02 15:04:05"), TimeZone: zone}, IsRolling: &no}}, nil
	}
	return nil, fmt.Errorf("unknown calendar window %q", s.Calendar)
}

// shorthand spells d as OpenSLO's duration shorthand: one whole number and
// one unit, the largest of d, h and m that divides d (a day is 24 hours).
// Durations under a minute, which no Waymark window has, are whole
// minutes rounded up.
func shorthand(d time.Duration) string {
	switch {
	case d <= 0:
		return "0m"
	case d%journeys.Day == 0:
		return strconv.FormatInt(int64(d/journeys.Day), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	m := (d + time.Minute - 1) / time.Minute
	return strconv.FormatInt(int64(m), 10) + "m"
}

func floatNode(f float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: formatFloat(f)}
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func node(v any) (yaml.Node, error) {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return yaml.Node{}, fmt.Errorf("encode metric source: %w", err)
	}
	return n, nil
}

// maxDescription is the longest description OpenSLO allows, in
// characters.
const maxDescription = 1050

// truncate cuts a description to maxDescription characters.
func truncate(s string) string {
	r := []rune(s)
	if len(r) <= maxDescription {
		return s
	}
	return strings.TrimSpace(string(r[:maxDescription]))
}
