package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/journeyedit"
	"github.com/waymarkhq/waymark/web/httpx"

	"github.com/waymarkhq/waymark/journeys"
)

// docPath is the path journeys' decoders give errors about a whole
// document, such as a syntax error: those make the body malformed (400),
// not merely invalid (422).
const docPath = "document"

// JourneyPut creates or replaces the journey at the URL from a JSON or
// YAML body: 201 when created, 200 when replaced (or unchanged), with the
// stored record either way.
func (h *Handler) JourneyPut(w http.ResponseWriter, r *http.Request) {
	slug := chi.URLParam(r, "slug")
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil && ct != "" {
		h.Fail(w, r, httpx.Errorf(http.StatusUnsupportedMediaType, "malformed Content-Type %q: send application/json or application/yaml", ct))
		return
	}
	var decode func([]byte) (journeys.Journey, error)
	switch {
	case mt == "application/json":
		decode = journeys.DecodeJSON
	case isYAMLType(mt):
		decode = decodeOneYAML
	case ct == "":
		h.Fail(w, r, httpx.Errorf(http.StatusUnsupportedMediaType, "missing Content-Type: send application/json or application/yaml"))
		return
	default:
		h.Fail(w, r, httpx.Errorf(http.StatusUnsupportedMediaType, "unsupported Content-Type %q: send application/json or application/yaml", mt))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.Fail(w, r, fmt.Errorf("read body: %w", err))
		return
	}
	j, err := decode(body)
	if err != nil {
		h.Fail(w, r, decodeError(err))
		return
	}
	switch j.Metadata.Slug {
	case "":
		j.Metadata.Slug = slug
	case slug:
	default:
		h.Fail(w, r, &journeys.ValidationError{Fields: map[string]string{
			"metadata.slug": fmt.Sprintf("%q does not match the slug in the URL, %q", j.Metadata.Slug, slug),
		}})
		return
	}
	j.Normalize()
	if err := j.Validate(); err != nil {
		h.Fail(w, r, err)
		return
	}
	res, err := h.journeys.Put(r.Context(), h.Who(r, "api"), j)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Outcome == journeyedit.Created {
		status = http.StatusCreated
		w.Header().Set("Location", r.URL.Path)
	}
	h.WriteJSON(w, r, status, toAPIJourney(res.Record))
}

// decodeOneYAML reads a body that must hold exactly one journey.
func decodeOneYAML(b []byte) (journeys.Journey, error) {
	js, err := journeys.DecodeYAML(b)
	if err != nil {
		return journeys.Journey{}, err
	}
	if len(js) != 1 {
		return journeys.Journey{}, httpx.Errorf(http.StatusBadRequest, "expected one journey, found %d YAML documents", len(js))
	}
	return js[0], nil
}

// decodeError tells a body that could not be parsed at all (400) from one
// with fields of the wrong shape (422).
func decodeError(err error) error {
	var ve *journeys.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	if msg, ok := ve.Fields[docPath]; ok {
		return &httpx.Error{Status: http.StatusBadRequest, Msg: "malformed body: " + msg, Err: err}
	}
	return err
}
