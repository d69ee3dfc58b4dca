package httpx

import (
	"errors"
	"strings"
	"time"
)

// formTimeLayout is how forms show instants: UTC, the fraction only when
// there is one, so that saving a form unchanged changes no time.
const formTimeLayout = "2006-01-02 15:04:05.999999"

// FormTime writes an instant as a form shows it (formTimeLayout), empty
// for the zero time.
func FormTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(formTimeLayout)
}

// formTimeLayouts are the forms a typed time may take, read as UTC unless
// it names its zone.
var formTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
}

// ParseFormTime reads a time as typed: RFC 3339, or a UTC date and time to
// the minute or finer ("2026-03-01 10:00", a trailing "UTC" or "Z" allowed).
// Empty is the zero time.
func ParseFormTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	bare := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "UTC"), "Z"))
	for _, l := range formTimeLayouts {
		if t, err := time.Parse(l, bare); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("must be a UTC time such as 2026-03-01 10:00, or RFC 3339")
}

// ParseTime reads query parameter param as an RFC 3339 instant, in UTC;
// a bad one is a 400 naming param.
func ParseTime(param, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, ParamError(param, "%q is not an RFC3339 time such as 2026-03-01T10:00:00Z", v)
	}
	return t.UTC(), nil
}
