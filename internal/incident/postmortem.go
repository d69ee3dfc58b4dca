package incident

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/diffreport"
	"github.com/waymarkhq/waymark/internal/rollup"
)

// PostmortemOptions say where links point and what else the timeline
// shows.
type PostmortemOptions struct {
	// PublicURL is Waymark's external base URL, e.g.
	// https://waymark.example.com; links to traces are
	// {PublicURL}/traces/{id}. Empty leaves them relative.
	PublicURL string
	// TraceURLTemplate links each trace to the team's own trace viewer,
	// with {traceID} replaced by the id, e.g.
	// https://grafana.example.com/explore?traceId={traceID}. Empty leaves
	// the link out.
	TraceURLTemplate string
	// Deploys and Alerts join the timeline (see Store.Timeline).
	Deploys []Event
	Alerts  []Event
}

// TraceIDPlaceholder is what TraceURLTemplate replaces with a trace id.
const TraceIDPlaceholder = "{traceID}"

// ExternalTraceURL fills a trace URL template, or returns "" when there
// is none.
func ExternalTraceURL(template, traceID string) string {
	if template == "" {
		return ""
	}
	return strings.ReplaceAll(template, TraceIDPlaceholder, traceID)
}

// Impact is one affected journey's numbers over the incident window and
// over the same hours a week earlier.
type Impact struct {
	Journey string
	// Name is the journey's display name, "" when it no longer exists.
	Name string
	// ByTrace is set when the journey's instances are traces rather than
	// sessions.
	ByTrace bool
	// From and To are the window, widened to whole minutes (the rollups'
	// resolution); the baseline is the same window 7 days earlier.
	From, To time.Time
	Current  rollup.JourneyStats
	Baseline rollup.JourneyStats
	// Missing is set when the journey has no rollups any more.
	Missing bool
	// ValueKey is the journey's value attribute, "" when it has none.
	ValueKey string
	// Differs says what differs, over the window, between the instances
	// that dropped after the affected steps and those that went on, and
	// between the steps' slow spans and the rest.
	Differs []diffreport.Summary
}

// Week is how far back the baseline of an impact lies.
const Week = 7 * 24 * time.Hour

// Impact reads one journey's numbers over the incident window and the same
// hours a week earlier.
func (s *Store) Impact(ctx context.Context, in Incident, slug string) (Impact, error) {
	if s.cfg.Stats == nil {
		return Impact{}, errors.New("impact: no stats configured")
	}
	imp := Impact{Journey: slug, From: in.StartedAt.Truncate(time.Minute), To: ceilMinute(in.End(s.now()))}
	j, err := s.journey(ctx, slug)
	if err != nil {
		return Impact{}, err
	}
	if j != nil {
		imp.Name, imp.ByTrace, imp.ValueKey = j.Metadata.Name, j.Spec.Correlation.ByTrace(), j.Spec.Value
	}
	imp.Current, err = s.cfg.Stats.Stats(ctx, slug, imp.From, imp.To, nil)
	if errors.Is(err, rollup.ErrNotFound) {
		imp.Missing = true
		return imp, nil
	}
	if err != nil {
		return Impact{}, fmt.Errorf("impact on %q: %w", slug, err)
	}
	imp.Baseline, err = s.cfg.Stats.Stats(ctx, slug, imp.From.Add(-Week), imp.To.Add(-Week), nil)
	if err != nil {
		return Impact{}, fmt.Errorf("impact on %q, a week earlier: %w", slug, err)
	}
	if j != nil {
		if imp.Differs, err = s.whatDiffers(ctx, in, *j, imp); err != nil {
			return Impact{}, fmt.Errorf("impact on %q: %w", slug, err)
		}
	}
	return imp, nil
}

// LostCompletions is how many fewer instances completed than the
// baseline's conversion would have given: Entered × baseline conversion −
// Completed, exact as a fraction. ok is false without a baseline.
func (imp Impact) LostCompletions() (lost *big.Rat, ok bool) {
	if imp.Baseline.Entered == 0 {
		return nil, false
	}
	expected := new(big.Rat).SetFrac64(imp.Current.Entered*imp.Baseline.Completed, imp.Baseline.Entered)
	return expected.Sub(expected, new(big.Rat).SetInt64(imp.Current.Completed)), true
}

