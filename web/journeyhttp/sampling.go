package journeyhttp

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/internal/sampling"
	"github.com/waymarkhq/waymark/journeys"
	"github.com/waymarkhq/waymark/web/httpx"
)

// SamplingRequest is what a sampling policy is asked for: the journeys
// (every one when Slugs is empty) and the generator's options.
type SamplingRequest struct {
	Slugs []string
	Opts  sampling.Options
}

// ParseSamplingRequest reads ?journey= (repeated), keep_rate,
// step_keep_rate, decision_wait and format, each defaulting to what
// `waymark sampling policy` starts from, so that the page, the API and the
// command agree on one policy for the same inputs.
func ParseSamplingRequest(q url.Values) (SamplingRequest, error) {
	req := SamplingRequest{Opts: sampling.DefaultOptions()}
	bad := &fault.Invalid{What: "sampling policy"}
	for _, s := range q["journey"] {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !journeys.ValidSlug(s) {
			bad.Add("journey", fmt.Sprintf("%q is not a journey slug", s))
			continue
		}
		if !slices.Contains(req.Slugs, s) {
			req.Slugs = append(req.Slugs, s)
		}
	}
	rate := func(param string, into *float64) {
		raw := strings.TrimSpace(q.Get(param))
		if raw == "" {
			return
		}
		f, err := sampling.ParseRate(raw)
		if err != nil {
			bad.Add(param, err.Error())
			return
		}
		*into = f
	}
	rate("keep_rate", &req.Opts.KeepRate)
	rate("step_keep_rate", &req.Opts.StepKeepRate)
	if raw := strings.TrimSpace(q.Get("decision_wait")); raw != "" {
		d, err := journeys.ParseDuration(raw)
		switch {
		case err != nil:
			bad.Add("decision_wait", fmt.Sprintf("%q is not a duration such as 30s or 2m", raw))
		case d.D <= 0 || d.D > time.Hour:
			bad.Add("decision_wait", "must be more than 0 and at most 1h")
		default:
			req.Opts.DecisionWait = d.D
		}
	}
	switch f := strings.TrimSpace(q.Get("format")); f {
	case "", "yaml":
		req.Opts.Format = sampling.FormatYAML
	case "json":
		req.Opts.Format = sampling.FormatJSON
	default:
		bad.Add("format", fmt.Sprintf("%q: use yaml or json", f))
	}
	return req, queryError(bad)
}

// queryError is a 400 (the query names what is wrong, not a body that
// failed validation) carrying inv's field messages, or nil without any.
func queryError(inv *fault.Invalid) error {
	if inv.Err() == nil {
		return nil
	}
	return &httpx.Error{Status: http.StatusBadRequest, Msg: inv.Error(), Fields: inv.Fields, Err: inv}
}

// SamplingPolicy renders the collector configuration req asks for, from
// recs, the journeys there are.
func SamplingPolicy(recs []journeystore.JourneyRecord, req SamplingRequest) ([]byte, error) {
	var js []journeys.Journey
	have := map[string]bool{}
	for _, rec := range recs {
		have[rec.Journey.Metadata.Slug] = true
		if len(req.Slugs) == 0 || slices.Contains(req.Slugs, rec.Journey.Metadata.Slug) {
			js = append(js, rec.Journey)
		}
	}
	for _, s := range req.Slugs {
		if !have[s] {
			return nil, queryError(fault.Invalidf("sampling policy", "journey", fmt.Sprintf("no journey %q", s)))
		}
	}
	if len(js) == 0 {
		return nil, queryError(fault.Invalidf("sampling policy", "journey", "there are no journeys to sample for yet; define one first"))
	}
	out, err := sampling.Policy(js, req.Opts)
	if err != nil {
		return nil, fmt.Errorf("generate sampling policy: %w", err)
	}
	return out, nil
}

// FormatRate writes a share as the parameters take it back.
func FormatRate(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
