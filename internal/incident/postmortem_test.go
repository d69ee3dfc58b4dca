package incident

import (
	"bytes"
	"context"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/waymarkhq/waymark/internal/rollup"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), string(got))
}

func TestPostmortemGolden(t *testing.T) {
	t.Parallel()
	start, end := t0.Add(10*time.Minute), t0.Add(35*time.Minute)
	week := 7 * 24 * time.Hour
	steps := func(values ...float64) []rollup.StepStats {
		out := make([]rollup.StepStats, len(values))
		for i, v := range values {
			out[i] = rollup.StepStats{Step: i, Spans: 140, ValueSum: v}
		}
		return out
	}
	stats := &fakeStats{stats: map[string]rollup.JourneyStats{
		statsKey("shop-checkout", start):            {Entered: 412, Completed: 97, Errored: 61, Steps: steps(0, 0, 0, 0, 25000.5)},
		statsKey("shop-checkout", start.Add(-week)): {Entered: 398, Completed: 131, Errored: 9, Steps: steps(0, 0, 0, 0, 28963.25)},
		statsKey("login-flow", start):               {Entered: 1500, Completed: 1496, Errored: 4, InFlight: 3},
		statsKey("login-flow", start.Add(-week)):    {Entered: 1400, Completed: 1395, Errored: 5},
	}}
	b := setup(t, Config{Stats: stats})
	ctx := context.Background()
	b.insert(t, declinedID, t0.Add(12*time.Minute+250*time.Millisecond), payment("card declined")...)
	b.insert(t, okID, t0.Add(16*time.Minute), payment("")...)

	b.clock.Set(t0.Add(15 * time.Minute))
	in := Incident{
		Title:      "Payments failing after the 1.5.0 deploy",
		Severity:   SEV1,
		StartedAt:  start,
		DetectedAt: t0.Add(14*time.Minute + 30*time.Second),
		Journeys:   []string{"shop-checkout", "login-flow"},
		Owner:      "alice",
		Summary:    "Payments on app **1.5.0** failed for 25 minutes.\r\n\r\n- card declines spiked\n- logins were fine\n\n",
	}
	created, _, err := b.store.CreateFromTrace(ctx, in, declinedID, "first customer report | via support", StepRef{"shop-checkout", "Payment"}, "alice")
	require.NoError(t, err)
	b.clock.Set(t0.Add(18 * time.Minute))
	_, err = b.store.LinkTrace(ctx, created.ID, okID, "a payment that went through", StepRef{}, "bob")
	require.NoError(t, err)
	for _, step := range []struct {
		at     time.Duration
		status Status
		who    string
	}{{22 * time.Minute, StatusIdentified, "bob"}, {33 * time.Minute, StatusMonitoring, "bob"}, {41 * time.Minute, StatusResolved, "alice"}} {
		b.clock.Set(t0.Add(step.at))
		cur, err := b.store.Get(ctx, created.ID)
		require.NoError(t, err)
		cur.Status = step.status
		if step.status == StatusResolved {
			cur.ResolvedAt = end
		}
		_, err = b.store.Update(ctx, cur, step.who)
		require.NoError(t, err)
	}
	b.clock.Set(t0.Add(3 * time.Hour))

	cet, est, jst := time.FixedZone("CET", 3600), time.FixedZone("EST", -5*3600), time.FixedZone("JST", 9*3600)
	opts := PostmortemOptions{
		PublicURL:        "https://waymark.example.com/",
		TraceURLTemplate: "https://grafana.example.com/explore?left=(traceId:{traceID})",
		Deploys: []Event{
			{At: t0.Add(9 * time.Minute).In(cet), Title: "payment_svc: app 1.5.0", Link: "https://ci.example.com/runs/981"},
			{At: t0.Add(31 * time.Minute).In(est), Title: "payment_svc: rollback to app 1.4.0"},
		},
		Alerts: []Event{{At: t0.Add(13 * time.Minute).In(jst), Title: "payment-success paging", Detail: "burn 14.4x over 1h and 5m", Link: "/journeys/shop-checkout/slos"}},
	}
	md, err := b.store.Postmortem(ctx, created.ID, opts)
	require.NoError(t, err)
	golden(t, "postmortem.md", md)
	require.Equal(t, []string{
		"shop-checkout@2026-03-02T09:10:00Z..2026-03-02T09:35:00Z",
		"shop-checkout@2026-02-23T09:10:00Z..2026-02-23T09:35:00Z",
		"login-flow@2026-03-02T09:10:00Z..2026-03-02T09:35:00Z",
		"login-flow@2026-02-23T09:10:00Z..2026-02-23T09:35:00Z",
	}, stats.calls)

	// Asked again, the same document, byte for byte.
	again, err := b.store.Postmortem(ctx, created.ID, opts)
	require.NoError(t, err)
	require.True(t, bytes.Equal(md, again))

	_, err = b.store.Postmortem(ctx, created.ID+1, opts)
	require.ErrorIs(t, err, ErrNotFound)
}

