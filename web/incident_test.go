package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/web/incidenthttp"
)

// submission is what a browser would post for a form: its action and the
// values of its named controls (the first option of a select when none is
// selected).
func submission(t *testing.T, form *goquery.Selection) (string, url.Values) {
	t.Helper()
	require.Equal(t, 1, form.Length(), "one form")
	require.Equal(t, "post", form.AttrOr("method", ""))
	vals := url.Values{}
	form.Find("input[name], textarea[name], select[name]").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		switch goquery.NodeName(s) {
		case "textarea":
			vals.Add(name, s.Text())
		case "select":
			opt := s.Find("option[selected]")
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			vals.Add(name, opt.AttrOr("value", ""))
		default:
			if typ := s.AttrOr("type", "text"); typ == "checkbox" || typ == "radio" {
				if _, on := s.Attr("checked"); !on {
					return
				}
			}
			vals.Add(name, s.AttrOr("value", ""))
		}
	})
	return form.AttrOr("action", ""), vals
}

// traceRows are the linked traces table as text, one row a line.
func traceRows(doc *goquery.Document) []string {
	var rows []string
	testID(doc, "trace-table").Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
		rows = append(rows, cells(tr))
	})
	return rows
}

func idPath(id int64, suffix string) string {
	return "/incidents/" + strconv.FormatInt(id, 10) + suffix
}

func TestIncidentFromTraceKeepsSnapshot(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	ctx := context.Background()
	id := b.openFromTrace(t, declinedTrace, url.Values{"note": {"first decline"}})

	// The whole trace is kept: its snapshot is the trace as the store had it.
	live, err := b.spans.TraceOTLP(ctx, declinedTrace)
	require.NoError(t, err)
	want, err := protojson.Marshal(live)
	require.NoError(t, err)
	got, err := b.incidents.SnapshotJSON(ctx, id, declinedTrace)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))

	rec := b.do(t, http.MethodGet, idPath(id, ""), nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc := page(t, rec)
	require.Equal(t, []string{
		"abc00013 shop s3 ↗ | shop / s3 | card declined | 300 ms | first decline | 2026-03-01 10:05 UTC by editor@example.com | yes | Unlink",
	}, traceRows(doc))
	require.Equal(t, idPath(id, "/traces/"+declinedTrace), testID(doc, "trace-link").AttrOr("href", ""))

	// Retention drops the trace from the store: the incident still shows
	// it, from the snapshot, and says the live copy is gone.
	b.deleteTrace(t, declinedTrace)
	require.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, "/traces/"+declinedTrace, nil).Code)

	rec = b.do(t, http.MethodGet, idPath(id, "/traces/"+declinedTrace), nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	doc = page(t, rec)
	require.Equal(t, declinedTrace, testID(doc, "trace-id").Text())
	var spans []string
	doc.Find("li.wf-span").Each(func(_ int, s *goquery.Selection) {
		f := func(id string) string { return squash(s.Find(`[data-testid="` + id + `"]`).First().Text()) }
		spans = append(spans, s.AttrOr("data-depth", "")+" "+f("span-service")+" "+f("span-name")+" "+f("span-duration")+" "+f("span-error"))
	})
	require.Equal(t, []string{
		"0 shop s3 300 ms card declined",
		"1 psp POST /charge 200 ms upstream returned 402",
	}, spans)
	require.Equal(t, "2 spans · 2 services · 300 ms · started 2026-03-01 10:00 UTC · 2 errors", squash(testID(doc, "trace-summary").Text()))
	require.Equal(t, "no", testID(doc, "trace-live").Text())
	require.Equal(t, "— the trace source no longer holds it; this page shows the copy kept with the incident.", squash(testID(doc, "live-gone").Text()))
	require.Zero(t, testID(doc, "live-link").Length())
	require.Equal(t, "Snapshot taken 2026-03-01 10:05 UTC by editor@example.com : first decline", squash(testID(doc, "snapshot-note").Text()))
	require.Equal(t, "/api/v1/incidents/"+itoa(int(id))+"/traces/"+declinedTrace+"/snapshot", testID(doc, "snapshot-download").AttrOr("href", ""))

	doc = page(t, b.do(t, http.MethodGet, idPath(id, ""), nil))
	require.Equal(t, []string{
		"abc00013 shop s3 ↗ | shop / s3 | card declined | 300 ms | first decline | 2026-03-01 10:05 UTC by editor@example.com | no | Unlink",
	}, traceRows(doc))

	// Another trace, still live, says so and links the live view.
	rec = b.postForm(t, idPath(id, "/traces"), url.Values{"trace_id": {okTrace}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	doc = page(t, b.do(t, http.MethodGet, idPath(id, "/traces/"+okTrace), nil))
	require.Equal(t, "yes", testID(doc, "trace-live").Text())
	require.Equal(t, "/traces/"+okTrace, testID(doc, "live-link").AttrOr("href", ""))

	// An id not linked to the incident is not found, whatever the store
	// holds.
	for _, p := range []string{"/traces/" + declinedAgain, "/traces/zz", "/traces/1"} {
		require.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, idPath(id, p), nil).Code, p)
	}
}

