package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/internal/otlpfile"
	"github.com/waymarkhq/waymark/internal/propagation"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/journeys"
)

// check is the CI gate for context propagation: it reads the spans a test
// run exported and checks them against the journeys. It exits 0 when every
// check passes, 1 when one fails (a line per failure) and 2 when it cannot
// decide (an unreadable file, no spans, no journeys, bad flags).
func (a *app) check(ctx context.Context, args []string) error {
	fs, l := a.flags("check", "[FILE|DIR...]",
		"Check the spans of a test run, from files of OTLP JSON or protobuf as the collector's file exporter writes them (a directory means its files) or from the embedded span store in the database (--since or --from), against the journeys: every step seen, trace context kept from step to step, no span missing its parent, correlation and segment attributes present. Journeys come from --journeys, else --url, else the database. Exit 0 pass, 1 fail, 2 cannot decide", config.GroupBase)
	dir := fs.String("journeys", "", "read journeys from the YAML files of this directory (or file)")
	base := fs.String("url", "", "else read journeys from the Waymark server at this base URL (env WAYMARK_URL)")
	token := fs.String("token", "", "API token for -url, sent as a Bearer token (env WAYMARK_API_TOKEN)")
	var slugs stringList
	fs.Var(&slugs, "journey", "slug of a journey to check; repeat for several (default: every journey)")
	format := fs.String("format", "text", "text, or github for GitHub Actions error annotations")
	junit := fs.String("junit", "", "also write a JUnit XML report to this file: a test case per journey and check")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the server of -url")
	since := fs.Duration("since", 0, "read the traces of the embedded store (-database-url) with journey spans that started in this long before now, e.g. 15m")
	fromFlag := fs.String("from", "", "read the traces of the embedded store with journey spans that started at or after this RFC 3339 time")
	toFlag := fs.String("to", "", "with -from: and before this RFC 3339 time (default now)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	bad := func(f string, v ...any) error { return &usageError{fs: fs, err: fmt.Errorf("check: "+f, v...)} }
	win, fromStore, err := storeWindow(*since, *fromFlag, *toFlag, time.Now())
	if err != nil {
		return bad("%v", err)
	}
	switch {
	case fromStore && len(pos) > 0:
		return bad("give span files or a time range of the embedded store, not both")
	case !fromStore:
		if err := wantArgs(fs, pos, 1, -1); err != nil {
			return err
		}
	}
	if *format != "text" && *format != "github" {
		return bad("-format %q: use text or github", *format)
	}
	if *base == "" && *dir == "" {
		*base = a.getenv("WAYMARK_URL")
	}
	if *token == "" {
		*token = a.getenv("WAYMARK_API_TOKEN")
	}
	undecided := func(err error) error { return &configError{err: fmt.Errorf("check cannot decide: %w", err)} }

	js, err := a.loadJourneys(ctx, journeySource{dir: *dir, url: *base, token: *token, timeout: *timeout, loader: l}, slugs)
	if err != nil {
		return undecided(err)
	}
	set := propagation.NewSet()
	from := ""
	if fromStore {
		if err := a.readStore(ctx, l, js, win, set); err != nil {
			return undecided(err)
		}
		from = "the embedded store"
		if set.Spans() == 0 {
			return undecided(fmt.Errorf("no journey spans in the embedded store between %s and %s: did the test run export any",
				win.from.UTC().Format(time.RFC3339), win.to.UTC().Format(time.RFC3339)))
		}
	} else {
		files, err := spanFiles(pos)
		if err != nil {
			return undecided(err)
		}
		for _, name := range files {
			if err := readSpanFile(name, set); err != nil {
				return undecided(err)
			}
		}
		from = plural(len(files), "file", "files")
		if set.Spans() == 0 {
			return undecided(fmt.Errorf("no spans in %s: did the test run export any", from))
		}
	}
	res, err := propagation.Check(js, set)
	if err != nil {
		return undecided(err)
	}
	if *junit != "" {
		var b bytes.Buffer
		if err := propagation.WriteJUnit(&b, res); err != nil {
			return undecided(err)
		}
		if err := os.WriteFile(*junit, b.Bytes(), 0o644); err != nil {
			return undecided(fmt.Errorf("write JUnit report: %w", err))
		}
	}
	write := propagation.WriteText
	if *format == "github" {
		write = propagation.WriteGitHub
	}
	if err := write(a.stdout, res); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	n := res.Counts()
	fmt.Fprintf(a.stdout, "%s: %d passed, %d failed, %d skipped; %s in %s from %s\n",
		plural(len(js), "journey", "journeys"), n.Passed, n.Failed, n.Skipped,
		plural(set.Spans(), "span", "spans"), plural(set.Traces(), "trace", "traces"), from)
	if n.Failed > 0 {
		return fmt.Errorf("check failed: %d of %d checks", n.Failed, n.Passed+n.Failed)
	}
	return nil
}

// spanFiles expands the arguments of check: a file is itself, a directory
// its regular files in name order (the exporter rotates into several).
func spanFiles(args []string) ([]string, error) {
	var files []string
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", arg, errors.Unwrap(err))
		}
		if !info.IsDir() {
			files = append(files, arg)
			continue
		}
		entries, err := os.ReadDir(arg)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", arg, err)
		}
		n := 0
		for _, e := range entries {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(arg, e.Name()))
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no files", arg)
		}
	}
	return files, nil
}

