// Package httpx holds what every page and endpoint of Waymark shares:
// the one error classifier and the answers it writes (an error page or a
// JSON error), strict body decoding, text checks, middleware, sign-in and
// the role each route needs, audit entries and request metrics.
package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/web/ui/layout"
)

// Base is what every handler needs, whichever interface it serves: the
// log, the page frame, the accounts, and the answers. Handlers embed it.
type Base struct {
	// Log receives every 5xx and every request.
	Log *slog.Logger
	// Site is what every page's frame shows.
	Site layout.Site
	// Auth checks sign-in; nil on a server without accounts, which is open.
	Auth *auth.Auth
	// AuditDB writes audit entries of changes made outside a transaction.
	AuditDB TxBeginner
	// TraceURLTemplate links a trace id to the trace backend's UI
	// ({traceID}); empty links to Waymark's own trace view.
	TraceURLTemplate string
	// Now is the clock default time ranges end at.
	Now func() time.Time
	// Metrics counts and times requests.
	Metrics *Metrics
}

// StatusClientClosed is what the request log and metrics record for a
// request whose client hung up before it was answered: nobody saw an
// error, so it must not count as a server failure (nginx's 499).
const StatusClientClosed = 499

// ClientGone reports whether the client of r has hung up. The server
// cancels a request's context when its connection closes; a deadline is a
// timeout, not a hang-up.
func ClientGone(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.Canceled)
}

// Closed records a request whose client hung up: nothing is written but
// the status, which no client reads, and the log says so at INFO, since
// nothing failed.
func (b *Base) Closed(w http.ResponseWriter, r *http.Request, err error) {
	b.Log.LogAttrs(r.Context(), slog.LevelInfo, "client closed request",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("error", err.Error()),
	)
	w.WriteHeader(StatusClientClosed)
}

// Fail answers a request with err: JSON under /api, an error page
// elsewhere, as Classify decides. Every 5xx is logged with the request; a
// client that hung up is answered with StatusClientClosed.
func (b *Base) Fail(w http.ResponseWriter, r *http.Request, err error) {
	if ClientGone(r) {
		b.Closed(w, r, err)
		return
	}
	e := Classify(err)
	if e.Status >= 500 {
		b.Log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", routePattern(r)),
			slog.String("remote_addr", r.RemoteAddr),
			slog.Int("status", e.Status),
			slog.String("error", err.Error()),
		)
	}
	if IsAPI(r) {
		b.WriteJSON(w, r, e.Status, errorBody(e))
		return
	}
	b.Render(w, r, e.Status, layout.ErrorPage(b.Site, e.Status, http.StatusText(e.Status), pageMessage(e)))
}

// pageMessage is the sentence an error page shows.
func pageMessage(e *Error) string {
	if e.Status == http.StatusUnprocessableEntity && len(e.Fields) > 0 {
		return "The request was not valid: " + e.Msg + "."
	}
	return UpperFirst(e.Msg) + "."
}

// UpperFirst capitalises the first letter of an ASCII sentence.
func UpperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// errorDoc is the one shape of every JSON error.
type errorDoc struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the error object of every JSON error, for answers that carry
// it beside other fields (the gate).
type ErrorBody struct {
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func errorBody(e *Error) errorDoc {
	return errorDoc{Error: ErrorBody{Message: e.Msg, Fields: e.Fields}}
}

// WriteJSON encodes v before writing anything, so that an encoding failure
// still gets a clean 500.
func (b *Base) WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		b.Log.LogAttrs(r.Context(), slog.LevelError, "encode response",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"message":"internal server error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// Render writes a page. It renders into a buffer first: a template that
// fails half way must not leave half a page behind a 200.
func (b *Base) Render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		if ClientGone(r) {
			b.Closed(w, r, fmt.Errorf("render page: %w", err))
			return
		}
		b.Log.LogAttrs(r.Context(), slog.LevelError, "render page",
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

// Redirect answers a successful form post: 303 makes the browser GET the
// target, so a reload does not post again.
func Redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// IsAPI reports whether a request is for the JSON API, whose errors are JSON.
func IsAPI(r *http.Request) bool {
	return r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
}

// ActorOf names who is making a change: the signed-in user or token, else
// via ("web" or "api").
func (b *Base) ActorOf(r *http.Request, via string) string {
	return b.Who(r, via).Name
}

// Who is the principal a change through r is recorded as: the signed-in
// user or token, else, on a server without accounts, the interface it came
// through ("web" or "api").
func (b *Base) Who(r *http.Request, via string) auth.Principal {
	if p, ok := Principal(r); ok && p.Name != "" {
		return p
	}
	return auth.Principal{Kind: auth.ActorSystem, Via: auth.ViaSystem, Name: via, RemoteAddr: r.RemoteAddr}
}

// TraceURL links a trace id to where a person can read the trace: the
// trace backend's UI when TraceURLTemplate is set, else Waymark's own
// trace view.
func (b *Base) TraceURL(traceID string) string {
	if b.TraceURLTemplate == "" {
		return "/traces/" + url.PathEscape(traceID)
	}
	return strings.ReplaceAll(b.TraceURLTemplate, "{traceID}", url.QueryEscape(traceID))
}

// ExternalTraceURL links a trace id to the trace backend's UI, or is empty
// when no TraceURLTemplate is set.
func (b *Base) ExternalTraceURL(traceID string) string {
	if b.TraceURLTemplate == "" {
		return ""
	}
	return b.TraceURL(traceID)
}
