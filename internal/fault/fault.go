// Package fault is the error vocabulary every Waymark service speaks, so
// that one classifier in the HTTP layer (and one in the CLI) can turn any
// service's error into the right status and message without knowing which
// package it came from.
//
// Services keep their own sentinels where callers test for them, but those
// sentinels wrap the kinds here:
//
//	var ErrNotFound = fmt.Errorf("journey %w", fault.ErrNotFound)
//
// and validation failures are a *fault.Invalid carrying field paths.
package fault

import (
	"errors"
	"sort"
	"strconv"
	"strings"
)

// The kinds of failure a caller can act on. Anything else is internal.
var (
	// ErrNotFound: the thing asked for does not exist (HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request is valid but clashes with current state,
	// such as a duplicate name or a stale version (HTTP 409).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the request itself is wrong (HTTP 400 or 422). Prefer
	// returning an *Invalid, which says which field.
	ErrInvalid = errors.New("invalid")
	// ErrUnavailable: a dependency (the database, the trace source) cannot
	// answer right now; retrying later may succeed (HTTP 503).
	ErrUnavailable = errors.New("unavailable")
	// ErrForbidden: the caller is known but may not do this (HTTP 403).
	ErrForbidden = errors.New("forbidden")
)

// Invalid is a validation failure with a message per field path, such as
// "steps[2].service". An empty path means the request as a whole.
type Invalid struct {
	// What names the thing validated ("journey", "incident"), used when no
	// field carries a message.
	What string
	// Fields maps a field path to what is wrong with it.
	Fields map[string]string
}

// Invalidf returns an *Invalid with one message on one field.
func Invalidf(what, field, message string) *Invalid {
	return &Invalid{What: what, Fields: map[string]string{field: message}}
}

// Add records a message on a field, keeping the first message per field.
func (e *Invalid) Add(field, message string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = message
	}
}

// Err returns e, or nil when no field has a message, so that a validator
// can build one up and return e.Err().
func (e *Invalid) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Error lists every field as "path: message", joined by "; ", in Paths order.
func (e *Invalid) Error() string {
	if e == nil || len(e.Fields) == 0 {
		if e != nil && e.What != "" {
			return "invalid " + e.What
		}
		return "invalid request"
	}
	var b strings.Builder
	for i, p := range e.Paths() {
		if i > 0 {
			b.WriteString("; ")
		}
		if p != "" {
			b.WriteString(p)
			b.WriteString(": ")
		}
		b.WriteString(e.Fields[p])
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true for every *Invalid.
func (e *Invalid) Is(target error) bool { return target == ErrInvalid }

// Paths returns the field paths sorted so that indexes compare as numbers
// (steps[2] before steps[10]), which is the order a form shows them in.
func (e *Invalid) Paths() []string {
	paths := make([]string, 0, len(e.Fields))
	for p := range e.Fields {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool { return lessPath(paths[i], paths[j]) })
	return paths
}

// lessPath compares paths segment by segment, numbers inside brackets as
// numbers.
func lessPath(a, b string) bool {
	for a != "" && b != "" {
		as, arest := nextSegment(a)
		bs, brest := nextSegment(b)
		if as != bs {
			an, aerr := strconv.Atoi(as)
			bn, berr := strconv.Atoi(bs)
			if aerr == nil && berr == nil {
				return an < bn
			}
			return as < bs
		}
		a, b = arest, brest
	}
	return len(a) < len(b)
}

// nextSegment splits "steps[2].name" into "steps" and "[2].name", and
// "[2].name" into "2" and ".name".
func nextSegment(p string) (string, string) {
	p = strings.TrimPrefix(p, ".")
	if strings.HasPrefix(p, "[") {
		if end := strings.IndexByte(p, ']'); end > 0 {
			return p[1:end], p[end+1:]
		}
	}
	end := strings.IndexAny(p, ".[")
	if end < 0 {
		return p, ""
	}
	return p[:end], p[end:]
}

// Kind returns the kind sentinel err wraps, or nil for an internal error.
func Kind(err error) error {
	for _, k := range []error{ErrInvalid, ErrNotFound, ErrConflict, ErrForbidden, ErrUnavailable} {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// New returns a sentinel of a service that reads as text and is of kind:
// errors.Is(err, kind) holds for it and for every error wrapping it, so
// that a service keeps its own sentinel (and its wording) while the
// classifier needs to know only the kinds.
func New(kind error, text string) error { return &sentinel{kind: kind, text: text} }

type sentinel struct {
	kind error
	text string
}

func (e *sentinel) Error() string { return e.text }

// Is makes the sentinel one of its kind.
func (e *sentinel) Is(target error) bool { return target == e.kind }
