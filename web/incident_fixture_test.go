package web

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/pgtest"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/sloeval"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/migrations"
)

// incidentNow is the clock of the incident tests: two minutes after the
// shop's traffic ends.
var incidentNow = sat(5 * time.Minute)

// incidentBundle is a server keeping incidents, whose trace source is the
// embedded span store holding the shop's traffic, rolled up into the
// journey map's numbers.
type incidentBundle struct {
	*bundle
	spans     *spanstore.Store
	incidents *incident.Store
	journey   journeys.Journey
	// alerting is set when incidentConfig.alerting asked for it.
	alerting *alerttest.Services
}

// incidentConfig tunes setupIncidents.
type incidentConfig struct {
	// snapshotLimit caps snapshots (the store's default when 0).
	snapshotLimit int64
	// edit changes the handler's options.
	edit func(*Options)
	// alerting adds SLO evaluation and deploy markers, on the clock.
	alerting bool
	// auth changes the options of the accounts.
	auth func(*auth.Options)
}

func setupIncidents(t testing.TB, cfg incidentConfig) *incidentBundle {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	st := journeystore.New(pool)
	spans := spanstore.NewStore(pool, nil)
	rollups := rollup.NewStore(pool)
	clock := func() time.Time { return incidentNow }
	inc := incident.New(pool, incident.Config{
		Source: spans, Journeys: st, Stats: rollups, SnapshotLimit: cfg.snapshotLimit, Now: clock,
	})
	logs := &bytes.Buffer{}
	opts := Options{
		Store:            st,
		Journeys:         testJourneys(t, pool),
		DB:               st,
		SchemaCheck:      func(ctx context.Context) error { return migrations.Check(ctx, pool) },
		Logger:           slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, nil)),
		Version:          "v-test",
		Rollups:          rollups,
		Traces:           spans,
		Now:              clock,
		Incidents:        inc,
		PublicURL:        "https://waymark.example",
		TraceURLTemplate: "https://grafana.example/explore?trace={traceID}",
	}
	var svc *alerttest.Services
	if cfg.alerting {
		svc = alerttest.New(pool, rollups, st, alerttest.Options{Options: sloeval.Options{Now: clock}})
		opts.Alerting = svc
	}
	acc := withAccounts(t, pool, &opts, cfg.auth)
	if cfg.edit != nil {
		cfg.edit(&opts)
	}
	if opts.Auth == nil {
		acc = nil
	}
	b := &incidentBundle{
		bundle: &bundle{handler: New(offs(opts)), store: st, pool: pool, logs: logs, rollups: rollups, acc: acc},
		spans:  spans, incidents: inc, alerting: svc,
	}

	j := shopJourney()
	rec, _, err := st.PutJourney(ctx, j, "test")
	require.NoError(t, err)
	b.journey = rec.Journey
	_, err = spans.Insert(ctx, shopTraffic(t))
	require.NoError(t, err)
	res, err := rollup.Aggregate(ctx, spans, j, rollup.Range{From: st0, To: sat(3 * time.Minute)}, nil)
	require.NoError(t, err)
	require.NoError(t, rollups.Write(ctx, res, rollup.WriteOptions{Version: rec.Version, Live: true, Started: sat(3 * time.Minute)}))
	return b
}

// tid is the id of trace n of the shop's traffic: distinct in its first 8
// characters, which pages show.
func tid(n int) string { return fmt.Sprintf("%08x%024x", 0xabc00000|n, n) }

// Traces of the shop's traffic, by session (tens) and step (units).
var (
	// Session 1 fails at payment with "card declined": the trace an
	// incident is opened from.
	declinedTrace = tid(0x13)
	// Session 2 fails the same way ten seconds later, session 3 with
	// another error ten seconds after that.
	declinedAgain = tid(0x23)
	timeoutTrace  = tid(0x33)
	// A trace that went well.
	okTrace = tid(0x43)
)

// trafficSpan is one span of the shop's traffic.
type trafficSpan struct {
	trace, id, parent string
	service, name     string
	kind              tracepb.Span_SpanKind
	at, dur           time.Duration // from st0
	err               bool
	msg               string
	attrs             map[string]string
}

