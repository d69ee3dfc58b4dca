package httpx

import (
	"errors"
	"net/http"
	"strings"
)

// FormError classifies a failure to read a posted form: too large, or not a
// form at all.
func FormError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return &Error{Status: http.StatusBadRequest, Msg: "malformed form data", Err: err}
}

// MergeErrors adds validation messages to those about text the form could
// not read. The latter win, and hide validation's messages beneath them:
// "line 2: unknown operator" says more than "line 2, op: required" about the
// zero value put in the unreadable line's place.
func MergeErrors(parse, valid map[string]string) map[string]string {
	out := make(map[string]string, len(parse)+len(valid))
	for p, m := range valid {
		hidden := false
		for q := range parse {
			if p == q || strings.HasPrefix(p, q+".") || strings.HasPrefix(p, q+"[") {
				hidden = true
				break
			}
		}
		if !hidden {
			out[p] = m
		}
	}
	for p, m := range parse {
		out[p] = m
	}
	return out
}

// SplitList splits on commas and white space, dropping empty items.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}