func TestIncidentRelatedOneClickLink(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	id := b.openFromTrace(t, declinedTrace, nil)

	doc := page(t, b.do(t, http.MethodGet, idPath(id, ""), nil))
	related := func(doc *goquery.Document) []string {
		var out []string
		testID(doc, "related-table").Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
			out = append(out, cells(tr))
		})
		return out
	}
	// The same error as the linked trace first, then the step's other
	// failures; the linked trace and the trace that went well never.
	require.Equal(t, []string{
		"abc00023 | shop / s3 | shop s3 300 ms | card declined same error | 2026-03-01 10:00:40 | Link",
		"abc00033 | shop / s3 | shop s3 300 ms | gateway timeout | 2026-03-01 10:00:50 | Link",
	}, related(doc))

	// One click on "Link" posts the suggestion's form.
	button := testID(doc, "related-"+declinedAgain).Find(`[data-testid="link-related"]`)
	action, vals := submission(t, button.Closest("form"))
	require.Equal(t, idPath(id, "/traces"), action)
	require.Equal(t, url.Values{"trace_id": {declinedAgain}, "step": {"shop / s3"}}, vals)
	rec := b.postForm(t, action, vals)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(t, idPath(id, ""), rec.Header().Get("Location"))

	doc = page(t, b.do(t, http.MethodGet, idPath(id, ""), nil))
	require.Equal(t, []string{
		"abc00013 shop s3 ↗ | shop / s3 | card declined | 300 ms | — | 2026-03-01 10:05 UTC by editor@example.com | yes | Unlink",
		"abc00023 shop s3 ↗ | shop / s3 | card declined | 300 ms | — | 2026-03-01 10:05 UTC by editor@example.com | yes | Unlink",
	}, traceRows(doc))
	require.Equal(t, []string{
		"abc00033 | shop / s3 | shop s3 300 ms | gateway timeout | 2026-03-01 10:00:50 | Link",
	}, related(doc))
}