func TestPostmortemOpenIncident(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	b.clock.Set(t0.Add(90*time.Minute + 15*time.Second))
	created, err := b.store.Create(ctx, Incident{Title: "Slow logins", Severity: SEV4, StartedAt: t0}, "")
	require.NoError(t, err)
	md, err := b.store.Postmortem(ctx, created.ID, PostmortemOptions{})
	require.NoError(t, err)
	golden(t, "postmortem-open.md", md)
}

func TestImpactNumbers(t *testing.T) {
	t.Parallel()
	value := func(sum float64, spans int64) []rollup.StepStats {
		return []rollup.StepStats{{Spans: 10}, {Spans: spans, ValueSum: sum}}
	}
	tests := []struct {
		name              string
		imp               Impact
		lost, avg, atRisk string // "" when unknown
	}{
		{"loss with value", Impact{ValueKey: "span.order.total",
			Current:  rollup.JourneyStats{Entered: 412, Completed: 97, Steps: value(100, 4)},
			Baseline: rollup.JourneyStats{Entered: 398, Completed: 131, Steps: value(28963.25, 140)}},
			"38.61", "206.88", "7987.25"},
		{"value only during the incident", Impact{ValueKey: "span.order.total",
			Current:  rollup.JourneyStats{Entered: 10, Completed: 1, Steps: value(50, 2)},
			Baseline: rollup.JourneyStats{Entered: 10, Completed: 5}},
			"4.00", "25.00", "100.00"},
		{"gain", Impact{ValueKey: "span.order.total",
			Current:  rollup.JourneyStats{Entered: 10, Completed: 9},
			Baseline: rollup.JourneyStats{Entered: 10, Completed: 5, Steps: value(50, 2)}},
			"-4.00", "25.00", "0.00"},
		{"no baseline", Impact{ValueKey: "span.order.total", Current: rollup.JourneyStats{Entered: 10, Steps: value(50, 2)}},
			"", "25.00", ""},
		{"no value attribute", Impact{Current: rollup.JourneyStats{Entered: 3, Completed: 1},
			Baseline: rollup.JourneyStats{Entered: 3, Completed: 2, Steps: value(50, 2)}},
			"1.00", "", ""},
		{"value attribute never seen", Impact{ValueKey: "span.order.total", Current: rollup.JourneyStats{Entered: 3, Completed: 1},
			Baseline: rollup.JourneyStats{Entered: 3, Completed: 2, Steps: value(0, 2)}},
			"1.00", "", ""},
	}
	spell := func(r *big.Rat, ok bool) string {
		if !ok {
			return ""
		}
		return decimal(r)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			avg, _, ok := tt.imp.AverageValue()
			require.Equal(t, tt.lost, spell(tt.imp.LostCompletions()))
			require.Equal(t, tt.avg, spell(avg, ok))
			require.Equal(t, tt.atRisk, spell(tt.imp.RevenueAtRisk()))
		})
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		num, den int64
		want     string
	}{{97, 412, "23.54%"}, {1, 8, "12.50%"}, {1, 3, "33.33%"}, {2, 3, "66.67%"}, {0, 5, "0.00%"}, {5, 0, "n/a"}, {1, 200000, "0.00%"}, {1, 1600, "0.06%"}} {
		require.Equal(t, tt.want, percent(tt.num, tt.den), "%d/%d", tt.num, tt.den)
	}
	for _, tt := range []struct {
		r    *big.Rat
		want string
	}{{big.NewRat(-1, 200), "-0.01"}, {big.NewRat(-1, 300), "0.00"}, {big.NewRat(12345, 1), "12345.00"}, {big.NewRat(5, 1000), "0.01"}} {
		require.Equal(t, tt.want, decimal(tt.r), tt.r.String())
	}
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{0, "0s"}, {90 * time.Second, "1m 30s"}, {25 * time.Hour, "1d 1h"}, {-2 * time.Minute, "-2m"}, {1500 * time.Millisecond, "2s"}} {
		require.Equal(t, tt.want, humanDuration(tt.d))
	}
	require.Equal(t, `a \| b \\ c d`, mdCell("a | b \\ c\nd"))
	require.Equal(t, `[\[x\]](https://e.com/a%20b%28c%29%7C)`, cell("https://e.com/a b(c)|", "[x]"))
	require.Equal(t, "", ExternalTraceURL("", "abc"))
	require.Equal(t, "https://t/abc?x=abc", ExternalTraceURL("https://t/{traceID}?x={traceID}", "abc"))
}

