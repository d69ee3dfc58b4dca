package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/alerting"
)

// deploymentBody is a deploy marker as CI/CD posts it. At is read by hand
// so that a bad time is a field error rather than a malformed body.
type deploymentBody struct {
	Service     string `json:"service"`
	Version     string `json:"version"`
	Environment string `json:"environment"`
	At          string `json:"at"`
	URL         string `json:"url"`
	Description string `json:"description"`
}

// apiDeploymentCreate records a deploy marker from a JSON body: 201 with
// the stored marker. When Options.APIToken is set the request must carry
// it as a bearer token.
func (h *handler) apiDeploymentCreate(w http.ResponseWriter, r *http.Request) {
	if !h.requireToken(w, r, h.apiToken) {
		return
	}
	if h.alerting == nil {
		h.fail(w, r, errNoAlerting)
		return
	}
	if err := requireJSONBody(r); err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.fail(w, r, fmt.Errorf("read body: %w", err))
		return
	}
	var in deploymentBody
	if err := decodeStrict(body, &in, "deployment"); err != nil {
		h.fail(w, r, err)
		return
	}
	dep := alerting.DeploymentInput{Service: in.Service, Version: in.Version, Environment: in.Environment,
		URL: in.URL, Description: in.Description}
	fields := map[string]string{}
	// Postgres text cannot hold NUL; say so rather than fail on insert.
	for name, v := range map[string]string{"service": in.Service, "version": in.Version, "environment": in.Environment,
		"url": in.URL, "description": in.Description} {
		if strings.ContainsRune(v, 0) {
			fields[name] = "must not contain NUL characters"
		}
	}
	if in.At != "" {
		at, err := time.Parse(time.RFC3339, in.At)
		if err != nil {
			fields["at"] = fmt.Sprintf("%q is not an RFC3339 time such as 2026-03-01T10:00:00Z", in.At)
		}
		dep.At = at.UTC()
	}
	var ve *alerting.ValidationError
	if err := dep.Validate(); errors.As(err, &ve) {
		for k, v := range ve.Fields {
			if _, ok := fields[k]; !ok {
				fields[k] = v
			}
		}
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(fields) > 0 {
		h.fail(w, r, &httpError{status: http.StatusUnprocessableEntity, msg: "invalid deployment", fields: fields})
		return
	}
	d, err := h.alerting.CreateDeployment(r.Context(), dep)
	if errors.As(err, &ve) {
		h.fail(w, r, &httpError{status: http.StatusUnprocessableEntity, msg: "invalid deployment", fields: ve.Fields, err: err})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/deployments/"+strconv.FormatInt(d.ID, 10))
	h.writeJSON(w, r, http.StatusCreated, d)
}

// requireJSONBody accepts a request whose body is declared JSON; anything else
// is 415.
func requireJSONBody(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return errorf(http.StatusUnsupportedMediaType, "missing Content-Type: send application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return errorf(http.StatusUnsupportedMediaType, "malformed Content-Type %q: send application/json", ct)
	}
	if mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, "unsupported Content-Type %q: send application/json", mt)
	}
	return nil
}

// decodeStrict reads exactly one JSON object into v, a what. A body that is not
// JSON, or not one object, is malformed (400); a field of the wrong type
// or one v does not have is invalid (422, naming the field).
func decodeStrict(body []byte, v any, what string) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(http.StatusBadRequest, "malformed body: empty, expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &se):
		return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("malformed body: invalid JSON at byte %d: %s", se.Offset, se.Error()), err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &httpError{status: http.StatusBadRequest, msg: "malformed body: JSON ends too early", err: err}
	case errors.As(err, &te) && te.Field == "":
		return &httpError{status: http.StatusBadRequest, msg: "malformed body: expected a JSON object, found " + te.Value, err: err}
	case errors.As(err, &te):
		return &httpError{status: http.StatusUnprocessableEntity, msg: "invalid " + what,
			fields: map[string]string{te.Field: "must be a " + jsonTypeName(te.Type.Kind().String()) + ", not " + te.Value}, err: err}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return &httpError{status: http.StatusUnprocessableEntity, msg: "invalid " + what,
			fields: map[string]string{name: "unknown field"}, err: err}
	default:
		return &httpError{status: http.StatusBadRequest, msg: "malformed body: " + err.Error(), err: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "malformed body: more than one JSON value")
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

// apiDeploymentList lists deploy markers, newest first:
// ?service= (repeatable), ?environment=, ?since= and ?until= (RFC3339,
// since inclusive, until exclusive) and ?limit= (1 to 1000, default 100).
func (h *handler) apiDeploymentList(w http.ResponseWriter, r *http.Request) {
	if h.alerting == nil {
		h.fail(w, r, errNoAlerting)
		return
	}
	f, err := parseDeploymentFilter(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ds, err := h.alerting.ListDeployments(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if ds == nil {
		ds = []alerting.Deployment{}
	}
	h.writeJSON(w, r, http.StatusOK, struct {
		Deployments []alerting.Deployment `json:"deployments"`
	}{ds})
}

func parseDeploymentFilter(q url.Values) (alerting.DeploymentFilter, error) {
	var f alerting.DeploymentFilter
	for _, s := range q["service"] {
		if s = strings.TrimSpace(s); s != "" {
			f.Services = append(f.Services, s)
		}
	}
	f.Environment = strings.TrimSpace(q.Get("environment"))
	var err error
	if v := q.Get("since"); v != "" {
		if f.Since, err = parseTime("since", v); err != nil {
			return f, err
		}
	}
	if v := q.Get("until"); v != "" {
		if f.Until, err = parseTime("until", v); err != nil {
			return f, err
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, paramError("since", "%s is not before until (%s)", f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339))
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > alerting.MaxDeployments {
			return f, paramError("limit", "%q is not a whole number from 1 to %d", v, alerting.MaxDeployments)
		}
		f.Limit = n
	}
	return f, nil
}

// apiDeploymentGet returns one deploy marker.
func (h *handler) apiDeploymentGet(w http.ResponseWriter, r *http.Request) {
	if h.alerting == nil {
		h.fail(w, r, errNoAlerting)
		return
	}
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, errorf(http.StatusBadRequest, "%q is not a deployment id: expected a positive whole number", raw))
		return
	}
	d, err := h.alerting.Deployment(r.Context(), id)
	if errors.Is(err, alerting.ErrNotFound) {
		h.fail(w, r, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("deployment %d not found", id), err: err})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusOK, d)
}