// AverageValue is the mean of the value attribute over the spans of the
// last step carrying it, a week earlier (or during the incident when the
// baseline has none). ok is false when the journey has no value or no
// span carried one.
func (imp Impact) AverageValue() (avg *big.Rat, step int, ok bool) {
	if imp.ValueKey == "" {
		return nil, 0, false
	}
	for _, st := range []rollup.JourneyStats{imp.Baseline, imp.Current} {
		for k := len(st.Steps) - 1; k >= 0; k-- {
			if sp := st.Steps[k]; sp.ValueSum != 0 && sp.Spans > 0 {
				v := new(big.Rat)
				v.SetFloat64(sp.ValueSum)
				return v.Quo(v, new(big.Rat).SetInt64(sp.Spans)), k, true
			}
		}
	}
	return nil, 0, false
}

// RevenueAtRisk is the lost completions times the average value, 0 when
// nothing was lost. ok is false when either is unknown.
func (imp Impact) RevenueAtRisk() (*big.Rat, bool) {
	lost, ok := imp.LostCompletions()
	if !ok {
		return nil, false
	}
	avg, _, ok := imp.AverageValue()
	if !ok {
		return nil, false
	}
	if lost.Sign() <= 0 {
		return new(big.Rat), true
	}
	return new(big.Rat).Mul(lost, avg), true
}

