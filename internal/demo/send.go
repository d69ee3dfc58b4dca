package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// DefaultEndpoint is Waymark's embedded OTLP/HTTP receiver.
const DefaultEndpoint = "http://127.0.0.1:4318"

// Send exports every span of the traffic to an OTLP/HTTP endpoint (a base
// URL such as http://127.0.0.1:4318, to which /v1/traces is added, or a full
// URL with its path): with sampling, every span of the sampled sessions. It
// returns once all spans were accepted, or with an error saying how many
// were not.
func (t *Traffic) Send(ctx context.Context, endpoint string) error {
	return t.send(ctx, endpoint, nil)
}

func (t *Traffic) send(ctx context.Context, endpoint string, headers map[string]string) error {
	e, err := newEmitter(ctx, emitterOptions{endpoint: endpoint, headers: headers, batchTimeout: time.Second, retryFor: 30 * time.Second, environment: t.cfg.Environment, sample: t.cfg.Sample})
	if err != nil {
		return fmt.Errorf("send traffic: %w", err)
	}
	for _, tr := range t.traces {
		if err := ctx.Err(); err != nil {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = e.shutdown(sctx)
			cancel()
			return fmt.Errorf("send traffic: %w", err)
		}
		e.emit(ctx, tr)
	}
	if err := e.shutdown(ctx); err != nil {
		return fmt.Errorf("send traffic: %w", err)
	}
	return nil
}

// ExportURL turns an endpoint flag into the URL spans are posted to: a bare
// host:port gets http://, a URL without a path gets /v1/traces.
func ExportURL(endpoint string) (string, error) {
	e := strings.TrimSpace(endpoint)
	if e == "" {
		return "", errors.New("endpoint is empty")
	}
	if !strings.Contains(e, "://") {
		e = "http://" + e
	}
	u, err := url.Parse(e)
	if err != nil {
		return "", fmt.Errorf("parse endpoint %q: %w", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("endpoint %q: scheme must be http or https", endpoint)
	}
	if u.Host == "" {
		return "", fmt.Errorf("endpoint %q has no host", endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("endpoint %q: no query, fragment or credentials allowed (pass credentials as headers)", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

type emitterOptions struct {
	endpoint     string
	headers      map[string]string
	batchTimeout time.Duration
	// retryFor bounds retries of one batch (429, 503, connection refused).
	retryFor time.Duration
	log      *slog.Logger
	// environment is deployment.environment; "" means prod.
	environment string
	// sample is Config.Sample.
	sample float64
}

// emitter turns planned traces into SDK spans with their planned ids and
// timestamps and exports them in batches, one tracer provider per service
// and version because the resource is per provider. It is used from one
// goroutine.
type emitter struct {
	exp          *recordingExporter
	batchTimeout time.Duration
	environment  string
	samp         sampling
	providers    map[resourceKey]*sdktrace.TracerProvider
	order        []resourceKey // creation order, for a stable shutdown
	tracers      map[resourceKey]trace.Tracer
	emitted      atomic.Int64
}

// resourceKey names one provider: a service at one version.
type resourceKey struct{ service, version string }

func newEmitter(ctx context.Context, o emitterOptions) (*emitter, error) {
	u, err := ExportURL(o.endpoint)
	if err != nil {
		return nil, err
	}
	opts := []otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(u),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression),
		otlptracehttp.WithTimeout(30 * time.Second),
		// The embedded store answers 429 under back-pressure; retry those
		// for a while rather than lose the demo's history.
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{
			Enabled:         o.retryFor > 0,
			InitialInterval: 200 * time.Millisecond,
			MaxInterval:     5 * time.Second,
			MaxElapsedTime:  o.retryFor,
		}),
	}
	if len(o.headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(o.headers))
	}
	inner, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("create exporter: %w", err)
	}
	log := o.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &emitter{
		exp:          &recordingExporter{inner: inner, log: log},
		batchTimeout: o.batchTimeout,
		environment:  cmp.Or(o.environment, "prod"),
		samp:         newSampling(o.sample),
		providers:    map[resourceKey]*sdktrace.TracerProvider{},
		tracers:      map[resourceKey]trace.Tracer{},
	}
	// The usual versions up front; others as a propagation break needs them.
	for _, st := range shop {
		e.tracer(st.Service, st.ServiceVersion)
	}
	return e, nil
}

// tracer returns the tracer of a service at a version, creating its
// provider the first time.
func (e *emitter) tracer(service, version string) trace.Tracer {
	k := resourceKey{service, version}
	if t, ok := e.tracers[k]; ok {
		return t
	}
	res := resource.NewWithAttributes("",
		attribute.String("service.name", service),
		attribute.String("service.version", version),
		attribute.String("service.namespace", "shop"),
		attribute.String("deployment.environment", e.environment),
	)
	bsp := sdktrace.NewBatchSpanProcessor(e.exp,
		sdktrace.WithBlocking(),
		sdktrace.WithMaxExportBatchSize(512),
		sdktrace.WithBatchTimeout(e.batchTimeout),
	)
	p := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSpanProcessor(bsp),
		sdktrace.WithSampler(plannedSampler{}),
		sdktrace.WithIDGenerator(plannedIDs{}),
	)
	e.providers[k] = p
	e.order = append(e.order, k)
	e.tracers[k] = p.Tracer("github.com/waymarkhq/waymark/internal/demo")
	return e.tracers[k]
}

