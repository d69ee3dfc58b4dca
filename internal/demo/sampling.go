package demo

import (
	"fmt"
	"math"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// Sampling follows OpenTelemetry's consistent probability sampling: a
// trace is kept when its 56-bit randomness is at or above the rejection
// threshold (1-P)·2^56, and every span of a kept trace carries the
// threshold in its W3C tracestate (ot=th:…), from which a reader knows
// that the span stands for 1/P spans.
//
// The funnel correlates a session's traces by session.id, so a session is
// kept or dropped whole: its randomness is that of its first trace's id,
// and every trace of the session carries it explicitly (ot=…;rv:…), as a
// sampler that propagates randomness across requests would.

const randomnessBits = 56

// threshold is the rejection threshold for a keep probability p in
// (0, 1]; 0 keeps everything. It is computed from the kept share, which
// float64 holds more precisely than the rejected one when p is small.
func threshold(p float64) uint64 {
	if p <= 0 || p >= 1 {
		return 0
	}
	const full = 1 << randomnessBits
	keep := uint64(math.Round(p * full))
	keep = min(max(keep, 1), full)
	return full - keep
}

// thresholdHex writes a threshold as tracestate's th value: 14 hex digits
// with trailing zeros dropped, "0" for zero.
func thresholdHex(t uint64) string {
	s := strings.TrimRight(fmt.Sprintf("%014x", t), "0")
	if s == "" {
		return "0"
	}
	return s
}

// randomness is the 56-bit randomness of a trace id: its last 7 bytes.
func randomness(id trace.TraceID) uint64 {
	var r uint64
	for _, b := range id[16-randomnessBits/8:] {
		r = r<<8 | uint64(b)
	}
	return r
}

// sampling is a resolved keep probability.
type sampling struct {
	p     float64
	th    uint64
	thHex string
}

func newSampling(p float64) sampling {
	if p <= 0 || p >= 1 {
		return sampling{p: 1}
	}
	t := threshold(p)
	return sampling{p: p, th: t, thHex: thresholdHex(t)}
}

// on reports whether traffic is sampled at all; when it is not, spans
// carry no tracestate.
func (s sampling) on() bool { return s.th > 0 }

// keep decides for a randomness value.
func (s sampling) keep(r uint64) bool { return r >= s.th }

// adjustedCount is what one kept span stands for.
func (s sampling) adjustedCount() float64 {
	const full = 1 << randomnessBits
	return float64(full) / float64(full-s.th)
}

// traceState is the tracestate of every span of a kept session.
func (s sampling) traceState(r uint64) string {
	return fmt.Sprintf("ot=th:%s;rv:%014x", s.thHex, r)
}

// SamplingTruth says what part of the traffic was sent. Every other count
// of the truth is of the whole traffic, sampled or not, so that estimates
// from the sampled spans can be checked against it.
type SamplingTruth struct {
	// Probability is the keep probability P (1 when nothing was dropped).
	Probability float64 `json:"probability"`
	// Threshold is the tracestate th value every sent span carries (empty
	// when P is 1: spans then carry no tracestate), AdjustedCount what
	// each sent span stands for: 2^56 / (2^56 - threshold), about 1/P.
	Threshold     string  `json:"threshold,omitempty"`
	AdjustedCount float64 `json:"adjusted_count"`
	// Sessions, Traces and Spans count what was kept and sent.
	Sessions int `json:"sessions"`
	Traces   int `json:"traces"`
	Spans    int `json:"spans"`
}