// Postmortem drafts a post-mortem in Markdown: the incident's facts and
// summary; its impact on each affected journey against the same hours a
// week earlier (sessions entering, conversion, lost completions, revenue
// at risk when the journey has a value attribute); its timeline; its linked
// traces with links to Waymark and the team's trace viewer; and empty root
// cause and action item sections to fill in. Times are in UTC.
func (s *Store) Postmortem(ctx context.Context, incidentID int64, opts PostmortemOptions) ([]byte, error) {
	in, err := s.Get(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var impacts []Impact
	if s.cfg.Stats != nil {
		for _, slug := range in.Journeys {
			imp, err := s.Impact(ctx, in, slug)
			if err != nil {
				return nil, fmt.Errorf("post-mortem of incident %d: %w", incidentID, err)
			}
			impacts = append(impacts, imp)
		}
	}
	timeline, err := s.Timeline(ctx, incidentID, opts.Deploys, opts.Alerts)
	if err != nil {
		return nil, fmt.Errorf("post-mortem of incident %d: %w", incidentID, err)
	}
	links, err := s.LinkedTraces(ctx, incidentID)
	if err != nil {
		return nil, fmt.Errorf("post-mortem of incident %d: %w", incidentID, err)
	}
	return renderPostmortem(in, impacts, timeline, links, opts, now, s.cfg.Stats != nil), nil
}

const (
	dateTime = "2006-01-02 15:04:05 UTC"
	timeOnly = "2006-01-02 15:04:05"
	// traceTime shows milliseconds: traces of one incident often start
	// within the same second.
	traceTime = "2006-01-02 15:04:05.000"
)

func renderPostmortem(in Incident, impacts []Impact, timeline []Event, links []LinkedTrace, o PostmortemOptions, now time.Time, haveStats bool) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	// section starts a heading after exactly one blank line, whatever the
	// part before it ended with.
	section := func(title string) {
		b.Truncate(len(bytes.TrimRight(b.Bytes(), "\n")))
		p("\n\n## %s\n\n", title)
	}
	base := strings.TrimSuffix(o.PublicURL, "/")
	link := func(path string) string {
		if strings.HasPrefix(path, "/") {
			return base + path
		}
		return path
	}

	p("# Post-mortem: %s\n\n", mdInline(in.Title))
	p("| | |\n|---|---|\n")
	p("| Incident | %s |\n", cell(link(fmt.Sprintf("/incidents/%d", in.ID)), fmt.Sprintf("#%d", in.ID)))
	p("| Severity | %s |\n", in.Severity)
	p("| Status | %s |\n", in.Status)
	if in.Owner != "" {
		p("| Owner | %s |\n", mdCell(in.Owner))
	}
	p("| Impact started | %s |\n", in.StartedAt.UTC().Format(dateTime))
	p("| Detected | %s (%s after the start) |\n", in.DetectedAt.UTC().Format(dateTime), humanDuration(in.DetectedAt.Sub(in.StartedAt)))
	if in.ResolvedAt.IsZero() {
		p("| Resolved | not yet (%s so far, at %s) |\n", humanDuration(now.Sub(in.StartedAt)), now.UTC().Format(dateTime))
	} else {
		p("| Resolved | %s (lasted %s) |\n", in.ResolvedAt.UTC().Format(dateTime), humanDuration(in.ResolvedAt.Sub(in.StartedAt)))
	}
	if len(in.Journeys) > 0 {
		js := make([]string, len(in.Journeys))
		for i, j := range in.Journeys {
			js[i] = codeSpan(j)
		}
		p("| Journeys | %s |\n", strings.Join(js, ", "))
	}
	if len(in.Steps) > 0 {
		st := make([]string, len(in.Steps))
		for i, s := range in.Steps {
			st[i] = mdCell(s.String())
		}
		p("| Steps | %s |\n", strings.Join(st, ", "))
	}

	section("Summary")
	if strings.TrimSpace(in.Summary) == "" {
		p("_No summary yet._\n")
	} else {
		p("%s\n", mdSummary(in.Summary))
	}

	section("Impact")
	switch {
	case len(in.Journeys) == 0:
		p("_No journeys are named as affected._\n")
	case !haveStats:
		p("_Journey numbers are not available._\n")
	}
	for _, imp := range impacts {
		renderImpact(&b, imp)
		for _, d := range imp.Differs {
			b.Truncate(len(bytes.TrimRight(b.Bytes(), "\n")))
			p("\n\n%s", subsection(d))
		}
	}

	section("Timeline")
	p("| Time (UTC) | Event | Details |\n|---|---|---|\n")
	for _, e := range timeline {
		title := mdCell(e.Title)
		if e.Link != "" {
			title = cell(link(e.Link), e.Title)
		}
		p("| %s | %s | %s |\n", e.At.UTC().Format(timeOnly), title, mdCell(e.Detail))
	}

	section("Linked traces")
	if len(links) == 0 {
		p("_No traces linked._\n")
	} else {
		p("Each trace is kept in Waymark as it was when linked, after the trace backend has expired it.\n\n")
		p("| Trace | Start (UTC) | Root span | Duration | Error | Step | Note | Linked by |\n")
		p("|---|---|---|---:|---|---|---|---|\n")
		for _, l := range links {
			ids := cell(link(TracePath(l.TraceID)), l.TraceID)
			if ext := ExternalTraceURL(o.TraceURLTemplate, l.TraceID); ext != "" {
				ids += " (" + cell(ext, "trace viewer") + ")"
			}
			root := strings.TrimSpace(l.RootService + " " + l.RootName)
			linked := l.LinkedAt.UTC().Format(timeOnly)
			if l.LinkedBy != "" {
				linked = l.LinkedBy + ", " + linked
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", ids, l.Start.UTC().Format(traceTime), mdCell(root),
				traceDuration(l.Duration), mdCell(l.Error), mdCell(l.Step.String()), mdCell(l.Note), mdCell(linked))
		}
	}

	section("Root cause")
	p("_To be written._\n")
	section("Action items")
	p("_To be written._\n")
	return b.Bytes()
}

