package tempo

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/journeys"
)

var cartPattern = journeys.Pattern{Service: "cart_svc", Span: "POST /cart/items"}

func TestCompilePatternMatchesRecordedQuery(t *testing.T) {
	t.Parallel()
	q, err := CompilePattern(cartPattern, []string{"span.session.id", "span.user.tier"})
	require.NoError(t, err)
	require.Equal(t, cartQuery, q)
}

func TestSearchContract(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		file   string
		req    SearchRequest
		params map[string]string
		check  func(t *testing.T, res SearchResponse)
	}{
		{
			name:   "cart all matches",
			file:   "search_cart_select_limit2000_spss3.json",
			req:    SearchRequest{Query: cartQuery, Start: fixtureFrom, End: fixtureTo, Limit: 2000, SpansPerSpanSet: 3},
			params: rangeParams(map[string]string{"q": cartQuery, "limit": "2000", "spss": "3"}),
			check:  checkCartSearch,
		},
		{
			name:   "cart truncated at limit 200",
			file:   "search_cart_select_limit200_spss3.json",
			req:    SearchRequest{Query: cartQuery, Start: fixtureFrom, End: fixtureTo, Limit: 200, SpansPerSpanSet: 3},
			params: rangeParams(map[string]string{"q": cartQuery, "limit": "200", "spss": "3"}),
			check: func(t *testing.T, res SearchResponse) {
				require.Len(t, res.Traces, 200)
				require.Equal(t, QueryMetrics{InspectedBytes: 958893, TotalBlocks: 1, TotalBlockBytes: 1603631, CompletedJobs: 1, TotalJobs: 4}, res.Metrics)
			},
		},
		{
			name:   "cart truncated at limit 20",
			file:   "search_cart_select_limit20_spss3.json",
			req:    SearchRequest{Query: cartQuery, Start: fixtureFrom, End: fixtureTo, Limit: 20, SpansPerSpanSet: 3},
			params: rangeParams(map[string]string{"q": cartQuery, "limit": "20", "spss": "3"}),
			check: func(t *testing.T, res SearchResponse) {
				require.Len(t, res.Traces, 20)
				require.Equal(t, int64(1), res.Metrics.CompletedJobs)
				require.Equal(t, int64(4), res.Metrics.TotalJobs)
			},
		},
		{
			name:   "spanset cut at spss",
			file:   "search_payment_spss2_limit5.json",
			req:    SearchRequest{Query: `{ resource.service.name = "payment_svc" }`, Start: fixtureFrom, End: fixtureTo, Limit: 5, SpansPerSpanSet: 2},
			params: rangeParams(map[string]string{"q": `{ resource.service.name = "payment_svc" }`, "limit": "5", "spss": "2"}),
			check: func(t *testing.T, res SearchResponse) {
				require.Len(t, res.Traces, 5)
				tr := res.Traces[0]
				require.Equal(t, "11da34c74f4d9c7518ae7f804113c836", tr.TraceID)
				require.Equal(t, "payment_svc", tr.RootServiceName)
				require.Equal(t, "POST /payments", tr.RootTraceName)
				require.Equal(t, time.Unix(0, 1795507521933507340), tr.Start)
				require.Equal(t, 2184*time.Millisecond, tr.Duration)
				require.Len(t, tr.SpanSets, 1)
				require.Equal(t, 3, tr.SpanSets[0].Matched)
				require.Equal(t, []SearchSpan{
					{SpanID: "5a39fd9e321b65ce", Start: time.Unix(0, 1795507522042755371), Duration: 1482075416,
						Attributes: []Attribute{{Key: "service.name", Type: TypeString, Value: "payment_svc"}}},
					{SpanID: "1af0e2343895566f", Start: time.Unix(0, 1795507523524830787), Duration: 296879935,
						Attributes: []Attribute{{Key: "service.name", Type: TypeString, Value: "payment_svc"}}},
				}, tr.SpanSets[0].Spans)
				for _, tr := range res.Traces {
					require.Equal(t, 3, tr.SpanSets[0].Matched, tr.TraceID)
					require.Len(t, tr.SpanSets[0].Spans, 2, tr.TraceID)
				}
			},
		},
		{
			name:   "error filter",
			file:   "search_status_error_limit20_spss3.json",
			req:    SearchRequest{Query: `{ status = error }`, Start: fixtureFrom, End: fixtureTo, Limit: 20, SpansPerSpanSet: 3},
			params: rangeParams(map[string]string{"q": `{ status = error }`, "limit": "20", "spss": "3"}),
			check: func(t *testing.T, res SearchResponse) {
				require.Len(t, res.Traces, 20)
				for _, tr := range res.Traces {
					for _, sp := range tr.SpanSets[0].Spans {
						st, ok := sp.Attr("status")
						require.True(t, ok)
						require.Equal(t, "error", st)
					}
				}
			},
		},
		{
			name: "select of resource and typed span attributes",
			file: "search_status_error_select_limit50.json",
			req: SearchRequest{Query: `{ status = error && kind = server } | select(resource.service.name, span.app.version, span.user.tier, span.http.response.status_code)`,
				Start: fixtureFrom, End: fixtureTo, Limit: 50, SpansPerSpanSet: 1},
			params: rangeParams(map[string]string{"q": `{ status = error && kind = server } | select(resource.service.name, span.app.version, span.user.tier, span.http.response.status_code)`, "limit": "50", "spss": "1"}),
			check: func(t *testing.T, res SearchResponse) {
				require.Len(t, res.Traces, 50)
				tr := res.Traces[0]
				require.Equal(t, "5f5cc540ac2b92f942488f34d4ddabc", tr.TraceID)
				require.Equal(t, []Attribute{
					{Key: "http.response.status_code", Type: TypeInt, Value: "500"},
					{Key: "status", Type: TypeString, Value: "error"},
					{Key: "kind", Type: TypeString, Value: "server"},
					{Key: "user.tier", Type: TypeString, Value: "pro"},
					{Key: "service.name", Type: TypeString, Value: "cart_svc"},
					{Key: "app.version", Type: TypeString, Value: "1.4.0"},
				}, tr.SpanSets[0].Spans[0].Attributes)
				require.Equal(t, QueryMetrics{InspectedBytes: 955210, TotalBlocks: 1, TotalBlockBytes: 1603631, CompletedJobs: 1, TotalJobs: 4}, res.Metrics)
			},
		},
		{
			name: "root spans of the free tier",
			file: "search_payment_root_free_tier.json",
			req: SearchRequest{Query: `{ resource.service.name = "payment_svc" && kind = server && span.user.tier = "free" } | select(span.session.id, span.app.version)`,
				Start: fixtureFrom, End: fixtureTo, Limit: 10, SpansPerSpanSet: 1},
			params: rangeParams(map[string]string{"q": `{ resource.service.name = "payment_svc" && kind = server && span.user.tier = "free" } | select(span.session.id, span.app.version)`, "limit": "10", "spss": "1"}),
			check: func(t *testing.T, res SearchResponse) {
				require.Len(t, res.Traces, 10)
				sp := res.Traces[0].SpanSets[0].Spans[0]
				require.Equal(t, "b92e77bb4bfaff09", sp.SpanID)
				require.Equal(t, 785433635*time.Nanosecond, sp.Duration)
				for _, k := range []struct{ key, want string }{{"session.id", "s-ccf7f6e4"}, {"app.version", "1.5.0"}, {"user.tier", "free"}, {"kind", "server"}} {
					got, ok := sp.Attr(k.key)
					require.True(t, ok, k.key)
					require.Equal(t, k.want, got, k.key)
				}
			},
		},
		{
			name:   "no query",
			file:   "search_no_query_limit5.json",
			req:    SearchRequest{Start: fixtureFrom, End: fixtureTo, Limit: 5},
			params: rangeParams(map[string]string{"limit": "5"}),
			check: func(t *testing.T, res SearchResponse) {
				require.Len(t, res.Traces, 5)
				ids := []string{}
				for _, tr := range res.Traces {
					require.Empty(t, tr.SpanSets)
					ids = append(ids, tr.TraceID)
				}
				require.Equal(t, []string{"19fb4675a5675e169a87eab92e63b7", "3d6031fc8e58b940e4cc823b2c2eb7", "60d02714b305ce6d2b568804e957f", "51b3f70536004510d74cbe1517d01", "23ac598188bc1dda210f49e047c13a"}, ids)
			},
		},
		{
			name:   "no range",
			file:   "search_no_range_limit5.json",
			req:    SearchRequest{Query: `{ resource.service.name = "payment_svc" }`, Limit: 5, SpansPerSpanSet: 1},
			params: map[string]string{"q": `{ resource.service.name = "payment_svc" }`, "limit": "5", "spss": "1"},
			check: func(t *testing.T, res SearchResponse) {
				require.Len(t, res.Traces, 5)
				require.Equal(t, QueryMetrics{InspectedBytes: 618664, CompletedJobs: 1, TotalJobs: 3}, res.Metrics)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, n := replay(t, exchange{path: "/api/search", params: tt.params, accept: "application/json", contentType: "application/json", file: tt.file}, testAuth)
			res, err := newTestClient(t, u).Search(context.Background(), tt.req)
			require.NoError(t, err)
			require.Equal(t, int64(1), n.Load())
			tt.check(t, res)
		})
	}
}

