package spanstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// DefaultAddr is where OTLP/HTTP exporters send traces unless told
// otherwise. It listens on loopback only: exposing the receiver is a choice.
const DefaultAddr = "127.0.0.1:4318"

// TracesPath is the OTLP/HTTP path for traces.
const TracesPath = "/v1/traces"

// shutdownTimeout bounds how long Serve waits for requests under way (and
// so for their spans to commit) when it stops.
const shutdownTimeout = 30 * time.Second

// Server serves a Receiver over HTTP on its own address, as an OpenTelemetry
// collector would, and owns the receiver's lifecycle.
type Server struct {
	rcv  *Receiver
	log  *slog.Logger
	addr string
	srv  *http.Server
}

// NewServer returns a Server for rcv on addr (DefaultAddr when empty). A nil
// log discards.
func NewServer(addr string, rcv *Receiver, log *slog.Logger) *Server {
	if addr == "" {
		addr = DefaultAddr
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle(TracesPath, rcv)
	return &Server{
		rcv:  rcv,
		log:  log,
		addr: addr,
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			// Bodies run to MaxBodyBytes over slow links, and an answer
			// waits for a commit.
			ReadTimeout:    time.Minute,
			WriteTimeout:   2 * time.Minute,
			IdleTimeout:    2 * time.Minute,
			MaxHeaderBytes: 64 << 10,
			ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}
}

// Serve runs the receiver's writers and serves OTLP/HTTP on ln until ctx
// ends. It then stops accepting connections, lets requests under way finish
// (their spans committed), drains the write queue, and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// The writers outlive ctx: they must commit what requests under way
	// are waiting for. Close ends them once the queue is drained.
	written := make(chan error, 1)
	go func() { written <- s.rcv.Run(context.WithoutCancel(ctx)) }()

	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(ln) }()
	s.log.Info("receiving OTLP traces", "addr", ln.Addr().String(), "path", TracesPath)

	var err error
	select {
	case err = <-served:
		err = fmt.Errorf("serve OTLP: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		if serr := s.srv.Shutdown(sctx); serr != nil {
			s.log.Warn("OTLP requests still under way at shutdown", "err", serr)
		}
		cancel()
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = fmt.Errorf("serve OTLP: %w", serr)
		}
	}
	_ = s.rcv.Close()
	if werr := <-written; werr != nil && err == nil {
		err = fmt.Errorf("write spans: %w", werr)
	}
	return err
}