func renderImpact(b *bytes.Buffer, imp Impact) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	if imp.Name != "" {
		p("### %s (%s)\n\n", mdInline(imp.Name), codeSpan(imp.Journey))
	} else {
		p("### %s\n\n", codeSpan(imp.Journey))
	}
	if imp.Missing {
		p("_The journey no longer exists; its numbers are gone._\n\n")
		return
	}
	p("From %s to %s, against the same hours a week earlier (%s to %s).\n\n",
		imp.From.UTC().Format(dateTime), imp.To.UTC().Format(dateTime),
		imp.From.Add(-Week).UTC().Format(dateTime), imp.To.Add(-Week).UTC().Format(dateTime))
	unit := "Sessions"
	if imp.ByTrace {
		unit = "Traces"
	}
	cur, base := imp.Current, imp.Baseline
	p("| | During the incident | A week earlier |\n|---|---:|---:|\n")
	p("| %s entering | %d | %d |\n", unit, cur.Entered, base.Entered)
	p("| Completed | %d | %d |\n", cur.Completed, base.Completed)
	p("| Conversion | %s | %s |\n", percent(cur.Completed, cur.Entered), percent(base.Completed, base.Entered))
	p("| With an error | %d | %d |\n", cur.Errored, base.Errored)
	if cur.InFlight > 0 {
		p("| Still in flight | %d | %d |\n", cur.InFlight, base.InFlight)
	}
	p("\n")
	lost, ok := imp.LostCompletions()
	switch {
	case !ok:
		p("No traffic entered in the same hours a week earlier, so there is no baseline to compare with.\n\n")
		return
	case lost.Sign() > 0:
		p("Conversion lost: %s completions fewer than the week-earlier conversion gives for %d entering.\n\n",
			decimal(lost), cur.Entered)
	default:
		p("No conversion lost against a week earlier.\n\n")
	}
	if imp.ValueKey == "" {
		return
	}
	rev, ok := imp.RevenueAtRisk()
	if !ok {
		p("Revenue at risk: unknown, no span carried %s.\n\n", codeSpan(imp.ValueKey))
		return
	}
	avg, step, _ := imp.AverageValue()
	p("Revenue at risk: %s (lost completions × average %s of %s on step %d).\n\n", decimal(rev), codeSpan(imp.ValueKey), decimal(avg), step+1)
}

// percent is num/den as a percentage with two decimals, rounded half away
// from zero, or "n/a" when den is 0.
func percent(num, den int64) string {
	if den == 0 {
		return "n/a"
	}
	return decimal(new(big.Rat).SetFrac64(num*100, den)) + "%"
}

// decimal spells r with two decimals, rounded half away from zero, so
// that the same numbers always print the same digits.
func decimal(r *big.Rat) string {
	x := new(big.Rat).Mul(r, big.NewRat(100, 1))
	neg := x.Sign() < 0
	x.Abs(x)
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(x.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	s := q.String()
	for len(s) < 3 {
		s = "0" + s
	}
	out := s[:len(s)-2] + "." + s[len(s)-2:]
	if neg && q.Sign() != 0 {
		out = "-" + out
	}
	return out
}

// humanDuration spells an incident-scale duration: 1h 10m, 45m 30s, 0s.
func humanDuration(d time.Duration) string {
	if d < 0 {
		return "-" + humanDuration(-d)
	}
	d = d.Round(time.Second)
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	h, d := d/time.Hour, d%time.Hour
	m, sec := d/time.Minute, (d%time.Minute)/time.Second
	var parts []string
	for _, u := range []struct {
		n    time.Duration
		unit string
	}{{days, "d"}, {h, "h"}, {m, "m"}, {sec, "s"}} {
		if u.n > 0 {
			parts = append(parts, strconv.FormatInt(int64(u.n), 10)+u.unit)
		}
	}
	if len(parts) == 0 {
		return "0s"
	}
	return strings.Join(parts, " ")
}

// traceDuration spells a trace's duration to the microsecond.
func traceDuration(d time.Duration) string {
	return d.Round(time.Microsecond).String()
}

// Every text in a post-mortem that Waymark did not write itself (span
// services, names and status messages arrive unauthenticated over OTLP;
// titles, owners, notes and deploy markers come from users) goes through
// mdText, codeSpan or cell: the document is pasted into wikis that render
// HTML inside Markdown, where a raw tag would run, and a stray pipe or
// bracket would break the table or link around it.

// mdText makes text safe as plain words on one Markdown line, in a table
// cell or not: whitespace runs become one space, Markdown's inline
// punctuation is backslash-escaped, and the HTML special characters become
// entities, so that no tag, link, emphasis or cell boundary can start in
// it and every renderer shows the characters as typed.
func mdText(s string) string {
	return mdEscaper.Replace(strings.Join(strings.Fields(s), " "))
}

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`, "~", `\~`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;",
)

// mdCell makes text safe inside a Markdown table cell.
func mdCell(s string) string { return mdText(s) }

// mdInline makes text safe on one Markdown line outside a table.
func mdInline(s string) string { return mdText(s) }

// codeSpan shows s as inline code: HTML in code is shown, never run. The
// fence is one backtick longer than any run inside, and the cell-breaking
// pipe, which GFM honours even in code, is escaped.
func codeSpan(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || strings.HasPrefix(s, " ") {
		s = " " + s + " "
	}
	return fence + strings.ReplaceAll(s, "|", `\|`) + fence
}

// cell is a Markdown link inside a table cell. The characters that would
// end the link or the cell are percent-encoded in the URL; a URL that is
// neither http(s) nor a path on Waymark (javascript:, data:) is no link,
// only its text.
func cell(url, text string) string {
	if !safeURL(url) {
		return mdCell(text)
	}
	return "[" + mdCell(text) + "](" + linkURL.Replace(url) + ")"
}

// safeURL reports whether a link to url can only open a page.
func safeURL(url string) bool {
	lower := strings.ToLower(strings.TrimSpace(url))
	switch {
	case strings.HasPrefix(lower, "https://"), strings.HasPrefix(lower, "http://"):
		return true
	case strings.HasPrefix(lower, "/") && !strings.HasPrefix(lower, "//"):
		return true
	}
	return false
}

var linkURL = strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "|", "%7C", "<", "%3C", ">", "%3E", "\n", "%0A",
	"\r", "%0D", "\t", "%09", "`", "%60", "\"", "%22", "'", "%27", "[", "%5B", "]", "%5D", "\\", "%5C")

