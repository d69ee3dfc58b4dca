package web

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// On the generated checkout, web-3 loses a quarter more of the sessions
// going on after step 2, and a seeded fault makes step 4 fail ten times as
// often for two hours: the comparison ranks web-3 first, and the anomaly
// search flags the fault and nothing else.
func TestInsightOnGeneratedTraffic(t *testing.T) {
	t.Parallel()
	fault := &insightFault{From: insightEnd.Add(-6 * time.Hour), To: insightEnd.Add(-4 * time.Hour), Step: 3, Factor: 10}
	b := setupWith(t, func(o *Options) { o.Now = func() time.Time { return insightEnd } })
	b.seedInsight(t, insightEnd, 21, 0, fault)
	day := "from=2026-11-29T00:00:00Z&to=2026-11-30T00:00:00Z"

	rec := b.do(t, http.MethodGet, "/api/v1/journeys/insight/differences?step=2&compare=dropped&"+day, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var d journeyhttp.Differences
	decodeStrict(t, rec.Body.Bytes(), &d)
	// The generator's truth over the day's 24 hour rows: all traffic
	// dropped reached[1] − reached[2]; web-3, counted at the step, dropped
	// what it reached less what it passed on.
	var dropped, went, web3Dropped, web3Went, hostsDropped int64
	for at := insightEnd.Add(-24 * time.Hour); at.Before(insightEnd); at = at.Add(time.Hour) {
		_, funnels := insightRows(at, time.Hour, fault)
		for _, f := range funnels {
			switch {
			case f.Segment.All():
				dropped += f.Reached[1] - f.Reached[2]
				went += f.Reached[2]
			case f.Segment.Key == rollup.AtStep("resource.host.name"):
				hostsDropped += f.Reached[1] - f.Continued[1]
				if f.Segment.Value == "web-3" {
					web3Dropped += f.Reached[1] - f.Continued[1]
					web3Went += f.Continued[1]
				}
			}
		}
	}
	require.Equal(t, dropped, d.Selected)
	require.Equal(t, went, d.Baseline)
	top := d.Attributes[0]
	require.Equal(t, "resource.host.name", top.Key)
	require.Equal(t, "web-3", top.Value)
	require.Equal(t, web3Dropped, top.CountSelected)
	require.Equal(t, web3Went, top.CountBaseline)
	// Shares are of the key's own totals: the hosts' drops add up to
	// more than all traffic's, web-3 losing its extra quarter.
	require.Equal(t, float64(web3Dropped)/float64(hostsDropped), top.ShareSelected)
	require.True(t, top.Significant)
	// Tier and region are spread alike on both sides: none is flagged.
	for _, x := range d.Attributes {
		if x.Key != "resource.host.name" {
			require.False(t, x.Significant, "%s=%s", x.Key, x.Value)
		}
	}

	rec = b.do(t, http.MethodGet, "/api/v1/journeys/insight/anomalies?"+day, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var a journeyhttp.Anomalies
	decodeStrict(t, rec.Body.Bytes(), &a)
	// The fault's first hour: step 4's spans and errors as generated.
	steps, _ := insightRows(fault.From, time.Hour, fault)
	var spans, errs int64
	for _, r := range steps {
		if r.Segment.All() && r.Step == 3 {
			spans, errs = r.Spans, r.Errors
		}
	}
	require.Len(t, a.Anomalies, 1, "%+v", a.Anomalies)
	x := a.Anomalies[0]
	require.Equal(t, 4, *x.Step)
	require.Equal(t, "pay", x.StepName)
	require.Equal(t, "error_rate", x.Metric)
	require.Equal(t, fault.From, x.From)
	require.Equal(t, fault.To, x.To)
	require.Equal(t, fault.From, x.At)
	require.Equal(t, math.Round(float64(errs)/float64(spans)*1e6)/1e6, x.Value)
	require.Equal(t, "weekly", x.Baseline)
	require.Greater(t, x.Value, x.ExpectedHigh)
	require.Equal(t, "pay error rate 10.0× its usual for Sunday 18:00 UTC (19.5% against 2.0% expected)", x.Summary)
}
