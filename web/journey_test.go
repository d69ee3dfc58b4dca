package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/journeys"
)

// checkoutForm is a valid two-step journey as the editor submits it.
func checkoutForm() url.Values {
	return url.Values{
		"metadata.slug":             {"checkout"},
		"metadata.name":             {"Checkout"},
		"metadata.owner":            {"team-shop"},
		"metadata.description":      {"Cart to payment."},
		"correlation.by":            {"span.session.id"},
		"correlation.window":        {"30m"},
		"segments":                  {"span.user.tier, span.region  resource.service.version"},
		"value":                     {"span.order.total"},
		"steps[0].name":             {"Add to cart"},
		"steps[0].match.service":    {"cart_svc"},
		"steps[0].match.span":       {"POST /cart/items"},
		"steps[0].match.kind":       {"server"},
		"steps[0].match.attributes": {"span.http.response.status_code < 500\r\n\r\nspan.cart.kind = \"42\""},
		"steps[1].name":             {"Pay"},
		"steps[1].match.service":    {"payment_svc"},
		"steps[1].match.spanRegex":  {"^POST /pay"},
		"steps[1].match.kind":       {""},
		"steps[1].match.attributes": {""},
		"slos[0].name":              {"pay-latency"},
		"slos[0].step":              {"Pay"},
		"slos[0].kind":              {"latency"},
		"slos[0].threshold":         {"800ms"},
		"slos[0].objective":         {"0.99"},
		"slos[0].window":            {"28d"},
		"action":                    {"save"},
	}
}

// checkoutJourney is what checkoutForm stores.
func checkoutJourney() journeys.Journey {
	return journeys.Journey{
		APIVersion: journeys.APIVersion,
		Kind:       journeys.Kind,
		Metadata:   journeys.Metadata{Slug: "checkout", Name: "Checkout", Owner: "team-shop", Description: "Cart to payment."},
		Spec: journeys.Spec{
			Correlation: journeys.Correlation{By: "span.session.id", Window: mustDuration("30m")},
			Segments:    []string{"span.user.tier", "span.region", "resource.service.version"},
			Value:       "span.order.total",
			Steps: []journeys.Step{
				{Name: "Add to cart", Match: journeys.Pattern{Service: "cart_svc", Span: "POST /cart/items", Kind: "server",
					Attributes: []journeys.Matcher{
						{Key: "span.http.response.status_code", Op: journeys.OpLt, Value: journeys.Value{Type: journeys.TypeInt, Raw: "500"}},
						{Key: "span.cart.kind", Op: journeys.OpEq, Value: journeys.StringValue("42")},
					}}},
				{Name: "Pay", Match: journeys.Pattern{Service: "payment_svc", SpanRegex: "^POST /pay"}},
			},
			SLOs: []journeys.SLO{{Name: "pay-latency", Step: "Pay", Kind: journeys.SLOLatency,
				Threshold: mustDuration("800ms"), Objective: 0.99, Window: mustDuration("28d")}},
		},
	}
}

