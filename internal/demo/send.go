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
// URL with its path). It returns once all spans were accepted, or with an
// error saying how many were not.
func (t *Traffic) Send(ctx context.Context, endpoint string) error {
	return t.send(ctx, endpoint, nil)
}

func (t *Traffic) send(ctx context.Context, endpoint string, headers map[string]string) error {
	e, err := newEmitter(ctx, emitterOptions{endpoint: endpoint, headers: headers, batchTimeout: time.Second, retryFor: 30 * time.Second, environment: t.cfg.Environment})
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
}

// emitter turns planned traces into SDK spans with their planned ids and
// timestamps and exports them in batches, one tracer provider per service
// because the resource is per provider.
type emitter struct {
	exp       *recordingExporter
	providers [NumSteps]*sdktrace.TracerProvider
	tracers   [NumSteps]trace.Tracer
	emitted   atomic.Int64
}

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
	e := &emitter{exp: &recordingExporter{inner: inner, log: log}}
	for i, st := range shop {
		res := resource.NewWithAttributes("",
			attribute.String("service.name", st.Service),
			attribute.String("service.version", st.ServiceVersion),
			attribute.String("service.namespace", "shop"),
			attribute.String("deployment.environment", cmp.Or(o.environment, "prod")),
		)
		bsp := sdktrace.NewBatchSpanProcessor(e.exp,
			sdktrace.WithBlocking(),
			sdktrace.WithMaxExportBatchSize(512),
			sdktrace.WithBatchTimeout(o.batchTimeout),
		)
		e.providers[i] = sdktrace.NewTracerProvider(
			sdktrace.WithResource(res),
			sdktrace.WithSpanProcessor(bsp),
			sdktrace.WithSampler(sdktrace.AlwaysSample()),
			sdktrace.WithIDGenerator(plannedIDs{}),
		)
		e.tracers[i] = e.providers[i].Tracer("github.com/waymarkhq/waymark/internal/demo")
	}
	return e, nil
}

// emit hands one trace to the SDK. Export happens in the background.
func (e *emitter) emit(ctx context.Context, tr *Trace) {
	tracer := e.tracers[tr.Step]
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
		sctx, s := tracer.Start(context.WithValue(pctx, idsKey{}, ids{tr.ID, sp.ID}), sp.Name, opts...)
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
	for _, p := range e.providers {
		if err := p.ForceFlush(ctx); err != nil {
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

// shutdown flushes, then stops the providers and the exporter.
func (e *emitter) shutdown(ctx context.Context) error {
	errs := []error{e.flush(ctx)}
	for _, p := range e.providers {
		errs = append(errs, p.Shutdown(ctx))
	}
	errs = append(errs, e.exp.inner.Shutdown(ctx))
	if err := errors.Join(errs...); err != nil {
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

// ids carries a span's planned ids to plannedIDs through the context the
// span is started with.
type ids struct {
	trace trace.TraceID
	span  trace.SpanID
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
