package slos

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/web/ui/layout"
)

var site = layout.Site{Version: "v1.2.3", CSS: "/static/app.css?v=abc", JS: "/static/htmx.min.js?v=def", Icon: "/static/favicon.svg?v=123"}

func render(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, c.Render(context.Background(), &buf))
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	return doc, buf.String()
}
func testID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
