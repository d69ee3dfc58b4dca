package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/suggest"
	"github.com/waymarkhq/waymark/web/builderhttp"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// options lists a datalist's option values.
func options(sel *goquery.Selection) []string {
	var out []string
	sel.Find("option").Each(func(_ int, o *goquery.Selection) {
		v, _ := o.Attr("value")
		out = append(out, v)
	})
	return out
}

func values(items map[string]int64) []string {
	var out []string
	for _, s := range rankedCounts(items) {
		out = append(out, s.Value)
	}
	return out
}

func TestEditorSuggestsServicesAndSpanNamesOfTheChosenService(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 80)
	b := setupBuilder(t, tr)
	services, carts := map[string]int64{}, map[string]int64{}
	for _, x := range tr.Traces() {
		info := demo.Steps()[x.Step]
		for _, sp := range x.Spans {
			services[info.Service]++
			if info.Service == "cart_svc" {
				carts[sp.Name]++
			}
		}
	}

	// The page comes with the services, so that even without JavaScript
	// the first list is there.
	doc := page(t, b.do(t, http.MethodGet, "/journeys/new", nil))
	require.Equal(t, values(services), options(testID(doc, "services-0")))
	in := doc.Find(`[name="steps[1].match.span"]`)
	require.Equal(t, "spans-1", in.AttrOr("list", ""))
	require.Equal(t, "/journeys/suggest/spans?list=spans-1&step=1", in.AttrOr("hx-get", ""))
	require.Equal(t, "[name='steps[1].match.service'],[name='steps[1].match.span']", in.AttrOr("hx-include", ""))
	require.Equal(t, 2, testID(doc, "step-preview-0").Length()+testID(doc, "step-preview-1").Length())
	// Segments take several keys: the first step's keys are listed beside the box.
	require.Equal(t, "/journeys/suggest/attributes?list=segment-keys&step=0&as=keys", doc.Find(`[name="segments"]`).AttrOr("hx-get", ""))

	// As one types: the span names of the service chosen in that step.
	rec := b.do(t, http.MethodGet, "/journeys/suggest/spans?list=spans-1&step=1&"+url.Values{"steps[1].match.service": {"cart_svc"}}.Encode(), nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc = page(t, rec)
	require.Equal(t, values(carts), options(testID(doc, "spans-1")))
	label, _ := testID(doc, "spans-1").Find("option").First().Attr("label")
	first := rankedCounts(carts)[0]
	require.Equal(t, first.Value+" · "+layout.Count(first.Count)+" spans", label)

	// Without a service there is nothing to list, and the field says so.
	doc = page(t, b.do(t, http.MethodGet, "/journeys/suggest/spans?list=spans-0&step=0", nil))
	require.Empty(t, options(testID(doc, "spans-0")))
	require.Equal(t, "choose a service to see its span names", doc.Find(".suggest-error").Text())

	// Matchers: the keys of the step's spans.
	doc = page(t, b.do(t, http.MethodGet, "/journeys/suggest/attributes?list=attrs-0&step=0&as=keys&"+
		url.Values{"steps[0].match.service": {"payment_svc"}, "steps[0].match.span": {"POST /payments"}}.Encode(), nil))
	require.Contains(t, testID(doc, "attrs-0").Text(), "span.user.tier")

	// A list name that is not the editor's is refused.
	rec = b.do(t, http.MethodGet, "/journeys/suggest/services?list=%3Cscript%3E", nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
}

func TestStepPreviewCountsWhatTheStepMatches(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 80)
	truth := tr.Truth()
	b := setupBuilder(t, tr)
	q := url.Values{"step": {"3"}, "steps[3].match.service": {"checkout_svc"}, "steps[3].match.span": {"POST /checkout"},
		"steps[3].match.kind": {"server"}}
	doc := page(t, b.do(t, http.MethodGet, "/journeys/preview/step?"+q.Encode(), nil))
	box := testID(doc, "step-preview-3")
	require.Equal(t, layout.Count(int64(truth.Steps[3].RootSpans)), testID(doc, "step-spans").Text())
	require.Equal(t, 3, box.Find(`[data-testid="sample-trace"]`).Length())
	href, _ := box.Find(`[data-testid="sample-trace"]`).First().Attr("href")
	require.True(t, strings.HasPrefix(href, "/traces/"), href)
	require.Zero(t, testID(doc, "step-warning").Length())

	// A service that does not exist: a warning, not silence.
	q.Set("steps[3].match.service", "checkout-svc")
	doc = page(t, b.do(t, http.MethodGet, "/journeys/preview/step?"+q.Encode(), nil))
	require.Equal(t, "0", testID(doc, "step-spans").Text())
	require.Equal(t, "no span matched this step in the last 24 hours: check the service, span name, kind and attributes", testID(doc, "step-warning").Text())

	// An empty step asks for a pattern.
	doc = page(t, b.do(t, http.MethodGet, "/journeys/preview/step?step=0&steps[0].name=x", nil))
	require.Equal(t, "fill in a service and a span name to see what this step matches", squash(doc.Find(".hint").Text()))
}

