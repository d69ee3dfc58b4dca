// Package rollup turns the spans of a journey's steps into per-bucket,
// per-segment numbers: counts, errors, latency sketches, funnels.
//
// # What is kept for comparisons
//
// What differs between the instances that dropped after a step and those
// that went on (Store.Differences) is read from the funnel rows alone; no
// span is kept. Per cohort bucket (a minute, an hour once downsampled)
// and per segment key, the rows hold at most TopValues values (the most
// frequent of the bucket by spans and entries, ties by value), and every
// other value is folded into OtherValue; a value missing on the span is
// NoneValue. While aggregating, at most trackedValues distinct values of a
// key are held, so that a key such as a user id cannot exhaust memory.
//
//   - Keys attributed at entry (business attributes) have one funnel row
//     per value: Reached, InFlight, Errored, the time-between-steps
//     sketches and the dropped and errored value sums. Converted, dropped
//     and in-flight counts per step follow from them.
//   - Keys attributed at the step (hosts, pods, zones) have, besides,
//     funnel rows keyed AtStep(key) that count each instance at every step
//     under the value of the span it chose there: Reached[k], Continued[k]
//     (went on to step k+1) and InFlight[k].
//
// Measured by BenchmarkFunnelStorage (a five-step journey, 30 entries a
// minute): a funnel row takes about 400 bytes as stored, about 580 on disk
// with its share of the primary key index; an entry key with 5 values
// costs about 2.0 kB per minute bucket, the "@step" rows of a host key
// with 8 values about 3.3 kB. The bound is TopValues+1 rows per key and
// bucket: about 21 kB per minute bucket for a key with 50 or more values.
// Minute rows are merged into hour rows by Store.Downsample, which divides
// the cost of older ranges by up to sixty.
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