// checkCartSearch compares every cart span with the ground truth.
func checkCartSearch(t *testing.T, res SearchResponse) {
	truth := readTruthTraces(t)
	step := readTruthStep(t, "add_to_cart")
	require.Len(t, res.Traces, step.Sessions)
	require.Equal(t, 1149, step.Sessions)
	require.Equal(t, QueryMetrics{InspectedBytes: 3835572, TotalBlocks: 1, TotalBlockBytes: 1603631, CompletedJobs: 4, TotalJobs: 4}, res.Metrics)

	errs := 0
	byTier := map[string][2]int{}
	for _, tr := range res.Traces {
		id, ok := journeys.NormalizeTraceID(tr.TraceID)
		require.True(t, ok, tr.TraceID)
		want, ok := truth[id]
		require.True(t, ok, "trace %s not in truth", id)
		require.Len(t, tr.SpanSets, 1)
		require.Equal(t, 1, tr.SpanSets[0].Matched)
		require.Len(t, tr.SpanSets[0].Spans, 1)
		sp := tr.SpanSets[0].Spans[0]
		require.Equal(t, want.RootSpanID, sp.SpanID)
		require.Equal(t, "POST /cart/items", sp.Name)
		require.Equal(t, want.StartUnixNs, sp.Start.UnixNano())
		require.Equal(t, want.EndUnixNs-want.StartUnixNs, sp.Duration.Nanoseconds())
		require.Equal(t, want.DurationMs, math.Round(float64(sp.Duration.Nanoseconds())/1e3)/1e3)
		session, _ := sp.Attr("session.id")
		tier, _ := sp.Attr("user.tier")
		status, _ := sp.Attr("status")
		require.Equal(t, want.SessionID, session)
		require.Equal(t, want.Tier, tier)
		require.Equal(t, want.Error, status == "error")
		c := byTier[tier]
		c[0]++
		if status == "error" {
			errs++
			c[1]++
		}
		byTier[tier] = c
	}
	require.Equal(t, step.Errors, errs)
	require.Equal(t, 24, errs)
	for tier, want := range step.ByTier {
		require.Equal(t, [2]int{want.Sessions, want.Errors}, byTier[tier], tier)
	}
	require.Equal(t, map[string][2]int{"enterprise": {150, 4}, "free": {615, 11}, "pro": {384, 9}}, byTier)

	// A span whose duration the ground truth spells out.
	cart := truth["49973eb723aef2678f4563d044edc688"]
	require.Equal(t, 86.105, cart.DurationMs)
}

