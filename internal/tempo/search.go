package tempo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// SearchRequest is a TraceQL search (/api/search).
type SearchRequest struct {
	// Query is a TraceQL query; empty matches every trace.
	Query string
	// Start and End bound the search, sent in whole unix seconds (Start
	// rounded down, End rounded up). Zero values are not sent, and Tempo
	// then searches recent data only.
	Start time.Time
	End   time.Time
	// Limit caps the number of traces (0: Tempo's default, 20).
	Limit int
	// SpansPerSpanSet caps the spans returned per spanset (0: Tempo's
	// default, 3).
	SpansPerSpanSet int
}

// SearchResponse is the answer to a search.
type SearchResponse struct {
	Traces  []TraceSummary
	Metrics QueryMetrics
}

// TraceSummary is one trace found by a search.
type TraceSummary struct {
	// TraceID is as Tempo sent it: hex with leading zeros stripped. Use
	// journeys.NormalizeTraceID before comparing.
	TraceID         string
	RootServiceName string
	RootTraceName   string
	Start           time.Time
	// Duration is the trace's duration, truncated to milliseconds by Tempo.
	Duration time.Duration
	SpanSets []SpanSet
}

// SpanSet is the spans of one trace that matched the query. Matched may be
// larger than len(Spans): Tempo returns at most spss spans per spanset.
type SpanSet struct {
	Spans   []SearchSpan
	Matched int
}

// SearchSpan is a matching span. Name is only set when the query mentions
// name. Attributes carry unscoped keys (session.id for span.session.id),
// the attributes the query filters on, and intrinsics such as status.
type SearchSpan struct {
	SpanID     string
	Name       string
	Start      time.Time
	Duration   time.Duration
	Attributes []Attribute
}

// Attr returns the value of the attribute with the given unscoped key.
func (s SearchSpan) Attr(key string) (string, bool) {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

type wireSearchResponse struct {
	Traces  []wireTrace      `json:"traces"`
	Metrics wireQueryMetrics `json:"metrics"`
}

type wireTrace struct {
	TraceID           string  `json:"traceID"`
	RootServiceName   string  `json:"rootServiceName"`
	RootTraceName     string  `json:"rootTraceName"`
	StartTimeUnixNano flexInt `json:"startTimeUnixNano"`
	DurationMs        flexInt `json:"durationMs"`
	// SpanSet is the deprecated copy of the first spanset, left raw: it is
	// only decoded from servers too old to send SpanSets.
	SpanSet  json.RawMessage `json:"spanSet"`
	SpanSets []wireSpanSet   `json:"spanSets"`
}

// sets returns the trace's spansets.
func (t *wireTrace) sets() ([]wireSpanSet, error) {
	if len(t.SpanSets) > 0 || len(t.SpanSet) == 0 || string(t.SpanSet) == "null" {
		return t.SpanSets, nil
	}
	var ss wireSpanSet
	if err := json.Unmarshal(t.SpanSet, &ss); err != nil {
		return nil, fmt.Errorf("decode spanSet of trace %s: %w", t.TraceID, err)
	}
	return []wireSpanSet{ss}, nil
}

type wireSpanSet struct {
	Spans   []wireSpan `json:"spans"`
	Matched flexInt    `json:"matched"`
}

type wireSpan struct {
	SpanID            string         `json:"spanID"`
	Name              string         `json:"name"`
	StartTimeUnixNano flexInt        `json:"startTimeUnixNano"`
	DurationNanos     flexInt        `json:"durationNanos"`
	Attributes        []wireKeyValue `json:"attributes"`
}

// Search runs a TraceQL search.
func (c *Client) Search(ctx context.Context, r SearchRequest) (SearchResponse, error) {
	q, err := searchParams(r)
	if err != nil {
		return SearchResponse{}, fmt.Errorf("search: %w", err)
	}
	resp, err := c.get(ctx, c.endpoint("/api/search", q), "application/json")
	if err != nil {
		return SearchResponse{}, fmt.Errorf("search: %w", err)
	}
	out, err := DecodeSearch(resp.body)
	if err != nil {
		return SearchResponse{}, fmt.Errorf("search: %w", err)
	}
	return out, nil
}

func searchParams(r SearchRequest) (url.Values, error) {
	q := url.Values{}
	if r.Query != "" {
		q.Set("q", r.Query)
	}
	if err := setRange(q, r.Start, r.End); err != nil {
		return nil, err
	}
	if r.Limit < 0 || r.SpansPerSpanSet < 0 {
		return nil, errors.New("limit and spss must not be negative")
	}
	if r.Limit > 0 {
		q.Set("limit", strconv.Itoa(r.Limit))
	}
	if r.SpansPerSpanSet > 0 {
		q.Set("spss", strconv.Itoa(r.SpansPerSpanSet))
	}
	return q, nil
}

// setRange sets start and end in unix seconds, widening to whole seconds
// so that nothing inside [start, end) is left out.
func setRange(q url.Values, start, end time.Time) error {
	if start.IsZero() != end.IsZero() {
		return errors.New("set both start and end, or neither")
	}
	if start.IsZero() {
		return nil
	}
	s, e := floorUnix(start), ceilUnix(end)
	if s > e {
		return fmt.Errorf("start %s is after end %s", start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
	}
	q.Set("start", strconv.FormatInt(s, 10))
	q.Set("end", strconv.FormatInt(e, 10))
	return nil
}

func floorUnix(t time.Time) int64 {
	s := t.Unix() // Unix rounds towards negative infinity already
	return s
}

func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// DecodeSearch decodes the body of a /api/search answer.
func DecodeSearch(body []byte) (SearchResponse, error) {
	var w wireSearchResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return SearchResponse{}, fmt.Errorf("decode search response: %w", err)
	}
	out := SearchResponse{Metrics: w.Metrics.public(), Traces: make([]TraceSummary, len(w.Traces))}
	for i := range w.Traces {
		t := &w.Traces[i]
		ts := TraceSummary{
			TraceID:         t.TraceID,
			RootServiceName: t.RootServiceName,
			RootTraceName:   t.RootTraceName,
			Start:           time.Unix(0, int64(t.StartTimeUnixNano)),
			Duration:        time.Duration(t.DurationMs) * time.Millisecond,
		}
		sets, err := t.sets()
		if err != nil {
			return SearchResponse{}, fmt.Errorf("decode search response: %w", err)
		}
		if len(sets) > 0 {
			ts.SpanSets = make([]SpanSet, len(sets))
			for j, ss := range sets {
				spans := make([]SearchSpan, len(ss.Spans))
				for k, sp := range ss.Spans {
					spans[k] = SearchSpan{
						SpanID:     sp.SpanID,
						Name:       sp.Name,
						Start:      time.Unix(0, int64(sp.StartTimeUnixNano)),
						Duration:   time.Duration(sp.DurationNanos),
						Attributes: toAttributes(sp.Attributes),
					}
				}
				ts.SpanSets[j] = SpanSet{Spans: spans, Matched: int(ss.Matched)}
			}
		}
		out.Traces[i] = ts
	}
	return out, nil
}
