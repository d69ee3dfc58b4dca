package journeys

import (
	"fmt"
	"strings"
)

// Scopes of an attribute key, as TraceQL spells them.
const (
	ScopeSpan     = "span"
	ScopeResource = "resource"
)

// Intrinsics a Matcher may compare. They have no scope: they are fields of
// every span rather than attributes.
const (
	IntrinsicName          = "name"
	IntrinsicStatus        = "status"
	IntrinsicStatusMessage = "statusMessage"
	IntrinsicKind          = "kind"
	IntrinsicDuration      = "duration"
)

// maxKeyLen bounds attribute names; OpenTelemetry puts no limit on them, but
// nothing sensible is longer and every key ends up in queries and URLs.
const maxKeyLen = 255

// Key is a parsed attribute key: span.http.route is {span, http.route};
// an intrinsic such as status has an empty Scope.
type Key struct {
	Scope string
	Name  string
}

// ParseKey parses a scoped attribute key (span.x, resource.x) or an
// intrinsic (name, status, statusMessage, kind, duration). Unscoped
// attributes (TraceQL's .x) are not accepted: the two trace sources would
// not agree on which scope they mean.
func ParseKey(s string) (Key, error) {
	switch s {
	case "":
		return Key{}, fmt.Errorf("empty attribute key")
	case IntrinsicName, IntrinsicStatus, IntrinsicStatusMessage, IntrinsicKind, IntrinsicDuration:
		return Key{Name: s}, nil
	}
	scope, name, ok := strings.Cut(s, ".")
	if !ok || (scope != ScopeSpan && scope != ScopeResource) {
		return Key{}, fmt.Errorf("invalid attribute key %q: use span.<name>, resource.<name> or one of name, status, statusMessage, kind, duration", s)
	}
	if err := checkAttrName(name); err != nil {
		return Key{}, fmt.Errorf("invalid attribute key %q: %w", s, err)
	}
	return Key{Scope: scope, Name: name}, nil
}

// checkAttrName accepts the attribute names OpenTelemetry conventions use
// (dotted, with _ - : /), which TraceQL can spell without quoting.
func checkAttrName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("missing attribute name after the scope")
	case len(name) > maxKeyLen:
		return fmt.Errorf("attribute name longer than %d bytes", maxKeyLen)
	case name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, ".."):
		return fmt.Errorf("attribute name has an empty part between dots")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '.', c == ':', c == '/', c == '-':
		default:
			return fmt.Errorf("attribute name may only contain letters, digits and _ . : / -")
		}
	}
	return nil
}

// String returns the key as written: span.x, resource.x or the intrinsic.
func (k Key) String() string {
	if k.Scope == "" {
		return k.Name
	}
	return k.Scope + "." + k.Name
}

// Unscoped returns the key as Tempo spells it in search results, which drop
// the scope (span.session.id comes back as session.id).
func (k Key) Unscoped() string { return k.Name }

// IsIntrinsic reports whether the key is an intrinsic rather than an
// attribute.
func (k Key) IsIntrinsic() bool { return k.Scope == "" }

// checkAttrKey checks a key that must be an attribute, not an intrinsic:
// correlation, segment and value keys.
func checkAttrKey(s string) error {
	k, err := ParseKey(s)
	if err != nil {
		return err
	}
	if k.IsIntrinsic() {
		return fmt.Errorf("must be a span. or resource. attribute, not the intrinsic %q", s)
	}
	return nil
}