// shopTraffic is four sessions of the shop journey (s1 → s2 → s3, each
// step its own trace) in its first 90 seconds. Step s3 of sessions 1 to 3
// fails: "card declined" at +30s and +40s, "gateway timeout" at +50s, each
// with a PSP call under it.
//
//	session  s1     s2     s3
//	1        +10s   +20s   +30s card declined
//	2        +12s   +25s   +40s card declined
//	3        +15s   +28s   +50s gateway timeout
//	4        +70s   +80s   +90s
func shopTraffic(t testing.TB) []*tracepb.ResourceSpans {
	t.Helper()
	type session struct {
		n       int
		at      [3]time.Duration
		failure string
	}
	sessions := []session{
		{1, [3]time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second}, "card declined"},
		{2, [3]time.Duration{12 * time.Second, 25 * time.Second, 40 * time.Second}, "card declined"},
		{3, [3]time.Duration{15 * time.Second, 28 * time.Second, 50 * time.Second}, "gateway timeout"},
		{4, [3]time.Duration{70 * time.Second, 80 * time.Second, 90 * time.Second}, ""},
	}
	var spans []trafficSpan
	for _, s := range sessions {
		for k := range 3 {
			trace := tid(s.n<<4 | (k + 1))
			root := trafficSpan{
				trace: trace, id: fmt.Sprintf("%016x", s.n<<8|(k+1)<<4|1), service: "shop", name: fmt.Sprintf("s%d", k+1),
				kind: tracepb.Span_SPAN_KIND_SERVER, at: s.at[k], dur: time.Duration(100*(k+1)) * time.Millisecond,
				attrs: map[string]string{"session.id": fmt.Sprintf("sess-%d", s.n)},
			}
			if k == 2 {
				psp := trafficSpan{
					trace: trace, id: fmt.Sprintf("%016x", s.n<<8|(k+1)<<4|2), parent: root.id, service: "psp",
					name: "POST /charge", kind: tracepb.Span_SPAN_KIND_CLIENT, at: s.at[k] + 20*time.Millisecond,
					dur: 200 * time.Millisecond, attrs: map[string]string{"server.address": "psp.example.com"},
				}
				if s.failure != "" {
					root.err, root.msg = true, s.failure
					psp.err, psp.msg = true, "upstream returned 402"
				}
				spans = append(spans, root, psp)
				continue
			}
			spans = append(spans, root)
		}
	}
	return otlpSpans(t, spans)
}

// otlpSpans encodes spans as OTLP, one resource per service.
func otlpSpans(t testing.TB, spans []trafficSpan) []*tracepb.ResourceSpans {
	t.Helper()
	str := func(s string) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
	}
	byService := map[string]*tracepb.ResourceSpans{}
	var out []*tracepb.ResourceSpans
	for _, s := range spans {
		rs := byService[s.service]
		if rs == nil {
			rs = &tracepb.ResourceSpans{
				Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: str(s.service)}}},
				ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "shop"}}},
			}
			byService[s.service] = rs
			out = append(out, rs)
		}
		traceID, err := hex.DecodeString(s.trace)
		require.NoError(t, err)
		spanID, err := hex.DecodeString(s.id)
		require.NoError(t, err)
		sp := &tracepb.Span{
			TraceId: traceID, SpanId: spanID, Name: s.name, Kind: s.kind,
			StartTimeUnixNano: uint64(sat(s.at).UnixNano()),
			EndTimeUnixNano:   uint64(sat(s.at + s.dur).UnixNano()),
		}
		if s.parent != "" {
			sp.ParentSpanId, err = hex.DecodeString(s.parent)
			require.NoError(t, err)
		}
		if s.err {
			sp.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: s.msg}
		}
		for _, k := range slices.Sorted(maps.Keys(s.attrs)) {
			sp.Attributes = append(sp.Attributes, &commonpb.KeyValue{Key: k, Value: str(s.attrs[k])})
		}
		rs.ScopeSpans[0].Spans = append(rs.ScopeSpans[0].Spans, sp)
	}
	return out
}

// openFromTrace opens an incident from trace the way the new-incident form
// prefilled from the map's exemplar does, and returns its id.
func (b *incidentBundle) openFromTrace(t *testing.T, traceID string, extra url.Values) int64 {
	t.Helper()
	form := url.Values{
		"trace_id": {traceID},
		"step":     {"shop / s3"},
		"title":    {"Payments failing"},
		"severity": {"SEV2"},
		"status":   {"investigating"},
		"journeys": {"shop"},
		"steps":    {"shop / s3"},
	}
	for k, v := range extra {
		form[k] = v
	}
	rec := b.postForm(t, "/incidents/new", form)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	loc := rec.Header().Get("Location")
	id, ok := strings.CutPrefix(loc, "/incidents/")
	require.True(t, ok, loc)
	var n int64
	_, err := fmt.Sscan(id, &n)
	require.NoError(t, err)
	return n
}

// counts are the rows of the incident tables, to show that a refused
// request changed nothing.
func (b *incidentBundle) counts(t testing.TB) string {
	t.Helper()
	var out []string
	for _, table := range []string{"incidents", "incident_status_changes", "incident_traces"} {
		var n int
		require.NoError(t, b.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n))
		out = append(out, fmt.Sprintf("%s=%d", table, n))
	}
	var versions string
	require.NoError(t, b.pool.QueryRow(context.Background(),
		`SELECT COALESCE(string_agg(id || ':' || status || ':v' || version, ',' ORDER BY id), '') FROM incidents`).Scan(&versions))
	return strings.Join(out, " ") + " " + versions
}

// deleteTrace drops a trace from the embedded store, as retention would.
func (b *incidentBundle) deleteTrace(t testing.TB, traceID string) {
	t.Helper()
	raw, err := hex.DecodeString(traceID)
	require.NoError(t, err)
	tag, err := b.pool.Exec(context.Background(), `DELETE FROM spans WHERE trace_id = $1`, raw)
	require.NoError(t, err)
	require.Positive(t, tag.RowsAffected())
}

// fixedEvents is an IncidentEvents of fixed deploys and alerts.
func fixedEvents(deploys, alerts []incident.Event) func(context.Context, incident.Incident) ([]incident.Event, []incident.Event, error) {
	return func(context.Context, incident.Incident) ([]incident.Event, []incident.Event, error) {
		return deploys, alerts, nil
	}
}