// TestPostmortemHostileText: span names, services and status messages
// arrive unauthenticated over OTLP, and titles, owners, notes and deploy
// markers come from users. None of them may put a tag, a link or a cell
// boundary into the post-mortem, which wikis render as Markdown with HTML.
func TestPostmortemHostileText(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	ctx := context.Background()
	root := span{id: "1000000000000001", service: "<script>alert('svc')</script>", kind: tracepb.Span_SPAN_KIND_SERVER,
		name: "GET /a|b](javascript:alert(1)) <img src=x onerror=alert(2)> *bold* _em_ `tick` ~~del~~ \\ & &lt;",
		dur:  420 * time.Millisecond, err: true, msg: "</td></tr><script>alert(3)</script>"}
	b.insert(t, declinedID, t0.Add(12*time.Minute), root)

	b.clock.Set(t0.Add(15 * time.Minute))
	in := Incident{
		Title:     "<script>alert('title')</script> [x](javascript:alert(4))",
		Severity:  SEV2,
		StartedAt: t0.Add(10 * time.Minute),
		Owner:     "<b onmouseover=alert(5)>eve</b> | admin",
		Summary: "Checkout broke: <script>alert(6)</script> <img src=x onerror=alert(7)>\n\n" +
			"> quoted `<b>code</b>` and ``a ` <i>b</i>``\n\n" +
			"```html\n<script>shown, not run</script>\n```\n\n" +
			"~~~\n<p>an unclosed fence</p>",
	}
	created, _, err := b.store.CreateFromTrace(ctx, in, declinedID, "<script>alert('note')</script>\n| [click](javascript:alert(8)) |", StepRef{}, "<i>mallory</i>")
	require.NoError(t, err)
	b.clock.Set(t0.Add(3 * time.Hour))
	md, err := b.store.Postmortem(ctx, created.ID, PostmortemOptions{
		PublicURL: "https://waymark.example.com",
		Deploys: []Event{
			{At: t0.Add(9 * time.Minute), Title: "deploy <svg onload=alert(9)>", Link: "javascript:alert(10)"},
			{At: t0.Add(11 * time.Minute), Title: "deploy `2`", Link: "https://ci.example.com/runs/2?x=(y)"},
		},
	})
	require.NoError(t, err)
	golden(t, "postmortem-hostile.md", md)

	text := string(md)
	// No tag survives outside code, and no link leads to script.
	outside := stripCode(text)
	for _, tag := range []string{"<script", "<img", "<b", "<i>", "<svg", "</td", "<p>"} {
		require.NotContains(t, outside, tag)
	}
	require.NotRegexp(t, `(^|[^\\])\]\(javascript:`, text)
	// Every row of the linked traces table still has its eight cells.
	rows := 0
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(line, "| [") {
			require.Equal(t, 9, cellBoundaries(line), line)
			rows++
		}
	}
	require.Equal(t, 1, rows)
	// The unclosed fence is closed before the next section.
	require.Contains(t, text, "<p>an unclosed fence</p>\n~~~\n\n## Impact")
}