// paymentTrace is the span tree of 41d28e2bd50f8cf38ecfe11a08212417.
func paymentTrace() journeys.Trace {
	res := []journeys.KeyValue{
		{Key: "deployment.environment", Value: "prod"},
		{Key: "service.namespace", Value: "shop"},
		{Key: "service.version", Value: "4.1.0"},
		{Key: "service.name", Value: "payment_svc"},
	}
	return journeys.Trace{
		TraceID: "41d28e2bd50f8cf38ecfe11a08212417",
		Spans: []journeys.TraceSpan{
			{
				SpanID: "a1050220b2114428", Service: "payment_svc", Name: "POST /payments", Kind: "server",
				Start: time.Unix(0, 1795506871438606166), Duration: 234304503,
				Error: true, StatusMessage: "internal server error",
				Attributes: []journeys.KeyValue{
					{Key: "session.id", Value: "s-43b3bdcb"},
					{Key: "user.id", Value: "u-00974"},
					{Key: "user.tier", Value: "enterprise"},
					{Key: "region", Value: "us"},
					{Key: "app.version", Value: "1.5.0"},
					{Key: "funnel.step", Value: "payment"},
					{Key: "funnel.step_index", Value: "5"},
					{Key: "http.response.status_code", Value: "500"},
					{Key: "http.request.method", Value: "POST"},
					{Key: "url.path", Value: "/payments"},
					{Key: "http.route", Value: "/payments"},
				},
				Resource: res,
			},
			{
				SpanID: "5eb619d9431f076d", ParentSpanID: "a1050220b2114428", Service: "payment_svc", Name: "POST /psp/charge", Kind: "client",
				Start: time.Unix(0, 1795506871450321391), Duration: 157382557,
				Error: true, StatusMessage: "upstream returned 500",
				Attributes: []journeys.KeyValue{
					{Key: "session.id", Value: "s-43b3bdcb"},
					{Key: "http.response.status_code", Value: "500"},
					{Key: "http.request.method", Value: "POST"},
					{Key: "server.address", Value: "psp.example.com"},
				},
				Resource: res,
			},
			{
				SpanID: "a054ceb70c938607", ParentSpanID: "a1050220b2114428", Service: "payment_svc", Name: "fraud_check", Kind: "internal",
				Start: time.Unix(0, 1795506871607703948), Duration: 30245649,
				Attributes: []journeys.KeyValue{{Key: "session.id", Value: "s-43b3bdcb"}},
				Resource:   res,
			},
		},
	}
}

