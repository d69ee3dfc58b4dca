package journeyform

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
	"github.com/waymarkhq/waymark/web/httpx"
	"github.com/waymarkhq/waymark/web/ui/journeypages"
)

func TestParseMatcherLine(t *testing.T) {
	t.Parallel()
	val := func(typ journeys.ValueType, raw string) journeys.Value { return journeys.Value{Type: typ, Raw: raw} }
	cases := []struct {
		line string
		want journeys.Matcher
		err  string
	}{
		{line: "span.user.tier = gold", want: journeys.Matcher{Key: "span.user.tier", Op: journeys.OpEq, Value: val(journeys.TypeString, "gold")}},
		{line: "  span.user.tier=gold  ", want: journeys.Matcher{Key: "span.user.tier", Op: journeys.OpEq, Value: val(journeys.TypeString, "gold")}},
		{line: "span.http.status_code >= 500", want: journeys.Matcher{Key: "span.http.status_code", Op: journeys.OpGe, Value: val(journeys.TypeInt, "500")}},
		{line: "span.n<=-2.5", want: journeys.Matcher{Key: "span.n", Op: journeys.OpLe, Value: val(journeys.TypeFloat, "-2.5")}},
		{line: "span.n > 1e3", want: journeys.Matcher{Key: "span.n", Op: journeys.OpGt, Value: val(journeys.TypeFloat, "1e3")}},
		{line: "span.n < 0x1f", want: journeys.Matcher{Key: "span.n", Op: journeys.OpLt, Value: val(journeys.TypeInt, "0x1f")}},
		{line: "span.flag != true", want: journeys.Matcher{Key: "span.flag", Op: journeys.OpNe, Value: val(journeys.TypeBool, "true")}},
		{line: `span.code = "42"`, want: journeys.Matcher{Key: "span.code", Op: journeys.OpEq, Value: val(journeys.TypeString, "42")}},
		{line: `span.s = " padded "`, want: journeys.Matcher{Key: "span.s", Op: journeys.OpEq, Value: val(journeys.TypeString, " padded ")}},
		{line: `span.s = ""`, want: journeys.Matcher{Key: "span.s", Op: journeys.OpEq, Value: val(journeys.TypeString, "")}},
		{line: `span.route =~ ^/cart/.*$`, want: journeys.Matcher{Key: "span.route", Op: journeys.OpRegex, Value: val(journeys.TypeString, "^/cart/.*$")}},
		{line: `span.route !~ a b`, want: journeys.Matcher{Key: "span.route", Op: journeys.OpNotRegex, Value: val(journeys.TypeString, "a b")}},
		{line: `span.x = inf`, want: journeys.Matcher{Key: "span.x", Op: journeys.OpEq, Value: val(journeys.TypeString, "inf")}},
		{line: "span.user.tier", err: "expected key op value, e.g. span.user.tier = gold"},
		{line: "= gold", err: `missing attribute key before "= gold"`},
		{line: "span.x ?? 3", err: `unknown operator "??" after span.x: use one of = != =~ !~ > >= < <=`},
		{line: "span.x gold", err: `unknown operator "gold" after span.x: use one of = != =~ !~ > >= < <=`},
		{line: "span.x >=", err: "missing value after span.x >="},
		{line: `span.x = "open`, err: `malformed quoted value "open: close the quotes and escape " and \ inside`},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			t.Parallel()
			got, err := parseMatcherLine(tc.line)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// FuzzParseMatcherLine checks that no line panics, and that whatever parses
// is written back by the editor as a line that parses to the same matcher.
func FuzzParseMatcherLine(f *testing.F) {
	for _, s := range []string{
		"span.user.tier = gold", "span.n >= 500", `span.s = "42"`, "span.f != true", "span.x =~ ^a.*",
		"span.n < 0x1f", "span.n = 1_000", "span.n = 1e3", `span.s = " a "`, "x ?? y", `k = "\u00e9\t"`, "k=", "=v",
		"span.n = 1.0", "span.n = -0", "span.b = True", "k = \"\\xff\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		m, err := parseMatcherLine(line)
		if err != nil {
			return
		}
		back := journeypages.FormatMatcher(m)
		again, err := parseMatcherLine(back)
		require.NoError(t, err, "line %q written back as %q", line, back)
		require.Equal(t, m, again, "line %q written back as %q", line, back)
	})
}

// TestFormRoundTrip checks that every shipped journey survives the editor:
// shown in the form, submitted unchanged, it is the same journey.
func TestFormRoundTrip(t *testing.T) {
	t.Parallel()
	entries, err := examples.FS.ReadDir(".")
	require.NoError(t, err)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			t.Parallel()
			j, _ := example(t, strings.TrimSuffix(e.Name(), ".yaml"))
			got, errs := formJourney(readJourneyForm(formValues(journeyForm(j))))
			require.Empty(t, errs)
			require.Equal(t, j, got)
		})
	}
	t.Run("checkout", func(t *testing.T) {
		t.Parallel()
		got, errs := formJourney(readJourneyForm(formValues(journeyForm(checkoutJourney()))))
		require.Empty(t, errs)
		require.Equal(t, checkoutJourney(), got)
	})
}

