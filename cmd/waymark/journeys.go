package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
)

// maxJourneyFile bounds one journey file; journeys are a few kilobytes.
const maxJourneyFile = 4 << 20

func (a *app) journeysApply(ctx context.Context, args []string) error {
	fs, l := a.flags("journeys apply", "FILE|DIR...",
		"Create or update journeys from YAML files (several journeys per file separated by ---; a directory means its *.yaml and *.yml files). Every file is checked before any journey is written. Each created or changed journey is recorded in the audit log and its history is recomputed by the workers of any serve or worker on the database", config.GroupBase)
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
	js, err := readJourneys(files)
	if err != nil {
		return err
	}
	who := a.cliPrincipal(*actor)

	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := checkSchema(ctx, pool); err != nil {
		return err
	}
	inserter, err := jobs.NewInserter(pool, nil)
	if err != nil {
		return err
	}
	svc := journeyedit.New(pool, inserter, journeyedit.Options{})
	if *dryRun {
		for _, j := range js {
			p, err := svc.Plan(ctx, j)
			if err != nil {
				return fmt.Errorf("plan %s: %w", j.Metadata.Slug, err)
			}
			switch p.Outcome {
			case journeyedit.Unchanged:
				fmt.Fprintf(a.stdout, "unchanged %s (version %d)\n", p.Slug, p.Before.Version)
			case journeyedit.Created:
				fmt.Fprintf(a.stdout, "would create %s\n%s", p.Slug, p.Diff)
			default:
				fmt.Fprintf(a.stdout, "would update %s (version %d)\n%s", p.Slug, p.Before.Version, p.Diff)
			}
		}
		return nil
	}
	for _, j := range js {
		res, err := svc.Put(ctx, who, j)
		if err != nil {
			return fmt.Errorf("apply %s: %w", j.Metadata.Slug, err)
		}
		fmt.Fprintln(a.stdout, res.String())
	}
	return nil
}

// journeyFiles expands the arguments of apply: a file is itself, a
// directory its *.yaml and *.yml files in name order.
func journeyFiles(args []string) ([]string, error) {
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
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if e.Type().IsRegular() && (ext == ".yaml" || ext == ".yml") {
				files = append(files, filepath.Join(arg, e.Name()))
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no *.yaml or *.yml files", arg)
		}
	}
	return files, nil
}

// readJourneys decodes and validates every journey in files, and fails on
// the first bad one naming its file (and document when the file has
// several) and field. A slug may appear only once across all files.
func readJourneys(files []string) ([]journeys.Journey, error) {
	var all []journeys.Journey
	seen := map[string]string{}
	for _, name := range files {
		data, err := readLimited(name)
		if err != nil {
			return nil, err
		}
		js, err := journeys.DecodeYAML(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for i, j := range js {
			where := name
			if len(js) > 1 {
				where = fmt.Sprintf("%s (document %d)", name, i+1)
			}
			if err := j.Validate(); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			if other, ok := seen[j.Metadata.Slug]; ok {
				return nil, fmt.Errorf("%s: metadata.slug: %q is also defined in %s", where, j.Metadata.Slug, other)
			}
			seen[j.Metadata.Slug] = where
			all = append(all, j)
		}
	}
	return all, nil
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, errors.Unwrap(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if info.Size() > maxJourneyFile {
		return nil, fmt.Errorf("%s: larger than %d MiB; journey files are small", name, maxJourneyFile>>20)
	}
	data := make([]byte, info.Size())
	if _, err := f.ReadAt(data, 0); err != nil && info.Size() > 0 {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

func (a *app) journeysExport(ctx context.Context, args []string) error {
	fs, l := a.flags("journeys export", "[SLUG]",
		"Print one journey, or every journey in slug order separated by ---, as YAML that journeys apply takes back", config.GroupBase)
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

	var out []byte
	if len(pos) == 1 {
		rec, err := st.GetJourney(ctx, pos[0])
		if err != nil {
			return err
		}
		out, err = journeys.EncodeYAML(rec.Journey)
		if err != nil {
			return err
		}
	} else {
		recs, err := st.ListJourneys(ctx)
		if err != nil {
			return err
		}
		js := make([]journeys.Journey, len(recs))
		for i, r := range recs {
			js[i] = r.Journey
		}
		out, err = journeys.EncodeYAMLAll(js)
		if err != nil {
			return err
		}
	}
	if _, err := a.stdout.Write(out); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func (a *app) journeysList(ctx context.Context, args []string) error {
	fs, l := a.flags("journeys list", "", "List journeys with their version and last change", config.GroupBase)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, 0); err != nil {
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
	recs, err := journeystore.New(pool).ListJourneys(ctx)
	if err != nil {
		return err
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Journey.Metadata.Slug < recs[j].Journey.Metadata.Slug })
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tVERSION\tSTEPS\tUPDATED\tBY\tNAME")
	for _, r := range recs {
		m := r.Journey.Metadata
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", m.Slug, r.Version, len(r.Journey.Spec.Steps),
			r.UpdatedAt.UTC().Format(time.RFC3339), r.UpdatedBy, m.Name)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