func readSpanFile(name string, set *propagation.Set) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, errors.Unwrap(err))
	}
	defer f.Close()
	if err := otlpfile.Read(f, set.Add); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// window is a range of span starts in the embedded store.
type window struct{ from, to time.Time }

// storeWindow reads -since, or -from and -to; ok is false when none is set.
func storeWindow(since time.Duration, from, to string, now time.Time) (w window, ok bool, err error) {
	switch {
	case since < 0:
		return w, false, errors.New("-since must be positive")
	case since > 0 && (from != "" || to != ""):
		return w, false, errors.New("give -since or -from, not both")
	case since > 0:
		return window{now.Add(-since), now}, true, nil
	case from == "" && to != "":
		return w, false, errors.New("-to needs -from")
	case from == "":
		return w, false, nil
	}
	if w.from, err = time.Parse(time.RFC3339Nano, from); err != nil {
		return w, false, fmt.Errorf("-from %q is not an RFC 3339 time such as 2025-03-10T12:00:00Z", from)
	}
	w.to = now
	if to != "" {
		if w.to, err = time.Parse(time.RFC3339Nano, to); err != nil {
			return w, false, fmt.Errorf("-to %q is not an RFC 3339 time such as 2025-03-10T13:00:00Z", to)
		}
	}
	if !w.to.After(w.from) {
		return w, false, errors.New("-to must be after -from")
	}
	return w, true, nil
}

// readStore adds to set every trace of the embedded store that holds a
// span of a journey step starting in w: whole traces, since the checks
// look at parents and at the other steps.
func (a *app) readStore(ctx context.Context, l *config.Loader, js []journeys.Journey, w window, set *propagation.Set) error {
	cfg, err := load(l)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := checkSchema(ctx, pool); err != nil {
		return err
	}
	st := spanstore.NewStore(pool, nil)
	var ids []string
	seen := map[string]bool{}
	for _, j := range js {
		for _, step := range j.Spec.Steps {
			_, err := st.FetchSpans(ctx, journeys.SpanQuery{Pattern: step.Match, From: w.from, To: w.to}, func(s journeys.Span) error {
				if !seen[s.TraceID] {
					seen[s.TraceID] = true
					ids = append(ids, s.TraceID)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("journey %s step %q: %w", j.Metadata.Slug, step.Name, err)
			}
		}
	}
	for _, id := range ids {
		td, err := st.TraceOTLP(ctx, id)
		if err != nil {
			return fmt.Errorf("read trace %s: %w", id, err)
		}
		if err := set.Add(td); err != nil {
			return fmt.Errorf("trace %s: %w", id, err)
		}
	}
	return nil
}
