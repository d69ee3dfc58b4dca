package suggest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/waymarkhq/waymark/internal/tempo"
)

// ErrBadQuery is wrapped by errors about the question rather than the
// source: an unknown span kind, a key that is not span.x or resource.x, a
// missing service. The UI shows them as a 400.
var ErrBadQuery = errors.New("bad suggestion query")

func badQuery(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadQuery, fmt.Sprintf(format, args...))
}

// SourceError is a trace source failing to answer: down, slow, refusing
// the credentials. Error is one line the editor can show as it is, e.g.
// "Tempo is unavailable (HTTP 503)".
type SourceError struct {
	// Source names the source: "Tempo", "the embedded span store".
	Source string
	// Reason is why, in a few words.
	Reason string
	Err    error
}

// Error implements error.
func (e *SourceError) Error() string { return e.Source + " " + e.Reason }

// Unwrap returns the source's own error.
func (e *SourceError) Unwrap() error { return e.Err }

// sourceError classifies err from the source named name; errors that are
// not the source's (a bad query) pass through.
func sourceError(name string, err error) error {
	if err == nil || errors.Is(err, ErrBadQuery) {
		return err
	}
	return &SourceError{Source: name, Reason: reason(err), Err: err}
}

func reason(err error) string {
	var pgErr *pgconn.PgError
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "did not answer in time"
	case errors.Is(err, context.Canceled):
		return "was not asked: the request was cancelled"
	case tempo.IsUnauthorized(err):
		return "refused Waymark's credentials or tenant"
	case tempo.IsRateLimited(err):
		return "is rate limiting Waymark's queries (HTTP 429)"
	case tempo.IsUnavailable(err):
		return fmt.Sprintf("is unavailable (HTTP %d)", statusOf(err))
	case tempo.IsBadQuery(err):
		return "rejected the query: " + firstLine(tempoMessage(err))
	case errors.As(err, &pgErr):
		return "failed: " + firstLine(pgErr.Message)
	case errors.As(err, &opErr), errors.As(err, &netErr):
		return "cannot be reached"
	case pgconn.Timeout(err):
		return "did not answer in time"
	}
	return "failed: " + firstLine(err.Error())
}

func statusOf(err error) int {
	var e *tempo.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func tempoMessage(err error) string {
	var e *tempo.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

// firstLine keeps a message to one line of reasonable length.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
