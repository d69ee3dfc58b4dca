package spanstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/journeys"
)

// MaxAttributeValues caps the values AttributeValues returns.
const MaxAttributeValues = 1000

// attributeNameSample is how many spans AttributeNames reads: names repeat
// from span to span, and autocomplete must stay fast over a busy hour.
const attributeNameSample = 100_000

var kindNames = [...]string{"unspecified", "internal", "server", "client", "producer", "consumer"}

func kindName(k int16) string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unspecified"
}

var statusNames = [...]string{"unset", "ok", "error"}

func statusName(c int16) string {
	if c >= 0 && int(c) < len(statusNames) {
		return statusNames[c]
	}
	return "unset"
}

const statusError = int16(tracepb.Status_STATUS_CODE_ERROR)

// fetchPlan is the SQL of one FetchSpans and where each attribute it needs
// lands in the row.
type fetchPlan struct {
	sql  string
	args []any
	// keys are the scoped attributes fetched, in column order after the
	// fixed columns.
	keys       []journeys.Key
	col        map[string]int // scoped key → index in keys
	parsed     map[string]journeys.Key
	statusMsg  bool // status_message is fetched
	selectKeys []journeys.Key
}

func planFetch(q journeys.SpanQuery) (*fetchPlan, error) {
	p := &fetchPlan{col: map[string]int{}, parsed: map[string]journeys.Key{}}
	var b strings.Builder
	b.WriteString(`SELECT trace_id, span_id, start_ns, duration_ns, status_code, kind, name, trace_state`)
	need := func(k journeys.Key) {
		p.parsed[k.String()] = k
		if k.IsIntrinsic() {
			if k.Name == journeys.IntrinsicStatusMessage && !p.statusMsg {
				p.statusMsg = true
				b.WriteString(`, status_message`)
			}
			return
		}
		s := k.String()
		if _, ok := p.col[s]; ok {
			return
		}
		p.col[s] = len(p.keys)
		p.keys = append(p.keys, k)
		p.args = append(p.args, k.Name)
		column := "attributes"
		if k.Scope == journeys.ScopeResource {
			column = "resource"
		}
		fmt.Fprintf(&b, `, %s -> $%d::text`, column, len(p.args))
	}
	for _, m := range q.Pattern.Attributes {
		k, err := journeys.ParseKey(m.Key)
		if err != nil {
			return nil, err
		}
		need(k)
	}
	for _, s := range q.Select {
		k, err := journeys.ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("select: %w", err)
		}
		need(k)
		p.selectKeys = append(p.selectKeys, k)
	}
	p.args = append(p.args, q.Pattern.Service, toNS(q.From), toNS(q.To))
	n := len(p.args)
	fmt.Fprintf(&b, ` FROM spans WHERE service = $%d AND start_ns >= $%d AND start_ns < $%d`, n-2, n-1, n)
	if q.Pattern.Span != "" {
		p.args = append(p.args, q.Pattern.Span)
		fmt.Fprintf(&b, ` AND name = $%d`, len(p.args))
	}
	if !q.ReceivedBefore.IsZero() {
		p.args = append(p.args, q.ReceivedBefore)
		fmt.Fprintf(&b, ` AND received_at < $%d`, len(p.args))
	}
	p.sql = b.String()
	return p, nil
}

