package layout

import (
	"strconv"
	"strings"
)

// FieldError is a validation message and the path of the field it is about,
// e.g. steps[2].match.attributes[0].op.
type FieldError struct {
	Path    string
	Message string
}

// formErrorer is a form whose messages a field shows.
type formErrorer interface {
	ErrorsAt(field string) []FieldError
}

// errorLabel names where under field a message's path points: "" for the
// field itself, "line 2" or "line 2, op" for an attribute matcher (the
// editor shows one matcher per line), else the rest of the path.
func errorLabel(field, path string) string {
	if path == field || !strings.HasPrefix(path, field) || field == "" {
		if field == "" {
			return path
		}
		return ""
	}
	rest := path[len(field):]
	if strings.HasSuffix(field, ".match.attributes") && strings.HasPrefix(rest, "[") {
		if end := strings.IndexByte(rest, ']'); end > 0 {
			if n, err := strconv.Atoi(rest[1:end]); err == nil {
				label := "line " + strconv.Itoa(n+1)
				if sub := strings.TrimPrefix(rest[end+1:], "."); sub != "" {
					label += ", " + sub
				}
				return label
			}
		}
	}
	return strings.TrimPrefix(rest, ".")
}
