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
)

// check is the CI gate for context propagation: it reads the spans a test
// run exported and checks them against the journeys. It exits 0 when every
// check passes, 1 when one fails (a line per failure) and 2 when it cannot
// decide (an unreadable file, no spans, no journeys, bad flags).
func (a *app) check(ctx context.Context, args []string) error {
	fs, l := a.flags("check", "FILE|DIR...",
		"Check the spans of a test run, from files of OTLP JSON or protobuf as the collector's file exporter writes them (a directory means its files), against the journeys: every step seen, trace context kept from step to step, no span missing its parent, correlation and segment attributes present. Journeys come from --journeys, else --url, else the database. Exit 0 pass, 1 fail, 2 cannot decide", config.GroupBase)
	dir := fs.String("journeys", "", "read journeys from the YAML files of this directory (or file)")
	base := fs.String("url", "", "else read journeys from the Waymark server at this base URL (env WAYMARK_URL)")
	token := fs.String("token", "", "API token for -url, sent as a Bearer token (env WAYMARK_API_TOKEN)")
	var slugs stringList
	fs.Var(&slugs, "journey", "slug of a journey to check; repeat for several (default: every journey)")
	format := fs.String("format", "text", "text, or github for GitHub Actions error annotations")
	junit := fs.String("junit", "", "also write a JUnit XML report to this file: a test case per journey and check")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the server of -url")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, -1); err != nil {
		return err
	}
	if *format != "text" && *format != "github" {
		return &usageError{fs: fs, err: fmt.Errorf("check: -format %q: use text or github", *format)}
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
	files, err := spanFiles(pos)
	if err != nil {
		return undecided(err)
	}
	set := propagation.NewSet()
	for _, name := range files {
		if err := readSpanFile(name, set); err != nil {
			return undecided(err)
		}
	}
	if set.Spans() == 0 {
		return undecided(fmt.Errorf("no spans in %s: did the test run export any", plural(len(files), "file", "files")))
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
		plural(set.Spans(), "span", "spans"), plural(set.Traces(), "trace", "traces"), plural(len(files), "file", "files"))
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
