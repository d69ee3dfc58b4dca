package openslo

import "go.yaml.in/yaml/v3"

// The OpenSLO v1 objects Waymark reads and writes. Field order is the
// order documents are written in.

// APIVersion is the only OpenSLO version read and written.
const APIVersion = "openslo/v1"

// Kinds of OpenSLO objects.
const (
	KindSLO                     = "SLO"
	KindSLI                     = "SLI"
	KindService                 = "Service"
	KindAlertPolicy             = "AlertPolicy"
	KindAlertCondition          = "AlertCondition"
	KindAlertNotificationTarget = "AlertNotificationTarget"
	KindDataSource              = "DataSource"
)

// SourceType is the metricSource type of Waymark's journey SLIs.
const SourceType = "Waymark"

// Annotations that carry what OpenSLO has no field for, so that an export
// applies back to the same SLO.
const (
	// AnnotationSLO is the SLO's name in the journey; metadata.name is
	// prefixed with the journey's slug to be unique across journeys.
	AnnotationSLO = "waymark.dev/slo"
	// AnnotationMinEvents is the minimum-traffic guard (minEvents).
	AnnotationMinEvents = "waymark.dev/min-events"
	// AnnotationResolveAfter is the resolve hold (resolveAfter).
	AnnotationResolveAfter = "waymark.dev/resolve-after"
	// AnnotationCorrelation and AnnotationConversionWindow are the
	// journey's correlation and conversion window a conversion SLO was
	// defined under: its numbers mean something else under others.
	AnnotationCorrelation      = "waymark.dev/correlation"
	AnnotationConversionWindow = "waymark.dev/conversion-window"
	// AnnotationWindow is the window as the journey spells it, when the
	// shorthand OpenSLO requires spells it otherwise (90m for 1h30m).
	AnnotationWindow = "waymark.dev/window"
	// AnnotationTimeZone marks an explicit UTC zone of a calendar window,
	// which OpenSLO cannot tell from the default.
	AnnotationTimeZone = "waymark.dev/time-zone"
	// AnnotationWeekStart is a week window's first day as the journey
	// spells it (OpenSLO only has the calendar's start date).
	AnnotationWeekStart = "waymark.dev/week-start"
	// AnnotationShortWindow is the short window of a burn-rate condition:
	// OpenSLO's lookbackWindow is its long window.
	AnnotationShortWindow = "waymark.dev/short-window"
)

type object struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`
	Spec       any      `yaml:"spec"`
}

type metadata struct {
	Name        string            `yaml:"name"`
	DisplayName string            `yaml:"displayName,omitempty"`
	Labels      yaml.Node         `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type serviceSpec struct {
	Description string `yaml:"description,omitempty"`
}

type sloSpec struct {
	Description     string        `yaml:"description,omitempty"`
	Service         string        `yaml:"service"`
	Indicator       *inlineSLI    `yaml:"indicator,omitempty"`
	IndicatorRef    string        `yaml:"indicatorRef,omitempty"`
	TimeWindow      []timeWindow  `yaml:"timeWindow,omitempty"`
	BudgetingMethod string        `yaml:"budgetingMethod"`
	Objectives      []objective   `yaml:"objectives"`
	AlertPolicies   []policyEntry `yaml:"alertPolicies,omitempty"`
}

type inlineSLI struct {
	Metadata metadata `yaml:"metadata"`
	Spec     sliSpec  `yaml:"spec"`
}

type sliSpec struct {
	Description     string       `yaml:"description,omitempty"`
	ThresholdMetric yaml.Node    `yaml:"thresholdMetric,omitempty"`
	RatioMetric     *ratioMetric `yaml:"ratioMetric,omitempty"`
}

type ratioMetric struct {
	Counter bool    `yaml:"counter"`
	Good    *metric `yaml:"good,omitempty"`
	Bad     *metric `yaml:"bad,omitempty"`
	Total   *metric `yaml:"total,omitempty"`
	RawType string  `yaml:"rawType,omitempty"`
	Raw     *metric `yaml:"raw,omitempty"`
}

