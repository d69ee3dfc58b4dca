package journeyform

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
)

func TestJourneyEditErrorPlacement(t *testing.T) {
	t.Parallel()
	f := &JourneyForm{
		Action: "/journeys/new",
		Slug:   "Bad",
		Steps:  []StepForm{{Name: "a", Attributes: "span.x = 1\nspan.y ?? 2"}, {Name: "b"}},
		SLOs:   []SLOForm{{Name: "s", Kind: "weird"}},
	}
	f.SetErrors(map[string]string{
		"metadata.slug":                   "bad slug",
		"apiVersion":                      "unsupported",
		"steps":                           "too few",
		"steps[0].match":                  "set span or spanRegex",
		"steps[0].match.attributes[1]":    "unknown operator",
		"steps[0].match.attributes[0].op": "not for strings",
		"steps[1].name":                   "duplicate",
		"slos[0].kind":                    "unknown kind",
	})
	doc, _ := render(t, JourneyEdit(site, f))

	// Each message sits in the field (or group) its path belongs to.
	where := func(path string) string {
		el := testID(doc, "error-"+path)
		require.Equal(t, 1, el.Length(), path)
		if in := el.Closest(".field"); in.Length() > 0 {
			return in.Find("input, select, textarea").First().AttrOr("name", "")
		}
		if in := el.Closest("li"); in.Length() > 0 {
			return in.AttrOr("data-testid", "")
		}
		if fs := el.Closest("fieldset"); fs.Length() > 0 {
			return fs.Find("legend").Text()
		}
		return "top"
	}
	require.Equal(t, "metadata.slug", where("metadata.slug"))
	require.Equal(t, "top", where("apiVersion"))
	require.Equal(t, "Steps", where("steps"))
	require.Equal(t, "steps[0]", where("steps[0].match"))
	require.Equal(t, "steps[0].match.attributes", where("steps[0].match.attributes[1]"))
	require.Equal(t, "steps[0].match.attributes", where("steps[0].match.attributes[0].op"))
	require.Equal(t, "steps[1].name", where("steps[1].name"))
	require.Equal(t, "slos[0].kind", where("slos[0].kind"))

	require.Equal(t, "line 2: unknown operator", squash(testID(doc, "error-steps[0].match.attributes[1]").Text()))
	require.Equal(t, "line 1, op: not for strings", squash(testID(doc, "error-steps[0].match.attributes[0].op").Text()))
	require.Equal(t, "apiVersion: unsupported", squash(testID(doc, "error-apiVersion").Text()))
	require.Equal(t, "set span or spanRegex", squash(testID(doc, "error-steps[0].match").Text()))
	require.Equal(t, "bad slug", squash(testID(doc, "error-metadata.slug").Text()))
	require.Equal(t, "true", doc.Find(`input[name="metadata.slug"]`).AttrOr("aria-invalid", ""))

	// The summary follows the order of the form.
	var order []string
	testID(doc, "error-summary").Find("li").Each(func(_ int, li *goquery.Selection) {
		order = append(order, strings.TrimPrefix(li.AttrOr("data-testid", ""), "summary-"))
	})
	require.Equal(t, []string{
		"metadata.slug", "steps", "steps[0].match", "steps[0].match.attributes[0].op",
		"steps[0].match.attributes[1]", "steps[1].name", "slos[0].kind", "apiVersion",
	}, order)
	require.Equal(t, "The journey was not saved. Please fix 8 problems:", testID(doc, "error-summary").Find("p").Text())

	// A value the editor does not offer is kept as an option, selected.
	require.Equal(t, "weird", doc.Find(`select[name="slos[0].kind"] option[selected]`).AttrOr("value", ""))
	// The matcher box grows with its lines.
	require.Equal(t, "3", doc.Find(`textarea[name="steps[0].match.attributes"]`).AttrOr("rows", ""))
}
