// Package builderhttp gives the web layer what the journey builder needs
// from the trace source: suggestions of what exists (internal/suggest), a
// preview of a journey before it is saved (internal/preview) and journeys
// proposed from traffic (internal/discover). Service is what the API and
// the editor call; New builds it on a trace source and Off stands in on a
// server that reads none.
package builderhttp

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/internal/discover"
	"github.com/waymarkhq/waymark/internal/preview"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/suggest"
	"github.com/waymarkhq/waymark/web/httpx"
)

// Source is a trace source the builder can read: both *tempo.Source and
// *spanstore.Store are.
type Source interface {
	rollup.TraceSource
	suggest.Source
}

// Service answers the journey builder's questions.
type Service interface {
	// Suggest lists the values of what ("services", "spans", "kinds",
	// "attributes", "values", "correlation", "value-keys") scoped by q;
	// key is the attribute of "values".
	Suggest(ctx context.Context, what, key string, q suggest.Query) ([]suggest.Suggestion, error)
	// Preview runs a journey over a range without saving it.
	Preview(ctx context.Context, req preview.Request) (*preview.Preview, error)
	// Suggested proposes journeys from recent traffic.
	Suggested(ctx context.Context) (*discover.Result, error)
}

// Kinds of suggestion Suggest answers, in the order the API lists them.
var Kinds = []string{"services", "spans", "kinds", "attributes", "values", "correlation", "value-keys"}

// Method says in a few sentences how journeys are proposed, with the
// bounds of discover's defaults.
const Method = "The entry spans (server and consumer) of the last hour are read. Each session's traces, " +
	"grouped by span.session.id, and each trace's own server and consumer spans form a sequence of steps " +
	"(service, span name, kind), repeats collapsed. At most 10,000 sessions and 10,000 traces are sampled, " +
	"by hash, and at most 500,000 spans read within 20 seconds. The longest paths that at least 1% of the " +
	"sampled sequences follow are proposed, ranked by how many went through every step."

// Options tune the builder.
type Options struct {
	Suggest  suggest.Options
	Preview  preview.Options
	Discover discover.Options
	// DiscoverTTL is how long a discovery is reused: mining reads every
	// entry span of the hour, too costly to redo on each page view.
	DiscoverTTL time.Duration
}

// Builder is the Service of a server that reads a trace source.
type Builder struct {
	src     Source
	suggest *suggest.Suggester
	preview *preview.Previewer
	o       Options

	mu       sync.Mutex
	found    *discover.Result
	foundAt  time.Time
	inflight chan struct{}
}

// New returns the builder reading src.
func New(src Source, o Options) *Builder {
	if o.DiscoverTTL <= 0 {
		o.DiscoverTTL = time.Minute
	}
	return &Builder{src: src, suggest: suggest.New(src, o.Suggest), preview: preview.New(src, o.Preview), o: o}
}

// Suggest implements Service.
func (b *Builder) Suggest(ctx context.Context, what, key string, q suggest.Query) ([]suggest.Suggestion, error) {
	var items []suggest.Suggestion
	var err error
	switch what {
	case "services":
		items, err = b.suggest.Services(ctx, q)
	case "spans":
		items, err = b.suggest.SpanNames(ctx, q)
	case "kinds":
		items, err = b.suggest.Kinds(ctx, q)
	case "attributes":
		items, err = b.suggest.Keys(ctx, q)
	case "values":
		if key == "" {
			return nil, httpx.ParamError("key", "name the attribute whose values to list, e.g. span.user.tier")
		}
		items, err = b.suggest.Values(ctx, key, q)
	case "correlation":
		items, err = b.suggest.CorrelationKeys(ctx, q)
	case "value-keys":
		items, err = b.suggest.ValueKeys(ctx, q)
	default:
		return nil, httpx.Errorf(http.StatusNotFound, "no suggestions of %q: ask for one of services, spans, kinds, attributes, values, correlation, value-keys", what)
	}
	if err != nil {
		return nil, Word(err)
	}
	if items == nil {
		items = []suggest.Suggestion{}
	}
	return items, nil
}

// Preview implements Service.
func (b *Builder) Preview(ctx context.Context, req preview.Request) (*preview.Preview, error) {
	p, err := b.preview.Run(ctx, req)
	if err != nil {
		err = Word(err)
		if ctx.Err() == nil && httpx.Classify(err).Status == http.StatusInternalServerError {
			// What fails here is reading spans, the trace source's part:
			// say so rather than "internal server error".
			return nil, &httpx.Error{Status: http.StatusBadGateway,
				Msg: "the trace source failed to answer the preview; try again, or a shorter range", Err: err}
		}
		return nil, err
	}
	return p, nil
}

// Suggested implements Service: one discovery at a time, its result kept
// for DiscoverTTL.
func (b *Builder) Suggested(ctx context.Context) (*discover.Result, error) {
	for {
		b.mu.Lock()
		if b.found != nil && time.Since(b.foundAt) < b.o.DiscoverTTL {
			res := b.found
			b.mu.Unlock()
			return res, nil
		}
		if wait := b.inflight; wait != nil {
			b.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		b.inflight = done
		b.mu.Unlock()

		res, err := discover.Discover(context.WithoutCancel(ctx), b.src, b.o.Discover)
		b.mu.Lock()
		b.inflight = nil
		if err == nil {
			b.found, b.foundAt = res, time.Now()
		}
		b.mu.Unlock()
		close(done)
		if err != nil {
			return nil, Word(err)
		}
		return res, nil
	}
}

// Word turns the builder's errors into what a person is told: a bad
// question is a 400 in its own words, a failing source a 503 saying which
// source and why.
func Word(err error) error {
	var se *suggest.SourceError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return &httpx.Error{Status: http.StatusServiceUnavailable, Msg: se.Error(), Err: err}
	case errors.Is(err, suggest.ErrBadQuery):
		msg := err.Error()
		if p := suggest.ErrBadQuery.Error() + ": "; len(msg) > len(p) && msg[:len(p)] == p {
			msg = msg[len(p):]
		}
		return &httpx.Error{Status: http.StatusBadRequest, Msg: msg, Err: err}
	}
	return err
}

// Off is the Service of a server with no trace source.
type Off struct{}

// Suggest answers ErrNoTraces.
func (Off) Suggest(context.Context, string, string, suggest.Query) ([]suggest.Suggestion, error) {
	return nil, httpx.ErrNoTraces
}

// Preview answers ErrNoTraces.
func (Off) Preview(context.Context, preview.Request) (*preview.Preview, error) {
	return nil, httpx.ErrNoTraces
}

// Suggested answers ErrNoTraces.
func (Off) Suggested(context.Context) (*discover.Result, error) { return nil, httpx.ErrNoTraces }
