package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/internal/demo"
	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/journeys/examples"
	"github.com/waymarkhq/waymark/migrations"
)

// demoActor is who the demo's journey versions are recorded as.
const demoActor = "demo"

// demo runs everything on one machine: it migrates, applies the example
// journeys, serves the UI with the embedded trace store, and sends live
// synthetic shop traffic into it. With -traffic-only it only sends the
// traffic, e.g. to Tempo.
func (a *app) demo(ctx context.Context, args []string) error {
	fset, l := a.flags("demo", "", "Run Waymark with the embedded trace store and live demo shop traffic", config.GroupAll)
	trafficOnly := fset.Bool("traffic-only", false, "only send the demo traffic (to -endpoint), without the database or the UI")
	ownArgs, genArgs := splitDemoArgs(fset, args)
	fset.Usage = a.demoUsage(fset)
	if _, err := a.parse(fset, ownArgs); err != nil {
		return err
	}
	live, err := demo.ParseFlags(genArgs)
	if errors.Is(err, flag.ErrHelp) {
		fset.SetOutput(a.stdout)
		fset.Usage()
		return flag.ErrHelp
	}
	if err != nil {
		return &usageError{fs: fset, err: fmt.Errorf("demo: %w", err)}
	}
	if *trafficOnly {
		live.Log = config.Config{}.NewLogger(a.stderr)
		return demo.Run(ctx, live)
	}

	cfg, err := load(l)
	if err != nil {
		return err
	}
	if cfg.TraceSource != config.SourceEmbedded {
		return &configError{err: errors.New("WAYMARK_TRACE_SOURCE: the demo runs on the embedded store; to send demo traffic to Tempo use `waymark demo -traffic-only -endpoint URL`")}
	}
	log := cfg.NewLogger(a.stderr)
	if err := ensureDatabase(ctx, cfg.DatabaseURL, log); err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	// The demo is the one command that migrates by itself: it is the
	// newcomer's single step, on a database it owns.
	if _, err := migrations.Up(ctx, pool, log); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	st := journeystore.New(pool)
	d := &deps{cfg: cfg, log: log, pool: pool, store: st}
	if err := d.openSource(); err != nil {
		return err
	}
	// Jobs first: a new example journey enqueues its backfill, so the map
	// shows the traffic's history at once.
	if err := d.openJobs(); err != nil {
		return err
	}
	if err := applyExamples(ctx, d.journeys, a); err != nil {
		return err
	}
	if err := d.openAccounts(); err != nil {
		return err
	}
	password, err := ensureDemoAdmin(ctx, d.auth)
	if err != nil {
		return err
	}
	if !hasFlag(genArgs, "endpoint") {
		live.Endpoint = "http://" + cfg.OTLPListen
	}
	live.Log = log.With("service", "demo-traffic")
	// Journeys created above enqueued their backfill before the history
	// arrived; recompute that history once it is in the store.
	live.OnBackfilled = func(from time.Time) { d.backfillAll(ctx, from) }
	live.OnBadDeploy = func(active bool, at time.Time) { d.markDemoDeploy(ctx, active, at) }
	banner := bannerService(func() {
		fmt.Fprint(a.stderr, box("Waymark demo is running", "",
			"open      "+cfg.PublicURL,
			"sign in   "+demoAdmin,
			"password  "+password, "",
			"demo shop traffic goes to "+live.Endpoint))
	})
	traffic := service{name: "demo-traffic", run: func(ctx context.Context) error { return demo.Run(ctx, live) }}
	webhook, err := d.demoWebhook(ctx)
	if err != nil {
		return err
	}
	return runDemo(ctx, d, traffic, webhook, banner)
}

// runDemo is runServer with the traffic stopping first: the OTLP receiver,
// the store and the UI keep running until the generator has stopped and
// flushed its exporter, so that its last spans are stored instead of
// refused by a receiver already shutting down.
func runDemo(ctx context.Context, d *deps, traffic service, extra ...service) error {
	ui, err := httpService("web", d.cfg.Listen, d.handler(), d.log)
	if err != nil {
		return err
	}
	more, err := d.services()
	if err != nil {
		return err
	}
	return runServices(ctx, d, trafficFirst(traffic, append(append([]service{ui}, more...), extra...)))
}

