package journeys

// The words a journey may use where TraceQL fixes them (span kinds,
// status values), and how validation messages spell lists and regexp
// errors.

import (
	"strings"
)

// spanKinds are the span kinds a pattern may require, as TraceQL spells
// them.
var spanKinds = []string{"server", "client", "producer", "consumer", "internal"}

// matchKinds are the values of the kind intrinsic in a matcher, which
// unlike a pattern's kind may also ask for spans without one.
var matchKinds = []string{"server", "client", "producer", "consumer", "internal", "unspecified"}

// statusValues are the values of the status intrinsic.
var statusValues = []string{"error", "ok", "unset"}

// joinOr spells a list for a message: "a, b or c".
func joinOr(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

// regexpMessage trims the package prefix from a regexp error so that the
// message reads well after "invalid regular expression: ".
func regexpMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}