func TestTraceByIDContract(t *testing.T) {
	t.Parallel()
	const payment = "41d28e2bd50f8cf38ecfe11a08212417"
	tests := []struct {
		name    string
		id      string
		opts    TraceOptions
		ex      exchange
		check   func(t *testing.T, tr journeys.Trace)
		wantErr error
	}{
		{
			name: "v2 json",
			id:   payment,
			opts: TraceOptions{Start: fixtureFrom, End: fixtureTo},
			ex:   exchange{path: "/api/v2/traces/" + payment, params: rangeParams(nil), accept: "application/json", contentType: "application/json", file: "trace_by_id_v2.json"},
		},
		{
			name: "v2 protobuf",
			id:   payment,
			opts: TraceOptions{Start: fixtureFrom, End: fixtureTo, Protobuf: true},
			ex:   exchange{path: "/api/v2/traces/" + payment, params: rangeParams(nil), accept: "application/protobuf", contentType: "application/protobuf", file: "trace_by_id_v2.pb"},
		},
		{
			name: "v1 json",
			id:   payment,
			opts: TraceOptions{Start: fixtureFrom, End: fixtureTo, Legacy: true},
			ex:   exchange{path: "/api/traces/" + payment, params: rangeParams(nil), accept: "application/json", contentType: "application/json", file: "trace_by_id_v1.json"},
		},
		{
			name: "v1 protobuf",
			id:   payment,
			opts: TraceOptions{Start: fixtureFrom, End: fixtureTo, Legacy: true, Protobuf: true},
			ex:   exchange{path: "/api/traces/" + payment, params: rangeParams(nil), accept: "application/protobuf", contentType: "application/protobuf", file: "trace_by_id_v1.pb"},
		},
		{
			name: "uppercase id",
			id:   "41D28E2BD50F8CF38ECFE11A08212417",
			opts: TraceOptions{Start: fixtureFrom, End: fixtureTo},
			ex:   exchange{path: "/api/v2/traces/" + payment, params: rangeParams(nil), accept: "application/json", contentType: "application/json", file: "trace_by_id_v2.json"},
		},
		{
			name: "no range",
			id:   "49973eb723aef2678f4563d044edc688",
			opts: TraceOptions{Legacy: true},
			ex:   exchange{path: "/api/traces/49973eb723aef2678f4563d044edc688", accept: "application/json", contentType: "application/json", file: "trace_by_id_v1_no_range.json"},
			check: func(t *testing.T, tr journeys.Trace) {
				require.Equal(t, "49973eb723aef2678f4563d044edc688", tr.TraceID)
				require.Len(t, tr.Spans, 2)
				root, child := tr.Spans[0], tr.Spans[1]
				require.Equal(t, []string{"9dd05bcb5953d815", "", "cart_svc", "POST /cart/items", "server"}, []string{root.SpanID, root.ParentSpanID, root.Service, root.Name, root.Kind})
				require.Equal(t, []string{"b96ac2678a0b7c4c", "9dd05bcb5953d815", "cart_svc", "redis SET", "client"}, []string{child.SpanID, child.ParentSpanID, child.Service, child.Name, child.Kind})
				require.Equal(t, time.Unix(0, 1795506890209684300), root.Start)
				require.Equal(t, time.Duration(86104536), root.Duration)
				require.False(t, root.Error)
				require.False(t, child.Error)
			},
		},
		{
			name:  "leading zeros given",
			id:    "005d3f81eaf4a07097db2456ef44ee52",
			opts:  TraceOptions{Start: fixtureFrom, End: fixtureTo, Legacy: true},
			ex:    exchange{path: "/api/traces/005d3f81eaf4a07097db2456ef44ee52", params: rangeParams(nil), accept: "application/json", contentType: "application/json", file: "trace_by_id_leading_zero_32hex.json"},
			check: checkLeadingZeroTrace,
		},
		{
			name:  "leading zeros stripped as search returns them",
			id:    "5d3f81eaf4a07097db2456ef44ee52",
			opts:  TraceOptions{Start: fixtureFrom, End: fixtureTo, Legacy: true},
			ex:    exchange{path: "/api/traces/005d3f81eaf4a07097db2456ef44ee52", params: rangeParams(nil), accept: "application/json", contentType: "application/json", file: "trace_by_id_leading_zero_stripped.json"},
			check: checkLeadingZeroTrace,
		},
		{
			name:    "v2 unknown id answers 200 with an empty trace",
			id:      "0123456789abcdef0123456789abcdef",
			opts:    TraceOptions{Start: fixtureFrom, End: fixtureTo},
			ex:      exchange{path: "/api/v2/traces/0123456789abcdef0123456789abcdef", params: rangeParams(nil), accept: "application/json", contentType: "application/json", file: "error_trace_v2_unknown_id.txt"},
			wantErr: journeys.ErrTraceNotFound,
		},
		{
			name:    "v1 unknown id answers 404 with no body",
			id:      "0123456789abcdef0123456789abcdef",
			opts:    TraceOptions{Start: fixtureFrom, End: fixtureTo, Legacy: true},
			ex:      exchange{path: "/api/traces/0123456789abcdef0123456789abcdef", params: rangeParams(nil), accept: "application/json", status: http.StatusNotFound, file: "error_trace_unknown_id.txt"},
			wantErr: journeys.ErrTraceNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, n := replay(t, tt.ex, testAuth)
			c := newTestClient(t, u)
			tr, err := c.TraceByID(context.Background(), tt.id, tt.opts)
			require.Equal(t, int64(1), n.Load())
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, tr)
				return
			}
			require.Equal(t, paymentTrace(), tr)

			td, err := c.TraceOTLP(context.Background(), tt.id, tt.opts)
			require.NoError(t, err)
			require.Len(t, td.GetResourceSpans(), 1)
			require.Len(t, td.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans(), 3)
			require.Equal(t, "shop/tracegen", td.GetResourceSpans()[0].GetScopeSpans()[0].GetScope().GetName())
		})
	}
}

func checkLeadingZeroTrace(t *testing.T, tr journeys.Trace) {
	require.Equal(t, "005d3f81eaf4a07097db2456ef44ee52", tr.TraceID)
	type row struct{ id, parent, service, name, kind, msg string }
	var got []row
	for _, s := range tr.Spans {
		got = append(got, row{s.SpanID, s.ParentSpanID, s.Service, s.Name, s.Kind, s.StatusMessage})
	}
	require.Equal(t, []row{
		{"ef9ec1df614751df", "", "auth_svc", "POST /login", "server", "internal server error"},
		{"40e36355a986ad3b", "ef9ec1df614751df", "auth_svc", "SELECT users", "client", "upstream returned 500"},
		{"55063a48874ed4a3", "ef9ec1df614751df", "auth_svc", "verify_password", "internal", ""},
	}, got)
	require.Equal(t, []bool{true, true, false}, []bool{tr.Spans[0].Error, tr.Spans[1].Error, tr.Spans[2].Error})
	require.Equal(t, time.Duration(61766312), tr.Spans[0].Duration)
}

func TestTraceInvalidIDSendsNothing(t *testing.T) {
	t.Parallel()
	u, n := replay(t, exchange{path: "/never"}, testAuth)
	c := newTestClient(t, u)
	for _, id := range []string{"", "not-a-trace-id", "0123456789abcdef0123456789abcdef0", "../api/echo"} {
		_, err := c.TraceByID(context.Background(), id, TraceOptions{})
		require.ErrorIs(t, err, journeys.ErrTraceNotFound, id)
		require.ErrorContains(t, err, "invalid trace id", id)
	}
	require.Equal(t, int64(0), n.Load())
}

