package spanstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/journeys"
)

// maxCountedGroups bounds the distinct values one CountValues reads back
// before merging and cutting them to the query's limit: a key such as a
// session id has as many values as sessions, and the editor wants the top
// hundred, not a million rows.
const maxCountedGroups = 10_000

// kindCodes maps a span kind to its OTLP number.
var kindCodes = map[string]int16{"unspecified": 0, "internal": 1, "server": 2, "client": 3, "producer": 4, "consumer": 5}

// countWhere is the WHERE clause of a count over q's filter and range,
// with its arguments starting at $1.
func countWhere(f journeys.SpanFilter, fromNS, toNS int64) (string, []any, error) {
	if err := f.Check(); err != nil {
		return "", nil, err
	}
	args := []any{fromNS, toNS}
	var b strings.Builder
	b.WriteString(`start_ns >= $1 AND start_ns < $2`)
	if f.Service != "" {
		args = append(args, f.Service)
		fmt.Fprintf(&b, ` AND service = $%d`, len(args))
	}
	if f.Span != "" {
		args = append(args, f.Span)
		fmt.Fprintf(&b, ` AND name = $%d`, len(args))
	}
	if f.Kind != "" {
		args = append(args, kindCodes[f.Kind])
		fmt.Fprintf(&b, ` AND kind = $%d`, len(args))
	}
	return b.String(), args, nil
}

// CountValues counts, per value of q.By, the spans starting in
// [q.From, q.To) that match q.Where and carry it, counted exactly by
// Postgres, the most frequent first (see journeys.MergeValueCounts).
// Values that are arrays, maps or bytes are left out: no matcher compares
// them. The service is the one the span was stored under (its resource's
// string service.name).
func (s *Store) CountValues(ctx context.Context, q journeys.CountQuery) ([]journeys.ValueCount, error) {
	if err := q.Check(); err != nil {
		return nil, fmt.Errorf("count values: %w", err)
	}
	where, args, err := countWhere(q.Where, toNS(q.From), toNS(q.To))
	if err != nil {
		return nil, fmt.Errorf("count values: %w", err)
	}
	var sql string
	switch q.By {
	case "resource.service.name":
		sql = `SELECT service, count(*) FROM spans WHERE ` + where + ` AND service <> '' GROUP BY 1`
	case journeys.IntrinsicName:
		sql = `SELECT name, count(*) FROM spans WHERE ` + where + ` GROUP BY 1`
	case journeys.IntrinsicKind:
		sql = `SELECT kind::text, count(*) FROM spans WHERE ` + where + ` GROUP BY 1`
	case journeys.IntrinsicStatus:
		sql = `SELECT status_code::text, count(*) FROM spans WHERE ` + where + ` GROUP BY 1`
	default:
		k, _ := journeys.ParseKey(q.By) // checked above
		column := "attributes"
		if k.Scope == journeys.ScopeResource {
			column = "resource"
		}
		args = append(args, k.Name)
		n := len(args)
		sql = fmt.Sprintf(`SELECT %[1]s -> $%[2]d::text, count(*) FROM spans WHERE %[3]s AND %[1]s ? $%[2]d::text GROUP BY 1`, column, n, where)
	}
	args = append(args, maxCountedGroups)
	sql += fmt.Sprintf(` ORDER BY 2 DESC, 1 LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("count values of %s: %w", q.By, err)
	}
	defer rows.Close()
	var out []journeys.ValueCount
	for rows.Next() {
		var raw string
		var n int64
		if err := rows.Scan(&raw, &n); err != nil {
			return nil, fmt.Errorf("count values of %s: %w", q.By, err)
		}
		vc := journeys.ValueCount{Value: raw, Type: journeys.TypeString, Count: n}
		switch q.By {
		case "resource.service.name", journeys.IntrinsicName:
		case journeys.IntrinsicKind, journeys.IntrinsicStatus:
			code, err := strconv.Atoi(raw)
			if err != nil {
				return nil, fmt.Errorf("count values of %s: %w", q.By, err)
			}
			vc.Value = statusName(int16(code))
			if q.By == journeys.IntrinsicKind {
				vc.Value = kindName(int16(code))
			}
		default:
			v := parseStored([]byte(raw))
			if !v.ok || !v.scalar {
				continue
			}
			vc.Value, vc.Type = v.text, v.typ
		}
		out = append(out, vc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count values of %s: %w", q.By, err)
	}
	return journeys.MergeValueCounts(out, q.EffectiveLimit()), nil
}

// CountKeys counts, per scoped attribute key, the spans starting in
// [q.From, q.To) that match q.Where and carry it, exactly, in one pass
// over their attributes and resources. With q.Numeric it also counts the
// spans whose value is an int or a double other than NaN. Keys a pattern
// could not spell are left out.
func (s *Store) CountKeys(ctx context.Context, q journeys.KeyQuery) ([]journeys.KeyCount, error) {
	if err := q.Check(); err != nil {
		return nil, fmt.Errorf("count keys: %w", err)
	}
	where, args, err := countWhere(q.Where, toNS(q.From), toNS(q.To))
	if err != nil {
		return nil, fmt.Errorf("count keys: %w", err)
	}
	// Doubles that JSON cannot hold are tagged objects; only NaN fails
	// every numeric comparison, as it does in TraceQL.
	const numeric = `count(*) FILTER (WHERE jsonb_typeof(e.value) = 'number'
		OR (jsonb_typeof(e.value) = 'object' AND e.value ? 'double' AND e.value ->> 'double' <> 'NaN'))`
	sql := `SELECT 'span.' || e.key, count(*), ` + numeric + ` FROM spans, jsonb_each(attributes) e WHERE ` + where + ` GROUP BY e.key
		UNION ALL
		SELECT 'resource.' || e.key, count(*), ` + numeric + ` FROM spans, jsonb_each(resource) e WHERE ` + where + ` GROUP BY e.key`
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("count keys: %w", err)
	}
	defer rows.Close()
	var out []journeys.KeyCount
	for rows.Next() {
		var kc journeys.KeyCount
		if err := rows.Scan(&kc.Key, &kc.Count, &kc.Numeric); err != nil {
			return nil, fmt.Errorf("count keys: %w", err)
		}
		if _, err := journeys.ParseKey(kc.Key); err != nil {
			continue
		}
		if !q.Numeric {
			kc.Numeric = 0
		}
		out = append(out, kc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count keys: %w", err)
	}
	return journeys.SortKeyCounts(out, q.EffectiveLimit()), nil
}