// stripCode removes fenced blocks and code spans as CommonMark reads them,
// leaving what a renderer would take as Markdown and HTML.
func stripCode(md string) string {
	var out []string
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		m := fenceLine.FindStringSubmatch(line)
		if m != nil && m[1][0] == '`' && strings.Contains(line[len(m[0]):], "`") {
			m = nil // a backtick fence's info string has no backtick
		}
		switch {
		case fence == "" && m != nil:
			fence = m[1]
		case fence != "" && m != nil && m[1][0] == fence[0] && len(m[1]) >= len(fence) && strings.TrimSpace(line) == m[1]:
			fence = ""
		case fence == "":
			out = append(out, stripSpans(line))
		}
	}
	return strings.Join(out, "\n")
}

var fenceLine = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")

// stripSpans removes the code spans of one line: a run of backticks up to
// the next run of the same length; a run without one is literal.
func stripSpans(line string) string {
	var b strings.Builder
	for line != "" {
		i := strings.IndexByte(line, '`')
		if i < 0 {
			b.WriteString(line)
			break
		}
		b.WriteString(line[:i])
		run := len(line[i:]) - len(strings.TrimLeft(line[i:], "`"))
		rest := line[i+run:]
		closed := false
		for j := 0; j < len(rest); {
			if rest[j] != '`' {
				j++
				continue
			}
			k := len(rest[j:]) - len(strings.TrimLeft(rest[j:], "`"))
			if k == run {
				line, closed = rest[j+k:], true
				break
			}
			j += k
		}
		if !closed {
			b.WriteString(line[i : i+run])
			line = rest
		}
	}
	return b.String()
}

// cellBoundaries counts the pipes of a table row that are not escaped.
func cellBoundaries(row string) int {
	n := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func lastLine(s string) string { return s[strings.LastIndexByte(s, '\n')+1:] }

// unescaped drops Markdown backslash escapes (\X), leaving the characters
// a renderer would read as syntax.
func unescaped(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// FuzzMarkdownEscaping checks that text from spans and users cannot start
// HTML, a link, emphasis, code or a new cell or line, whatever it holds,
// and that a summary never leaves a code fence open.
func FuzzMarkdownEscaping(f *testing.F) {
	for _, s := range []string{"", "payment_svc", "<script>alert(1)</script>", "a|b", "[x](javascript:alert(1))", "`code`",
		"*bold* _em_ ~~del~~", "\\", "&lt;", "line\nbreak\r\n\ttab", "```\n<b>open fence", "~~~~\n~~~\n", "``a ` b``", "x\x00y\xff"} {
		f.Add(s, "https://ci.example.com/runs/1")
	}
	f.Add("deploy", "javascript:alert(1)")
	f.Add("deploy", "/journeys/shop")
	f.Add("deploy", "//evil.example.com")
	f.Fuzz(func(t *testing.T, text, url string) {
		for _, out := range []string{mdText(text), mdCell(text), mdInline(text)} {
			syntax := unescaped(out)
			require.NotContains(t, out, "\n")
			require.NotContains(t, out, "\r")
			require.NotContains(t, out, "<")
			require.NotContains(t, out, ">")
			for _, c := range []string{"|", "[", "]", "`", "*", "_", "~"} {
				require.NotContains(t, syntax, c, "%q gives %q", text, out)
			}
		}

		c := cell(url, text)
		if safeURL(url) {
			require.True(t, strings.HasPrefix(c, "["+mdCell(text)+"]("), c)
			target := strings.TrimSuffix(strings.TrimPrefix(c, "["+mdCell(text)+"]("), ")")
			require.NotContains(t, target, " ")
			require.NotContains(t, target, ")")
			require.NotContains(t, target, "|")
			require.NotContains(t, target, "\n")
		} else {
			require.Equal(t, mdCell(text), c)
		}

		code := codeSpan(text)
		require.NotContains(t, code, "\n")

		// A summary keeps no < outside code and closes every fence.
		sum := mdSummary(text)
		require.NotContains(t, stripCode(sum), "<", "%q gives %q", text, sum)
		// Whatever follows the summary is outside code.
		require.Equal(t, "after", lastLine(stripCode(sum+"\n\nafter")), "%q gives %q", text, sum)
	})
}
