package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/config"
)

func (a *app) tokensCreate(ctx context.Context, args []string) error {
	fs, l := a.flags("tokens create", "",
		"Create an API token for CI/CD and print it once. Only its digest is stored: copy it now into the pipeline's secrets", config.GroupBase)
	name := fs.String("name", "", "what the token is for, e.g. \"deploy pipeline\" (required)")
	var scopes stringsFlag
	fs.Var(&scopes, "scope", "a scope the token grants, repeatable or comma-separated: read, gate:read, deployments:write, journeys:write (at least one)")
	actor := fs.String("actor", "", "who the change is recorded as in the audit log (default: $USER, else \"cli\")")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, 0); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return &usageError{fs: fs, err: fmt.Errorf("tokens create: -name is required")}
	}
	var sc []auth.Scope
	for _, v := range scopes {
		for _, part := range strings.Split(v, ",") {
			s, err := auth.ParseScope(part)
			if err != nil {
				return &usageError{fs: fs, err: fmt.Errorf("tokens create: -scope: %q is not one of read, gate:read, deployments:write, journeys:write", strings.TrimSpace(part))}
			}
			sc = append(sc, s)
		}
	}
	if len(sc) == 0 {
		return &usageError{fs: fs, err: fmt.Errorf("tokens create: give at least one -scope")}
	}
	cfg, err := load(l)
	if err != nil {
		return err
	}
	au, cleanup, err := a.openAuth(ctx, cfg)
	if err != nil {
		return err
	}
	defer cleanup()
	secret, t, err := au.CreateToken(ctx, a.cliPrincipal(*actor), *name, sc)
	if errors.Is(err, auth.ErrInvalid) {
		return &usageError{fs: fs, err: fmt.Errorf("tokens create: %w", err)}
	}
	if err != nil {
		return err
	}
	scopeNames := make([]string, len(t.Scopes))
	for i, s := range t.Scopes {
		scopeNames[i] = string(s)
	}
	fmt.Fprintf(a.stdout, "created token %d %q with scopes %s\n%s\n(shown once: it cannot be retrieved again)\n",
		t.ID, t.Name, strings.Join(scopeNames, ", "), secret)
	return nil
}