// formValues is what a browser submits for a rendered form.
func formValues(f *JourneyForm) url.Values {
	v := url.Values{
		"metadata.slug": {f.Slug}, "metadata.name": {f.Name}, "metadata.owner": {f.Owner},
		"metadata.description": {f.Description}, "correlation.by": {f.CorrelationBy},
		"correlation.window": {f.CorrelationWindow}, "segments": {f.Segments}, "value": {f.Value},
	}
	for i, s := range f.Steps {
		p := StepField(i, "")
		v.Set(p+".name", s.Name)
		v.Set(p+".match.service", s.Service)
		v.Set(p+".match.span", s.Span)
		v.Set(p+".match.spanRegex", s.SpanRegex)
		v.Set(p+".match.kind", s.Kind)
		// Browsers send text areas with CRLF line breaks.
		v.Set(p+".match.attributes", strings.ReplaceAll(s.Attributes, "\n", "\r\n"))
	}
	for i, s := range f.SLOs {
		p := SLOField(i, "")
		v.Set(p+".name", s.Name)
		v.Set(p+".step", s.Step)
		v.Set(p+".kind", s.Kind)
		v.Set(p+".threshold", s.Threshold)
		v.Set(p+".objective", s.Objective)
		v.Set(p+".window", s.Window)
		v.Set(p+".weekStart", s.WeekStart)
		v.Set(p+".timeZone", s.TimeZone)
		v.Set(p+".minEvents", s.MinEvents)
		v.Set(p+".resolveAfter", s.ResolveAfter)
	}
	return v
}

func TestReadJourneyFormRows(t *testing.T) {
	t.Parallel()
	v := url.Values{
		"steps[10].name":                   {"third"},
		"steps[2].name":                    {"second"},
		"steps[0].name":                    {" first "},
		"steps[x].name":                    {"ignored"},
		"steps[-1].name":                   {"ignored"},
		"steps[99999999999999999999].name": {"ignored"},
		"slos[3].objective":                {"0.9"},
	}
	f := readJourneyForm(v)
	require.Equal(t, []StepForm{{Name: "first"}, {Name: "second"}, {Name: "third"}}, f.Steps)
	require.Equal(t, []SLOForm{{Objective: "0.9"}}, f.SLOs)
}

func TestFormJourneyErrors(t *testing.T) {
	t.Parallel()
	f := &JourneyForm{
		CorrelationWindow: "soon",
		Steps:             []StepForm{{Attributes: "span.a = 1\nbroken"}},
		SLOs:              []SLOForm{{Threshold: "fast", Objective: "high", Window: "28"}},
	}
	_, errs := formJourney(f)
	require.Equal(t, map[string]string{
		"correlation.window":           "must be a duration such as 800ms, 30m or 28d",
		"steps[0].match.attributes[1]": "expected key op value, e.g. span.user.tier = gold",
		"slos[0].threshold":            "must be a duration such as 800ms, 30m or 28d",
		"slos[0].objective":            "must be a number such as 0.995",
		"slos[0].window":               "must be a duration such as 28d, or month or week",
	}, errs)
}