func TestTagsContract(t *testing.T) {
	t.Parallel()
	t.Run("all scopes", func(t *testing.T) {
		t.Parallel()
		u, _ := replay(t, exchange{path: "/api/v2/search/tags", params: rangeParams(nil), accept: "application/json", contentType: "application/json", file: "v2_search_tags.json"}, testAuth)
		res, err := newTestClient(t, u).SearchTags(context.Background(), TagsRequest{Start: fixtureFrom, End: fixtureTo})
		require.NoError(t, err)
		require.Len(t, res.Scopes, 3)
		require.Equal(t, "intrinsic", res.Scopes[0].Name)
		require.Len(t, res.Scopes[0].Tags, 25)
		require.Equal(t, TagScope{Name: "resource", Tags: []string{"deployment.environment", "service.name", "service.namespace", "service.version"}}, res.Scopes[1])
		require.Equal(t, "span", res.Scopes[2].Name)
		require.Len(t, res.Scopes[2].Tags, 14)
		require.Equal(t, int64(285104), res.Metrics.InspectedBytes)
	})
	t.Run("span scope", func(t *testing.T) {
		t.Parallel()
		u, _ := replay(t, exchange{path: "/api/v2/search/tags", params: rangeParams(map[string]string{"scope": "span"}), accept: "application/json", contentType: "application/json", file: "v2_search_tags_scope_span.json"}, testAuth)
		res, err := newTestClient(t, u).SearchTags(context.Background(), TagsRequest{Scope: "span", Start: fixtureFrom, End: fixtureTo})
		require.NoError(t, err)
		require.Equal(t, []TagScope{{Name: "span", Tags: []string{"app.version", "db.operation.name", "db.system.name", "funnel.step", "funnel.step_index", "http.request.method", "http.response.status_code", "http.route", "region", "server.address", "session.id", "url.path", "user.id", "user.tier"}}}, res.Scopes)
	})
	values := []struct {
		name  string
		req   TagValuesRequest
		path  string
		extra map[string]string
		file  string
		want  []TagValue
	}{
		{"span string", TagValuesRequest{Tag: "span.user.tier"}, "/api/v2/search/tag/span.user.tier/values", nil, "v2_search_tag_span.user.tier_values.json",
			[]TagValue{{"string", "free"}, {"string", "pro"}, {"string", "enterprise"}}},
		{"resource", TagValuesRequest{Tag: "resource.service.name"}, "/api/v2/search/tag/resource.service.name/values", nil, "v2_search_tag_resource.service.name_values.json",
			[]TagValue{{"string", "product_svc"}, {"string", "cart_svc"}, {"string", "payment_svc"}, {"string", "checkout_svc"}, {"string", "auth_svc"}}},
		{"int", TagValuesRequest{Tag: "span.http.response.status_code"}, "/api/v2/search/tag/span.http.response.status_code/values", nil, "v2_search_tag_span.http.response.status_code_values.json",
			[]TagValue{{"int", "500"}, {"int", "200"}}},
		{"filtered by query", TagValuesRequest{Tag: "span.user.tier", Query: `{ resource.service.name = "payment_svc" && status = error }`}, "/api/v2/search/tag/span.user.tier/values",
			map[string]string{"q": `{ resource.service.name = "payment_svc" && status = error }`}, "v2_search_tag_span.user.tier_values_filtered.json",
			[]TagValue{{"string", "enterprise"}, {"string", "free"}, {"string", "pro"}}},
		{"intrinsic", TagValuesRequest{Tag: "status"}, "/api/v2/search/tag/status/values", nil, "v2_search_tag_intrinsic_status_values.json",
			[]TagValue{{"int", "0"}, {"int", "2"}, {"keyword", "ok"}, {"keyword", "error"}, {"keyword", "unset"}}},
	}
	for _, tt := range values {
		t.Run("values "+tt.name, func(t *testing.T) {
			t.Parallel()
			u, _ := replay(t, exchange{path: tt.path, params: rangeParams(tt.extra), accept: "application/json", contentType: "application/json", file: tt.file}, testAuth)
			req := tt.req
			req.Start, req.End = fixtureFrom, fixtureTo
			res, err := newTestClient(t, u).SearchTagValues(context.Background(), req)
			require.NoError(t, err)
			require.Equal(t, tt.want, res.Values)
		})
	}
}

func TestSourceAttributesContract(t *testing.T) {
	t.Parallel()
	t.Run("names", func(t *testing.T) {
		t.Parallel()
		u, _ := replay(t, exchange{path: "/api/v2/search/tags", params: rangeParams(nil), accept: "application/json", contentType: "application/json", file: "v2_search_tags.json"}, testAuth)
		names, err := NewSource(newTestClient(t, u), SourceOptions{}).AttributeNames(context.Background(), fixtureFrom, fixtureTo)
		require.NoError(t, err)
		require.Equal(t, []string{
			"resource.deployment.environment", "resource.service.name", "resource.service.namespace", "resource.service.version",
			"span.app.version", "span.db.operation.name", "span.db.system.name", "span.funnel.step", "span.funnel.step_index",
			"span.http.request.method", "span.http.response.status_code", "span.http.route", "span.region", "span.server.address",
			"span.session.id", "span.url.path", "span.user.id", "span.user.tier",
		}, names)
	})
	t.Run("values", func(t *testing.T) {
		t.Parallel()
		u, _ := replay(t, exchange{path: "/api/v2/search/tag/span.user.tier/values", params: rangeParams(nil), accept: "application/json", contentType: "application/json", file: "v2_search_tag_span.user.tier_values.json"}, testAuth)
		vals, err := NewSource(newTestClient(t, u), SourceOptions{}).AttributeValues(context.Background(), "span.user.tier", fixtureFrom, fixtureTo)
		require.NoError(t, err)
		require.Equal(t, []string{"enterprise", "free", "pro"}, vals)
	})
	t.Run("bad key sends nothing", func(t *testing.T) {
		t.Parallel()
		u, n := replay(t, exchange{path: "/never"}, testAuth)
		_, err := NewSource(newTestClient(t, u), SourceOptions{}).AttributeValues(context.Background(), "user.tier", fixtureFrom, fixtureTo)
		require.ErrorContains(t, err, `invalid attribute key "user.tier"`)
		require.Equal(t, int64(0), n.Load())
	})
}