func mustDuration(s string) journeys.Duration {
	d, err := journeys.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestJourneyListPage(t *testing.T) {
	t.Parallel()
	b := setup(t)

	rec := b.do(t, http.MethodGet, "/journeys", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := page(t, rec)
	require.Equal(t, "Journeys · Waymark", doc.Find("title").Text())
	require.Contains(t, squash(testID(doc, "empty-state").Text()), "waymark journeys apply journeys/examples")
	require.Zero(t, testID(doc, "journey-table").Length())

	b.seed(t, "shop-checkout")
	b.seed(t, "login-flow")
	doc = page(t, b.do(t, http.MethodGet, "/journeys", nil))
	require.Zero(t, testID(doc, "empty-state").Length())
	rows := testID(doc, "journey-table").Find("tbody tr")
	require.Equal(t, 2, rows.Length())
	type row struct{ name, href, slug, owner, steps, corr, numbers, version string }
	var got []row
	rows.Each(func(_ int, tr *goquerySelection) {
		href, _ := tr.Find(`[data-testid="journey-name"]`).Attr("href")
		got = append(got, row{
			name:    tr.Find(`[data-testid="journey-name"]`).Text(),
			href:    href,
			slug:    tr.Find(`[data-testid="journey-slug"]`).Text(),
			owner:   squash(tr.Find(`[data-testid="journey-owner"]`).Text()),
			steps:   tr.Find(`[data-testid="journey-steps"]`).Text(),
			corr:    tr.Find(`[data-testid="journey-correlation"]`).Text(),
			numbers: tr.Find(`[data-testid="journey-numbers"]`).Text(),
			version: tr.Find(`[data-testid="journey-version"]`).Text(),
		})
	})
	require.Equal(t, []row{
		{"Login flow", "/journeys/login-flow", "login-flow", "team-identity", "3", "one trace", "no data yet", "1"},
		{"Shop checkout", "/journeys/shop-checkout", "shop-checkout", "team-shop", "5", "span.session.id within 30m", "no data yet", "1"},
	}, got)
}

func TestRootRedirects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := b.do(t, http.MethodGet, "/", nil)
	require.Equal(t, http.StatusFound, rec.Code)
	require.Equal(t, "/journeys", rec.Header().Get("Location"))

	for target, want := range map[string]string{"/journeys/": "/journeys", "//evil.example/": "/evil.example"} {
		rec = b.do(t, http.MethodGet, target, nil)
		require.Equal(t, http.StatusMovedPermanently, rec.Code, target)
		require.Equal(t, want, rec.Header().Get("Location"), target)
	}
}

func TestJourneyDefinitionPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seed(t, "login-flow")
	_, file := example(t, "login-flow")

	rec := b.do(t, http.MethodGet, "/journeys/login-flow/definition", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := page(t, rec)
	require.Equal(t, "Login flow", testID(doc, "journey-title").Text())
	require.Equal(t, "1", testID(doc, "journey-version").Text())
	require.Equal(t, "team-identity", testID(doc, "journey-owner").Text())
	require.Equal(t, "All steps are spans of one trace.", squash(testID(doc, "journey-correlation").Text()))
	require.Equal(t, "page", testID(doc, "tab-definition").AttrOr("aria-current", ""))
	require.Equal(t, "/journeys/login-flow", testID(doc, "tab-map").AttrOr("href", ""))

	var steps []string
	testID(doc, "steps").Find("li.step-card").Each(func(_ int, s *goquerySelection) {
		steps = append(steps, squash(s.Find(`[data-testid="step-name"]`).Text()+" | "+
			s.Find(`[data-testid="step-service"]`).Text()+" | "+s.Find(`[data-testid="step-span"]`).Text()+" | "+
			s.Find(`[data-testid="step-kind"]`).Text()+" | "+s.Find(`[data-testid="step-matcher"]`).Text()))
	})
	require.Equal(t, []string{
		"Login request | auth_svc | POST /login | server |",
		"Look up user | auth_svc | SELECT users | client | span.db.system.name = postgresql",
		"Verify password | auth_svc | verify_password | internal |",
	}, steps)

	var slos []string
	testID(doc, "slos").Find("tbody tr").Each(func(_ int, s *goquerySelection) {
		slos = append(slos, cells(s))
	})
	require.Equal(t, []string{
		"login-latency | Login request | latency | 300ms | 99% | 28d",
		"login-success | whole journey | success | — | 99.9% | 28d",
	}, slos)

	require.Equal(t, string(file), testID(doc, "journey-yaml").Text())
	require.True(t, strings.HasPrefix(cells(testID(doc, "history-1")), "1 | created | seed | "), cells(testID(doc, "history-1")))
	href, _ := testID(doc, "edit-link").Attr("href")
	require.Equal(t, "/journeys/login-flow/edit", href)
	href, _ = testID(doc, "delete-link").Attr("href")
	require.Equal(t, "/journeys/login-flow/delete", href)
}

func TestUnknownJourneyPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, target := range []string{"/journeys/nope", "/journeys/nope/definition", "/journeys/nope?range=1h", "/journeys/nope/edit", "/journeys/nope/delete", "/journeys/nope/edit?tab=yaml"} {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			rec := b.do(t, http.MethodGet, target, nil)
			require.Equal(t, http.StatusNotFound, rec.Code)
			doc := page(t, rec)
			require.Equal(t, `Journey "nope" not found.`, testID(doc, "error-message").Text())
		})
	}
	t.Run("unknown page", func(t *testing.T) {
		t.Parallel()
		rec := b.do(t, http.MethodGet, "/nowhere", nil)
		require.Equal(t, http.StatusNotFound, rec.Code)
		require.Equal(t, "There is no page at /nowhere.", testID(page(t, rec), "error-message").Text())
	})
	t.Run("delete unknown", func(t *testing.T) {
		t.Parallel()
		rec := b.postForm(t, "/journeys/nope/delete", url.Values{})
		require.Equal(t, http.StatusNotFound, rec.Code)
		require.Equal(t, `Journey "nope" not found.`, testID(page(t, rec), "error-message").Text())
	})
	t.Run("update unknown", func(t *testing.T) {
		t.Parallel()
		form := checkoutForm()
		form.Set("metadata.slug", "nope")
		rec := b.postForm(t, "/journeys/nope/edit", form)
		require.Equal(t, http.StatusNotFound, rec.Code)
	})
}

