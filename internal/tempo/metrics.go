package tempo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// MetricsRequest is a TraceQL metrics query such as
// { resource.service.name = "payment_svc" } | count_over_time() by (span.user.tier).
type MetricsRequest struct {
	Query string
	Start time.Time
	End   time.Time
	// Step is the sample spacing of a range query; zero lets Tempo choose.
	// It is sent in whole seconds ("60s") or milliseconds below a second.
	Step time.Duration
	// Exemplars caps exemplars per query (0: Tempo's default).
	Exemplars int
}

// MetricsResponse is the answer of a metrics query.
type MetricsResponse struct {
	Series  []Series
	Metrics QueryMetrics
}

// Series is one labelled time series. A range query fills Samples; an
// instant query fills Value.
type Series struct {
	// Labels are the group-by values (a missing attribute is the string
	// "nil"), plus p for quantiles and __bucket for histograms.
	Labels    []Attribute
	Samples   []Sample
	Exemplars []Exemplar
	Value     float64
}

// Label returns the value of the label with the given key.
func (s Series) Label(key string) (string, bool) {
	for _, l := range s.Labels {
		if l.Key == key {
			return l.Value, true
		}
	}
	return "", false
}

// Sample is one point. Tempo omits value when it is zero; Value is then 0.
type Sample struct {
	Time  time.Time
	Value float64
}

// Exemplar is one span behind a series, for jumping from a number to a
// trace. TraceID is normalised (32 hex, leading zeros restored) from the
// trace:id label.
type Exemplar struct {
	Labels  []Attribute
	TraceID string
	Value   float64
	Time    time.Time
}

type wireSeries struct {
	Labels  []wireKeyValue `json:"labels"`
	Samples []struct {
		TimestampMs flexInt   `json:"timestampMs"`
		Value       flexFloat `json:"value"`
	} `json:"samples"`
	Exemplars []struct {
		Labels      []wireKeyValue `json:"labels"`
		Value       flexFloat      `json:"value"`
		TimestampMs flexInt        `json:"timestampMs"`
	} `json:"exemplars"`
	Value flexFloat `json:"value"`
}

// MetricsQueryRange runs a TraceQL metrics range query
// (/api/metrics/query_range).
func (c *Client) MetricsQueryRange(ctx context.Context, r MetricsRequest) (MetricsResponse, error) {
	q, err := metricsParams(r)
	if err != nil {
		return MetricsResponse{}, fmt.Errorf("metrics query range: %w", err)
	}
	if r.Step < 0 {
		return MetricsResponse{}, errors.New("metrics query range: step must not be negative")
	}
	if r.Step > 0 {
		q.Set("step", formatStep(r.Step))
	}
	if r.Exemplars > 0 {
		q.Set("exemplars", strconv.Itoa(r.Exemplars))
	}
	out, err := c.metrics(ctx, "/api/metrics/query_range", q)
	if err != nil {
		return MetricsResponse{}, fmt.Errorf("metrics query range: %w", err)
	}
	return out, nil
}

// MetricsQuery runs a TraceQL metrics instant query (/api/metrics/query):
// one value per series over [Start, End].
func (c *Client) MetricsQuery(ctx context.Context, r MetricsRequest) (MetricsResponse, error) {
	q, err := metricsParams(r)
	if err != nil {
		return MetricsResponse{}, fmt.Errorf("metrics query: %w", err)
	}
	out, err := c.metrics(ctx, "/api/metrics/query", q)
	if err != nil {
		return MetricsResponse{}, fmt.Errorf("metrics query: %w", err)
	}
	return out, nil
}

func metricsParams(r MetricsRequest) (url.Values, error) {
	if r.Query == "" {
		return nil, errors.New("query is required")
	}
	q := url.Values{}
	q.Set("q", r.Query)
	if err := setRange(q, r.Start, r.End); err != nil {
		return nil, err
	}
	return q, nil
}

func formatStep(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	ms := int64(d / time.Millisecond)
	if ms < 1 {
		ms = 1
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

func (c *Client) metrics(ctx context.Context, path string, q url.Values) (MetricsResponse, error) {
	resp, err := c.get(ctx, c.endpoint(path, q), "application/json")
	if err != nil {
		return MetricsResponse{}, err
	}
	return DecodeMetrics(resp.body)
}

// DecodeMetrics decodes the body of a metrics query answer (range or
// instant).
func DecodeMetrics(body []byte) (MetricsResponse, error) {
	var w struct {
		Series  []wireSeries     `json:"series"`
		Metrics wireQueryMetrics `json:"metrics"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return MetricsResponse{}, fmt.Errorf("decode metrics response: %w", err)
	}
	out := MetricsResponse{Metrics: w.Metrics.public(), Series: make([]Series, len(w.Series))}
	for i, ws := range w.Series {
		s := Series{Labels: toAttributes(ws.Labels), Value: float64(ws.Value)}
		if len(ws.Samples) > 0 {
			s.Samples = make([]Sample, len(ws.Samples))
			for j, sm := range ws.Samples {
				s.Samples[j] = Sample{Time: time.UnixMilli(int64(sm.TimestampMs)), Value: float64(sm.Value)}
			}
		}
		if len(ws.Exemplars) > 0 {
			s.Exemplars = make([]Exemplar, len(ws.Exemplars))
			for j, we := range ws.Exemplars {
				ex := Exemplar{
					Labels: toAttributes(we.Labels),
					Value:  float64(we.Value),
					Time:   time.UnixMilli(int64(we.TimestampMs)),
				}
				for _, l := range ex.Labels {
					if l.Key == "trace:id" {
						if id, ok := journeys.NormalizeTraceID(l.Value); ok {
							ex.TraceID = id
						}
					}
				}
				s.Exemplars[j] = ex
			}
		}
		out.Series[i] = s
	}
	return out, nil
}
