// Package rollup turns the spans of a journey's steps into per-bucket,
// per-segment numbers: counts, errors, latency sketches, funnels.
package rollup

import (
	"context"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// TraceSource is where spans come from: Grafana Tempo at scale, or the
// embedded Postgres span store on one machine. Both must give the same
// numbers on the same traffic.
type TraceSource interface {
	// FetchSpans streams every span matching q.Pattern that starts in
	// [q.From, q.To), each exactly once, calling fn for each. Span.Attrs is
	// only valid during the call. It stops at the first error fn returns.
	FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error)
	// Trace returns one whole trace, or an error wrapping
	// journeys.ErrTraceNotFound.
	Trace(ctx context.Context, traceID string) (journeys.Trace, error)
	// AttributeNames lists scoped attribute names seen in [from, to), for
	// the editor's autocomplete.
	AttributeNames(ctx context.Context, from, to time.Time) ([]string, error)
	// AttributeValues lists values of one scoped attribute seen in
	// [from, to).
	AttributeValues(ctx context.Context, key string, from, to time.Time) ([]string, error)
}