func TestIncidentTimelineOnPage(t *testing.T) {
	t.Parallel()
	deploy := incident.Event{At: sat(20 * time.Second), Title: "Deploy shop 1.5.0", Detail: "prod", Link: "https://ci.example/builds/42"}
	// A link from elsewhere that is not a web address is never followed.
	alert := incident.Event{At: sat(35 * time.Second), Title: "SLO shop-success paging", Detail: "burn 14.4× over 1h", Link: "javascript:alert(1)"}
	b := setupIncidents(t, incidentConfig{edit: func(o *Options) {
		o.IncidentEvents = fixedEvents([]incident.Event{deploy}, []incident.Event{alert})
	}})
	id := b.openFromTrace(t, declinedTrace, url.Values{"detected_at": {"2026-03-01 10:01"}})
	require.Equal(t, http.StatusSeeOther, b.postForm(t, idPath(id, "/traces"), url.Values{"trace_id": {timeoutTrace}}).Code)
	require.Equal(t, http.StatusSeeOther, b.postForm(t, idPath(id, "/status"), url.Values{"status": {"resolved"}}).Code)

	doc := page(t, b.do(t, http.MethodGet, idPath(id, ""), nil))
	var events []string
	doc.Find("ol.timeline li").Each(func(i int, li *goquery.Selection) {
		require.Equal(t, "event-"+itoa(i), li.AttrOr("data-testid", ""))
		events = append(events, strings.Join([]string{
			li.Find(`[data-testid="event-time"]`).Text(), li.AttrOr("data-kind", ""),
			squash(li.Find(`[data-testid="event-title"]`).Text()), squash(li.Find(`[data-testid="event-detail"]`).Text()),
			li.Find("a").AttrOr("href", ""),
		}, " | "))
	})
	require.Equal(t, []string{
		"2026-03-01 10:00:20 | deploy | Deploy shop 1.5.0 | prod | https://ci.example/builds/42",
		"2026-03-01 10:00:30 | incident | Impact started |  | ",
		"2026-03-01 10:00:30 | trace | Trace abc00013: shop s3 | error: card declined; step: shop / s3 | " + idPath(id, "/traces/"+declinedTrace),
		"2026-03-01 10:00:35 | alert | SLO shop-success paging | burn 14.4× over 1h | about:invalid#TemplFailedSanitizationURL",
		"2026-03-01 10:00:50 | trace | Trace abc00033: shop s3 | error: gateway timeout | " + idPath(id, "/traces/"+timeoutTrace),
		"2026-03-01 10:01:00 | incident | Detected |  | ",
		"2026-03-01 10:05:00 | incident | Impact ended |  | ",
		"2026-03-01 10:05:00 | status | Incident opened as investigating | by editor@example.com | ",
		"2026-03-01 10:05:00 | status | Status investigating → resolved | by editor@example.com | ",
	}, events)

	// The first affected journey's impact chart, as the store draws it.
	svg, err := b.incidents.ImpactChart(context.Background(), id, "shop")
	require.NoError(t, err)
	chart := testID(doc, "impact-chart")
	require.Equal(t, "shop", chart.AttrOr("data-journey", ""))
	inner, err := chart.Find("svg").Parent().Html()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(inner, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 180"`), inner)
	require.Equal(t, 1, chart.Find("rect.incident-window").Length())
	require.Contains(t, svg, `aria-label="shop: conversion and error rate around incident 1"`)
	require.Equal(t, "shop: conversion and error rate around incident 1", chart.Find("svg").AttrOr("aria-label", ""))
}

func TestIncidentPostmortemDownload(t *testing.T) {
	t.Parallel()
	deploy := incident.Event{At: sat(20 * time.Second), Title: "Deploy shop 1.5.0"}
	b := setupIncidents(t, incidentConfig{edit: func(o *Options) { o.IncidentEvents = fixedEvents([]incident.Event{deploy}, nil) }})
	id := b.openFromTrace(t, declinedTrace, url.Values{"summary": {"Payments failed | for **gold** users\r\n<script>alert(1)</script>"}})

	want, err := b.incidents.Postmortem(context.Background(), id, incident.PostmortemOptions{
		PublicURL:        "https://waymark.example",
		TraceURLTemplate: "https://grafana.example/explore?trace={traceID}",
		Deploys:          []incident.Event{deploy},
	})
	require.NoError(t, err)
	require.Contains(t, string(want), "| 2026-03-01 10:00:20 | Deploy shop 1.5.0 |  |\n")

	rec := b.do(t, http.MethodGet, idPath(id, "/postmortem.md"), nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/markdown; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Equal(t, `attachment; filename="incident-1-postmortem.md"`, rec.Header().Get("Content-Disposition"))
	require.Equal(t, string(want), rec.Body.String())

	// The page shows the same draft to copy, and the summary as text:
	// what a user typed never becomes markup.
	doc := page(t, b.do(t, http.MethodGet, idPath(id, ""), nil))
	require.Equal(t, string(want), testID(doc, "postmortem-text").Text())
	_, readonly := testID(doc, "postmortem-text").Attr("readonly")
	require.True(t, readonly)
	require.Equal(t, "postmortem-text", testID(doc, "copy-postmortem").AttrOr("data-copy", ""))
	require.Equal(t, "Payments failed | for **gold** users\n<script>alert(1)</script>", testID(doc, "summary").Text())
	require.Zero(t, doc.Find("main script:not([src])").Length())
	require.Equal(t, 1, doc.Find(`script[src^="/static/copy.js?v="]`).Length())
	require.Equal(t, idPath(id, "/postmortem.md"), testID(doc, "postmortem-link").AttrOr("href", ""))

	for path, status := range map[string]int{"/incidents/7/postmortem.md": 404, "/incidents/x/postmortem.md": 400} {
		require.Equal(t, status, b.do(t, http.MethodGet, path, nil).Code, path)
	}
}

func TestIncidentNewPrefill(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	fields := func(doc *goquery.Document) map[string]string {
		out := map[string]string{}
		for _, name := range []string{"trace_id", "step", "note", "title", "severity", "status", "started_at", "detected_at", "resolved_at", "journeys", "steps", "owner", "summary"} {
			out[name] = inputValue(doc, name)
		}
		return out
	}
	cases := []struct {
		name  string
		query string
		want  map[string]string
		// preview is the description of the trace, "" for none.
		preview string
	}{
		{
			name:  "from an exemplar of the map, by step number",
			query: "trace=" + declinedTrace + "&journey=shop&step=3&at=2026-03-01T10:00:30.25Z",
			want: map[string]string{"trace_id": declinedTrace, "step": "shop / s3", "title": "Shop / s3 failing: card declined",
				"severity": "SEV3", "status": "investigating", "started_at": "2026-03-01 10:00:30", "journeys": "shop", "steps": "shop / s3"},
			preview: "shop s3 · 2 spans · 300 ms · started 2026-03-01 10:00 UTC · card declined",
		},
		{
			name:  "with the error given, a short id, and the step by name",
			query: "trace=abc00033000000000000000000000033&journey=shop&step=s3&error=gateway%20timeout",
			want: map[string]string{"trace_id": timeoutTrace, "step": "shop / s3", "title": "Shop / s3 failing: gateway timeout",
				"severity": "SEV3", "status": "investigating", "journeys": "shop", "steps": "shop / s3"},
			preview: "shop s3 · 2 spans · 300 ms · started 2026-03-01 10:00 UTC · gateway timeout",
		},
		{
			name:  "a trace that went well, unknown step",
			query: "trace=" + okTrace + "&journey=shop&step=9",
			want: map[string]string{"trace_id": okTrace, "title": "Trace abc00043", "severity": "SEV3", "status": "investigating",
				"journeys": "shop"},
			preview: "shop s3 · 2 spans · 300 ms · started 2026-03-01 10:01 UTC",
		},
		{
			name:  "a trace the source does not hold, an unknown journey, a bad time",
			query: "trace=ffff&journey=nope&step=1&at=yesterday",
			want: map[string]string{"trace_id": "0000000000000000000000000000ffff", "title": "Trace 00000000", "severity": "SEV3",
				"status": "investigating", "journeys": "nope", "started_at": "yesterday"},
		},
		{
			name:  "nothing",
			query: "",
			want:  map[string]string{"severity": "SEV3", "status": "investigating"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := b.do(t, http.MethodGet, "/incidents/new?"+tc.query, nil)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			doc := page(t, rec)
			want := map[string]string{}
			for name := range fields(doc) {
				want[name] = tc.want[name]
			}
			got := fields(doc)
			if tc.want["trace_id"] == "" {
				// The form offers no trace fields without a trace.
				require.Zero(t, testID(doc, "from-trace").Length())
				for _, name := range []string{"trace_id", "step", "note"} {
					delete(want, name)
					delete(got, name)
				}
			}
			require.Equal(t, want, got)
			require.Equal(t, tc.preview, squash(testID(doc, "trace-preview").Text()))
			require.Equal(t, "/incidents/new", doc.Find("#incident-form").AttrOr("action", ""))
		})
	}
}

func TestIncidentCreateRefused(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	small := setupIncidents(t, incidentConfig{snapshotLimit: 64})
	valid := url.Values{
		"trace_id": {declinedTrace}, "step": {"shop / s3"}, "note": {"n"}, "title": {"Payments failing"}, "severity": {"SEV2"},
		"status": {"investigating"}, "journeys": {"shop"}, "steps": {"shop / s3"}, "summary": {"kept as typed"},
	}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range valid {
			v[k] = append([]string(nil), vs...)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	cases := []struct {
		name   string
		b      *incidentBundle
		form   url.Values
		status int
		// errs are the messages shown beside fields, by field.
		errs    map[string]string
		message string
	}{
		{"no title", b, with("title", "  "), 422, map[string]string{"title": "required"}, ""},
		{"unknown severity and status", b, with("severity", "SEV9", "status", "closed"), 422, map[string]string{
			"severity": "must be SEV1, SEV2, SEV3 or SEV4", "status": "must be investigating, identified, monitoring or resolved"}, ""},
		{"unreadable times", b, with("started_at", "noon", "detected_at", "2026-13-01 10:00"), 422, map[string]string{
			"started_at": "must be a UTC time such as 2026-03-01 10:00, or RFC 3339", "detected_at": "must be a UTC time such as 2026-03-01 10:00, or RFC 3339"}, ""},
		{"detected before the start", b, with("started_at", "2026-03-01 10:00", "detected_at", "2026-03-01 09:00"), 422, map[string]string{
			"detected_at": "must not be before the start"}, ""},
		{"unknown journey", b, with("journeys", "shop nope"), 422, map[string]string{"journeys[1]": `no journey "nope"`}, ""},
		{"unreadable step line", b, with("steps", "shop s3"), 422, map[string]string{"steps[0]": "line 1: write journey / step, e.g. shop-checkout / Payment"}, ""},
		{"unknown step of the trace", b, with("step", "shop / s9"), 422, map[string]string{"step": `journey "shop" has no step "s9"`}, ""},
		{"malformed trace id", b, with("trace_id", "xyz"), 422, map[string]string{"trace_id": "must be 1 to 32 hex digits"}, ""},
		{"trace id missing with a note", b, with("trace_id", ""), 422, map[string]string{"trace_id": "required to link the trace"}, ""},
		{"trace the source does not hold", b, with("trace_id", "ffff"), 404, map[string]string{"trace_id": "not found in the trace source"}, ""},
		{"snapshot over the cap", small, with(), 413, map[string]string{"trace_id": snapshotTooLarge(t, small, declinedTrace, 64)}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.b.counts(t)
			rec := tc.b.postForm(t, "/incidents/new", tc.form)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			doc := page(t, rec)
			got := map[string]string{}
			doc.Find(".field-error").Each(func(_ int, s *goquery.Selection) {
				got[strings.TrimPrefix(s.AttrOr("data-testid", ""), "error-")] = squash(s.Contents().Not(".where").Text())
			})
			require.Equal(t, tc.errs, got)
			// Every input is kept as typed.
			for _, name := range []string{"trace_id", "step", "note", "title", "started_at", "detected_at", "journeys", "steps", "summary"} {
				require.Equal(t, strings.TrimSpace(tc.form.Get(name)), inputValue(doc, name), name)
			}
			require.Equal(t, tc.b.counts(t), before)
			require.Equal(t, "incidents=0 incident_status_changes=0 incident_traces=0 ", before)
		})
	}
}

// snapshotTooLarge is the message refusing a snapshot of traceID over
// limit, with the sizes of the trace encoded as the incident store encodes
// snapshots: OTLP JSON, gzip at the best compression.
func snapshotTooLarge(t *testing.T, b *incidentBundle, traceID string, limit int64) string {
	t.Helper()
	td, err := b.spans.TraceOTLP(context.Background(), traceID)
	require.NoError(t, err)
	js, err := protojson.Marshal(td)
	require.NoError(t, err)
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write(js)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return (&incident.SnapshotTooLargeError{TraceID: traceID, Spans: 2, Compressed: int64(gz.Len()),
		Uncompressed: int64(len(js)), Limit: limit}).Error()
}

func TestIncidentPageActionsRefused(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	id := b.openFromTrace(t, declinedTrace, nil)
	require.Equal(t, http.StatusSeeOther, b.postForm(t, idPath(id, "/status"), url.Values{"status": {"resolved"}}).Code)
	before := b.counts(t)
	require.Equal(t, "incidents=1 incident_status_changes=2 incident_traces=1 1:resolved:v2", before)

	cases := []struct {
		name   string
		path   string
		form   url.Values
		status int
		// message is the page's message at the top, fields those beside
		// the link form's fields.
		message string
		fields  map[string]string
	}{
		{"resolved cannot go back to monitoring", "/status", url.Values{"status": {"monitoring"}}, 422,
			"Status not changed: cannot go from resolved to monitoring: a resolved incident reopens as investigating.", nil},
		{"unknown status", "/status", url.Values{"status": {"closed"}}, 422,
			"Status not changed: must be investigating, identified, monitoring or resolved.", nil},
		{"trace already linked", "/traces", url.Values{"trace_id": {"ABC00013000000000000000000000013"}, "note": {"again"}}, 409,
			"The trace was not linked: trace " + declinedTrace + " is already linked to incident 1.",
			map[string]string{"trace_id": "trace " + declinedTrace + " is already linked to incident 1"}},
		{"trace the source does not hold", "/traces", url.Values{"trace_id": {"ffff"}}, 404,
			"The trace was not linked: trace 0000000000000000000000000000ffff not found in the trace source.",
			map[string]string{"trace_id": "not found in the trace source"}},
		{"malformed trace id", "/traces", url.Values{"trace_id": {"not-hex"}, "step": {"shop / s2"}}, 422,
			"The trace was not linked: trace id must be 1 to 32 hex digits.", map[string]string{"trace_id": "must be 1 to 32 hex digits"}},
		{"unreadable step", "/traces", url.Values{"trace_id": {declinedAgain}, "step": {"s2"}}, 422,
			"The trace was not linked.", map[string]string{"step": "write journey / step, e.g. shop-checkout / Payment"}},
		{"unlink a trace not linked", "/traces/" + okTrace + "/unlink", nil, 404,
			"Trace " + okTrace + " is not linked to this incident; nothing was unlinked.", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := b.postForm(t, idPath(id, tc.path), tc.form)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			doc := page(t, rec)
			require.Equal(t, tc.message, squash(testID(doc, "page-message").Text()))
			got := map[string]string{}
			testID(doc, "link-form").Find(".field-error").Each(func(_ int, s *goquery.Selection) {
				got[strings.TrimPrefix(s.AttrOr("data-testid", ""), "error-")] = squash(s.Text())
			})
			if tc.fields == nil {
				tc.fields = map[string]string{}
			}
			require.Equal(t, tc.fields, got)
			if tc.path == "/traces" {
				for _, name := range []string{"trace_id", "note", "step"} {
					require.Equal(t, tc.form.Get(name), inputValue(doc, name), name)
				}
			}
			// The page is the incident's, unchanged.
			require.Equal(t, "resolved", testID(doc, "status").Text())
			require.Equal(t, before, b.counts(t))
		})
	}

	t.Run("edit over a newer version", func(t *testing.T) {
		form := url.Values{"version": {"1"}, "title": {"Renamed"}, "severity": {"SEV1"}, "status": {"resolved"},
			"started_at": {"2026-03-01 10:00:30"}, "journeys": {"shop"}, "steps": {"shop / s3"}}
		rec := b.postForm(t, idPath(id, "/edit"), form)
		require.Equal(t, http.StatusConflict, rec.Code, rec.Body.String())
		doc := page(t, rec)
		require.Equal(t, "This incident was changed by editor@example.com at 2026-03-01 10:05:00 UTC (version 2, you opened version 1); nothing was saved. Reload it to see their changes.",
			testID(doc, "form-message").Text())
		require.Equal(t, "Renamed", inputValue(doc, "title"))
		require.Equal(t, "1", inputValue(doc, "version"))
		require.Equal(t, before, b.counts(t))
	})
	t.Run("unknown and malformed incidents", func(t *testing.T) {
		for _, tc := range []struct {
			method, path string
			status       int
			msg          string
		}{
			{http.MethodGet, "/incidents/99", 404, "Incident 99 not found."},
			{http.MethodGet, "/incidents/99/edit", 404, "Incident 99 not found."},
			{http.MethodPost, "/incidents/99/status", 404, "Incident 99 not found."},
			{http.MethodPost, "/incidents/99/traces", 404, "Incident 99 not found."},
			{http.MethodPost, "/incidents/99/edit", 404, "Incident 99 not found."},
			{http.MethodGet, "/incidents/abc", 400, `"abc" is not an incident id: expected a positive whole number.`},
			{http.MethodGet, "/incidents/0", 400, `"0" is not an incident id: expected a positive whole number.`},
			{http.MethodPost, "/incidents/-1/status", 400, `"-1" is not an incident id: expected a positive whole number.`},
		} {
			form := url.Values{"status": {"investigating"}, "trace_id": {okTrace}, "version": {"1"}, "title": {"x"}}
			var rec = b.do(t, tc.method, tc.path, nil)
			if tc.method == http.MethodPost {
				rec = b.postForm(t, tc.path, form)
			}
			require.Equal(t, tc.status, rec.Code, tc.path)
			require.Equal(t, tc.msg, testID(page(t, rec), "error-message").Text(), tc.path)
		}
		require.Equal(t, before, b.counts(t))
	})
	t.Run("cross-origin posts", func(t *testing.T) {
		for _, p := range []string{"/incidents/new", idPath(id, "/status"), idPath(id, "/traces"), idPath(id, "/edit"), "/incidents/traces"} {
			rec := b.do(t, http.MethodPost, p, strings.NewReader("status=investigating&trace_id="+okTrace),
				"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "cross-site")
			require.Equal(t, http.StatusForbidden, rec.Code, p)
			require.True(t, strings.HasPrefix(testID(page(t, rec), "error-message").Text(), "Cross-origin request refused: "), p)
		}
		require.Equal(t, before, b.counts(t))
	})
}

func TestIncidentEditAndStatus(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	id := b.openFromTrace(t, declinedTrace, nil)

	doc := page(t, b.do(t, http.MethodGet, idPath(id, "/edit"), nil))
	action, vals := submission(t, doc.Find("#incident-form"))
	require.Equal(t, idPath(id, "/edit"), action)
	require.Equal(t, url.Values{
		"version": {"1"}, "title": {"Payments failing"}, "severity": {"SEV2"}, "status": {"investigating"}, "owner": {""},
		"started_at": {"2026-03-01 10:00:30"}, "detected_at": {"2026-03-01 10:00:30"}, "resolved_at": {""},
		"journeys": {"shop"}, "steps": {"shop / s3"}, "summary": {""},
	}, vals)
	var statuses []string
	doc.Find(`select[name="status"] option`).Each(func(_ int, o *goquery.Selection) { statuses = append(statuses, o.AttrOr("value", "")) })
	require.Equal(t, []string{"investigating", "identified", "monitoring", "resolved"}, statuses)

	vals.Set("title", "Card payments failing")
	vals.Set("owner", "team-payments")
	vals.Set("status", "identified")
	vals.Set("summary", "PSP rejects cards.\r\n")
	rec := b.postForm(t, action, vals)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	in, err := b.incidents.Get(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, []string{"Card payments failing", "team-payments", "identified", "PSP rejects cards.\n", "2"},
		[]string{in.Title, in.Owner, string(in.Status), in.Summary, itoa(in.Version)})

	// The page offers only the moves the workflow allows.
	buttons := func() []string {
		var out []string
		testID(page(t, b.do(t, http.MethodGet, idPath(id, ""), nil)), "status-actions").Find("button").Each(func(_ int, s *goquery.Selection) {
			out = append(out, s.AttrOr("value", "")+"="+s.Text())
		})
		return out
	}
	require.Equal(t, []string{"monitoring=Mark monitoring", "resolved=Resolve"}, buttons())
	require.Equal(t, http.StatusSeeOther, b.postForm(t, idPath(id, "/status"), url.Values{"status": {"resolved"}}).Code)
	require.Equal(t, []string{"investigating=Reopen"}, buttons())
	doc = page(t, b.do(t, http.MethodGet, idPath(id, ""), nil))
	require.Equal(t, "2026-03-01 10:05:00 UTC", squash(testID(doc, "fact-resolved").Text()))
	require.Equal(t, "resolved", testID(doc, "status").Text())
	require.True(t, testID(doc, "status").HasClass("status-resolved"))
	require.Equal(t, "SEV2", testID(doc, "severity").Text())

	// An unlinked trace leaves with its snapshot.
	require.Equal(t, http.StatusSeeOther, b.postForm(t, idPath(id, "/traces/"+declinedTrace+"/unlink"), nil).Code)
	require.Equal(t, "incidents=1 incident_status_changes=3 incident_traces=0 1:resolved:v3", b.counts(t))
}

func TestIncidentListPage(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	ctx := context.Background()
	mk := func(title string, sev incident.Severity, st incident.Status, start time.Duration, journeys ...string) {
		in := incident.Incident{Title: title, Severity: sev, Status: st, StartedAt: sat(start), Journeys: journeys}
		if st == incident.StatusResolved {
			in.ResolvedAt = sat(start + 10*time.Minute)
		}
		_, err := b.incidents.Create(ctx, in, "test")
		require.NoError(t, err)
	}
	mk("Old outage", incident.SEV1, incident.StatusResolved, -2*time.Hour, "shop")
	mk("Slow search", incident.SEV3, incident.StatusMonitoring, -time.Hour)
	mk("Payments failing", incident.SEV2, incident.StatusInvestigating, 30*time.Second, "shop")

	list := func(q string) []string {
		rec := b.do(t, http.MethodGet, "/incidents"+q, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var rows []string
		testID(page(t, rec), "incident-table").Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
			rows = append(rows, cells(tr))
		})
		return rows
	}
	payments := "#3 Payments failing | SEV2 | investigating | 2026-03-01 10:00 UTC | open | shop | —"
	search := "#2 Slow search | SEV3 | monitoring | 2026-03-01 09:00 UTC | open |  | —"
	outage := "#1 Old outage | SEV1 | resolved | 2026-03-01 08:00 UTC | 2026-03-01 08:10 UTC | shop | —"
	cases := map[string][]string{
		"": {payments, search, outage},
		"?status=investigating&status=monitoring": {payments, search},
		"?status=resolved":                        {outage},
		"?journey=shop":                           {payments, outage},
		"?from=2026-03-01T08:30:00Z":              {payments, search},
		"?to=2026-03-01T09:00:00Z":                {outage},
		"?journey=shop&status=resolved&from=2026-03-01T08:05:00Z&to=2026-03-01T08:06:00Z": {outage},
	}
	for q, want := range cases {
		require.Equal(t, want, list(q), q)
	}
	doc := page(t, b.do(t, http.MethodGet, "/incidents?status=resolved&journey=shop", nil))
	_, checked := testID(doc, "filter-status-resolved").Attr("checked")
	require.True(t, checked)
	require.Equal(t, "shop", testID(doc, "filter-journey").Find("option[selected]").AttrOr("value", ""))
	require.Equal(t, "/incidents/1", testID(doc, "incident-1").Find("a").AttrOr("href", ""))
	require.Equal(t, "page", doc.Find(`nav a[href="/incidents"]`).AttrOr("aria-current", ""))

	rec := b.do(t, http.MethodGet, "/incidents?status=resolved&journey=nope", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "No incidents match", testID(page(t, rec), "empty-state").Find("h2").Text())

	for q, msg := range map[string]string{
		"?status=closed":  `Status: "closed" is not one of investigating, identified, monitoring or resolved.`,
		"?journey=Bad!":   `Journey: "Bad!" is not a journey slug.`,
		"?from=yesterday": `From: "yesterday" is not an RFC3339 time such as 2026-03-01T10:00:00Z.`,
		"?from=2026-03-01T10:00:00Z&to=2026-03-01T09:00:00Z": "From: 2026-03-01T10:00:00Z is not before to (2026-03-01T09:00:00Z).",
	} {
		rec := b.do(t, http.MethodGet, "/incidents"+q, nil)
		require.Equal(t, http.StatusBadRequest, rec.Code, q)
		require.Equal(t, msg, testID(page(t, rec), "error-message").Text(), q)
	}
}

func TestIncidentsNotConfigured(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{edit: func(o *Options) { o.Incidents = incidenthttp.Off{} }})
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/incidents"}, {http.MethodGet, "/incidents/new"}, {http.MethodPost, "/incidents/new"},
		{http.MethodGet, "/incidents/1"}, {http.MethodPost, "/incidents/1/traces"}, {http.MethodGet, "/incidents/1/postmortem.md"},
		{http.MethodPost, "/incidents/traces"},
	} {
		rec := b.postForm(t, tc.path, nil)
		if tc.method == http.MethodGet {
			rec = b.do(t, tc.method, tc.path, nil)
		}
		require.Equal(t, http.StatusServiceUnavailable, rec.Code, tc.path)
		require.Equal(t, "Incidents are not configured.", testID(page(t, rec), "error-message").Text(), tc.path)
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/incidents"}, {http.MethodPost, "/api/v1/incidents"}, {http.MethodGet, "/api/v1/incidents/1/timeline"},
		{http.MethodDelete, "/api/v1/incidents/1/traces/" + okTrace},
	} {
		rec := b.do(t, tc.method, tc.path, strings.NewReader(`{}`), "Content-Type", "application/json")
		requireJSON(t, rec, http.StatusServiceUnavailable, `{"error":{"message":"incidents are not configured"}}`)
	}
	// The actions beside traces are hidden, and so is the navigation.
	doc := page(t, b.do(t, http.MethodGet, "/traces/"+declinedTrace+"?journey=shop&step=3", nil))
	require.Zero(t, testID(doc, "open-incident").Length())
	require.Zero(t, doc.Find(`nav a[href="/incidents"]`).Length())
	doc = page(t, b.do(t, http.MethodGet, "/journeys/shop?from=2026-03-01T10:00:00Z&to=2026-03-01T10:03:00Z", nil))
	require.Equal(t, 1, testID(doc, "step-2-errored-0").Length())
	require.Zero(t, doc.Find(".incident-actions").Length())
}

