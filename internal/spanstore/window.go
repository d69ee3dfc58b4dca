package spanstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/journeys"
)

// Reasons the receiver refuses a span, as /metrics labels them.
const (
	ReasonTooOld      = "too_old"
	ReasonTooFarAhead = "too_far_ahead"
)

// window is the span start times a request may store, [from, to] in Unix
// nanoseconds, as measured at one instant.
type window struct {
	from, to int64
	// age and ahead are the bounds as configured, 0 where there is none.
	age, ahead time.Duration
}

// window is the accepted window now. Every day a span may land on costs a
// partition, so bounding start times bounds the partitions an anonymous
// client can make the store create, and keeps the query planner's work on
// spans small.
func (r *Receiver) window() window {
	now := r.cfg.Now()
	w := window{from: minInt64, to: maxInt64}
	age := r.cfg.MaxSpanAge
	if age == 0 {
		age = r.store.retention()
	}
	if age > 0 {
		w.from, w.age = toNS(now.Add(-age)), age
	}
	if ahead := r.cfg.MaxSpanAhead; ahead > 0 {
		w.to, w.ahead = toNS(now.Add(ahead)), ahead
	}
	return w
}

// refusal counts the spans of one request that fall outside its window.
type refusal struct {
	tooOld, ahead int64
	w             window
}

func (f refusal) total() int64 { return f.tooOld + f.ahead }

// message tells the client which spans were refused and what the window
// is, for OTLP's partial success.
func (f refusal) message() string {
	var parts []string
	if f.tooOld > 0 {
		parts = append(parts, fmt.Sprintf("%d started more than %s ago", f.tooOld, spell(f.w.age)))
	}
	if f.ahead > 0 {
		parts = append(parts, fmt.Sprintf("%d start more than %s in the future", f.ahead, spell(f.w.ahead)))
	}
	return fmt.Sprintf("%d spans not stored: %s; accepted start times are %s to %s",
		f.total(), strings.Join(parts, ", "), bound(f.w.from, "any time"), bound(f.w.to, "any time"))
}

// filter keeps, in place, the rows that start within w, and counts the
// others.
func (w window) filter(rows []spanRow) ([]spanRow, refusal) {
	f := refusal{w: w}
	kept := rows[:0]
	for _, row := range rows {
		switch {
		case row.startNS < w.from:
			f.tooOld++
		case row.startNS > w.to:
			f.ahead++
		default:
			kept = append(kept, row)
		}
	}
	return kept, f
}

func bound(ns int64, none string) string {
	if ns == minInt64 || ns == maxInt64 {
		return none
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339)
}

// spell writes a bound the way it is usually configured: 7d, 36h, 1h30m,
// as a journey's durations are written.
func spell(d time.Duration) string { return journeys.NewDuration(d).String() }