// mdSummary keeps a summary's Markdown but not its HTML: outside code,
// every < becomes &lt;, so no tag or raw HTML block can start; in code
// spans and fenced blocks HTML is shown as typed already. A fence left
// open is closed, so that the sections after the summary stay sections.
func mdSummary(s string) string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	lines := strings.Split(s, "\n")
	fence := "" // the open fence's marker, "" outside one
	for i, line := range lines {
		if marker, ok := fenceMarker(line); ok {
			switch {
			case fence == "":
				fence = marker
				continue
			case strings.HasPrefix(marker, fence[:1]) && len(marker) >= len(fence) && strings.TrimSpace(line) == marker:
				fence = ""
				continue
			}
		}
		if fence == "" {
			lines[i] = escapeOutsideCode(line)
		}
	}
	if fence != "" {
		lines = append(lines, fence)
	}
	return strings.Join(lines, "\n")
}

// fenceMarker returns the run of backticks or tildes that opens or closes a
// fenced code block on line (at most three spaces in), if any.
func fenceMarker(line string) (string, bool) {
	trimmed := strings.TrimLeft(line, " ")
	if len(line)-len(trimmed) > 3 || len(trimmed) < 3 || (trimmed[0] != '`' && trimmed[0] != '~') {
		return "", false
	}
	n := 0
	for n < len(trimmed) && trimmed[n] == trimmed[0] {
		n++
	}
	if n < 3 || (trimmed[0] == '`' && strings.Contains(trimmed[n:], "`")) {
		return "", false
	}
	return trimmed[:n], true
}

// escapeOutsideCode replaces < with &lt; on one line, except inside code
// spans (a run of backticks up to the next run of the same length).
func escapeOutsideCode(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] == '`' {
			n := 0
			for i+n < len(line) && line[i+n] == '`' {
				n++
			}
			if end := closingRun(line, i+n, n); end >= 0 {
				b.WriteString(line[i : end+n])
				i = end + n
				continue
			}
			b.WriteString(line[i : i+n])
			i += n
			continue
		}
		if line[i] == '<' {
			b.WriteString("&lt;")
		} else {
			b.WriteByte(line[i])
		}
		i++
	}
	return b.String()
}

// closingRun finds, from line[from:], a run of exactly n backticks, or -1.
func closingRun(line string, from, n int) int {
	for i := from; i < len(line); {
		if line[i] != '`' {
			i++
			continue
		}
		m := 0
		for i+m < len(line) && line[i+m] == '`' {
			m++
		}
		if m == n {
			return i
		}
		i += m
	}
	return -1
}
