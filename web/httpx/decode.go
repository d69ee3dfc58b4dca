package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
)

// RequireJSON accepts a request whose body is declared JSON; anything else
// is 415.
func RequireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return Errorf(http.StatusUnsupportedMediaType, "missing Content-Type: send application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return Errorf(http.StatusUnsupportedMediaType, "malformed Content-Type %q: send application/json", ct)
	}
	if mt != "application/json" {
		return Errorf(http.StatusUnsupportedMediaType, "unsupported Content-Type %q: send application/json", mt)
	}
	return nil
}

// DecodeJSON reads a JSON object body into v, a what ("incident"),
// strictly: 415 for another content type, 400 for a body that is not one
// JSON object, 422 naming a field that is unknown or of the wrong type,
// 413 past the body limit.
func DecodeJSON(r *http.Request, v any, what string) error {
	if err := RequireJSON(r); err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	return DecodeStrict(body, v, what)
}

// DecodeStrict reads exactly one JSON object into v, a what. A body that
// is not JSON, or not one object, is malformed (400); a field of the wrong
// type or one v does not have is invalid (422, naming the field).
func DecodeStrict(body []byte, v any, what string) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Errorf(http.StatusBadRequest, "malformed body: empty, expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &se):
		return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("malformed body: invalid JSON at byte %d: %s", se.Offset, se.Error()), Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Status: http.StatusBadRequest, Msg: "malformed body: JSON ends too early", Err: err}
	case errors.As(err, &te) && te.Field == "":
		return &Error{Status: http.StatusBadRequest, Msg: "malformed body: expected a JSON object, found " + te.Value, Err: err}
	case errors.As(err, &te):
		return &Error{Status: http.StatusUnprocessableEntity, Msg: "invalid " + what,
			Fields: map[string]string{te.Field: "must be a " + jsonTypeName(te.Type.Kind().String()) + ", not " + te.Value}, Err: err}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return &Error{Status: http.StatusUnprocessableEntity, Msg: "invalid " + what,
			Fields: map[string]string{name: "unknown field"}, Err: err}
	default:
		return &Error{Status: http.StatusBadRequest, Msg: "malformed body: " + err.Error(), Err: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(http.StatusBadRequest, "malformed body: more than one JSON value")
	}
	return nil
}

// jsonTypeName names a Go kind the way a JSON author knows it.
func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "map", "struct":
		return "object"
	}
	return "number"
}

// TextProblem says why Postgres cannot take s as text (SQLSTATE 22021),
// or returns "" when it can: input that reaches SQL must be refused with a
// 4xx before, not fail the query with a 500.
func TextProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character"
	}
	return ""
}

// PathID reads a URL's {param} as the id of a what ("an incident", "a
// user"): a positive whole number, else 400.
func PathID(r *http.Request, param, what string) (int64, error) {
	raw := chi.URLParam(r, param)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, Errorf(http.StatusBadRequest, "%q is not %s id: expected a positive whole number", raw, what)
	}
	return id, nil
}