// FetchSpans streams the spans matching q.Pattern that start in [q.From,
// q.To). Service, exact name and time are filtered by Postgres; the regular
// expression, kind and attribute matchers in Go, with the pattern's own
// matching rules, so that both trace sources agree on what matches.
func (s *Store) FetchSpans(ctx context.Context, q journeys.SpanQuery, fn func(journeys.Span) error) (journeys.FetchStats, error) {
	var stats journeys.FetchStats
	cp, err := q.Pattern.Compile()
	if err != nil {
		return stats, fmt.Errorf("fetch spans: %w", err)
	}
	if q.To.Before(q.From) {
		return stats, fmt.Errorf("fetch spans: time range ends (%s) before it starts (%s)", q.To.Format(time.RFC3339Nano), q.From.Format(time.RFC3339Nano))
	}
	plan, err := planFetch(q)
	if err != nil {
		return stats, fmt.Errorf("fetch spans: %w", err)
	}
	rows, err := s.pool.Query(ctx, plan.sql, plan.args...)
	if err != nil {
		return stats, fmt.Errorf("fetch spans: %w", err)
	}
	defer rows.Close()
	stats.Requests = 1

	var (
		traceID, spanID []byte
		startNS, durNS  int64
		status, kind    int16
		name, statusMsg string
		raw             = make([][]byte, len(plan.keys))
		vals            = make([]storedValue, len(plan.keys))
		parsed          = make([]bool, len(plan.keys))
		attrs           = make([]string, len(plan.selectKeys))
	)
	var traceState string
	dest := []any{&traceID, &spanID, &startNS, &durNS, &status, &kind, &name, &traceState}
	if plan.statusMsg {
		dest = append(dest, &statusMsg)
	}
	for i := range raw {
		dest = append(dest, &raw[i])
	}
	value := func(i int) storedValue {
		if !parsed[i] {
			vals[i] = parseStored(raw[i])
			parsed[i] = true
		}
		return vals[i]
	}
	// text returns a key's value as Span.Attrs and matchers see it.
	text := func(k journeys.Key) (string, journeys.ValueType, bool) {
		switch {
		case !k.IsIntrinsic():
			v := value(plan.col[k.String()])
			return v.text, v.typ, v.ok
		case k.Name == journeys.IntrinsicName:
			return name, journeys.TypeString, true
		case k.Name == journeys.IntrinsicKind:
			return kindName(kind), journeys.TypeString, true
		case k.Name == journeys.IntrinsicStatus:
			return statusName(status), journeys.TypeString, true
		case k.Name == journeys.IntrinsicStatusMessage:
			return statusMsg, journeys.TypeString, true
		case k.Name == journeys.IntrinsicDuration:
			return strconv.FormatInt(durNS, 10), journeys.TypeInt, true
		}
		return "", 0, false
	}
	lookup := func(key string) (string, journeys.ValueType, bool) {
		k, ok := plan.parsed[key]
		if !ok {
			return "", 0, false
		}
		if !k.IsIntrinsic() {
			if v := value(plan.col[key]); !v.scalar {
				// Bytes, arrays and maps compare with no literal.
				return "", 0, false
			}
		}
		return text(k)
	}
	service := q.Pattern.Service
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return stats, fmt.Errorf("fetch spans: read row: %w", err)
		}
		for _, v := range rows.RawValues() {
			stats.InspectedBytes += int64(len(v))
		}
		clear(parsed)
		if !cp.Matches(service, name, kindName(kind), lookup) {
			continue
		}
		for i, k := range plan.selectKeys {
			attrs[i], _, _ = text(k)
		}
		stats.Spans++
		sp := journeys.Span{
			TraceID:  hex.EncodeToString(traceID),
			SpanID:   hex.EncodeToString(spanID),
			Start:    time.Unix(0, startNS).UTC(),
			Duration: time.Duration(durNS),
			Error:    status == statusError,
			Attrs:    attrs,
		}
		if traceState != "" {
			sp.Weight, _ = journeys.AdjustedCount(traceState)
		}
		if err := fn(sp); err != nil {
			return stats, err
		}
	}
	if err := rows.Err(); err != nil {
		return stats, fmt.Errorf("fetch spans: %w", err)
	}
	return stats, nil
}

// traceKey parses a trace id in any form NormalizeTraceID accepts.
func traceKey(traceID string) (string, []byte, error) {
	norm, ok := journeys.NormalizeTraceID(traceID)
	if !ok {
		return "", nil, fmt.Errorf("trace id %q is not 1 to 32 hex digits: %w", traceID, journeys.ErrTraceNotFound)
	}
	id, _ := hex.DecodeString(norm)
	return norm, id, nil
}

