package journeys

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Day is 24 hours: Waymark's days are calendar-free, as in Prometheus.
const Day = 24 * time.Hour

// ParseDuration parses a Go duration ("1h30m", "800ms") that may also use
// d for days ("28d", "1d12h", "1.5d"). The result keeps s as Raw.
func ParseDuration(s string) (Duration, error) {
	d, err := parseDuration(s)
	if err != nil {
		return Duration{}, err
	}
	return Duration{D: d, Raw: s}, nil
}

// NewDuration returns d with its canonical spelling (see Duration.String).
func NewDuration(d time.Duration) Duration {
	return Duration{D: d, Raw: formatDuration(d)}
}

func parseDuration(s string) (time.Duration, error) {
	orig := s
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fmt.Errorf("invalid duration %q", orig)
	}
	// Split into number+unit parts; days are converted here and every
	// other part is left to time.ParseDuration.
	var days time.Duration
	var rest strings.Builder
	for s != "" {
		i := 0
		for i < len(s) && (s[i] == '.' || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("invalid duration %q", orig)
		}
		j := i
		for j < len(s) && s[j] != '.' && (s[j] < '0' || s[j] > '9') {
			j++
		}
		num, unit := s[:i], s[i:j]
		s = s[j:]
		if unit == "" {
			return 0, fmt.Errorf("missing unit in duration %q (e.g. 30m, 28d)", orig)
		}
		if unit != "d" {
			rest.WriteString(num)
			rest.WriteString(unit)
			continue
		}
		if strings.Count(num, ".") > 1 || num == "." {
			return 0, fmt.Errorf("invalid duration %q", orig)
		}
		// Parse the days through ParseDuration in hours to keep its exact
		// decimal handling: 1.5d is 36h.
		h, err := time.ParseDuration(num + "h")
		if err != nil || h > (math.MaxInt64-days)/24 {
			return 0, fmt.Errorf("invalid duration %q", orig)
		}
		days += h * 24
	}
	var d time.Duration
	if rest.Len() > 0 {
		var err error
		d, err = time.ParseDuration(rest.String())
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (e.g. 30m, 28d)", orig)
		}
	}
	if d > math.MaxInt64-days {
		return 0, fmt.Errorf("duration %q out of range", orig)
	}
	d += days
	if neg {
		d = -d
	}
	return d, nil
}

// formatDuration spells d in whole days when it is a multiple of a day,
// else as Go does, trimmed of zero minutes and seconds ("1h0m0s" is "1h").
func formatDuration(d time.Duration) string {
	if d != 0 && d%Day == 0 {
		return fmt.Sprintf("%dd", d/Day)
	}
	return clockDuration(d)
}

// FormatWindow writes an alert window, lookback or wait the short way
// alert reasons and notifications do: whole days from two days on ("3d"),
// otherwise as Go does, trimmed of zero minutes and seconds ("24h",
// "5h36m", "56m"). Unlike a Duration's String, a single day stays "24h",
// which is how burn-rate windows are written.
func FormatWindow(d time.Duration) string {
	if d >= 2*Day && d%Day == 0 {
		return fmt.Sprintf("%dd", d/Day)
	}
	return clockDuration(d)
}

// clockDuration is d as Go spells it, without zero minutes and seconds.
func clockDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// String returns the user's spelling when it still means D, else a
// canonical one ("28d", "30m", "1h30m", "800ms").
func (d Duration) String() string {
	if d.Raw != "" {
		if p, err := parseDuration(d.Raw); err == nil && p == d.D {
			return d.Raw
		}
	}
	return formatDuration(d.D)
}

// IsZero reports whether the duration is unset, so that encoders omit it.
func (d Duration) IsZero() bool { return d.D == 0 && d.Raw == "" }

// MarshalYAML writes the duration as its string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := durationFromNode(n)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func durationFromNode(n *yaml.Node) (Duration, error) {
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!null") {
		return Duration{}, fmt.Errorf("must be a duration such as 30m or 28d")
	}
	if n.ShortTag() == "!!null" || n.Value == "" {
		return Duration{}, nil
	}
	return ParseDuration(n.Value)
}

// MarshalJSON writes the duration as a JSON string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string; "" is the zero duration.
func (d *Duration) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("must be a duration string such as \"30m\" or \"28d\"")
	}
	if s == "" {
		*d = Duration{}
		return nil
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