// trafficFirst runs traffic with the context it is given and each of
// others with one that ends only once traffic has returned. A service
// that fails still stops everything: traffic stops on the shared context,
// then the others.
func trafficFirst(traffic service, others []service) []service {
	stopped := make(chan struct{})
	out := []service{{name: traffic.name, run: func(ctx context.Context) error {
		defer close(stopped)
		return traffic.run(ctx)
	}}}
	for _, s := range others {
		out = append(out, service{name: s.name, run: func(ctx context.Context) error {
			sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			defer cancel()
			go func() {
				select {
				case <-stopped:
				case <-sctx.Done():
				}
				cancel()
			}()
			return s.run(sctx)
		}})
	}
	return out
}

// backfillAll enqueues a backfill of every journey from from to now.
func (d *deps) backfillAll(ctx context.Context, from time.Time) {
	recs, err := d.store.ListJourneys(ctx)
	if err != nil {
		d.log.Warn("list journeys for backfill", "err", err)
		return
	}
	now := time.Now()
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		for _, r := range recs {
			if _, err := jobs.EnqueueBackfill(ctx, d.jobs, tx, r.Journey.Metadata.Slug, from.Truncate(time.Minute), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		d.log.Warn("enqueue demo backfill", "err", err)
	}
}

// markDemoDeploy records the demo's bad deploy and its rollback as deploy
// markers of the payment service, as a CD pipeline would.
func (d *deps) markDemoDeploy(ctx context.Context, active bool, at time.Time) {
	in := deploy.DeploymentInput{Service: "payment_svc", Version: demo.BadPaymentVersion, Environment: "prod", At: at,
		Description: "demo: new payment flow for app 1.5.0"}
	if !active {
		in.Version, in.Description = demo.PaymentVersion, "demo: rollback of "+demo.BadPaymentVersion
	}
	if _, err := d.alerting.deploys.CreateDeployment(ctx, in); err != nil {
		d.log.Warn("record demo deploy", "err", err)
	}
}

// applyExamples creates or updates the example journeys shipped in the
// binary.
func applyExamples(ctx context.Context, svc *journeyedit.Service, a *app) error {
	who := auth.Principal{Kind: auth.ActorSystem, Via: auth.ViaSystem, Name: demoActor}
	names, err := fs.Glob(examples.FS, "*.yaml")
	if err != nil {
		return fmt.Errorf("list examples: %w", err)
	}
	for _, name := range names {
		data, err := examples.FS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("read example %s: %w", name, err)
		}
		js, err := journeys.DecodeYAML(data)
		if err != nil {
			return fmt.Errorf("example %s: %w", name, err)
		}
		for _, j := range js {
			res, err := svc.Put(ctx, who, j)
			if err != nil {
				return fmt.Errorf("apply example %s: %w", name, err)
			}
			if res.Outcome != journeyedit.Unchanged {
				fmt.Fprintln(a.stdout, res.String())
			}
		}
	}
	return nil
}

// splitDemoArgs separates the settings flags (bound to own) from the
// traffic generator's flags, keeping each flag's value with it.
func splitDemoArgs(own *flag.FlagSet, args []string) (ownArgs, genArgs []string) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, hasValue := flagName(arg)
		f := own.Lookup(name)
		if name == "" || f == nil {
			if name == "h" || name == "help" {
				ownArgs = append(ownArgs, arg)
				continue
			}
			genArgs = append(genArgs, arg)
			continue
		}
		ownArgs = append(ownArgs, arg)
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		if !hasValue && i+1 < len(args) {
			i++
			ownArgs = append(ownArgs, args[i])
		}
	}
	return ownArgs, genArgs
}

// flagName returns the name of a -flag or --flag[=value] argument.
func flagName(arg string) (name string, hasValue bool) {
	if len(arg) < 2 || arg[0] != '-' || arg == "--" {
		return "", false
	}
	name = strings.TrimLeft(arg, "-")
	name, _, hasValue = strings.Cut(name, "=")
	return name, hasValue
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if n, _ := flagName(a); n == name {
			return true
		}
	}
	return false
}

// demoUsage lists the settings flags and the traffic generator's flags.
func (a *app) demoUsage(fset *flag.FlagSet) func() {
	return func() {
		w := fset.Output()
		fmt.Fprintf(w, "Usage: waymark demo [flags]\n\nRun Waymark with the embedded trace store and live demo shop traffic.\n\nSettings:\n")
		fset.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(w, "  -%s\n    \t%s\n", f.Name, f.Usage)
		})
		fmt.Fprintf(w, "\nTraffic:\n")
		demo.Usage(w)
	}
}
