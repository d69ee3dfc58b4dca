package tempo

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// TagsRequest asks for the attribute names seen in a time range.
type TagsRequest struct {
	// Scope is span, resource, intrinsic, or empty for all.
	Scope string
	// Query optionally restricts to spans matching a TraceQL filter.
	Query string
	Start time.Time
	End   time.Time
}

// TagScope is the attribute names of one scope.
type TagScope struct {
	Name string
	Tags []string
}

// TagsResponse is the answer of /api/v2/search/tags.
type TagsResponse struct {
	Scopes  []TagScope
	Metrics QueryMetrics
}

// SearchTags lists attribute names by scope (/api/v2/search/tags).
func (c *Client) SearchTags(ctx context.Context, r TagsRequest) (TagsResponse, error) {
	q := url.Values{}
	if r.Scope != "" {
		q.Set("scope", r.Scope)
	}
	if r.Query != "" {
		q.Set("q", r.Query)
	}
	if err := setRange(q, r.Start, r.End); err != nil {
		return TagsResponse{}, fmt.Errorf("search tags: %w", err)
	}
	var w struct {
		Scopes []struct {
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		} `json:"scopes"`
		Metrics wireQueryMetrics `json:"metrics"`
	}
	if err := c.getJSON(ctx, c.endpoint("/api/v2/search/tags", q), &w); err != nil {
		return TagsResponse{}, fmt.Errorf("search tags: %w", err)
	}
	out := TagsResponse{Metrics: w.Metrics.public(), Scopes: make([]TagScope, len(w.Scopes))}
	for i, s := range w.Scopes {
		out.Scopes[i] = TagScope{Name: s.Name, Tags: s.Tags}
	}
	return out, nil
}

// TagValuesRequest asks for the values of one attribute.
type TagValuesRequest struct {
	// Tag is a scoped name (span.user.tier, resource.service.name) or an
	// intrinsic (status).
	Tag string
	// Query optionally restricts to spans matching a TraceQL filter.
	Query string
	Start time.Time
	End   time.Time
}

// TagValue is one value of an attribute; Type is string, int, float, bool,
// keyword (status and kind values) and so on, as Tempo names it.
type TagValue struct {
	Type  string
	Value string
}

// TagValuesResponse is the answer of /api/v2/search/tag/{tag}/values.
type TagValuesResponse struct {
	Values  []TagValue
	Metrics QueryMetrics
}

// SearchTagValues lists the values of one attribute
// (/api/v2/search/tag/{tag}/values), in Tempo's order (not sorted).
func (c *Client) SearchTagValues(ctx context.Context, r TagValuesRequest) (TagValuesResponse, error) {
	if r.Tag == "" {
		return TagValuesResponse{}, fmt.Errorf("search tag values: tag is required")
	}
	q := url.Values{}
	if r.Query != "" {
		q.Set("q", r.Query)
	}
	if err := setRange(q, r.Start, r.End); err != nil {
		return TagValuesResponse{}, fmt.Errorf("search tag values: %w", err)
	}
	var w struct {
		TagValues []struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"tagValues"`
		Metrics wireQueryMetrics `json:"metrics"`
	}
	u := c.endpoint("/api/v2/search/tag/"+url.PathEscape(r.Tag)+"/values", q)
	if err := c.getJSON(ctx, u, &w); err != nil {
		return TagValuesResponse{}, fmt.Errorf("search tag values %s: %w", r.Tag, err)
	}
	out := TagValuesResponse{Metrics: w.Metrics.public(), Values: make([]TagValue, len(w.TagValues))}
	for i, v := range w.TagValues {
		out.Values[i] = TagValue{Type: v.Type, Value: v.Value}
	}
	return out, nil
}