func TestMetricsContract(t *testing.T) {
	t.Parallel()
	const (
		payment       = `{ resource.service.name = "payment_svc" }`
		paymentServer = `{ resource.service.name = "payment_svc" && kind = server }`
	)
	tests := []struct {
		name    string
		instant bool
		req     MetricsRequest
		params  map[string]string
		file    string
		check   func(t *testing.T, res MetricsResponse)
	}{
		{
			name:   "count by tier of root spans equals truth",
			req:    MetricsRequest{Query: paymentServer + " | count_over_time() by (span.user.tier)", Start: fixtureFrom, End: fixtureTo, Step: time.Minute},
			params: rangeParams(map[string]string{"q": paymentServer + " | count_over_time() by (span.user.tier)", "step": "60s"}),
			file:   "metrics_query_range_count_by_tier_server.json",
			check: func(t *testing.T, res MetricsResponse) {
				step := readTruthStep(t, "payment")
				require.Len(t, res.Series, 3)
				for _, s := range res.Series {
					tier, ok := s.Label("span.user.tier")
					require.True(t, ok)
					require.Len(t, s.Samples, 30)
					require.Equal(t, time.UnixMilli(1795506420000), s.Samples[0].Time)
					require.Equal(t, time.UnixMilli(1795508160000), s.Samples[29].Time)
					sum := 0.0
					for _, sm := range s.Samples {
						sum += sm.Value
					}
					require.Equal(t, float64(step.ByTier[tier].Sessions), sum, tier)
				}
				ent := res.Series[0]
				require.Equal(t, []Attribute{{Key: "span.user.tier", Type: TypeString, Value: "enterprise"}}, ent.Labels)
				// Zero samples come without a value.
				require.Equal(t, []Sample{
					{time.UnixMilli(1795506420000), 0}, {time.UnixMilli(1795506480000), 0}, {time.UnixMilli(1795506540000), 0},
					{time.UnixMilli(1795506600000), 2}, {time.UnixMilli(1795506660000), 0}, {time.UnixMilli(1795506720000), 2},
				}, ent.Samples[:6])
				require.Len(t, ent.Exemplars, 11)
				require.Equal(t, Exemplar{
					Labels: []Attribute{
						{Key: "span.user.tier", Type: TypeString, Value: "enterprise"},
						{Key: "trace:id", Type: TypeString, Value: "13cd64f11255f6fce417033a170c9c69"},
						{Key: "resource.service.name", Type: TypeString, Value: "payment_svc"},
						{Key: "kind", Type: TypeString, Value: "server"},
					},
					TraceID: "13cd64f11255f6fce417033a170c9c69",
					Value:   2,
					Time:    time.UnixMilli(1795506585288),
				}, ent.Exemplars[0])
				// Exemplar trace ids lose leading zeros on the wire.
				require.Equal(t, "00fdeb276a6d7ce782a23922dc7d17db", res.Series[1].Exemplars[0].TraceID)
				require.Len(t, res.Series[1].Exemplars, 17)
				require.Equal(t, QueryMetrics{InspectedBytes: 547387, InspectedSpans: 282, TotalBlocks: 1, TotalBlockBytes: 1603631, CompletedJobs: 2, TotalJobs: 2}, res.Metrics)
			},
		},
		{
			name:   "count by tier with nil group",
			req:    MetricsRequest{Query: payment + " | count_over_time() by (span.user.tier)", Start: fixtureFrom, End: fixtureTo, Step: time.Minute},
			params: rangeParams(map[string]string{"q": payment + " | count_over_time() by (span.user.tier)", "step": "60s"}),
			file:   "metrics_query_range_count_by_tier.json",
			check: func(t *testing.T, res MetricsResponse) {
				step := readTruthStep(t, "payment")
				tiers := map[string]float64{}
				for _, s := range res.Series {
					tier, _ := s.Label("span.user.tier")
					for _, sm := range s.Samples {
						tiers[tier] += sm.Value
					}
				}
				// Children carry no tier: 2 per payment trace.
				require.Equal(t, map[string]float64{"enterprise": 84, "free": 236, "pro": 190, "nil": float64(2 * step.Sessions)}, tiers)
			},
		},
		{
			name:   "rate by status",
			req:    MetricsRequest{Query: payment + " | rate() by (status)", Start: fixtureFrom, End: fixtureTo, Step: time.Minute},
			params: rangeParams(map[string]string{"q": payment + " | rate() by (status)", "step": "60s"}),
			file:   "metrics_query_range_rate_by_status.json",
			check: func(t *testing.T, res MetricsResponse) {
				step := readTruthStep(t, "payment")
				require.Len(t, res.Series, 2)
				errSpans := 0.0
				for _, sm := range res.Series[0].Samples {
					errSpans += sm.Value * 60
				}
				require.Equal(t, []Attribute{{Key: "status", Type: TypeString, Value: "error"}}, res.Series[0].Labels)
				// Root and first child of each failed payment: 2 error spans.
				require.InDelta(t, float64(2*step.Errors), errSpans, 1e-9)
			},
		},
		{
			name:   "quantiles carry a double p label",
			req:    MetricsRequest{Query: payment + " | quantile_over_time(duration, .5, .95, .99) by (span.user.tier)", Start: fixtureFrom, End: fixtureTo, Step: time.Minute},
			params: rangeParams(map[string]string{"q": payment + " | quantile_over_time(duration, .5, .95, .99) by (span.user.tier)", "step": "60s"}),
			file:   "metrics_query_range_quantile_by_tier.json",
			check: func(t *testing.T, res MetricsResponse) {
				require.Len(t, res.Series, 12)
				require.Equal(t, []Attribute{{Key: "p", Type: TypeDouble, Value: "0.5"}}, res.Series[0].Labels)
				require.Equal(t, Sample{time.UnixMilli(1795506600000), 0.268435456}, res.Series[0].Samples[3])
				require.Equal(t, []Attribute{{Key: "span.user.tier", Type: TypeString, Value: "enterprise"}, {Key: "p", Type: TypeDouble, Value: "0.5"}}, res.Series[3].Labels)
				require.Equal(t, 0.078264145, res.Series[0].Exemplars[0].Value)
			},
		},
		{
			name:   "quantiles with a 5m step",
			req:    MetricsRequest{Query: paymentServer + " | quantile_over_time(duration, .5, .95) by (span.user.tier)", Start: fixtureFrom, End: fixtureTo, Step: 5 * time.Minute},
			params: rangeParams(map[string]string{"q": paymentServer + " | quantile_over_time(duration, .5, .95) by (span.user.tier)", "step": "300s"}),
			file:   "metrics_query_range_quantile_by_tier_step5m.json",
			check: func(t *testing.T, res MetricsResponse) {
				require.NotEmpty(t, res.Series)
				for _, s := range res.Series {
					_, ok := s.Label("p")
					require.True(t, ok)
				}
			},
		},
		{
			name:   "histogram buckets",
			req:    MetricsRequest{Query: payment + " | histogram_over_time(duration)", Start: fixtureFrom, End: fixtureTo, Step: time.Minute},
			params: rangeParams(map[string]string{"q": payment + " | histogram_over_time(duration)", "step": "60s"}),
			file:   "metrics_query_range_histogram.json",
			check: func(t *testing.T, res MetricsResponse) {
				step := readTruthStep(t, "payment")
				require.Len(t, res.Series, 11)
				require.Equal(t, []Attribute{{Key: "__bucket", Type: TypeDouble, Value: "0.008388608"}}, res.Series[0].Labels)
				total := 0.0
				for _, s := range res.Series {
					for _, sm := range s.Samples {
						total += sm.Value
					}
				}
				require.Equal(t, float64(3*step.Sessions), total)
			},
		},
		{
			name:   "server chosen step",
			req:    MetricsRequest{Query: payment + " | rate()", Start: fixtureFrom, End: fixtureTo},
			params: rangeParams(map[string]string{"q": payment + " | rate()"}),
			file:   "metrics_query_range_no_step.json",
			check: func(t *testing.T, res MetricsResponse) {
				require.Len(t, res.Series, 1)
				require.Len(t, res.Series[0].Samples, 349)
				require.Equal(t, 5*time.Second, res.Series[0].Samples[1].Time.Sub(res.Series[0].Samples[0].Time))
			},
		},
		{
			name:    "instant count by tier",
			instant: true,
			req:     MetricsRequest{Query: paymentServer + " | count_over_time() by (span.user.tier)", Start: fixtureFrom, End: fixtureTo},
			params:  rangeParams(map[string]string{"q": paymentServer + " | count_over_time() by (span.user.tier)"}),
			file:    "metrics_query_instant_count_by_tier.json",
			check: func(t *testing.T, res MetricsResponse) {
				require.Equal(t, []Series{
					{Labels: []Attribute{{Key: "span.user.tier", Type: TypeString, Value: "enterprise"}}, Value: 84},
					{Labels: []Attribute{{Key: "span.user.tier", Type: TypeString, Value: "free"}}, Value: 236},
					{Labels: []Attribute{{Key: "span.user.tier", Type: TypeString, Value: "pro"}}, Value: 190},
				}, res.Series)
				require.Equal(t, int64(282), res.Metrics.InspectedSpans)
			},
		},
		{
			name:    "instant errors by version equal truth",
			instant: true,
			req:     MetricsRequest{Query: `{ resource.service.name = "payment_svc" && kind = server && status = error } | count_over_time() by (span.app.version)`, Start: fixtureFrom, End: fixtureTo},
			params:  rangeParams(map[string]string{"q": `{ resource.service.name = "payment_svc" && kind = server && status = error } | count_over_time() by (span.app.version)`}),
			file:    "metrics_query_instant_errors_by_version.json",
			check: func(t *testing.T, res MetricsResponse) {
				step := readTruthStep(t, "payment")
				got := map[string]float64{}
				for _, s := range res.Series {
					v, _ := s.Label("span.app.version")
					got[v] = s.Value
				}
				require.Equal(t, map[string]float64{
					"1.4.0": float64(step.ByAppVersion["1.4.0"].Errors),
					"1.5.0": float64(step.ByAppVersion["1.5.0"].Errors),
				}, got)
				require.Equal(t, map[string]float64{"1.4.0": 12, "1.5.0": 44}, got)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := "/api/metrics/query_range"
			if tt.instant {
				path = "/api/metrics/query"
			}
			u, _ := replay(t, exchange{path: path, params: tt.params, accept: "application/json", contentType: "application/json", file: tt.file}, testAuth)
			c := newTestClient(t, u)
			var res MetricsResponse
			var err error
			if tt.instant {
				res, err = c.MetricsQuery(context.Background(), tt.req)
			} else {
				res, err = c.MetricsQueryRange(context.Background(), tt.req)
			}
			require.NoError(t, err)
			tt.check(t, res)
		})
	}
}