func TestTracePageIncidentActions(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	// No open incident yet: only "Open incident".
	doc := page(t, b.do(t, http.MethodGet, "/traces/"+declinedTrace+"?journey=shop&step=3", nil))
	require.Equal(t, "/incidents/new?"+url.Values{
		"trace": {declinedTrace}, "journey": {"shop"}, "step": {"3"}, "at": {"2026-03-01T10:00:30Z"}, "error": {"card declined"},
	}.Encode(), testID(doc, "open-incident").AttrOr("href", ""))
	require.Zero(t, testID(doc, "add-form").Length())
	require.Equal(t, "Incidents", doc.Find(`nav a[href="/incidents"]`).Text())

	id := b.openFromTrace(t, declinedTrace, nil)
	_, err := b.incidents.Create(context.Background(), incident.Incident{Title: "Old", Severity: incident.SEV4,
		Status: incident.StatusResolved, StartedAt: sat(-time.Hour), ResolvedAt: sat(-time.Minute)}, "test")
	require.NoError(t, err)

	// Without a journey step, and with one the journey does not have.
	for q, want := range map[string]url.Values{
		"":                     {"trace": {declinedAgain}, "at": {"2026-03-01T10:00:40Z"}, "error": {"card declined"}},
		"?journey=gone&step=1": {"trace": {declinedAgain}, "at": {"2026-03-01T10:00:40Z"}, "error": {"card declined"}},
	} {
		doc := page(t, b.do(t, http.MethodGet, "/traces/"+declinedAgain+q, nil))
		require.Equal(t, "/incidents/new?"+want.Encode(), testID(doc, "open-incident").AttrOr("href", ""), q)
	}

	// "Add to incident" offers the open incidents only, and sends the
	// trace's step along.
	doc = page(t, b.do(t, http.MethodGet, "/traces/"+declinedAgain+"?journey=shop&step=3", nil))
	var options []string
	testID(doc, "add-incident-id").Find("option").Each(func(_ int, o *goquery.Selection) {
		options = append(options, o.AttrOr("value", "")+"="+o.Text())
	})
	require.Equal(t, []string{"1=#1 SEV2 Payments failing"}, options)
	action, vals := submission(t, testID(doc, "add-form"))
	require.Equal(t, "/incidents/traces", action)
	vals.Set("note", "same decline")
	require.Equal(t, url.Values{"trace_id": {declinedAgain}, "step": {"shop / s3"}, "incident": {"1"}, "note": {"same decline"}}, vals)
	// The form goes to the incident picked in it, posted again there.
	rec := b.postForm(t, action, vals)
	require.Equal(t, http.StatusTemporaryRedirect, rec.Code, rec.Body.String())
	require.Equal(t, idPath(id, "/traces"), rec.Header().Get("Location"))
	rec = b.postForm(t, rec.Header().Get("Location"), vals)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	links, err := b.incidents.LinkedTraces(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, links, 2)
	require.Equal(t, []string{declinedAgain, "same decline", "shop / s3"}, []string{links[1].TraceID, links[1].Note, links[1].Step.String()})

	rec = b.postForm(t, "/incidents/traces", url.Values{"trace_id": {okTrace}, "incident": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	require.Equal(t, "The request was not valid: choose the incident to add the trace to.", testID(page(t, rec), "error-message").Text())
}

func TestJourneyMapIncidentActions(t *testing.T) {
	t.Parallel()
	b := setupIncidents(t, incidentConfig{})
	b.openFromTrace(t, okTrace, url.Values{"step": {"shop / s3"}, "title": {"Watching"}})
	doc := page(t, b.do(t, http.MethodGet, "/journeys/shop?from=2026-03-01T10:00:00Z&to=2026-03-01T10:03:00Z", nil))

	// Step 3's failures, latest first, each with its incident actions.
	var errored []string
	testID(doc, "step-2-errored").Children().Each(func(j int, li *goquery.Selection) {
		p := "step-2-errored-" + itoa(j)
		open := li.Find(`[data-testid="` + p + `-open-incident"]`)
		action, vals := submission(t, li.Find(`[data-testid="`+p+`-add-form"]`))
		errored = append(errored, strings.Join([]string{
			li.Find(`[data-testid="`+p+`"]`).AttrOr("href", ""), open.AttrOr("href", ""), action, vals.Encode(),
		}, " "))
	})
	row := func(trace string, at string) string {
		return "/traces/" + trace + "?journey=shop&step=3 /incidents/new?" +
			url.Values{"trace": {trace}, "journey": {"shop"}, "step": {"3"}, "at": {at}}.Encode() +
			" /incidents/traces " + url.Values{"trace_id": {trace}, "step": {"shop / s3"}, "incident": {"1"}, "note": {""}}.Encode()
	}
	require.Equal(t, []string{
		row(timeoutTrace, "2026-03-01T10:00:50Z"),
		row(declinedAgain, "2026-03-01T10:00:40Z"),
		row(declinedTrace, "2026-03-01T10:00:30Z"),
	}, errored)
	slowest := testID(doc, "step-0-slowest-0")
	require.Equal(t, "/traces/"+slowest.AttrOr("title", "")+"?journey=shop&step=1", slowest.AttrOr("href", ""))
	require.Equal(t, "Open incident", testID(doc, "step-0-slowest-0-open-incident").Text())
}
