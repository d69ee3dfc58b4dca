package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/internal/auth"
)

// openAccounts builds the accounts, sessions and tokens of the server from
// the configuration.
func (d *deps) openAccounts() error {
	opts := auth.Options{Logger: d.log, BootstrapToken: d.cfg.APIToken}
	if p := d.cfg.ProxyAuth; p.Header != "" {
		role, err := auth.ParseRole(p.DefaultRole)
		if err != nil {
			return &configError{err: fmt.Errorf("WAYMARK_AUTH_PROXY_ROLE: %w", err)}
		}
		opts.Proxy = &auth.ProxyAuth{Header: p.Header, TrustedCIDRs: p.CIDRs, DefaultRole: role}
	}
	a, err := auth.New(d.pool, opts)
	if err != nil {
		return &configError{err: fmt.Errorf("WAYMARK_AUTH_PROXY_HEADER: %w", err)}
	}
	d.auth = a
	return nil
}

// accountsPrune drops expired sessions and old login attempts hourly, so
// that the tables stay small.
func (d deps) accountsPrune(ctx context.Context) error {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if s, at, err := d.auth.Prune(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("prune sessions", "err", err)
		} else if s+at > 0 {
			d.log.Info("pruned sessions", "sessions", s, "login_attempts", at)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// demoAdmin is the account the demo signs in with.
const demoAdmin = "admin@waymark.demo"

// ensureDemoAdmin gives the demo's admin account a fresh generated password
// on every start, creating the account the first time, and returns it: the
// demo prints it, so a newcomer can sign in without another command.
func ensureDemoAdmin(ctx context.Context, a *auth.Auth) (string, error) {
	password, err := auth.GeneratePassword()
	if err != nil {
		return "", err
	}
	u, err := a.UserByEmail(ctx, demoAdmin)
	switch {
	case errors.Is(err, auth.ErrNotFound):
		_, err = a.CreateUser(ctx, auth.System, auth.NewUser{Email: demoAdmin, Role: auth.RoleAdmin, Password: password})
	case err == nil:
		err = a.SetPassword(ctx, auth.System, u.ID, password)
	}
	if err != nil {
		return "", fmt.Errorf("set up the demo admin: %w", err)
	}
	return password, nil
}
