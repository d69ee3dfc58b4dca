package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/spanstore"
	"github.com/waymarkhq/waymark/jobs"
	"github.com/waymarkhq/waymark/migrations"
	"github.com/waymarkhq/waymark/web"
	"github.com/waymarkhq/waymark/web/alerthttp"
	"github.com/waymarkhq/waymark/web/builderhttp"
	"github.com/waymarkhq/waymark/web/incidenthttp"
	"github.com/waymarkhq/waymark/web/journeyhttp"
)

// Server timeouts. Pages and API calls read rollups and are quick; the
// write timeout leaves room for a slow trace fetch behind a trace page.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 20 * time.Second
)

func (a *app) serve(ctx context.Context, args []string) error {
	return a.runWith(ctx, "serve", "Serve the web UI, the JSON API and health checks, and run the background workers", args,
		func(d *deps) error { return runServer(ctx, d) })
}

// runWith is a command that takes no arguments and runs with the server's
// dependencies and job client: serve and worker.
func (a *app) runWith(ctx context.Context, name, summary string, args []string, run func(*deps) error) error {
	fs, l := a.flags(name, "", summary, config.GroupAll)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, 0); err != nil {
		return err
	}
	d, cleanup, err := a.open(ctx, l)
	if err != nil {
		return err
	}
	defer cleanup()
	if err := d.openJobs(); err != nil {
		return err
	}
	return run(d)
}