type metric struct {
	MetricSource metricSource `yaml:"metricSource"`
}

type metricSource struct {
	MetricSourceRef string    `yaml:"metricSourceRef,omitempty"`
	Type            string    `yaml:"type,omitempty"`
	Spec            yaml.Node `yaml:"spec"`
}

// sourceSpec is the spec of a Waymark metric source: which events of
// which journey.
type sourceSpec struct {
	Journey string `yaml:"journey"`
	// Step names the step; empty is the whole journey.
	Step string `yaml:"step,omitempty"`
	// Kind is latency, success or conversion.
	Kind string `yaml:"kind"`
	// Threshold is a latency SLO's, good events only.
	Threshold string `yaml:"threshold,omitempty"`
	// Events is good or total.
	Events string `yaml:"events"`
}

type timeWindow struct {
	Duration  string    `yaml:"duration"`
	Calendar  *calendar `yaml:"calendar,omitempty"`
	IsRolling *bool     `yaml:"isRolling,omitempty"`
}

type calendar struct {
	StartTime string `yaml:"startTime"`
	TimeZone  string `yaml:"timeZone"`
}

type objective struct {
	DisplayName     string    `yaml:"displayName,omitempty"`
	Op              string    `yaml:"op,omitempty"`
	Value           yaml.Node `yaml:"value,omitempty"`
	Target          yaml.Node `yaml:"target,omitempty"`
	TargetPercent   yaml.Node `yaml:"targetPercent,omitempty"`
	TimeSliceTarget yaml.Node `yaml:"timeSliceTarget,omitempty"`
	TimeSliceWindow yaml.Node `yaml:"timeSliceWindow,omitempty"`
}

// policyEntry is an alert policy of an SLO: a reference, or inlined.
type policyEntry struct {
	AlertPolicyRef string      `yaml:"alertPolicyRef,omitempty"`
	Kind           string      `yaml:"kind,omitempty"`
	Metadata       *metadata   `yaml:"metadata,omitempty"`
	Spec           *policySpec `yaml:"spec,omitempty"`
}

type policySpec struct {
	Description         string           `yaml:"description,omitempty"`
	AlertWhenNoData     bool             `yaml:"alertWhenNoData"`
	AlertWhenResolved   bool             `yaml:"alertWhenResolved"`
	AlertWhenBreaching  bool             `yaml:"alertWhenBreaching"`
	Conditions          []conditionEntry `yaml:"conditions"`
	NotificationTargets []targetEntry    `yaml:"notificationTargets"`
}

type conditionEntry struct {
	ConditionRef string         `yaml:"conditionRef,omitempty"`
	Kind         string         `yaml:"kind,omitempty"`
	Metadata     *metadata      `yaml:"metadata,omitempty"`
	Spec         *conditionSpec `yaml:"spec,omitempty"`
}

type conditionSpec struct {
	Description string    `yaml:"description,omitempty"`
	Severity    string    `yaml:"severity"`
	Condition   condition `yaml:"condition"`
}

type condition struct {
	Kind           string    `yaml:"kind"`
	Op             string    `yaml:"op,omitempty"`
	Threshold      yaml.Node `yaml:"threshold"`
	LookbackWindow string    `yaml:"lookbackWindow"`
	AlertAfter     string    `yaml:"alertAfter,omitempty"`
}

type targetEntry struct {
	TargetRef string      `yaml:"targetRef,omitempty"`
	Kind      string      `yaml:"kind,omitempty"`
	Metadata  *metadata   `yaml:"metadata,omitempty"`
	Spec      *targetSpec `yaml:"spec,omitempty"`
}

type targetSpec struct {
	Target      string `yaml:"target"`
	Description string `yaml:"description,omitempty"`
}

type dataSourceSpec struct {
	Description       string    `yaml:"description,omitempty"`
	Type              string    `yaml:"type"`
	ConnectionDetails yaml.Node `yaml:"connectionDetails,omitempty"`
}
