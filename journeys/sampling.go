package journeys

import (
	"math"
	"strconv"
	"strings"
)

// AdjustedCount reads the OpenTelemetry sampling threshold from a W3C
// tracestate (its "ot" entry, e.g. "ot=th:e668;rv:…") and returns how many
// spans the sampled one stands for: 1 / the sampling probability. ok is
// false when the tracestate carries no valid threshold (the span was not
// sampled by a threshold, or says nothing about it).
//
// The threshold is the rejection threshold of 56-bit randomness, written
// as up to 14 hex digits with trailing zeros dropped: th:8 keeps half the
// traces (adjusted count 2), th:e668 about one in ten, th:0 all of them.
func AdjustedCount(tracestate string) (float64, bool) {
	for _, member := range strings.Split(tracestate, ",") {
		key, value, found := strings.Cut(strings.TrimSpace(member), "=")
		if !found || key != "ot" {
			continue
		}
		for _, field := range strings.Split(value, ";") {
			name, v, ok := strings.Cut(field, ":")
			if !ok || name != "th" {
				continue
			}
			return thresholdCount(v)
		}
		return 0, false
	}
	return 0, false
}

func thresholdCount(th string) (float64, bool) {
	if th == "" || len(th) > 14 {
		return 0, false
	}
	t, err := strconv.ParseUint(th, 16, 64)
	if err != nil {
		return 0, false
	}
	t <<= 4 * uint(14-len(th))
	const full = 1 << 56
	if t >= full {
		return 0, false
	}
	return float64(full) / float64(full-t), true
}

// RoundCount turns an adjusted count into the whole number of spans a
// sampled span counts as in rollups: counts stay integers, and a count's
// rounding error (at most half a span per sampled span, usually none: 1/0.1
// is 10) is far below the sampling error itself. Invalid counts count 1.
func RoundCount(c float64) int64 {
	if !(c >= 1) || math.IsInf(c, 0) {
		return 1
	}
	if c > 1<<40 {
		return 1 << 40
	}
	return int64(math.Round(c))
}