// open loads the configuration, opens the pool on a current schema, and
// builds the trace source: what serve and worker share.
func (a *app) open(ctx context.Context, l *config.Loader) (*deps, func(), error) {
	cfg, err := load(l)
	if err != nil {
		return nil, nil, err
	}
	log := cfg.NewLogger(a.stderr)
	ps, err := openPools(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSchema(ctx, ps.web); err != nil {
		ps.close()
		return nil, nil, err
	}
	log.Info("starting", "version", shortVersion(), "config", cfg)
	d := &deps{cfg: cfg, log: log, pool: ps.web, ingestPool: ps.ingest, jobsPool: ps.jobs, store: journeystore.New(ps.web)}
	if err := d.openSource(); err != nil {
		ps.close()
		return nil, nil, err
	}
	if err := d.openAccounts(); err != nil {
		ps.close()
		return nil, nil, err
	}
	return d, ps.close, nil
}

// deps is what serve builds once from the configuration and hands to the
// web handler and to the services running beside it.
type deps struct {
	cfg config.Config
	log *slog.Logger
	// pool is the web's; ingestPool the OTLP receiver's and jobsPool the
	// job workers'. Where nil, pool serves that class too.
	pool       *pgxpool.Pool
	ingestPool *pgxpool.Pool
	jobsPool   *pgxpool.Pool
	store      *journeystore.Store
	// source is where spans come from, for the web; jobSource the same
	// source over the jobs' pool. spans is the embedded store on the
	// ingest pool when that is the source: the receiver writes to it and
	// retention drops from it.
	source    rollup.TraceSource
	jobSource rollup.TraceSource
	spans     *spanstore.Store
	// jobs is the job client; its workers run in this process.
	jobs *river.Client[pgx.Tx]
	// journeys changes journeys, with their audit entries and recomputes.
	journeys *journeyedit.Service
	// alerting evaluates SLOs and keeps deploy markers and channels.
	alerting *alertServices
	// auth is the accounts, sessions and API tokens.
	auth *auth.Auth
}

// ingestDB is the receiver's pool.
func (d deps) ingestDB() *pgxpool.Pool {
	if d.ingestPool != nil {
		return d.ingestPool
	}
	return d.pool
}

// jobsDB is the job workers' pool.
func (d deps) jobsDB() *pgxpool.Pool {
	if d.jobsPool != nil {
		return d.jobsPool
	}
	return d.pool
}

// handler is the HTTP handler of the UI, the API and the health checks,
// each request bounded by the request timeout.
func (d deps) handler() http.Handler {
	return withRequestTimeout(d.webHandler(), d.cfg.RequestTimeout)
}

// withRequestTimeout ends each request's context after timeout, so that
// its queries (and a slow trace fetch) end with it rather than hold a
// connection for as long as the client waits. Zero leaves h as it is.
func withRequestTimeout(h http.Handler, timeout time.Duration) http.Handler {
	if timeout <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (d deps) webHandler() http.Handler {
	return web.New(web.Options{
		Store:            d.store,
		Journeys:         d.journeys,
		DB:               d.pool,
		SchemaCheck:      func(ctx context.Context) error { return migrations.Check(ctx, d.pool) },
		Logger:           d.log,
		Version:          shortVersion(),
		TraceURLTemplate: d.cfg.TraceURLTemplate,
		// Many viewers of one journey read the same minute-aligned
		// numbers; they change once a run is recorded.
		Rollups:        journeyhttp.NewCache(rollup.NewStore(d.pool), journeyhttp.CacheOptions{}),
		Traces:         d.traces(),
		Builder:        d.builder(),
		Incidents:      d.incidents(),
		IncidentEvents: d.incidentEventsFunc(),
		PublicURL:      d.cfg.PublicURL,
		Source:         d.sourceInfo(),
		Alerting:       d.alertingOrOff(),
		Auth:           d.auth,
		SecureCookies:  d.cfg.SecureCookies,
		APIToken:       d.cfg.APIToken,
		MetricsToken:   d.cfg.MetricsToken,
		JobCounts:      web.JobCountsFunc(d.jobCounts),
		// Behind a proxy that rewrites Host, forms posted from the public
		// URL are still same-origin.
		TrustedOrigins: []string{origin(d.cfg.PublicURL)},
	})
}

// traces is the trace source the trace page reads, or its stand-in when
// none is configured.
func (d deps) traces() journeyhttp.Traces {
	if d.source == nil {
		return journeyhttp.TracesOff{}
	}
	return d.source
}

// builder is what the journey editor asks the trace source, or its
// stand-in when the source cannot answer suggestions.
func (d deps) builder() builderhttp.Service {
	src, ok := d.source.(builderhttp.Source)
	if !ok {
		return builderhttp.Off{}
	}
	return builderhttp.New(src, builderhttp.Options{})
}

// alertingOrOff is the alerting service, or its stand-in on a server that
// runs none.
func (d deps) alertingOrOff() alerthttp.Service {
	if d.alerting == nil {
		return alerthttp.Off{}
	}
	return d.alerting.web()
}

// incidents is the incident store. Both trace sources can export whole
// traces, which incidents keep as snapshots; with another source, the
// server keeps no incidents.
func (d deps) incidents() incidenthttp.Store {
	src, ok := d.source.(incident.Source)
	if !ok {
		return incidenthttp.Off{}
	}
	return incident.New(d.pool, incident.Config{Source: src, Journeys: d.store, Stats: rollup.NewStore(d.pool), Log: d.log})
}

// incidentEventsFunc puts deploys and SLO alerts on incident timelines when
// SLOs are evaluated in this process's database.
func (d deps) incidentEventsFunc() func(context.Context, incident.Incident) ([]incident.Event, []incident.Event, error) {
	if d.alerting == nil {
		return web.NoIncidentEvents
	}
	return d.incidentEvents
}

// jobCounts feeds the job metrics of /metrics.
func (d deps) jobCounts(ctx context.Context) ([]web.JobCount, error) {
	cs, err := jobs.Counts(ctx, d.pool)
	if err != nil {
		return nil, err
	}
	out := make([]web.JobCount, len(cs))
	for i, c := range cs {
		out[i] = web.JobCount{Kind: c.Kind, State: c.State, Count: c.Count}
	}
	return out, nil
}

// origin is the scheme://host[:port] of a validated http(s) URL.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// service is a long-running part of the process. It runs until ctx is
// done and then returns nil once it has stopped cleanly; an error stops the
// whole process.
type service struct {
	name string
	run  func(ctx context.Context) error
}

// services are what runs beside the web server: the embedded span store's
// receiver and retention, and the job workers, so that they start and stop
// with the process.
func (d deps) services() ([]service, error) {
	svcs, err := d.sourceServices()
	if err != nil {
		return nil, err
	}
	if d.jobs != nil {
		svcs = append(svcs, workersService(d.jobs))
	}
	if d.auth != nil {
		svcs = append(svcs, service{name: "accounts-prune", run: d.accountsPrune})
	}
	return svcs, nil
}

// httpService serves h on addr. It listens at once, so that a busy port
// fails the start rather than a running process.
func httpService(name, addr string, h http.Handler, log *slog.Logger) (service, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return service{}, fmt.Errorf("%s: listen: %w", name, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	run := func(ctx context.Context) error {
		srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		log.Info("serving", "service", name, "addr", ln.Addr().String())
		select {
		case err := <-served:
			return err
		case <-ctx.Done():
		}
		// In-flight requests get shutdownTimeout to finish.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("shut down: %w", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return service{name: name, run: run}, nil
}

// runServer serves the web handler on d.cfg.Listen beside extra services,
// until ctx is done or one of them fails; then it stops them all and waits.
func runServer(ctx context.Context, d *deps, extra ...service) error {
	ui, err := httpService("web", d.cfg.Listen, d.handler(), d.log)
	if err != nil {
		return err
	}
	more, err := d.services()
	if err != nil {
		return err
	}
	return runServices(ctx, d, append(append([]service{ui}, more...), extra...))
}

// runServices runs svcs until ctx is done or one of them fails; then it
// stops them all and waits.
func runServices(ctx context.Context, d *deps, svcs []service) error {

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(svcs))
	var wg sync.WaitGroup
	for _, s := range svcs {
		wg.Go(func() {
			err := s.run(ctx)
			if err != nil {
				errs <- fmt.Errorf("%s: %w", s.name, err)
			}
			// A service that ends stops the process: nothing runs half.
			cancel()
		})
	}
	<-ctx.Done()
	d.log.Info("shutting down")
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	d.log.Info("stopped")
	return nil
}

// openPool opens the connection pool of a command. It connects lazily; the
// first query reports an unreachable database.
func openPool(ctx context.Context, cfg config.Config) (*pgxpool.Pool, error) {
	return openClassPool(ctx, cfg, "", config.Pool{})
}

// pools are serve's and worker's connection budgets, one pool per class
// of work: a class that has used up its connections waits on its own
// pool, never on another's.
type pools struct {
	web, ingest, jobs *pgxpool.Pool
}

// openPools opens the three pools of cfg.Pools.
func openPools(ctx context.Context, cfg config.Config) (pools, error) {
	var p pools
	var err error
	if p.web, err = openClassPool(ctx, cfg, "web", cfg.Pools.Web); err != nil {
		return pools{}, err
	}
	if p.ingest, err = openClassPool(ctx, cfg, "ingest", cfg.Pools.Ingest); err != nil {
		p.close()
		return pools{}, err
	}
	if p.jobs, err = openClassPool(ctx, cfg, "jobs", cfg.Pools.Jobs); err != nil {
		p.close()
		return pools{}, err
	}
	return p, nil
}

func (p pools) close() {
	for _, pool := range []*pgxpool.Pool{p.web, p.ingest, p.jobs} {
		if pool != nil {
			pool.Close()
		}
	}
}

// openClassPool opens a pool for one class of work, named in
// application_name (so pg_stat_activity tells the classes apart), with the
// class's connection budget and statement timeout where set.
func openClassPool(ctx context.Context, cfg config.Config, class string, budget config.Pool) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, &configError{err: errors.New("WAYMARK_DATABASE_URL: is not a valid Postgres URL or key=value DSN")}
	}
	if _, ok := pc.ConnConfig.RuntimeParams["application_name"]; !ok {
		name := "waymark"
		if class != "" {
			name += "-" + class
		}
		pc.ConnConfig.RuntimeParams["application_name"] = name
	}
	if budget.MaxConns > 0 {
		pc.MaxConns = int32(budget.MaxConns)
	}
	if budget.StatementTimeout > 0 {
		pc.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(budget.StatementTimeout.Milliseconds(), 10)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return pool, nil
}

// checkSchema refuses a database whose schema is older than this binary.
// migrations.ErrStale already says which command fixes it, and what is
// missing.
func checkSchema(ctx context.Context, pool *pgxpool.Pool) error {
	err := migrations.Check(ctx, pool)
	if err != nil && !errors.Is(err, migrations.ErrStale) {
		return fmt.Errorf("check database schema: %w", err)
	}
	return err
}
