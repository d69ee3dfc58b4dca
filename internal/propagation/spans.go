// Package propagation checks spans recorded during a test run against
// journeys: that every step is seen, that trace context survives each hop
// of a journey correlated by trace, that no span has lost its parent, and
// that spans carry the correlation and segment attributes the journey's
// numbers are broken down by. It is the logic of waymark check.
package propagation

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/tempo"
	"github.com/waymarkhq/waymark/journeys"
)

// Span is what the checks need of one span.
type Span struct {
	TraceID  string // 32 hex digits
	SpanID   string // 16 hex digits
	ParentID string // empty for a root span
	Service  string
	Name     string
	Kind     string // server, client, producer, consumer, internal, unspecified
	Start    time.Time
	Duration time.Duration
	Error    bool
	// StatusMessage is the status description.
	StatusMessage string
	status        tracepb.Status_StatusCode
	attrs         []attr
	res           *[]attr // shared by the spans of one resource
}

type attr struct {
	key, val string
	typ      journeys.ValueType
}

// Lookup answers journeys.AttrLookup for the span, with the canonical text
// forms the trace sources use.
func (s *Span) Lookup(key string) (string, journeys.ValueType, bool) {
	switch key {
	case journeys.IntrinsicStatus:
		switch {
		case s.Error:
			return "error", journeys.TypeString, true
		case s.status == tracepb.Status_STATUS_CODE_OK:
			return "ok", journeys.TypeString, true
		}
		return "unset", journeys.TypeString, true
	case journeys.IntrinsicStatusMessage:
		return s.StatusMessage, journeys.TypeString, true
	case journeys.IntrinsicDuration:
		return strconv.FormatInt(int64(s.Duration), 10), journeys.TypeInt, true
	}
	k, err := journeys.ParseKey(key)
	if err != nil || k.IsIntrinsic() {
		return "", 0, false
	}
	list := s.attrs
	if k.Scope == journeys.ScopeResource {
		if s.res == nil {
			return "", 0, false
		}
		list = *s.res
	}
	for _, a := range list {
		if a.key == k.Name {
			return a.val, a.typ, true
		}
	}
	return "", 0, false
}

// Has reports whether the span carries the attribute key (span.x or
// resource.x) with a value that is not empty.
func (s *Span) Has(key string) bool {
	v, _, ok := s.Lookup(key)
	return ok && v != ""
}

// Set holds spans by trace, in the order they were added.
type Set struct {
	traces map[string]*trace
	order  []string
	spans  int
}

type trace struct {
	id    string
	spans []*Span
	ids   map[string]bool
	roots int
}

// NewSet returns an empty set.
func NewSet() *Set { return &Set{traces: map[string]*trace{}} }

// Spans is how many spans the set holds.
func (s *Set) Spans() int { return s.spans }

// Traces is how many traces the set holds.
func (s *Set) Traces() int { return len(s.order) }

// Add adds every span of td. A span whose trace or span id is not of the
// OTLP size, or all zeros, is an error naming it: such a file cannot be
// judged.
func (s *Set) Add(td *tracepb.TracesData) error {
	for ri, rs := range td.GetResourceSpans() {
		res := attrsOf(rs.GetResource().GetAttributes())
		service := ""
		for _, a := range res {
			if a.key == "service.name" {
				service = a.val
			}
		}
		for si, ss := range rs.GetScopeSpans() {
			for i, sp := range ss.GetSpans() {
				where := func(err error) error {
					return fmt.Errorf("resourceSpans[%d].scopeSpans[%d].spans[%d] %q: %w", ri, si, i, sp.GetName(), err)
				}
				tid, err := id("trace id", sp.GetTraceId(), 16, false)
				if err != nil {
					return where(err)
				}
				sid, err := id("span id", sp.GetSpanId(), 8, false)
				if err != nil {
					return where(err)
				}
				pid, err := id("parent span id", sp.GetParentSpanId(), 8, true)
				if err != nil {
					return where(err)
				}
				span := &Span{
					TraceID: tid, SpanID: sid, ParentID: pid,
					Service: service, Name: sp.GetName(), Kind: tempo.KindName(sp.GetKind()),
					Start:         time.Unix(0, int64(sp.GetStartTimeUnixNano())).UTC(),
					Error:         sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR,
					StatusMessage: sp.GetStatus().GetMessage(),
					status:        sp.GetStatus().GetCode(),
					attrs:         attrsOf(sp.GetAttributes()),
					res:           &res,
				}
				if e, st := sp.GetEndTimeUnixNano(), sp.GetStartTimeUnixNano(); e > st {
					span.Duration = time.Duration(e - st)
				}
				s.add(span)
			}
		}
	}
	return nil
}

func (s *Set) add(sp *Span) {
	t := s.traces[sp.TraceID]
	if t == nil {
		t = &trace{id: sp.TraceID, ids: map[string]bool{}}
		s.traces[sp.TraceID] = t
		s.order = append(s.order, sp.TraceID)
	}
	t.spans = append(t.spans, sp)
	t.ids[sp.SpanID] = true
	if sp.ParentID == "" {
		t.roots++
	}
	s.spans++
}

// id spells an OTLP id in hex; an empty parent id means a root span.
func id(what string, b []byte, size int, optional bool) (string, error) {
	if len(b) == 0 && optional {
		return "", nil
	}
	if len(b) != size {
		return "", fmt.Errorf("%s is %d bytes, not %d", what, len(b), size)
	}
	for _, c := range b {
		if c != 0 {
			return hex.EncodeToString(b), nil
		}
	}
	if optional {
		return "", nil // an all-zero parent id is no parent
	}
	return "", fmt.Errorf("%s is all zeros", what)
}

func attrsOf(kvs []*commonpb.KeyValue) []attr {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]attr, 0, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		if v == nil || v.GetValue() == nil {
			continue
		}
		typ := journeys.TypeString
		switch v.GetValue().(type) {
		case *commonpb.AnyValue_IntValue:
			typ = journeys.TypeInt
		case *commonpb.AnyValue_DoubleValue:
			typ = journeys.TypeFloat
		case *commonpb.AnyValue_BoolValue:
			typ = journeys.TypeBool
		}
		out = append(out, attr{key: kv.GetKey(), val: tempo.ValueText(v), typ: typ})
	}
	return out
}
