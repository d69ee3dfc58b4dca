package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/openslo"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
)

func (a *app) slosExport(ctx context.Context, args []string) error {
	fs, l := a.flags("slos export", "[SLUG]",
		"Print the SLOs of one journey, or of every journey that has some, as OpenSLO v1 documents (a Service per journey; per SLO an SLO with its SLI and its burn-rate alert policies), which slos apply takes back", config.GroupBase)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, 1); err != nil {
		return err
	}
	cfg, err := load(l)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := journeystore.New(pool)

	var js []journeys.Journey
	if len(pos) == 1 {
		rec, err := st.GetJourney(ctx, pos[0])
		if err != nil {
			return err
		}
		if len(rec.Journey.Spec.SLOs) == 0 {
			return fmt.Errorf("journey %q has no SLOs to export", pos[0])
		}
		js = append(js, rec.Journey)
	} else {
		recs, err := st.ListJourneys(ctx)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if len(r.Journey.Spec.SLOs) > 0 {
				js = append(js, r.Journey)
			}
		}
	}
	out, err := openslo.ExportAll(js)
	if err != nil {
		return err
	}
	if _, err := a.stdout.Write(out); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func (a *app) slosApply(ctx context.Context, args []string) error {
	fs, l := a.flags("slos apply", "FILE|DIR...",
		"Create or update journeys' SLOs from OpenSLO v1 files: each SLO's spec.service names its journey, which must exist; an SLO of a name the journey has replaces it, a new one is added, and none is removed. Every file is checked before any journey is written; each changed journey is recorded in the audit log and recomputed when its thresholds changed", config.GroupBase)
	actor := fs.String("actor", "", "who the change is recorded as in the audit log (default: $USER, else \"cli\")")
	dryRun := fs.Bool("dry-run", false, "print what would change, with a diff of each journey, and change nothing")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, -1); err != nil {
		return err
	}
	cfg, err := load(l)
	if err != nil {
		return err
	}
	files, err := journeyFiles(pos)
	if err != nil {
		return err
	}
	// Every file is read and checked before anything is written.
	set := &openslo.Set{}
	from := map[[2]string]string{}
	for _, name := range files {
		data, err := readLimited(name)
		if err != nil {
			return err
		}
		s, err := openslo.Decode(data)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, o := range s.SLOs {
			key := [2]string{o.Journey, o.SLO.Name}
			if other, dup := from[key]; dup {
				return fmt.Errorf("%s: SLO %s of journey %s is also defined in %s", name, o.SLO.Name, o.Journey, other)
			}
			from[key] = name
		}
		set.SLOs = append(set.SLOs, s.SLOs...)
	}

	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := checkSchema(ctx, pool); err != nil {
		return err
	}
	st := journeystore.New(pool)
	var changed []journeys.Journey
	for _, slug := range set.Journeys() {
		rec, err := st.GetJourney(ctx, slug)
		if errors.Is(err, journeystore.ErrNotFound) {
			return fmt.Errorf("journey %q (spec.service of its SLOs) does not exist: apply the journey first", slug)
		}
		if err != nil {
			return err
		}
		j, err := openslo.Apply(rec.Journey, set)
		if err != nil {
			return err
		}
		changed = append(changed, j)
	}

	inserter, err := jobs.NewInserter(pool, nil)
	if err != nil {
		return err
	}
	svc := journeyedit.New(pool, inserter, journeyedit.Options{})
	if *dryRun {
		for _, j := range changed {
			p, err := svc.Plan(ctx, j)
			if err != nil {
				return fmt.Errorf("plan %s: %w", j.Metadata.Slug, err)
			}
			if p.Outcome == journeyedit.Unchanged {
				fmt.Fprintf(a.stdout, "unchanged %s (version %d)\n", p.Slug, p.Before.Version)
				continue
			}
			fmt.Fprintf(a.stdout, "would update %s (version %d)\n%s", p.Slug, p.Before.Version, p.Diff)
		}
		return nil
	}
	who := a.cliPrincipal(*actor)
	for _, j := range changed {
		res, err := svc.Put(ctx, who, j)
		if err != nil {
			return fmt.Errorf("apply SLOs of %s: %w", j.Metadata.Slug, err)
		}
		fmt.Fprintln(a.stdout, res.String())
	}
	return nil
}
