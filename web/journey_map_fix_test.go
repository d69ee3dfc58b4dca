package web

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Error rates are coloured against the step's success SLO where it has one,
// else against 1% (red) and 0.1% (amber).
func TestJourneyMapErrorColours(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return insightEnd } })
	b.seedInsight(t, insightEnd, 1, 0, nil)
	doc := page(t, b.do(t, http.MethodGet, "/journeys/insight?range=24h", nil))
	var got []string
	for k := range 5 {
		dd := testID(doc, stepIDOf(k, "error-level"))
		got = append(got, testID(doc, stepIDOf(k, "name")).Text()+" "+dd.Find(`[data-testid$="-error-rate"]`).Text()+" "+dd.AttrOr("class", ""))
	}
	// 2% everywhere: red without an SLO, amber on pay, whose pay-success
	// (97%) allows 3%.
	require.Equal(t, []string{"cart 2% bad", "address 2% bad", "shipping 2% bad", "pay 2% warn", "confirm 2% bad"}, got)
	require.Equal(t, "red above the 3% of errors pay-success allows, amber above half of it", testID(doc, stepIDOf(3, "error-level")).AttrOr("title", ""))

	b2 := setupWith(t, func(o *Options) { o.Now = func() time.Time { return shopNow } })
	b2.seedShop(t, sat(3*time.Minute))
	doc = page(t, b2.do(t, http.MethodGet, "/journeys/shop?"+shopWhole, nil))
	require.Equal(t, "bad", testID(doc, "step-0-error-level").AttrOr("class", ""), "25%")
	require.Equal(t, "", testID(doc, "step-1-error-level").AttrOr("class", "-"), "0%")
}

func stepIDOf(k int, what string) string { return "step-" + string(rune('0'+k)) + "-" + what }
