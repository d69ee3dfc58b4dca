package deploy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/alerttest"
	"github.com/waymarkhq/waymark/internal/deploy"
	"github.com/waymarkhq/waymark/internal/fault"
	"github.com/waymarkhq/waymark/internal/sloeval"
)

func TestDeploymentValidation(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 201)
	tests := []struct {
		name string
		in   deploy.DeploymentInput
		want string
	}{
		{"ok", deploy.DeploymentInput{Service: "cart", Version: "1.5.0", URL: "https://ci.example.com/1"}, ""},
		{"at the limit", deploy.DeploymentInput{Service: long[:200], Version: long[:200]}, ""},
		{"empty", deploy.DeploymentInput{}, "service: required; version: required"},
		{"blank", deploy.DeploymentInput{Service: "  ", Version: "1"}, "service: required"},
		{"too long", deploy.DeploymentInput{Service: long, Version: "1", Environment: long}, "environment: must be at most 200 characters; service: must be at most 200 characters"},
		{"ftp url", deploy.DeploymentInput{Service: "a", Version: "1", URL: "ftp://x/y"}, "url: must be an http or https URL"},
		{"relative url", deploy.DeploymentInput{Service: "a", Version: "1", URL: "/runs/1"}, "url: must be an http or https URL"},
		{"no host", deploy.DeploymentInput{Service: "a", Version: "1", URL: "https:///x"}, "url: must name a host"},
		{"bad url", deploy.DeploymentInput{Service: "a", Version: "1", URL: "http://a b/%zz"}, "url: is not a valid URL"},
		{"year 1", deploy.DeploymentInput{Service: "a", Version: "1", At: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)}, "at: must be a time between the years 2000 and 9999"},
		{"not utf-8", deploy.DeploymentInput{Service: "a\xff", Version: "1"}, "service: must be UTF-8 text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.in.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, fault.ErrInvalid)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestDeployments(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(), alerttest.Options{})
	f.clock.Set(at(time.Hour))
	// At defaults to now.
	now, err := f.svc.CreateDeployment(f.ctx, deploy.DeploymentInput{Service: " shop ", Version: "3.0.0", Description: "hotfix"})
	require.NoError(t, err)
	require.Equal(t, "shop", now.Service)
	require.Equal(t, at(time.Hour), now.At)
	require.Equal(t, at(time.Hour), now.CreatedAt)
	_, err = f.svc.CreateDeployment(f.ctx, deploy.DeploymentInput{})
	require.ErrorIs(t, err, fault.ErrInvalid)

	mk := func(service, version, env string, d time.Duration) deploy.Deployment {
		dep, err := f.svc.CreateDeployment(f.ctx, deploy.DeploymentInput{Service: service, Version: version, Environment: env, At: at(d)})
		require.NoError(t, err)
		return dep
	}
	a := mk("shop", "1.0.0", "production", 0)
	b := mk("search", "2.0.0", "production", 10*time.Minute)
	c := mk("shop", "1.1.0", "staging", 20*time.Minute)

	versions := func(ds []deploy.Deployment) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Version)
		}
		return out
	}
	tests := []struct {
		name string
		f    deploy.DeploymentFilter
		want []string
	}{
		{"all, newest first", deploy.DeploymentFilter{}, []string{"3.0.0", "1.1.0", "2.0.0", "1.0.0"}},
		{"one service", deploy.DeploymentFilter{Services: []string{"shop"}}, []string{"3.0.0", "1.1.0", "1.0.0"}},
		{"environment", deploy.DeploymentFilter{Environment: "production"}, []string{"2.0.0", "1.0.0"}},
		{"since inclusive", deploy.DeploymentFilter{Since: at(10 * time.Minute)}, []string{"3.0.0", "1.1.0", "2.0.0"}},
		{"until exclusive", deploy.DeploymentFilter{Until: at(20 * time.Minute)}, []string{"2.0.0", "1.0.0"}},
		{"limit", deploy.DeploymentFilter{Limit: 2}, []string{"3.0.0", "1.1.0"}},
	}
	for _, tt := range tests {
		got, err := f.svc.ListDeployments(f.ctx, tt.f)
		require.NoError(t, err, tt.name)
		require.Equal(t, tt.want, versions(got), tt.name)
	}
	_, err = f.svc.ListDeployments(f.ctx, deploy.DeploymentFilter{Limit: -1})
	require.ErrorIs(t, err, fault.ErrInvalid)

	// A journey's deploys are its services': shop only.
	got, err := f.svc.JourneyDeployments(f.ctx, "shop", t0, at(30*time.Minute), 0)
	require.NoError(t, err)
	require.Equal(t, []deploy.Deployment{c, a}, got)
	_, err = f.svc.JourneyDeployments(f.ctx, "nope", t0, at(time.Hour), 0)
	require.ErrorIs(t, err, fault.ErrNotFound)

	one, err := f.svc.Deployment(f.ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, b, one)
	_, err = f.svc.Deployment(f.ctx, 9999)
	require.ErrorIs(t, err, fault.ErrNotFound)
}

// TestDeployEnvironmentOption: with DeployEnvironment set, a staging
// deploy is not named on a production alert.
func TestDeployEnvironmentOption(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(burstSLO), alerttest.Options{Options: sloeval.Options{DeployEnvironment: "production"}})
	burst(t, f)
	for _, in := range []deploy.DeploymentInput{
		{Service: "shop", Version: "prod-1", Environment: "production", At: at(-29 * time.Minute)},
		{Service: "shop", Version: "staging-1", Environment: "staging", At: at(-time.Minute)},
		{Service: "shop", Version: "prod-0", Environment: "production", At: at(-31 * time.Minute)},
	} {
		_, err := f.svc.CreateDeployment(f.ctx, in)
		require.NoError(t, err)
	}
	out := f.evaluate(t, burstSLO.Name)
	require.NotNil(t, out.Transition)
	require.NotNil(t, out.Transition.Deployment)
	require.Equal(t, "prod-1", out.Transition.Deployment.Version)
}

// TestNoDeployOutsideWindow: a deploy 31 minutes before the alert, or of
// a service outside the journey, is not named.
func TestNoDeployOutsideWindow(t *testing.T) {
	t.Parallel()
	f := setup(t, shopJourney(burstSLO), alerttest.Options{})
	burst(t, f)
	for _, in := range []deploy.DeploymentInput{
		{Service: "shop", Version: "old", At: at(-31 * time.Minute)},
		{Service: "search", Version: "elsewhere", At: at(-time.Minute)},
		{Service: "shop", Version: "later", At: at(time.Second)},
	} {
		_, err := f.svc.CreateDeployment(f.ctx, in)
		require.NoError(t, err)
	}
	out := f.evaluate(t, burstSLO.Name)
	require.NotNil(t, out.Transition)
	require.Nil(t, out.Transition.Deployment)
}