// TestFormAlertingFields: the editor carries an SLO's traffic guard and
// resolve hold, an explicit 0 included, and names what does not read.
func TestFormAlertingFields(t *testing.T) {
	t.Parallel()
	j := checkoutJourney()
	j.Spec.SLOs[0].MinEvents = journeys.NewCount(0)
	j.Spec.SLOs[0].ResolveAfter = journeys.NewDuration(0)
	f := journeyForm(j)
	require.Equal(t, [2]string{"0", "0s"}, [2]string{f.SLOs[0].MinEvents, f.SLOs[0].ResolveAfter})
	got, errs := formJourney(readJourneyForm(formValues(f)))
	require.Empty(t, errs)
	require.Equal(t, j, got)

	f.SLOs[0].MinEvents, f.SLOs[0].ResolveAfter = "lots", "a while"
	_, errs = formJourney(f)
	require.Equal(t, map[string]string{
		"slos[0].minEvents":    "must be a whole number such as 100",
		"slos[0].resolveAfter": "must be a duration such as 800ms, 30m or 28d",
	}, errs)
	// Left empty, both take the defaults.
	f.SLOs[0].MinEvents, f.SLOs[0].ResolveAfter = "", ""
	got, errs = formJourney(f)
	require.Empty(t, errs)
	require.Equal(t, journeys.Count{}, got.Spec.SLOs[0].MinEvents)
	require.True(t, got.Spec.SLOs[0].ResolveAfter.IsZero())
}

// TestFormCalendarWindows: the editor reads month and week windows, with
// their first day and zone, and writes them back as they were.
func TestFormCalendarWindows(t *testing.T) {
	t.Parallel()
	j := checkoutJourney()
	base := j.Spec.SLOs[0]
	month, week, rolling := base, base, base
	month.Name, month.Window, month.Calendar, month.TimeZone = "month", journeys.Duration{}, journeys.CalendarMonth, "Europe/Berlin"
	week.Name, week.Window, week.Calendar, week.WeekStart = "week", journeys.Duration{}, journeys.CalendarWeek, "sunday"
	rolling.Name, rolling.Window = "rolling", journeys.NewDuration(7*journeys.Day)
	j.Spec.SLOs = []journeys.SLO{month, week, rolling}
	require.NoError(t, j.Validate())

	f := journeyForm(j)
	require.Equal(t, []string{"month", "week", "7d"}, []string{f.SLOs[0].Window, f.SLOs[1].Window, f.SLOs[2].Window})
	got, errs := formJourney(readJourneyForm(formValues(f)))
	require.Empty(t, errs)
	require.Equal(t, j, got)

	// People type the period in any case; the journey's own validation
	// names a day or zone it does not know, beside its field.
	f.SLOs[0].Window, f.SLOs[0].TimeZone = "Month", "Mars/Olympus"
	f.SLOs[1].WeekStart = "someday"
	f.SLOs[2].Window = "fortnight"
	got, errs = formJourney(f)
	require.Equal(t, map[string]string{"slos[2].window": "must be a duration such as 28d, or month or week"}, errs)
	require.Equal(t, journeys.CalendarMonth, got.Spec.SLOs[0].Calendar)
	var ve *journeys.ValidationError
	require.ErrorAs(t, got.Validate(), &ve)
	require.Equal(t, map[string]string{
		"slos[0].timeZone":  `unknown time zone "Mars/Olympus"; use an IANA name such as Europe/Berlin`,
		"slos[1].weekStart": `unknown day "someday"; use monday to sunday`,
	}, ve.Fields)
}

func TestMergeErrors(t *testing.T) {
	t.Parallel()
	got := httpx.MergeErrors(
		map[string]string{"steps[0].match.attributes[1]": "unreadable", "correlation.window": "bad duration"},
		map[string]string{
			"steps[0].match.attributes[1].op":  "required",
			"steps[0].match.attributes[10].op": "kept: another line",
			"correlation.window":               "required",
			"metadata.slug":                    "required",
		})
	require.Equal(t, map[string]string{
		"steps[0].match.attributes[1]":     "unreadable",
		"steps[0].match.attributes[10].op": "kept: another line",
		"correlation.window":               "bad duration",
		"metadata.slug":                    "required",
	}, got)
}