func TestJourneyNewForm(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := b.do(t, http.MethodGet, "/journeys/new", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := page(t, rec)
	require.Equal(t, "/journeys/new", doc.Find("form#journey-form").AttrOr("action", ""))
	require.Equal(t, "trace", inputValue(doc, "correlation.by"))
	require.Equal(t, 2, doc.Find("li.step-form").Length())
	require.Equal(t, 0, doc.Find("li.slo-form").Length())
	require.Zero(t, testID(doc, "error-summary").Length())
	for _, name := range []string{"metadata.slug", "metadata.name", "correlation.window", "segments", "value",
		"steps[0].name", "steps[0].match.service", "steps[0].match.span", "steps[0].match.spanRegex",
		"steps[0].match.kind", "steps[0].match.attributes", "steps[1].name"} {
		require.Equal(t, 1, doc.Find(`[name="`+name+`"]`).Length(), name)
	}

	rec = b.do(t, http.MethodGet, "/journeys/new?tab=yaml", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc = page(t, rec)
	require.Equal(t, "/journeys/import", doc.Find("main form").AttrOr("action", ""))
	require.Equal(t, 1, testID(doc, "yaml-input").Length())
}

func TestJourneyCreateEditHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	rec := b.postForm(t, "/journeys/new", checkoutForm())
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(t, "/journeys/checkout", rec.Header().Get("Location"))
	stored, err := b.store.GetJourney(ctx, "checkout")
	require.NoError(t, err)
	require.Equal(t, checkoutJourney(), stored.Journey)
	require.Equal(t, editorEmail, stored.UpdatedBy)

	// The edit form shows the stored journey in the form it was typed.
	doc := page(t, b.do(t, http.MethodGet, "/journeys/checkout/edit", nil))
	require.Equal(t, "/journeys/checkout/edit", doc.Find("form#journey-form").AttrOr("action", ""))
	require.Equal(t, "checkout", inputValue(doc, "metadata.slug"))
	require.Equal(t, "span.user.tier, span.region, resource.service.version", inputValue(doc, "segments"))
	require.Equal(t, "span.http.response.status_code < 500\nspan.cart.kind = \"42\"", inputValue(doc, "steps[0].match.attributes"))
	require.Equal(t, "server", inputValue(doc, "steps[0].match.kind"))
	require.Equal(t, "^POST /pay", inputValue(doc, "steps[1].match.spanRegex"))
	require.Equal(t, "0.99", inputValue(doc, "slos[0].objective"))
	require.Equal(t, "28d", inputValue(doc, "slos[0].window"))

	form := checkoutForm()
	form.Set("metadata.name", "Checkout v2")
	form.Set("slos[0].objective", "99.5%")
	rec = b.postForm(t, "/journeys/checkout/edit", form)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(t, "/journeys/checkout", rec.Header().Get("Location"))

	doc = page(t, b.do(t, http.MethodGet, "/journeys/checkout/definition", nil))
	require.Equal(t, "Checkout v2", testID(doc, "journey-title").Text())
	require.Equal(t, "2", testID(doc, "journey-version").Text())
	var hist []string
	testID(doc, "history").Find("tbody tr").Each(func(_ int, tr *goquerySelection) {
		c := strings.Split(cells(tr), " | ")
		hist = append(hist, strings.Join(c[:3], " | "))
	})
	require.Equal(t, []string{"2 | updated | " + editorEmail, "1 | created | " + editorEmail}, hist)
	require.Equal(t, "pay-latency | Pay | latency | 800ms | 99.5% | 28d", cells(testID(doc, "slo-0")))
}

func TestJourneyRename(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.Equal(t, http.StatusSeeOther, b.postForm(t, "/journeys/new", checkoutForm()).Code)
	form := checkoutForm()
	form.Set("metadata.slug", "checkout-v2")
	rec := b.postForm(t, "/journeys/checkout/edit", form)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(t, "/journeys/checkout-v2", rec.Header().Get("Location"))
	require.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, "/journeys/checkout", nil).Code)
	doc := page(t, b.do(t, http.MethodGet, "/journeys/checkout-v2/definition", nil))
	require.Equal(t, 2, testID(doc, "history").Find("tbody tr").Length())
}