// Trace returns every span of one trace, ordered by start. An id missing
// its leading zeros (as Tempo's search returns them) is accepted. A trace
// with no stored span is an error wrapping journeys.ErrTraceNotFound.
func (s *Store) Trace(ctx context.Context, traceID string) (journeys.Trace, error) {
	norm, id, err := traceKey(traceID)
	if err != nil {
		return journeys.Trace{}, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT span_id, parent_span_id, service, name, kind, start_ns, duration_ns,
		       status_code, status_message, attributes, resource
		FROM spans WHERE trace_id = $1 ORDER BY start_ns, span_id`, id)
	if err != nil {
		return journeys.Trace{}, fmt.Errorf("get trace %s: %w", norm, err)
	}
	defer rows.Close()
	t := journeys.Trace{TraceID: norm}
	for rows.Next() {
		var (
			spanID, parent []byte
			ts             journeys.TraceSpan
			kind, status   int16
			startNS, durNS int64
			attrs, res     []byte
		)
		if err := rows.Scan(&spanID, &parent, &ts.Service, &ts.Name, &kind, &startNS, &durNS,
			&status, &ts.StatusMessage, &attrs, &res); err != nil {
			return journeys.Trace{}, fmt.Errorf("get trace %s: %w", norm, err)
		}
		ts.SpanID = hex.EncodeToString(spanID)
		if parent != nil {
			ts.ParentSpanID = hex.EncodeToString(parent)
		}
		ts.Kind = kindName(kind)
		ts.Start = time.Unix(0, startNS).UTC()
		ts.Duration = time.Duration(durNS)
		ts.Error = status == statusError
		if ts.Attributes, err = keyValues(attrs); err != nil {
			return journeys.Trace{}, fmt.Errorf("get trace %s: span %s: %w", norm, ts.SpanID, err)
		}
		if ts.Resource, err = keyValues(res); err != nil {
			return journeys.Trace{}, fmt.Errorf("get trace %s: span %s: %w", norm, ts.SpanID, err)
		}
		t.Spans = append(t.Spans, ts)
	}
	if err := rows.Err(); err != nil {
		return journeys.Trace{}, fmt.Errorf("get trace %s: %w", norm, err)
	}
	if len(t.Spans) == 0 {
		return journeys.Trace{}, fmt.Errorf("get trace %s: %w", norm, journeys.ErrTraceNotFound)
	}
	return t, nil
}

// TraceOTLP returns one whole trace as OTLP, with everything stored (span
// events and links, scopes, typed attributes), for snapshots that must
// outlive the store's retention. Spans sharing a resource and scope are
// grouped, in order of their first span's start. Attributes come back
// sorted by key.
func (s *Store) TraceOTLP(ctx context.Context, traceID string) (*tracepb.TracesData, error) {
	norm, id, err := traceKey(traceID)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT span_id, parent_span_id, name, kind, start_ns, duration_ns, status_code,
		       status_message, attributes, resource::text, scope_name, scope_version, events, links
		FROM spans WHERE trace_id = $1 ORDER BY start_ns, span_id`, id)
	if err != nil {
		return nil, fmt.Errorf("get trace %s: %w", norm, err)
	}
	defer rows.Close()
	td := &tracepb.TracesData{}
	type scopeKey struct{ resource, name, version string }
	resources := map[string]*tracepb.ResourceSpans{}
	scopes := map[scopeKey]*tracepb.ScopeSpans{}
	for rows.Next() {
		var (
			sp                  = &tracepb.Span{TraceId: id}
			kind, status        int16
			startNS, durNS      int64
			statusMsg           string
			attrs, events, lnks []byte
			res, scope, version string
		)
		if err := rows.Scan(&sp.SpanId, &sp.ParentSpanId, &sp.Name, &kind, &startNS, &durNS, &status,
			&statusMsg, &attrs, &res, &scope, &version, &events, &lnks); err != nil {
			return nil, fmt.Errorf("get trace %s: %w", norm, err)
		}
		sp.Kind = tracepb.Span_SpanKind(kind)
		sp.StartTimeUnixNano = uint64(startNS)
		sp.EndTimeUnixNano = uint64(startNS + durNS)
		if status != 0 || statusMsg != "" {
			sp.Status = &tracepb.Status{Code: tracepb.Status_StatusCode(status), Message: statusMsg}
		}
		if sp.Attributes, err = otlpKeyValues(attrs); err != nil {
			return nil, fmt.Errorf("get trace %s: span %x: %w", norm, sp.SpanId, err)
		}
		if sp.Events, err = otlpEvents(events); err != nil {
			return nil, fmt.Errorf("get trace %s: span %x: %w", norm, sp.SpanId, err)
		}
		if sp.Links, err = otlpLinks(lnks); err != nil {
			return nil, fmt.Errorf("get trace %s: span %x: %w", norm, sp.SpanId, err)
		}
		rs, ok := resources[res]
		if !ok {
			kvs, err := otlpKeyValues([]byte(res))
			if err != nil {
				return nil, fmt.Errorf("get trace %s: resource: %w", norm, err)
			}
			rs = &tracepb.ResourceSpans{Resource: &resourcepb.Resource{Attributes: kvs}}
			resources[res] = rs
			td.ResourceSpans = append(td.ResourceSpans, rs)
		}
		sk := scopeKey{res, scope, version}
		ss, ok := scopes[sk]
		if !ok {
			ss = &tracepb.ScopeSpans{Scope: &commonpb.InstrumentationScope{Name: scope, Version: version}}
			scopes[sk] = ss
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		}
		ss.Spans = append(ss.Spans, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get trace %s: %w", norm, err)
	}
	if len(td.ResourceSpans) == 0 {
		return nil, fmt.Errorf("get trace %s: %w", norm, journeys.ErrTraceNotFound)
	}
	return td, nil
}

// AttributeNames lists the scoped attribute names (span.x, resource.x) of
// spans starting in [from, to), sorted. It reads at most a sample of
// attributeNameSample spans. Names that a pattern could not spell are left
// out.
func (s *Store) AttributeNames(ctx context.Context, from, to time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		WITH sample AS MATERIALIZED (
			SELECT attributes, resource FROM spans
			WHERE start_ns >= $1 AND start_ns < $2 LIMIT $3)
		SELECT 'span.' || k FROM sample, jsonb_object_keys(attributes) k
		UNION
		SELECT 'resource.' || k FROM sample, jsonb_object_keys(resource) k`,
		toNS(from), toNS(to), attributeNameSample)
	if err != nil {
		return nil, fmt.Errorf("list attribute names: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list attribute names: %w", err)
	}
	names = slices.DeleteFunc(names, func(n string) bool {
		_, err := journeys.ParseKey(n)
		return err != nil
	})
	slices.Sort(names)
	return names, nil
}

// AttributeValues lists the distinct values, in canonical text and sorted,
// of one scoped attribute (or of the intrinsics name, kind, status and
// statusMessage) over the spans starting in [from, to). It returns at most
// MaxAttributeValues.
func (s *Store) AttributeValues(ctx context.Context, key string, from, to time.Time) ([]string, error) {
	k, err := journeys.ParseKey(key)
	if err != nil {
		return nil, fmt.Errorf("list attribute values: %w", err)
	}
	const window = `start_ns >= $1 AND start_ns < $2`
	args := []any{toNS(from), toNS(to), MaxAttributeValues}
	var sql string
	switch {
	case k.Scope == journeys.ScopeSpan || k.Scope == journeys.ScopeResource:
		column := "attributes"
		if k.Scope == journeys.ScopeResource {
			column = "resource"
		}
		// Order and cap on the text form in SQL; the final canonical
		// order (1.50 reads as 1.5) is set in Go below.
		sql = `SELECT v::text FROM (SELECT DISTINCT ` + column + ` -> $4::text AS v FROM spans WHERE ` + window +
			` AND ` + column + ` ? $4::text) d ORDER BY v #>> '{}' COLLATE "C" LIMIT $3`
		args = append(args, k.Name)
	case k.Name == journeys.IntrinsicName:
		sql = `SELECT DISTINCT name COLLATE "C" FROM spans WHERE ` + window + ` ORDER BY 1 LIMIT $3`
	case k.Name == journeys.IntrinsicStatusMessage:
		sql = `SELECT DISTINCT status_message COLLATE "C" FROM spans WHERE ` + window + ` ORDER BY 1 LIMIT $3`
	case k.Name == journeys.IntrinsicKind:
		sql = `SELECT DISTINCT kind::text FROM spans WHERE ` + window + ` LIMIT $3`
	case k.Name == journeys.IntrinsicStatus:
		sql = `SELECT DISTINCT status_code::text FROM spans WHERE ` + window + ` LIMIT $3`
	default:
		return nil, fmt.Errorf("list attribute values: %s has no list of values", key)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list attribute values: %w", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list attribute values: %w", err)
	}
	for i, v := range got {
		switch {
		case !k.IsIntrinsic():
			got[i] = parseStored([]byte(v)).text
		case k.Name == journeys.IntrinsicKind || k.Name == journeys.IntrinsicStatus:
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("list attribute values: %w", err)
			}
			if k.Name == journeys.IntrinsicKind {
				got[i] = kindName(int16(n))
			} else {
				got[i] = statusName(int16(n))
			}
		}
	}
	slices.Sort(got)
	return slices.Compact(got), nil
}
