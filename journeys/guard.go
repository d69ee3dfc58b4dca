package journeys

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// Limits and defaults of an SLO's alerting fields.
const (
	// DefaultResolveAfter is how long a firing alert's condition must stay
	// false before it resolves, for an SLO that sets no resolveAfter: long
	// enough that noise on a short alert window does not end an alert and
	// start it again minutes later, short enough that a fixed incident
	// closes within a quarter of an hour.
	DefaultResolveAfter = 15 * time.Minute
	// MaxResolveAfter bounds resolveAfter: an alert that outlives its
	// cause by more than a day is one nobody trusts.
	MaxResolveAfter = Day
	// MaxMinEvents bounds minEvents.
	MaxMinEvents = 1_000_000_000
)

// Count is an optional whole number. The zero Count is unset, so that 0
// can mean something of its own: minEvents: 0 turns the traffic guard
// off, while no minEvents takes the server's default.
type Count struct {
	N   int64
	Set bool
}

// NewCount returns a set Count of n.
func NewCount(n int64) Count { return Count{N: n, Set: true} }

// IsZero reports whether the count is unset, so that encoders omit it.
func (c Count) IsZero() bool { return !c.Set }

// String writes the count as YAML and JSON do; empty when unset.
func (c Count) String() string {
	if !c.Set {
		return ""
	}
	return strconv.FormatInt(c.N, 10)
}

// MarshalJSON writes the count as a JSON number, null when unset.
func (c Count) MarshalJSON() ([]byte, error) {
	if !c.Set {
		return []byte("null"), nil
	}
	return []byte(c.String()), nil
}

// UnmarshalJSON reads a JSON number; null is unset.
func (c *Count) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*c = Count{}
		return nil
	}
	var n int64
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("must be a whole number such as 100")
	}
	*c = NewCount(n)
	return nil
}

// canonicalInt is the one spelling of a whole number both forms accept,
// so that what decodes encodes back to the same bytes: no sign but a
// minus, no leading zeros, no 0x or underscores.
var canonicalInt = regexp.MustCompile(`^(0|-?[1-9][0-9]{0,18})$`)

func countFromNode(n *yaml.Node) (Count, error) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return Count{}, nil
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || !canonicalInt.MatchString(n.Value) {
		return Count{}, fmt.Errorf("must be a whole number such as 100")
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return Count{}, fmt.Errorf("must be a whole number such as 100")
	}
	return NewCount(v), nil
}

func (d *decoder) count(n *yaml.Node, path string) Count {
	n, at := d.deref(n, path)
	if n == nil {
		return Count{}
	}
	c, err := countFromNode(n)
	if err != nil {
		d.fail(path, at, err.Error())
	}
	return c
}

func optCount(c Count) *yaml.Node {
	if !c.Set {
		return nil
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: c.String()}
}

// EffectiveResolveAfter returns how long the SLO's alert condition must
// stay false before the alert resolves: ResolveAfter, DefaultResolveAfter
// when unset. An explicit 0s resolves at the first evaluation that finds
// no window burning.
func (s SLO) EffectiveResolveAfter() time.Duration {
	if s.ResolveAfter.IsZero() {
		return DefaultResolveAfter
	}
	return s.ResolveAfter.D
}

// validateAlerting checks the SLO's minEvents and resolveAfter at path p.
func validateAlerting(v *ValidationError, p string, o SLO) {
	switch {
	case !o.MinEvents.Set:
	case o.MinEvents.N < 0:
		v.Add(p+".minEvents", "must not be negative; 0 turns the traffic guard off")
	case o.MinEvents.N > MaxMinEvents:
		v.Add(p+".minEvents", fmt.Sprintf("must be at most %d", int64(MaxMinEvents)))
	}
	switch {
	case o.ResolveAfter.IsZero():
	case !checkDuration(v, p+".resolveAfter", o.ResolveAfter):
	case o.ResolveAfter.D < 0:
		v.Add(p+".resolveAfter", "must not be negative; 0s resolves as soon as no window burns")
	case o.ResolveAfter.D > MaxResolveAfter:
		v.Add(p+".resolveAfter", "must be at most 1d")
	}
}
