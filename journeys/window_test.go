package journeys

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// calendarSLOs is a journey file whose SLOs use every window form, in the
// canonical layout.
const calendarSLOs = minimal + `  slos:
    - name: rolling
      kind: success
      objective: 0.99
      window: 28d
    - name: default
      kind: success
      objective: 0.99
    - name: month
      kind: success
      objective: 0.995
      window: month
    - name: month-berlin
      step: B
      kind: latency
      threshold: 300ms
      objective: 0.99
      window: month
      timeZone: Europe/Berlin
    - name: week
      kind: success
      objective: 0.99
      window: week
    - name: week-sunday
      kind: success
      objective: 0.99
      window: week
      weekStart: sunday
      timeZone: America/New_York
`

func TestCalendarWindowRoundTrip(t *testing.T) {
	t.Parallel()
	js, err := DecodeYAML([]byte(calendarSLOs))
	require.NoError(t, err)
	require.Len(t, js, 1)
	j := js[0]
	require.NoError(t, j.Validate())
	require.Equal(t, []SLO{
		{Name: "rolling", Kind: SLOSuccess, Objective: 0.99, Window: dur(t, "28d")},
		{Name: "default", Kind: SLOSuccess, Objective: 0.99},
		{Name: "month", Kind: SLOSuccess, Objective: 0.995, Calendar: CalendarMonth},
		{Name: "month-berlin", Step: "B", Kind: SLOLatency, Threshold: dur(t, "300ms"), Objective: 0.99, Calendar: CalendarMonth, TimeZone: "Europe/Berlin"},
		{Name: "week", Kind: SLOSuccess, Objective: 0.99, Calendar: CalendarWeek},
		{Name: "week-sunday", Kind: SLOSuccess, Objective: 0.99, Calendar: CalendarWeek, WeekStart: "sunday", TimeZone: "America/New_York"},
	}, j.Spec.SLOs)

	// YAML: byte-identical.
	out, err := EncodeYAML(j)
	require.NoError(t, err)
	require.Equal(t, calendarSLOs, string(out))

	// JSON: the window is one field, as in YAML, and comes back the same
	// through the strict decoder and through encoding/json (stored copies).
	b, err := json.Marshal(j)
	require.NoError(t, err)
	require.Contains(t, string(b), `"slos":[`+
		`{"name":"rolling","kind":"success","objective":0.99,"window":"28d"},`+
		`{"name":"default","kind":"success","objective":0.99},`+
		`{"name":"month","kind":"success","objective":0.995,"window":"month"},`+
		`{"name":"month-berlin","step":"B","kind":"latency","threshold":"300ms","objective":0.99,"window":"month","timeZone":"Europe/Berlin"},`+
		`{"name":"week","kind":"success","objective":0.99,"window":"week"},`+
		`{"name":"week-sunday","kind":"success","objective":0.99,"window":"week","weekStart":"sunday","timeZone":"America/New_York"}]`)
	back, err := DecodeJSON(b)
	require.NoError(t, err)
	require.Equal(t, j, back)
	var plain Journey
	require.NoError(t, json.Unmarshal(b, &plain))
	require.Equal(t, j.Spec.SLOs, plain.Spec.SLOs)
	b2, err := json.Marshal(back)
	require.NoError(t, err)
	require.Equal(t, string(b), string(b2))

	var bad SLO
	require.EqualError(t, json.Unmarshal([]byte(`{"name":"x","window":"5x"}`), &bad), `SLO "x" window: invalid duration "5x" (e.g. 30m, 28d)`)
}

func TestCalendarWindowAccessors(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	tests := []struct {
		slo       SLO
		spec      string
		label     string
		effective time.Duration
		weekday   time.Weekday
		loc       *time.Location
	}{
		{SLO{}, "", "28d", 28 * Day, time.Monday, time.UTC},
		{SLO{Window: dur(t, "36h")}, "36h", "36h", 36 * time.Hour, time.Monday, time.UTC},
		{SLO{Calendar: CalendarMonth}, "month", "calendar month (UTC)", 30 * Day, time.Monday, time.UTC},
		{SLO{Calendar: CalendarMonth, TimeZone: "Europe/Berlin"}, "month", "calendar month (Europe/Berlin)", 30 * Day, time.Monday, berlin},
		{SLO{Calendar: CalendarWeek}, "week", "calendar week from Monday (UTC)", 7 * Day, time.Monday, time.UTC},
		{SLO{Calendar: CalendarWeek, WeekStart: "Sunday", TimeZone: "Europe/Berlin"}, "week", "calendar week from Sunday (Europe/Berlin)", 7 * Day, time.Sunday, berlin},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.spec, tt.slo.WindowSpec())
			require.Equal(t, tt.label, tt.slo.WindowLabel())
			require.Equal(t, tt.effective, tt.slo.EffectiveWindow())
			require.Equal(t, tt.weekday, tt.slo.FirstWeekday())
			loc, err := tt.slo.Location()
			require.NoError(t, err)
			require.Equal(t, tt.loc.String(), loc.String())
		})
	}
}

func TestCalendarWindowValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		slo  SLO
		want map[string]string
	}{
		{"month", SLO{Calendar: CalendarMonth}, nil},
		{"month in a zone", SLO{Calendar: CalendarMonth, TimeZone: "Asia/Kolkata"}, nil},
		{"month in UTC", SLO{Calendar: CalendarMonth, TimeZone: "UTC"}, nil},
		{"week from sunday", SLO{Calendar: CalendarWeek, WeekStart: "sunday"}, nil},
		{"week from Saturday", SLO{Calendar: CalendarWeek, WeekStart: "Saturday"}, nil},
		{"unknown window", SLO{Calendar: "fortnight"},
			map[string]string{"slos[0].window": `unknown window "fortnight"; use a duration such as 28d, or month or week`}},
		{"capitalised window", SLO{Calendar: "Month"},
			map[string]string{"slos[0].window": `unknown window "Month"; use a duration such as 28d, or month or week`}},
		{"calendar and duration", SLO{Calendar: CalendarMonth, Window: dur(t, "28d")},
			map[string]string{"slos[0].window": "set either a rolling duration or a calendar period, not both"}},
		{"week start on a month", SLO{Calendar: CalendarMonth, WeekStart: "monday"},
			map[string]string{"slos[0].weekStart": "only a week window has a first day; set window: week"}},
		{"week start on a rolling window", SLO{Window: dur(t, "7d"), WeekStart: "monday"},
			map[string]string{"slos[0].weekStart": "only a week window has a first day; set window: week"}},
		{"unknown week start", SLO{Calendar: CalendarWeek, WeekStart: "mon"},
			map[string]string{"slos[0].weekStart": `unknown day "mon"; use monday to sunday`}},
		{"unknown time zone", SLO{Calendar: CalendarMonth, TimeZone: "Europe/Berlim"},
			map[string]string{"slos[0].timeZone": `unknown time zone "Europe/Berlim"; use an IANA name such as Europe/Berlin`}},
		{"path in time zone", SLO{Calendar: CalendarWeek, TimeZone: "../../etc/passwd"},
			map[string]string{"slos[0].timeZone": `unknown time zone "../../etc/passwd"; use an IANA name such as Europe/Berlin`}},
		{"server zone", SLO{Calendar: CalendarWeek, TimeZone: "Local"},
			map[string]string{"slos[0].timeZone": `"Local" depends on the server; name a zone such as Europe/Berlin`}},
		{"time zone on a rolling window", SLO{Window: dur(t, "28d"), TimeZone: "Europe/Berlin"},
			map[string]string{"slos[0].timeZone": "only a calendar window (month or week) has a time zone"}},
		{"time zone on the default window", SLO{TimeZone: "Europe/Berlin"},
			map[string]string{"slos[0].timeZone": "only a calendar window (month or week) has a time zone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := loginFlow(t)
			o := tt.slo
			o.Name, o.Kind, o.Objective = "calendar", SLOSuccess, 0.99
			j.Spec.SLOs = []SLO{o}
			err := j.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tt.want, ve.Fields)
		})
	}

	// A conversion SLO over a week is as long as the longest correlation
	// window, which it must exceed.
	j := shopCheckout(t)
	j.Spec.Correlation.Window = dur(t, "7d")
	j.Spec.SLOs[2].Window, j.Spec.SLOs[2].Calendar = Duration{}, CalendarWeek
	var ve *ValidationError
	require.ErrorAs(t, j.Validate(), &ve)
	require.Equal(t, map[string]string{"slos[2].window": "must be longer than the correlation window (7d)"}, ve.Fields)
	j.Spec.SLOs[2].Calendar = CalendarMonth
	require.NoError(t, j.Validate())
}

func TestCalendarWindowDecodeErrors(t *testing.T) {
	t.Parallel()
	slo := func(body string) string {
		return minimal + "  slos:\n    - name: x\n      kind: success\n      objective: 0.9\n" + body
	}
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"window a number", slo("      window: 30\n"), map[string]string{"slos[0].window": "must be a duration such as 30m or 28d (line 22)"}},
		{"window bad duration", slo("      window: 30x\n"), map[string]string{"slos[0].window": `invalid duration "30x" (e.g. 30m, 28d) (line 22)`}},
		{"week start a list", slo("      window: week\n      weekStart: [monday]\n"), map[string]string{"slos[0].weekStart": "must be a string (line 23)"}},
		{"time zone a number", slo("      window: month\n      timeZone: 1\n"), map[string]string{"slos[0].timeZone": `must be a string; quote it: "1" (line 23)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeYAML([]byte(tt.in))
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tt.want, ve.Fields)
		})
	}
	// Unknown words decode, and validation names them.
	js, err := DecodeYAML([]byte(slo("      window: quarter\n")))
	require.NoError(t, err)
	require.EqualError(t, js[0].Validate(), `slos[0].window: unknown window "quarter"; use a duration such as 28d, or month or week`)
}
