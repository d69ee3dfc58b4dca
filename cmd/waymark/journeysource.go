package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/internal/journeystore"
	"github.com/waymarkhq/waymark/journeys"
)

// journeySource says where a command that reads journeys takes them
// from: YAML files, else a Waymark server's API, else the database.
type journeySource struct {
	dir     string // a directory or file of journey YAML
	url     string // base URL of a Waymark server
	token   string // its API token
	timeout time.Duration
	loader  *config.Loader
}

// loadJourneys returns the journeys named by slugs (every journey when
// there are none) in slug order. A slug that no journey has is an error.
func (a *app) loadJourneys(ctx context.Context, src journeySource, slugs []string) ([]journeys.Journey, error) {
	var (
		js  []journeys.Journey
		err error
	)
	switch {
	case src.dir != "":
		var files []string
		if files, err = journeyFiles([]string{src.dir}); err == nil {
			js, err = readJourneys(files)
		}
	case src.url != "":
		js, err = fetchJourneys(ctx, src, slugs)
	default:
		js, err = a.dbJourneys(ctx, src.loader)
	}
	if err != nil {
		return nil, err
	}
	sort.SliceStable(js, func(i, k int) bool { return js[i].Metadata.Slug < js[k].Metadata.Slug })
	if len(slugs) == 0 {
		if len(js) == 0 {
			return nil, errors.New("no journeys defined")
		}
		return js, nil
	}
	bySlug := make(map[string]journeys.Journey, len(js))
	for _, j := range js {
		bySlug[j.Metadata.Slug] = j
	}
	var out []journeys.Journey
	seen := map[string]bool{}
	for _, s := range slugs {
		j, ok := bySlug[s]
		if !ok {
			return nil, fmt.Errorf("no journey %q", s)
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, j)
		}
	}
	sort.SliceStable(out, func(i, k int) bool { return out[i].Metadata.Slug < out[k].Metadata.Slug })
	return out, nil
}

func (a *app) dbJourneys(ctx context.Context, l *config.Loader) ([]journeys.Journey, error) {
	cfg, err := load(l)
	if err != nil {
		return nil, err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	recs, err := journeystore.New(pool).ListJourneys(ctx)
	if err != nil {
		return nil, err
	}
	js := make([]journeys.Journey, len(recs))
	for i, r := range recs {
		js[i] = r.Journey
	}
	return js, nil
}

// fetchJourneys reads journeys from a Waymark server: the list, then each
// wanted journey's YAML export, decoded and validated like a file.
func fetchJourneys(ctx context.Context, src journeySource, slugs []string) ([]journeys.Journey, error) {
	u, err := url.Parse(src.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-url %q must be an http or https URL", src.url)
	}
	base := strings.TrimRight(u.String(), "/") + "/api/v1/journeys"
	timeout := src.timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	body, err := apiGet(ctx, base, src.token, "application/json")
	if err != nil {
		return nil, err
	}
	var list struct {
		Journeys []struct {
			Slug string `json:"slug"`
		} `json:"journeys"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("read journey list from %s: %w", u.Host, err)
	}
	want := map[string]bool{}
	for _, s := range slugs {
		want[s] = true
	}
	var js []journeys.Journey
	for _, item := range list.Journeys {
		if len(want) > 0 && !want[item.Slug] {
			continue
		}
		y, err := apiGet(ctx, base+"/"+url.PathEscape(item.Slug)+"?format=yaml", src.token, "application/yaml")
		if err != nil {
			return nil, err
		}
		got, err := journeys.DecodeYAML(y)
		if err != nil {
			return nil, fmt.Errorf("journey %s from %s: %w", item.Slug, u.Host, err)
		}
		for _, j := range got {
			if err := j.Validate(); err != nil {
				return nil, fmt.Errorf("journey %s from %s: %w", item.Slug, u.Host, err)
			}
			js = append(js, j)
		}
	}
	return js, nil
}

// apiGet fetches one API resource; anything but 200 is an error that
// says what the server answered.
func apiGet(ctx context.Context, target, token, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "waymark-cli/"+shortVersion())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cannot reach %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJourneyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read answer from %s: %w", req.URL.Host, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK && len(body) > maxJourneyFile:
		return nil, fmt.Errorf("answer from %s is larger than %d MiB", req.URL.Host, maxJourneyFile>>20)
	case resp.StatusCode == http.StatusOK:
		return body, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("server refused the token (%d); pass -token or set WAYMARK_API_TOKEN", resp.StatusCode)
	}
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		return nil, fmt.Errorf("server answered %d: %s", resp.StatusCode, e.Error.Message)
	}
	return nil, fmt.Errorf("server answered %d: %s", resp.StatusCode, snippet(body))
}