func TestJourneyFormInvalid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	form := checkoutForm()
	form.Set("metadata.slug", "Bad Slug")
	form.Set("metadata.name", "")
	form.Set("correlation.window", "30x")
	form.Set("steps[0].match.attributes", "span.user.tier = gold\n\nspan.x ?? 3\nspan.y >=   ")
	form.Set("slos[0].objective", "most")

	rec := b.postForm(t, "/journeys/new", form)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	doc := page(t, rec)

	// What the user typed is kept (blank matcher lines aside).
	require.Equal(t, "Bad Slug", inputValue(doc, "metadata.slug"))
	require.Equal(t, "30x", inputValue(doc, "correlation.window"))
	require.Equal(t, "span.user.tier = gold\nspan.x ?? 3\nspan.y >=", inputValue(doc, "steps[0].match.attributes"))
	require.Equal(t, "most", inputValue(doc, "slos[0].objective"))
	require.Equal(t, "Pay", inputValue(doc, "steps[1].name"))
	require.Equal(t, "latency", inputValue(doc, "slos[0].kind"))

	// Messages the form itself writes, beside their fields.
	want := map[string]string{
		"error-correlation.window":           "must be a duration such as 800ms, 30m or 28d",
		"error-steps[0].match.attributes[1]": `line 2: unknown operator "??" after span.x: use one of = != =~ !~ > >= < <=`,
		"error-steps[0].match.attributes[2]": "line 3: missing value after span.y >=",
		"error-slos[0].objective":            "must be a number such as 0.995",
	}
	for id, msg := range want {
		require.Equal(t, msg, squash(testID(doc, id).Text()), id)
	}
	// The domain's messages, beside theirs.
	for _, path := range []string{"metadata.slug", "metadata.name"} {
		el := testID(doc, "error-"+path)
		require.Equal(t, 1, el.Length(), path)
		require.Equal(t, path, el.Parent().Find("input").AttrOr("name", ""), "message for %s sits beside its input", path)
	}
	// A line that could not be read hides validation's view of it.
	require.Zero(t, testID(doc, "error-steps[0].match.attributes[1].op").Length())
	// The summary lists every message, in the order of the form.
	var summary []string
	testID(doc, "error-summary").Find("li").Each(func(_ int, li *goquerySelection) {
		summary = append(summary, li.AttrOr("data-testid", ""))
	})
	require.Equal(t, []string{
		"summary-metadata.slug", "summary-metadata.name", "summary-correlation.window",
		"summary-steps[0].match.attributes[1]", "summary-steps[0].match.attributes[2]", "summary-slos[0].objective",
	}, summary)

	_, err := b.store.GetJourney(context.Background(), "checkout")
	require.ErrorIs(t, err, journeystore.ErrNotFound)
}

func TestJourneyFormDuplicateSlug(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.Equal(t, http.StatusSeeOther, b.postForm(t, "/journeys/new", checkoutForm()).Code)
	form := checkoutForm()
	form.Set("metadata.name", "Another checkout")
	rec := b.postForm(t, "/journeys/new", form)
	require.Equal(t, http.StatusConflict, rec.Code)
	doc := page(t, rec)
	require.Equal(t, `a journey with slug "checkout" already exists; choose another`, testID(doc, "error-metadata.slug").Text())
	require.Equal(t, "Another checkout", inputValue(doc, "metadata.name"))
	stored, err := b.store.GetJourney(context.Background(), "checkout")
	require.NoError(t, err)
	require.Equal(t, "Checkout", stored.Journey.Metadata.Name)
}

func TestJourneyFormRows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		action string
		steps  []string
		slos   []string
	}{
		{"add-step", []string{"Add to cart", "Pay", ""}, []string{"pay-latency"}},
		{"add-slo", []string{"Add to cart", "Pay"}, []string{"pay-latency", ""}},
		{"remove-step:0", []string{"Pay"}, []string{"pay-latency"}},
		{"remove-slo:0", []string{"Add to cart", "Pay"}, nil},
		{"remove-step:9", []string{"Add to cart", "Pay"}, []string{"pay-latency"}},
	}
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			t.Parallel()
			form := checkoutForm()
			form.Set("action", tc.action)
			rec := b.postForm(t, "/journeys/new", form)
			require.Equal(t, http.StatusOK, rec.Code)
			doc := page(t, rec)
			var steps, slos []string
			doc.Find("li.step-form").Each(func(i int, _ *goquerySelection) {
				steps = append(steps, inputValue(doc, "steps["+itoa(i)+"].name"))
			})
			doc.Find("li.slo-form").Each(func(i int, _ *goquerySelection) {
				slos = append(slos, inputValue(doc, "slos["+itoa(i)+"].name"))
			})
			require.Equal(t, tc.steps, steps)
			require.Equal(t, tc.slos, slos)
			require.Equal(t, "Checkout", inputValue(doc, "metadata.name"))
			require.Zero(t, testID(doc, "error-summary").Length(), "adding a row validates nothing")
		})
	}
	t.Run("blank rows are dropped on save", func(t *testing.T) {
		t.Parallel()
		form := checkoutForm()
		form.Set("steps[7].name", "")
		form.Set("slos[3].name", "")
		rec := b.postForm(t, "/journeys/new", form)
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	})
}

