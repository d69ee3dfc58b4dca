package httpx

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"
)

// statusWriter remembers the status and size of a response, for the request
// log, and whether anything was written, so that a panic after the first
// byte does not write a second response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack is kept available for handlers that upgrade connections.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response writer cannot hijack")
	}
	return hj.Hijack()
}

func wrap(w http.ResponseWriter) *statusWriter {
	if sw, ok := w.(*statusWriter); ok {
		return sw
	}
	return &statusWriter{ResponseWriter: w}
}

// LogRequests logs one line per request: method, path, status, duration.
func (b *Base) LogRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := wrap(w)
		next.ServeHTTP(sw, r)
		status := sw.status
		switch {
		case status == 0 && ClientGone(r):
			status = StatusClientClosed
		case status == 0:
			status = http.StatusOK
		}
		b.Log.LogAttrs(r.Context(), slog.LevelInfo, "http request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.Int64("bytes", sw.bytes),
		)
	})
}

// RecoverPanics turns a panic into a 500 whose body says nothing about the
// code; the stack goes to the log.
func (b *Base) RecoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := wrap(w)
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				// The server's own signal to drop the connection.
				panic(v)
			}
			b.Log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())),
			)
			if sw.status != 0 {
				return
			}
			b.Fail(sw, r, &Error{Status: http.StatusInternalServerError, Msg: msgInternal})
		}()
		next.ServeHTTP(sw, r)
	})
}

// LimitBody caps every request body at limit; reading past it fails
// with *http.MaxBytesError, which the error helpers answer with 413.
func LimitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// CrossOrigin refuses state-changing requests a browser sent from another
// site (CSRF), answering in the same shape as every other error.
func (b *Base) CrossOrigin(cop *http.CrossOriginProtection, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := cop.Check(r); err != nil {
			b.Fail(w, r, &Error{
				Status: http.StatusForbidden,
				Msg:    "cross-origin request refused: " + err.Error(),
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy lets pages load scripts, styles and images from
// Waymark itself only: no inline script or style, no plugin, no framing by
// another site, and forms post back to Waymark only.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// permissionsPolicy turns off browser features no page of Waymark uses.
const permissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

// SecureHeaders sets, on every response, headers that keep pages from being
// framed, sniffed, opened into by other sites' windows, or running scripts
// from anywhere but Waymark itself.
func SecureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", permissionsPolicy)
		next.ServeHTTP(w, r)
	})
}