func TestErrorsContract(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ex      exchange
		call    func(c *Client) error
		status  int
		message string
		is      func(error) bool
	}{
		{
			name: "malformed search",
			ex: exchange{path: "/api/search", params: rangeParams(map[string]string{"q": `{ resource.service.name = "cart_svc" && }`, "limit": "20"}),
				accept: "application/json", status: 400, contentType: "text/plain; charset=utf-8", file: "error_search_malformed_traceql.txt"},
			call: func(c *Client) error {
				_, err := c.Search(context.Background(), SearchRequest{Query: `{ resource.service.name = "cart_svc" && }`, Start: fixtureFrom, End: fixtureTo, Limit: 20})
				return err
			},
			status:  400,
			message: "invalid TraceQL query: parse error at line 1, col 41: syntax error: unexpected }",
			is:      IsBadQuery,
		},
		{
			name: "malformed metrics",
			ex: exchange{path: "/api/metrics/query_range", params: rangeParams(map[string]string{"q": `{ resource.service.name = "payment_svc" } | rate( by (status)`, "step": "60s"}),
				accept: "application/json", status: 400, contentType: "text/plain; charset=utf-8", file: "error_metrics_malformed_traceql.txt"},
			call: func(c *Client) error {
				_, err := c.MetricsQueryRange(context.Background(), MetricsRequest{Query: `{ resource.service.name = "payment_svc" } | rate( by (status)`, Start: fixtureFrom, End: fixtureTo, Step: time.Minute})
				return err
			},
			status:  400,
			message: "parse error at line 1, col 51: syntax error: unexpected by, expecting )",
			is:      IsBadQuery,
		},
		{
			name: "metrics without a pipeline",
			ex: exchange{path: "/api/metrics/query_range", params: rangeParams(map[string]string{"q": `{ resource.service.name = "payment_svc" }`, "step": "60s"}),
				accept: "application/json", status: 400, contentType: "text/plain; charset=utf-8", file: "error_metrics_no_pipeline.txt"},
			call: func(c *Client) error {
				_, err := c.MetricsQueryRange(context.Background(), MetricsRequest{Query: `{ resource.service.name = "payment_svc" }`, Start: fixtureFrom, End: fixtureTo, Step: time.Minute})
				return err
			},
			status:  400,
			message: "not a metrics query",
			is:      IsBadQuery,
		},
		{
			name: "invalid trace id",
			ex: exchange{path: "/api/v2/traces/0000000000000000000000000000abcd", accept: "application/json", status: 400,
				contentType: "text/plain; charset=utf-8", file: "error_trace_invalid_id.txt"},
			call: func(c *Client) error {
				_, err := c.TraceByID(context.Background(), "abcd", TraceOptions{})
				return err
			},
			status:  400,
			message: "trace IDs can only contain hex characters: invalid character 'n' at position 1",
			is:      IsBadQuery,
		},
		{
			name: "unknown trace v1",
			ex: exchange{path: "/api/traces/0123456789abcdef0123456789abcdef", params: rangeParams(nil), accept: "application/json", status: 404,
				file: "error_trace_unknown_id.txt"},
			call: func(c *Client) error {
				_, err := c.TraceByID(context.Background(), "0123456789abcdef0123456789abcdef", TraceOptions{Start: fixtureFrom, End: fixtureTo, Legacy: true})
				return err
			},
			status:  404,
			message: "",
			is:      func(err error) bool { return IsNotFound(err) && errors.Is(err, journeys.ErrTraceNotFound) },
		},
		{
			name: "start after end",
			ex: exchange{path: "/api/search", params: map[string]string{"q": `{ resource.service.name = "payment_svc" }`, "start": "1795508160", "end": "1795506420"},
				accept: "application/json", status: 400, contentType: "text/plain; charset=utf-8", file: "error_search_start_after_end.txt"},
			call: func(c *Client) error {
				// The client refuses this itself; a raw request shows Tempo's answer.
				_, err := c.get(context.Background(), c.endpoint("/api/search", map[string][]string{
					"q": {`{ resource.service.name = "payment_svc" }`}, "start": {"1795508160"}, "end": {"1795506420"},
				}), "application/json")
				return err
			},
			status:  400,
			message: "http parameter start must be before end. received start=1795508160 end=1795506420",
			is:      IsBadQuery,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, n := replay(t, tt.ex, testAuth)
			err := tt.call(newTestClient(t, u))
			require.Error(t, err)
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tt.status, apiErr.Status)
			require.Equal(t, tt.message, apiErr.Message)
			require.Equal(t, tt.ex.path, apiErr.Path)
			require.True(t, tt.is(err))
			// 4xx is never retried.
			require.Equal(t, int64(1), n.Load())
		})
	}
}