func TestJourneyDeleteFlow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seed(t, "login-flow")

	rec := b.do(t, http.MethodGet, "/journeys/login-flow/delete", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := page(t, rec)
	require.Equal(t, "Delete Login flow?", testID(doc, "delete-confirm").Find("h1").Text())
	require.Equal(t, "/journeys/login-flow/delete", doc.Find("main form[method=post]").AttrOr("action", ""))

	rec = b.postForm(t, "/journeys/login-flow/delete", url.Values{})
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/journeys", rec.Header().Get("Location"))

	require.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, "/journeys/login-flow", nil).Code)
	require.Equal(t, 1, testID(page(t, b.do(t, http.MethodGet, "/journeys", nil)), "empty-state").Length())
}

func TestJourneyImport(t *testing.T) {
	t.Parallel()
	_, file := example(t, "login-flow")

	t.Run("create", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		rec := b.postForm(t, "/journeys/import", url.Values{"yaml": {string(file)}})
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
		require.Equal(t, "/journeys/login-flow", rec.Header().Get("Location"))
		stored, err := b.store.GetJourney(context.Background(), "login-flow")
		require.NoError(t, err)
		want, _ := example(t, "login-flow")
		require.Equal(t, want, stored.Journey)
	})
	t.Run("replace", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.seed(t, "login-flow")
		doc := page(t, b.do(t, http.MethodGet, "/journeys/login-flow/edit?tab=yaml", nil))
		require.Equal(t, string(file), inputValue(doc, "yaml"))
		require.Equal(t, "/journeys/login-flow/import", doc.Find("main form").AttrOr("action", ""))

		edited := strings.Replace(string(file), "name: Login flow", "name: Sign-in", 1)
		rec := b.postForm(t, "/journeys/login-flow/import", url.Values{"yaml": {edited}})
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
		stored, err := b.store.GetJourney(context.Background(), "login-flow")
		require.NoError(t, err)
		require.Equal(t, "Sign-in", stored.Journey.Metadata.Name)
		require.Equal(t, 2, stored.Version)
	})

	bad := []struct {
		name, text string
		seed       bool
		status     int
		errors     map[string]string
		message    string
	}{
		{name: "syntax", text: "metadata: [\n", status: http.StatusUnprocessableEntity,
			errors: map[string]string{"error-document": "document: line 1: did not find expected node content"}},
		{name: "unknown field", text: strings.Replace(string(file), "kind: Journey", "kind: Journey\ncolour: blue", 1),
			status: http.StatusUnprocessableEntity, errors: map[string]string{"error-colour": "colour: unknown field (line 3)"}},
		{name: "two documents", text: string(file) + "---\n" + strings.Replace(string(file), "slug: login-flow", "slug: other", 1),
			status:  http.StatusUnprocessableEntity,
			message: "found 2 journeys; paste one at a time, or apply several with `waymark journeys apply`"},
		{name: "duplicate slug", text: string(file), seed: true, status: http.StatusConflict,
			errors: map[string]string{"error-metadata.slug": `metadata.slug: a journey with slug "login-flow" already exists; choose another`}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			if tc.seed {
				b.seed(t, "login-flow")
			}
			rec := b.postForm(t, "/journeys/import", url.Values{"yaml": {tc.text}})
			require.Equal(t, tc.status, rec.Code)
			doc := page(t, rec)
			require.Equal(t, tc.text, inputValue(doc, "yaml"), "the pasted text is kept")
			items := testID(doc, "error-summary").Find("li")
			require.Equal(t, len(tc.errors), items.Length())
			for id, msg := range tc.errors {
				require.Equal(t, msg, squash(testID(doc, id).Text()))
			}
			if tc.message != "" {
				require.Equal(t, tc.message, testID(doc, "form-message").Text())
			}
		})
	}
}
