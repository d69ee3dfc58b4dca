package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/web/httpx"
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

// DeploymentCreate records a deploy marker from a JSON body: 201 with
// the stored marker. When Options.APIToken is set the request must carry
// it as a bearer token.
func (h *Handler) DeploymentCreate(w http.ResponseWriter, r *http.Request) {
	if !h.RequireToken(w, r, h.apiToken) {
		return
	}
	if err := httpx.RequireJSON(r); err != nil {
		h.Fail(w, r, err)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.Fail(w, r, fmt.Errorf("read body: %w", err))
		return
	}
	var in deploymentBody
	if err := httpx.DecodeStrict(body, &in, "deployment"); err != nil {
		h.Fail(w, r, err)
		return
	}
	dep := deploy.DeploymentInput{Service: in.Service, Version: in.Version, Environment: in.Environment,
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
	var ve *fault.Invalid
	if err := dep.Validate(); errors.As(err, &ve) {
		for k, v := range ve.Fields {
			if _, ok := fields[k]; !ok {
				fields[k] = v
			}
		}
	} else if err != nil {
		h.Fail(w, r, err)
		return
	}
	if len(fields) > 0 {
		h.Fail(w, r, &httpx.Error{Status: http.StatusUnprocessableEntity, Msg: "invalid deployment", Fields: fields})
		return
	}
	d, err := h.alerting.CreateDeployment(r.Context(), dep)
	if errors.As(err, &ve) {
		h.Fail(w, r, &httpx.Error{Status: http.StatusUnprocessableEntity, Msg: "invalid deployment", Fields: ve.Fields, Err: err})
		return
	}
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/deployments/"+strconv.FormatInt(d.ID, 10))
	h.WriteJSON(w, r, http.StatusCreated, d)
}

// DeploymentList lists deploy markers, newest first:
// ?service= (repeatable), ?environment=, ?since= and ?until= (RFC3339,
// since inclusive, until exclusive) and ?limit= (1 to 1000, default 100).
func (h *Handler) DeploymentList(w http.ResponseWriter, r *http.Request) {
	f, err := parseDeploymentFilter(r.URL.Query())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	ds, err := h.alerting.ListDeployments(r.Context(), f)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if ds == nil {
		ds = []deploy.Deployment{}
	}
	h.WriteJSON(w, r, http.StatusOK, struct {
		Deployments []deploy.Deployment `json:"deployments"`
	}{ds})
}

func parseDeploymentFilter(q url.Values) (deploy.DeploymentFilter, error) {
	var f deploy.DeploymentFilter
	for _, s := range q["service"] {
		if s = strings.TrimSpace(s); s != "" {
			f.Services = append(f.Services, s)
		}
	}
	f.Environment = strings.TrimSpace(q.Get("environment"))
	var err error
	if v := q.Get("since"); v != "" {
		if f.Since, err = httpx.ParseTime("since", v); err != nil {
			return f, err
		}
	}
	if v := q.Get("until"); v != "" {
		if f.Until, err = httpx.ParseTime("until", v); err != nil {
			return f, err
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, httpx.ParamError("since", "%s is not before until (%s)", f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339))
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > deploy.MaxDeployments {
			return f, httpx.ParamError("limit", "%q is not a whole number from 1 to %d", v, deploy.MaxDeployments)
		}
		f.Limit = n
	}
	return f, nil
}

// DeploymentGet returns one deploy marker.
func (h *Handler) DeploymentGet(w http.ResponseWriter, r *http.Request) {
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		h.Fail(w, r, httpx.Errorf(http.StatusBadRequest, "%q is not a deployment id: expected a positive whole number", raw))
		return
	}
	d, err := h.alerting.Deployment(r.Context(), id)
	if err != nil {
		h.Fail(w, r, httpx.Missing(err, "deployment %d", id))
		return
	}
	h.WriteJSON(w, r, http.StatusOK, d)
}