// shopForm is the shop journey as the editor posts it.
func shopForm(action string) url.Values {
	v := url.Values{"action": {action}, "metadata.slug": {"shop"}, "metadata.name": {"Shop"},
		"correlation.by": {"span.session.id"}, "correlation.window": {"30m"}, "preview.range": {"1h"}}
	for i, s := range demo.Steps() {
		p := "steps[" + layout.Itoa(i) + "]"
		v.Set(p+".name", s.Key)
		v.Set(p+".match.service", s.Service)
		v.Set(p+".match.span", s.Method+" "+s.Route)
		v.Set(p+".match.kind", "server")
	}
	return v
}

func TestPreviewButtonShowsTheFunnelWithoutSaving(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 80)
	truth := tr.Truth()
	b := setupBuilder(t, tr)
	rec := b.postForm(t, "/journeys/new", shopForm("preview"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := page(t, rec)
	for k := range demo.NumSteps {
		row := testID(doc, "preview-step-"+layout.Itoa(k))
		require.Equal(t, layout.Count(int64(truth.Funnel[k].Sessions)), row.Find(`[data-testid="preview-reached"]`).Text(), k)
	}
	require.Contains(t, squash(testID(doc, "journey-preview").Text()), "Preview: the last 1h")
	list, err := b.store.ListJourneys(t.Context())
	require.NoError(t, err)
	require.Empty(t, list)
	// The form keeps what was typed.
	require.Equal(t, "cart_svc", inputValue(doc, "steps[2].match.service"))

	// A form that is not a journey yet: its problems, beside the fields.
	bad := shopForm("preview")
	bad.Set("correlation.window", "soon")
	doc = page(t, b.postForm(t, "/journeys/new", bad))
	require.Equal(t, "Fix the problems above to preview the journey.", doc.Find("#journey-preview .suggest-error").Text())
	require.Equal(t, 1, testID(doc, "summary-correlation.window").Length())

	// The YAML tab's dry run.
	rec = b.postForm(t, "/journeys/import", url.Values{"action": {"preview"}, "yaml": {shopYAML(t)}, "preview.range": {"15m"}})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc = page(t, rec)
	require.Contains(t, squash(testID(doc, "journey-preview").Text()), "Preview: the last 15m")
	require.Equal(t, 5, doc.Find(`#journey-preview tbody tr`).Length())
	list, err = b.store.ListJourneys(t.Context())
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestJourneyFromTicksInATrace(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 20)
	b := setupBuilder(t, tr)
	var login *demo.Trace
	for _, x := range tr.Traces() {
		if x.Step == 0 && len(x.Spans) == 3 {
			login = x
			break
		}
	}
	require.NotNil(t, login)
	id := login.ID.String()

	doc := page(t, b.do(t, http.MethodGet, "/traces/"+id, nil))
	form := testID(doc, "journey-from-trace")
	require.Equal(t, "/journeys/new", form.AttrOr("action", ""))
	require.Equal(t, id, form.Find(`[name="trace"]`).AttrOr("value", ""))
	require.Equal(t, 3, doc.Find(`[data-testid="span-pick"][form="journey-from-trace"]`).Length())

	q := url.Values{"trace": {id}, "span": {login.Spans[2].ID.String(), login.Spans[0].ID.String()}}
	rec := b.do(t, http.MethodGet, "/journeys/new?"+q.Encode(), nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc = page(t, rec)
	// In start order, whatever order they were ticked in.
	require.Equal(t, "auth_svc", inputValue(doc, "steps[0].match.service"))
	require.Equal(t, "POST /login", inputValue(doc, "steps[0].match.span"))
	require.Equal(t, "server", inputValue(doc, "steps[0].match.kind"))
	require.Equal(t, login.Spans[2].Name, inputValue(doc, "steps[1].match.span"))
	require.Equal(t, "trace", inputValue(doc, "correlation.by"))
	require.Contains(t, testID(doc, "form-origin").Text(), "Drafted from 2 spans of trace "+id)
	require.Zero(t, doc.Find(`[name="steps[2].match.service"]`).Length())

	// One span is not a journey: back to the waterfall, the tick kept,
	// the reason beside the button.
	one := login.Spans[0].ID.String()
	rec = b.do(t, http.MethodGet, "/journeys/new?"+url.Values{"trace": {id}, "span": {one}}.Encode(), nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	back := rec.Header().Get("Location")
	require.Equal(t, "/traces/"+id+"?picked=1&span="+one+"#journey-from-trace", back)
	doc = page(t, b.do(t, http.MethodGet, strings.TrimSuffix(back, "#journey-from-trace"), nil))
	require.Equal(t, "Tick at least 2 spans, one per step: 1 was ticked.", testID(doc, "pick-error").Text())
	_, checked := doc.Find(`[data-testid="span-pick"][value="` + one + `"]`).Attr("checked")
	require.True(t, checked)
	require.Equal(t, 1, doc.Find(`[data-testid="span-pick"][checked]`).Length())
	// Picks across traces that are too few are an error page: there is
	// no one waterfall to go back to.
	rec = b.do(t, http.MethodGet, "/journeys/new?pick="+id+":"+one, nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, "Pick at least 2 spans, one per step.", page(t, rec).Find(`[data-testid="error-message"]`).Text())
}

func TestSuggestedJourneysOpenInTheEditor(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 100)
	truth := tr.Truth()
	b := setupBuilder(t, tr)
	doc := page(t, b.do(t, http.MethodGet, "/journeys", nil))
	require.Equal(t, "/journeys/suggested", testID(doc, "suggested-journeys").AttrOr("href", ""))

	doc = page(t, b.do(t, http.MethodGet, "/journeys/suggested", nil))
	one := testID(doc, "suggested-0")
	require.Equal(t, "Login to Payments", one.Find("h2").Text())
	require.Equal(t, layout.Count(int64(truth.Funnel[demo.NumSteps-1].Sessions)), one.Find(`[data-testid="suggested-completed"]`).Text())
	require.Equal(t, "/journeys/new?suggested=login-to-payments", one.Find(`[data-testid="open-suggested"]`).AttrOr("href", ""))
	require.Contains(t, testID(doc, "suggested-method").Text(), "At most 10,000 sessions")

	doc = page(t, b.do(t, http.MethodGet, "/journeys/new?suggested=login-to-payments", nil))
	require.Equal(t, "login-to-payments", inputValue(doc, "metadata.slug"))
	require.Equal(t, "span.session.id", inputValue(doc, "correlation.by"))
	require.Equal(t, "payment_svc", inputValue(doc, "steps[4].match.service"))
	require.Contains(t, testID(doc, "form-origin").Text(), "Suggested from traffic")

	rec := b.do(t, http.MethodGet, "/journeys/new?suggested=nope", nil)
	require.Equal(t, http.StatusNotFound, rec.Code)
}

// TestEditorSummaryWordsFieldsAsLabels: the summary names fields as the
// form labels them, and two blank step cards are "none filled in", not
// "has 0 steps".
func TestEditorSummaryWordsFieldsAsLabels(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := b.postForm(t, "/journeys/new", url.Values{"action": {"save"}, "metadata.slug": {"Bad Slug"}, "metadata.name": {"x"},
		"correlation.by": {"trace"}, "steps[0].name": {""}, "steps[1].name": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	doc := page(t, rec)
	require.Equal(t, 2, doc.Find(`li.step-form`).Length(), "the two cards are still there to fill in")
	slug := squash(testID(doc, "summary-metadata.slug").Text())
	require.True(t, strings.HasPrefix(slug, "Slug: "), slug)
	require.NotContains(t, testID(doc, "error-summary").Text(), "metadata.slug")
	require.Equal(t, "Steps: a journey needs at least 2 steps; fill in the service or span name of each (none is filled in)",
		squash(testID(doc, "summary-steps").Text()))
	require.NotContains(t, testID(doc, "error-summary").Text(), "has 0")
}

// TestJourneyFromSpansOfASession: spans picked across one session's
// traces are correlated by the session attribute they share.
func TestJourneyFromSpansOfASession(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 20)
	b := setupBuilder(t, tr)
	bySession := map[*demo.Session][]*demo.Trace{}
	var session *demo.Session
	for _, x := range tr.Traces() {
		bySession[x.Session] = append(bySession[x.Session], x)
		if len(bySession[x.Session]) == 3 && session == nil {
			session = x.Session
		}
	}
	require.NotNil(t, session)
	xs := bySession[session]
	q := url.Values{}
	for _, x := range xs[:3] {
		q.Add("pick", x.ID.String()+":"+x.Root().ID.String())
	}
	rec := b.do(t, http.MethodGet, "/journeys/new?"+q.Encode(), nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := page(t, rec)
	require.Equal(t, "span.session.id", inputValue(doc, "correlation.by"))
	for k, x := range xs[:3] {
		require.Equal(t, demo.Steps()[x.Step].Service, inputValue(doc, "steps["+layout.Itoa(k)+"].match.service"))
	}
	require.True(t, strings.HasPrefix(testID(doc, "form-origin").Text(), "Drafted from 3 spans of 3 traces: one step per span, correlated by span.session.id."))

	rec = b.do(t, http.MethodGet, "/journeys/new?pick=nocolon", nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, `Pick: "nocolon" is not TRACE:SPAN, a trace id and a span id.`, page(t, rec).Find(`[data-testid="error-message"]`).Text())
}

// TestPrefilledStepsComeWithTheirSpanNames: a form opened with services
// filled in lists their span names without any request from the page.
func TestPrefilledStepsComeWithTheirSpanNames(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 40)
	b := setupBuilder(t, tr)
	payments := map[string]int64{}
	for _, x := range tr.Traces() {
		if demo.Steps()[x.Step].Service == "payment_svc" {
			for _, sp := range x.Spans {
				payments[sp.Name]++
			}
		}
	}
	doc := page(t, b.do(t, http.MethodGet, "/journeys/new?suggested=login-to-payments", nil))
	require.Equal(t, values(payments), options(testID(doc, "spans-4")))
}

// downBuilder is a builder whose trace source does not answer.
type downBuilder struct{ builderhttp.Off }

func (downBuilder) Suggest(context.Context, string, string, suggest.Query) ([]suggest.Suggestion, error) {
	return nil, builderhttp.Word(&suggest.SourceError{Source: "Tempo", Reason: "is unavailable (HTTP 503)", Err: errors.New("HTTP 503")})
}

// TestEditorSaysWhenTheSourceIsDown: the lists stay empty with the reason
// beside the field, and the field still takes what is typed.
func TestEditorSaysWhenTheSourceIsDown(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Builder = downBuilder{} })
	doc := page(t, b.do(t, http.MethodGet, "/journeys/new", nil))
	require.Empty(t, options(testID(doc, "services-0")))
	require.Equal(t, "No suggestions: Tempo is unavailable (HTTP 503)", doc.Find("#services-0-box .suggest-error").Text())
	require.Equal(t, "services-0", doc.Find(`[name="steps[0].match.service"]`).AttrOr("list", ""))

	doc = page(t, b.do(t, http.MethodGet, "/journeys/suggest/spans?list=spans-0&step=0&steps%5B0%5D.match.service=x", nil))
	require.Equal(t, "No suggestions: Tempo is unavailable (HTTP 503)", doc.Find(".suggest-error").Text())

	p := problem(t, b, http.MethodGet, "/api/v1/suggest/services", "", "", http.StatusServiceUnavailable)
	require.Equal(t, "Tempo is unavailable (HTTP 503)", p["title"])
}

// TestSavingAStepThatMatchedNothingAsksFirst: a mistyped span name is
// caught at save, and can still be saved on purpose.
func TestSavingAStepThatMatchedNothingAsksFirst(t *testing.T) {
	t.Parallel()
	tr := builderTraffic(t, 40)
	b := setupBuilder(t, tr)
	form := shopForm("save")
	form.Set("steps[2].match.span", "POST /cart/item")
	rec := b.postForm(t, "/journeys/new", form)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := page(t, rec)
	require.Equal(t, "Not saved yet: step 3 (add_to_cart) matches no span of the last 24 hours. Check the service, span name, kind and attributes, or save anyway.",
		testID(doc, "form-message").Text())
	require.Equal(t, "save-anyway", testID(doc, "save-anyway").AttrOr("value", ""))
	require.Equal(t, "POST /cart/item", inputValue(doc, "steps[2].match.span"))
	list, err := b.store.ListJourneys(t.Context())
	require.NoError(t, err)
	require.Empty(t, list)

	form.Set("action", "save-anyway")
	require.Equal(t, http.StatusSeeOther, b.postForm(t, "/journeys/new", form).Code)
	list, err = b.store.ListJourneys(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 1)

	// A journey whose steps all match saves at once.
	ok := shopForm("save")
	ok.Set("metadata.slug", "shop-2")
	require.Equal(t, http.StatusSeeOther, b.postForm(t, "/journeys/new", ok).Code)
}
