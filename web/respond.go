package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"

	"github.com/waymarkhq/waymark/internal/alerting"
	"github.com/waymarkhq/waymark/internal/rollup"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/views"
)

// httpError is an error with what the client should be told: a status, a
// message and, for validation, messages per field. err is the cause, for the
// log only.
type httpError struct {
	status int
	msg    string
	fields map[string]string
	err    error
}

func (e *httpError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *httpError) Unwrap() error { return e.err }

// errorf is a client error with a message in plain words.
func errorf(status int, format string, args ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// classify decides what a client is told about err. Only what is meant for
// the client reaches it: the message of a 5xx is always generic.
func classify(err error) *httpError {
	var he *httpError
	var mbe *http.MaxBytesError
	var ve *journeys.ValidationError
	var ave *alerting.ValidationError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &mbe):
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body is larger than %s", byteSize(mbe.Limit)), err: err}
	case errors.As(err, &ve):
		return &httpError{status: http.StatusUnprocessableEntity, msg: "invalid journey", fields: ve.Fields, err: err}
	case errors.As(err, &ave):
		return &httpError{status: http.StatusUnprocessableEntity, msg: "invalid input", fields: ave.Fields, err: err}
	case errors.Is(err, store.ErrNotFound), errors.Is(err, rollup.ErrNotFound), errors.Is(err, journeys.ErrTraceNotFound),
		errors.Is(err, alerting.ErrNotFound):
		return &httpError{status: http.StatusNotFound, msg: "not found", err: err}
	case errors.Is(err, store.ErrConflict):
		return &httpError{status: http.StatusConflict, msg: "conflict", err: err}
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this answer.
		return &httpError{status: http.StatusServiceUnavailable, msg: "request canceled", err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &httpError{status: http.StatusServiceUnavailable, msg: "timed out", err: err}
	}
	return &httpError{status: http.StatusInternalServerError, msg: "internal server error", err: err}
}

// statusClientClosed is what the request log and metrics record
// for a request whose client hung up before it was answered: nobody saw
// an error, so it must not count as a server failure (nginx's 499).
const statusClientClosed = 499

// clientGone reports whether the client of r has hung up. The server
// cancels a request's context when its connection closes; a deadline is
// a timeout, not a hang-up.
func clientGone(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.Canceled)
}

// closed records a request whose client hung up: nothing is written but
// the status, which no client reads.
func (h *handler) closed(w http.ResponseWriter, r *http.Request, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelDebug, "client closed request",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("error", err.Error()),
	)
	w.WriteHeader(statusClientClosed)
}

// fail answers a request with err: JSON under /api, an error page elsewhere.
// Every 5xx is logged with the request, except a client hanging up, which
// is answered with statusClientClosed.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if clientGone(r) {
		h.closed(w, r, err)
		return
	}
	e := classify(err)
	if e.status >= 500 && !errors.Is(err, context.Canceled) {
		h.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", e.status),
			slog.String("error", err.Error()),
		)
	}
	if isAPI(r) {
		h.writeJSON(w, r, e.status, errorBody(e))
		return
	}
	h.render(w, r, e.status, views.ErrorPage(h.site, e.status, http.StatusText(e.status), pageMessage(e)))
}

// pageMessage is the sentence an error page shows.
func pageMessage(e *httpError) string {
	if e.status == http.StatusUnprocessableEntity && len(e.fields) > 0 {
		return "The request was not valid: " + e.msg + "."
	}
	return upperFirst(e.msg) + "."
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// apiError is the one shape of every JSON error.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func errorBody(e *httpError) apiError {
	return apiError{Error: apiErrorBody{Message: e.msg, Fields: e.fields}}
}

// writeJSON encodes v before writing anything, so that an encoding failure
// still gets a clean 500.
func (h *handler) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "encode response",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"message":"internal server error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// render writes a page. It renders into a buffer first: a template that
// fails half way must not leave half a page behind a 200.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		if clientGone(r) {
			h.closed(w, r, fmt.Errorf("render page: %w", err))
			return
		}
		h.log.LogAttrs(r.Context(), slog.LevelError, "render page",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("internal server error\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// redirect answers a successful form post: 303 makes the browser GET the
// target, so a reload does not post again.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// byteSize spells a limit the way people think of it: 1 MiB, 512 KiB.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
