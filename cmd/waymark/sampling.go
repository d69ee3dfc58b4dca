package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/internal/sampling"
)

// samplingPolicy prints a collector tail_sampling configuration derived
// from the journeys in files or in the database.
func (a *app) samplingPolicy(ctx context.Context, args []string) error {
	fs, l := a.flags("sampling policy", "",
		"Print an OpenTelemetry Collector tail_sampling processor configuration that keeps every trace in which a journey step failed or broke its latency SLO, a share of each step's traces and a sample of the rest. Journeys come from --journeys, else from the database", config.GroupBase)
	var slugs stringList
	fs.Var(&slugs, "journey", "slug of a journey to sample for; repeat for several (default: every journey)")
	dir := fs.String("journeys", "", "read journeys from the YAML files of this directory (or file) instead of the database")
	keep := fs.String("keep-rate", "0.1", "share of all other traces kept, 0 to 1")
	stepKeep := fs.String("step-keep-rate", "0.25", "share of the traces through each step kept, 0 to 1; 1 keeps every journey trace")
	wait := fs.Duration("decision-wait", 0, "how long the collector holds a trace before deciding (default 30s)")
	format := fs.String("format", "yaml", "yaml (with comments) or json")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, 0); err != nil {
		return err
	}
	bad := func(f string, v ...any) error {
		return &usageError{fs: fs, err: fmt.Errorf("sampling policy: "+f, v...)}
	}
	opts := sampling.DefaultOptions()
	if opts.KeepRate, err = sampling.ParseRate(*keep); err != nil {
		return bad("-keep-rate: %v", err)
	}
	if opts.StepKeepRate, err = sampling.ParseRate(*stepKeep); err != nil {
		return bad("-step-keep-rate: %v", err)
	}
	if *wait < 0 {
		return bad("-decision-wait must not be negative")
	}
	opts.DecisionWait = *wait
	switch *format {
	case "yaml", "json":
		opts.Format = sampling.Format(*format)
	default:
		return bad("-format %q: use yaml or json", *format)
	}
	js, err := a.loadJourneys(ctx, journeySource{dir: *dir, loader: l}, slugs)
	if err != nil {
		return err
	}
	out, err := sampling.Policy(js, opts)
	if err != nil {
		return err
	}
	if _, err := a.stdout.Write(out); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// stringList is a flag that may be repeated.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	if s == "" {
		return fmt.Errorf("empty value")
	}
	*l = append(*l, s)
	return nil
}
