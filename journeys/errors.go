package journeys

import (
	"sort"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/internal/fault"
)

// ErrInvalid matches every *ValidationError with errors.Is, so that callers
// can classify a bad journey (422) without a type assertion.
var ErrInvalid = fault.New(fault.ErrInvalid, "invalid journey")

// ValidationError lists what is wrong with a journey, field by field.
// Paths are metadata.x for metadata, apiVersion and kind at the top, and
// spec fields without the spec. prefix, with 0-based indexes:
// steps[2].match.attributes[0].op, correlation.window, slos[0].objective.
type ValidationError struct {
	// Fields maps a field path to what is wrong with it.
	Fields map[string]string
}

// Error lists every field as "path: message", joined by "; ", sorted by
// path with indexes in numeric order (steps[2] before steps[10]).
func (e *ValidationError) Error() string {
	if e == nil || len(e.Fields) == 0 {
		return "invalid journey"
	}
	var b strings.Builder
	for i, p := range e.Paths() {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p)
		b.WriteString(": ")
		b.WriteString(e.Fields[p])
	}
	return b.String()
}

// Is reports whether target is ErrInvalid or fault.ErrInvalid.
func (e *ValidationError) Is(target error) bool {
	return target == ErrInvalid || target == fault.ErrInvalid
}

// Paths returns the paths with a message, in the order Error lists them.
func (e *ValidationError) Paths() []string {
	paths := make([]string, 0, len(e.Fields))
	for p := range e.Fields {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool { return pathLess(paths[i], paths[j]) })
	return paths
}

// Add records msg for path unless the path already has a message: the
// first problem found with a field is the one to fix first.
func (e *ValidationError) Add(path, msg string) {
	if e.Fields == nil {
		e.Fields = make(map[string]string)
	}
	if _, ok := e.Fields[path]; !ok {
		e.Fields[path] = msg
	}
}

// orNil returns e as an error when it holds a message, else nil (and never
// a typed nil).
func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// pathLess orders paths as text, except that runs of digits compare as
// numbers.
func pathLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da > 0 && db > 0 {
			na, errA := strconv.ParseUint(a[:da], 10, 64)
			nb, errB := strconv.ParseUint(b[:db], 10, 64)
			if errA == nil && errB == nil && na != nb {
				return na < nb
			}
			if a[:da] != b[:db] {
				return a[:da] < b[:db]
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