// emit hands one trace to the SDK, unless sampling dropped its session.
// Export happens in the background.
func (e *emitter) emit(ctx context.Context, tr *Trace) {
	if !tr.Session.Sampled {
		return
	}
	tracer := e.tracer(shop[tr.Step].Service, cmp.Or(tr.ServiceVersion, shop[tr.Step].ServiceVersion))
	var state trace.TraceState
	if e.samp.on() {
		// The planner drew a valid state; a failure would only drop it.
		state, _ = trace.ParseTraceState(e.samp.traceState(tr.Session.Randomness))
	}
	parents := make(map[trace.SpanID]context.Context, len(tr.Spans))
	for k := range tr.Spans {
		sp := &tr.Spans[k]
		opts := []trace.SpanStartOption{
			trace.WithSpanKind(sp.Kind),
			trace.WithTimestamp(sp.Start),
			trace.WithAttributes(sp.Attrs...),
		}
		pctx := ctx
		if sp.Parent.IsValid() {
			pctx = parents[sp.Parent]
		} else {
			opts = append(opts, trace.WithNewRoot())
		}
		sctx, s := tracer.Start(context.WithValue(pctx, idsKey{}, ids{tr.TraceIDOf(sp), sp.ID, state}), sp.Name, opts...)
		parents[sp.ID] = sctx
		if sp.Error {
			s.SetStatus(codes.Error, sp.StatusMessage)
		}
		s.End(trace.WithTimestamp(sp.End))
	}
	e.emitted.Add(int64(len(tr.Spans)))
}

// flush exports every span emitted so far and reports export failures since
// the last flush.
func (e *emitter) flush(ctx context.Context) error {
	var errs []error
	for _, k := range e.order {
		if err := e.providers[k].ForceFlush(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := e.exp.takeErr(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("flush spans: %w", err)
	}
	return nil
}

// close stops the providers, which export what they still hold, and the
// exporter.
func (e *emitter) close(ctx context.Context) error {
	var errs []error
	for _, k := range e.order {
		errs = append(errs, e.providers[k].Shutdown(ctx))
	}
	errs = append(errs, e.exp.inner.Shutdown(ctx))
	return errors.Join(errs...)
}

// shutdown flushes and closes the emitter, and fails unless every span emitted was
// exported.
func (e *emitter) shutdown(ctx context.Context) error {
	if err := errors.Join(e.flush(ctx), e.close(ctx)); err != nil {
		return err
	}
	if sent, emitted := e.exp.sent.Load(), e.emitted.Load(); sent != emitted {
		return fmt.Errorf("export spans: %d of %d spans were not exported", emitted-sent, emitted)
	}
	return nil
}

// recordingExporter keeps export errors for the caller instead of letting the
// SDK print them to the global error handler, and counts what went out. Its
// Shutdown does nothing: the emitter shares it between providers and shuts
// the real exporter down once.
type recordingExporter struct {
	inner sdktrace.SpanExporter
	log   *slog.Logger
	sent  atomic.Int64

	mu     sync.Mutex
	err    error
	failed int
}

func (r *recordingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := r.inner.ExportSpans(ctx, spans); err != nil {
		r.log.Warn("export demo spans", slog.Int("spans", len(spans)), slog.Any("err", err))
		r.mu.Lock()
		r.failed += len(spans)
		if r.err == nil {
			r.err = err
		}
		r.mu.Unlock()
		return nil
	}
	r.sent.Add(int64(len(spans)))
	return nil
}

func (r *recordingExporter) Shutdown(context.Context) error { return nil }

func (r *recordingExporter) takeErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		return nil
	}
	err := fmt.Errorf("export spans: %d spans failed: %w", r.failed, r.err)
	r.err, r.failed = nil, 0
	return err
}

// ids carries a span's planned ids to plannedIDs, and its trace's
// tracestate to plannedSampler, through the context the span is started
// with.
type ids struct {
	trace trace.TraceID
	span  trace.SpanID
	state trace.TraceState
}

type idsKey struct{}

// plannedIDs is an sdktrace.IDGenerator that hands out the ids the planner
// drew, so that what is sent matches the truth id for id.
type plannedIDs struct{}

func (plannedIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	v, _ := ctx.Value(idsKey{}).(ids)
	return v.trace, v.span
}

func (plannedIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	v, _ := ctx.Value(idsKey{}).(ids)
	return v.span
}

// plannedSampler records and samples every span it is asked about (the
// planner already dropped what sampling drops) and gives it its trace's
// planned tracestate: the SDK takes a span's tracestate from its sampler.
type plannedSampler struct{}

func (plannedSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	v, _ := p.ParentContext.Value(idsKey{}).(ids)
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample, Tracestate: v.state}
}

func (plannedSampler) Description() string { return "PlannedSampler" }
