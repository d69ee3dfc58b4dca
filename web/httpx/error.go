package httpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/incident"
	"github.com/waymarkhq/waymark/journeys"
)

// Error is an error with what the client should be told: a status, a
// message and, for validation, messages per field. Err is the cause, for
// the log only.
type Error struct {
	// Status is the HTTP status of the answer.
	Status int
	// Msg is the message, in plain words.
	Msg string
	// Fields maps a field path to what is wrong with it.
	Fields map[string]string
	// Err is the cause, logged and never shown.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf is a client error with a message in plain words.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// ParamError is a 400 naming the query parameter at fault.
func ParamError(param, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Status: http.StatusBadRequest, Msg: param + ": " + msg, Fields: map[string]string{param: msg}}
}

// OnField classifies err and, when it is the client's and names no field,
// puts its message on field, so that a form shows it beside that input.
func OnField(err error, field string) *Error {
	e := Classify(err)
	if e.Status < 500 && len(e.Fields) == 0 {
		c := *e
		c.Fields = map[string]string{field: e.Msg}
		return &c
	}
	return e
}

// Off is a feature this server runs without. It is unavailable (503) in
// words that say so, rather than as a failing database.
type Off struct {
	// Msg says what the server does not do: "this server evaluates no SLOs".
	Msg string
}

func (e *Off) Error() string { return e.Msg }

// Is makes errors.Is(err, fault.ErrUnavailable) true for a feature that is
// off.
func (e *Off) Is(target error) bool { return target == fault.ErrUnavailable }

// Messages of the answers the classifier words itself.
const (
	msgInternal    = "internal server error"
	msgUnavailable = "database unavailable"
)

// Each kind of failure with the sentinels that stand for it. Every
// service's sentinels are of a fault kind; the ones listed before the kind
// are worded as they are, whatever wraps them.
var (
	notFoundErrs  = []error{journeys.ErrTraceNotFound, fault.ErrNotFound}
	conflictErrs  = []error{auth.ErrLastAdmin, fault.ErrConflict}
	forbiddenErrs = []error{fault.ErrForbidden}
)

// Classify decides what a client is told about err: the one place an error
// becomes a status and a message, for pages and the API alike. The message
// of a 5xx is always generic; that of a 4xx is the error's own wording.
func Classify(err error) *Error {
	var he *Error
	var mbe *http.MaxBytesError
	var ve *journeys.ValidationError
	var uve *auth.ValidationError
	var big *incident.SnapshotTooLargeError
	var inv *fault.Invalid
	var off *Off
	var miss *missing
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &mbe):
		return &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("request body is larger than %s", byteSize(mbe.Limit)), Err: err}
	case errors.As(err, &big):
		return &Error{Status: http.StatusRequestEntityTooLarge, Msg: big.Error(), Err: err}
	case errors.As(err, &inv):
		msg := "invalid request"
		if inv.What != "" {
			msg = "invalid " + inv.What
		}
		return &Error{Status: http.StatusUnprocessableEntity, Msg: msg, Fields: inv.Fields, Err: err}
	case errors.As(err, &ve):
		return &Error{Status: http.StatusUnprocessableEntity, Msg: "invalid journey", Fields: ve.Fields, Err: err}
	case errors.As(err, &uve):
		return &Error{Status: http.StatusUnprocessableEntity, Msg: uve.Error(), Fields: map[string]string{uve.Field: uve.Message}, Err: err}
	case errors.Is(err, fault.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Msg: detail(err, fault.ErrInvalid, "invalid request"), Err: err}
	case errors.As(err, &miss):
		return &Error{Status: http.StatusNotFound, Msg: miss.what + " not found", Err: err}
	case errors.As(err, &off):
		return &Error{Status: http.StatusServiceUnavailable, Msg: off.Msg, Err: err}
	case Unavailable(err):
		return &Error{Status: http.StatusServiceUnavailable, Msg: msgUnavailable, Err: err}
	}
	if s := first(err, notFoundErrs); s != nil {
		return &Error{Status: http.StatusNotFound, Msg: notFoundText(err, s), Err: err}
	}
	if s := first(err, conflictErrs); s != nil {
		return &Error{Status: http.StatusConflict, Msg: detail(err, s, "conflict"), Err: err}
	}
	if s := first(err, forbiddenErrs); s != nil {
		// Why is the caller's to know only when a route says so (Require).
		return &Error{Status: http.StatusForbidden, Msg: "forbidden", Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Msg: msgInternal, Err: err}
}

// Unavailable reports whether err means the database (or another
// dependency) cannot answer now: a retry later may succeed, so the answer
// is 503, not 500. A deadline counts: a query that ran out of time did so
// because the database did not answer in time.
func Unavailable(err error) bool {
	var ce *pgconn.ConnectError
	var oe *net.OpError
	return errors.Is(err, fault.ErrUnavailable) || errors.As(err, &ce) || errors.As(err, &oe) ||
		pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded)
}

// first returns the first of sentinels that err wraps, or nil.
func first(err error, sentinels []error) error {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s
		}
	}
	return nil
}

// detail is what err says beyond sentinel: "incident 7 changed since
// version 3" of "incident 7 changed since version 3: conflict". A bare
// one-word sentinel is worded as generic; one that is a sentence (the last
// admin) speaks for itself.
func detail(err, sentinel error, generic string) string {
	s := err.Error()
	if len(strings.Fields(sentinel.Error())) > 1 {
		return sentinel.Error()
	}
	if d, ok := strings.CutSuffix(s, ": "+sentinel.Error()); ok && d != "" {
		return innermost(d)
	}
	if s == sentinel.Error() {
		return generic
	}
	return s
}

// innermost is the last of the phrases an error chain joins with ": ",
// the one the service wrote beside its sentinel: "user 7" of
// "disable user 7: user 7". The callers' verb phrases before it are for
// the log.
func innermost(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// notFoundText words a miss: `journey "checkout" not found` of
// `journey "checkout": not found`.
func notFoundText(err, sentinel error) string {
	s := err.Error()
	if sentinel.Error() != "not found" {
		// A sentinel in words of its own: "trace not found".
		return sentinel.Error()
	}
	if d, ok := strings.CutSuffix(s, ": "+sentinel.Error()); ok && d != "" {
		return innermost(d) + " not found"
	}
	if s == sentinel.Error() {
		return "not found"
	}
	return s
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

// The features a server may run without, as their disabled stand-ins
// answer.
var (
	// ErrNoRollups: the server computes no rollups.
	ErrNoRollups = &Off{Msg: "this server computes no rollups"}
	// ErrNoAlerting: the server evaluates no SLOs and keeps no deploys.
	ErrNoAlerting = &Off{Msg: "this server evaluates no SLOs"}
	// ErrNoIncidents: the server keeps no incidents.
	ErrNoIncidents = &Off{Msg: "incidents are not configured"}
	// ErrNoTraces: the server reads no trace source.
	ErrNoTraces = &Off{Msg: "trace source not configured"}
)

// missing is a miss with the words for what was missed.
type missing struct {
	what string
	err  error
}

func (e *missing) Error() string { return e.what + ": " + e.err.Error() }
func (e *missing) Unwrap() error { return e.err }

// Missing names what err did not find, when it is a miss, so that the
// classifier says so in the client's terms (`SLO "latency" of journey
// "checkout" not found`) rather than in the service's. Other errors pass
// through unchanged.
func Missing(err error, format string, args ...any) error {
	if first(err, notFoundErrs) == nil {
		return err
	}
	return &missing{what: fmt.Sprintf(format, args...), err: err}
}