func TestClientRefusesBadRange(t *testing.T) {
	t.Parallel()
	u, n := replay(t, exchange{path: "/never"}, testAuth)
	c := newTestClient(t, u)
	_, err := c.Search(context.Background(), SearchRequest{Start: fixtureTo, End: fixtureFrom})
	require.ErrorContains(t, err, "is after end")
	_, err = c.Search(context.Background(), SearchRequest{Start: fixtureTo})
	require.ErrorContains(t, err, "set both start and end")
	require.Equal(t, int64(0), n.Load())
}

func TestEchoAndBuildInfoContract(t *testing.T) {
	t.Parallel()
	t.Run("echo", func(t *testing.T) {
		t.Parallel()
		u, _ := replay(t, exchange{path: "/api/echo", contentType: "text/plain; charset=utf-8", file: "echo.txt"}, testAuth)
		require.NoError(t, newTestClient(t, u).Echo(context.Background()))
	})
	t.Run("echo from something else", func(t *testing.T) {
		t.Parallel()
		u, _ := replay(t, exchange{path: "/api/echo", contentType: "text/html", file: "buildinfo.json"}, testAuth)
		require.ErrorContains(t, newTestClient(t, u).Echo(context.Background()), "echo: unexpected answer")
	})
	t.Run("buildinfo", func(t *testing.T) {
		t.Parallel()
		u, _ := replay(t, exchange{path: "/api/status/buildinfo", accept: "application/json", contentType: "application/json", file: "buildinfo.json"}, testAuth)
		bi, err := newTestClient(t, u).BuildInfo(context.Background())
		require.NoError(t, err)
		require.Equal(t, BuildInfo{Version: "3.0.3", Revision: "1900ed7", Branch: "HEAD", GoVersion: "go1.26.8"}, bi)
	})
}
