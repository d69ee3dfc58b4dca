package traces

import "github.com/waymarkhq/waymark/web/ui/layout"

// TracePage is the waterfall of one trace.
type TracePage struct {
	TraceID string
	// Configured is false when the server has no trace source.
	Configured bool
	// External links the trace in the trace backend's UI; empty when none
	// is configured.
	External  string
	Waterfall layout.Waterfall
	// Incidents offers to open an incident from the trace or add it to
	// one; nil when the server keeps no incidents.
	Incidents *layout.TraceIncidentActions
	// PickError says why the ticked spans made no journey, when the
	// editor sent the picker back here.
	PickError string
}
