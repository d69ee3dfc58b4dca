package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/config"
)

func (a *app) tokensCreate(ctx context.Context, args []string) error {
	fs, l := a.flags("tokens create", "",
		"Create an API token for CI/CD and print it once. Only its digest is stored: copy it now into the pipeline's secrets", config.GroupBase)
	name := fs.String("name", "", "what the token is for, e.g. \"deploy pipeline\" (required)")
	var scopes stringsFlag
	fs.Var(&scopes, "scope", "a scope the token grants, repeatable or comma-separated: "+auth.ScopeList()+" (at least one)")
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
				return &usageError{fs: fs, err: fmt.Errorf("tokens create: -scope: %q is not one of %s", strings.TrimSpace(part), auth.ScopeList())}
			}
			sc = append(sc, s)
		}
	}
	if len(sc) == 0 {
		return &usageError{fs: fs, err: fmt.Errorf("tokens create: give at least one -scope")}
	}
	au, cleanup, err := a.openAuth(ctx, l)
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
	fmt.Fprintf(a.stdout, "created token %d %q with scopes %s\n%s\n(shown once: it cannot be retrieved again)\n",
		t.ID, t.Name, joinScopes(t.Scopes, ", "), secret)
	return nil
}

func (a *app) tokensList(ctx context.Context, args []string) error {
	fs, l := a.flags("tokens list", "",
		"List API tokens, newest first, revoked ones included: scopes, who created them, when they were last used. "+
			"The secret is never stored, so it cannot be listed; the prefix tells tokens apart", config.GroupBase)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, 0); err != nil {
		return err
	}
	au, cleanup, err := a.openAuth(ctx, l)
	if err != nil {
		return err
	}
	defer cleanup()
	ts, err := au.ListTokens(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPES\tCREATED\tCREATED BY\tLAST USED\tREVOKED")
	for _, t := range ts {
		used, revoked := "never", "-"
		if !t.LastUsedAt.IsZero() {
			used = t.LastUsedAt.Format(time.RFC3339)
		}
		if t.Revoked() {
			revoked = t.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Prefix, joinScopes(t.Scopes, ","),
			t.CreatedAt.Format(time.RFC3339), t.CreatedBy, used, revoked)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func (a *app) tokensRevoke(ctx context.Context, args []string) error {
	fs, l := a.flags("tokens revoke", "ID|NAME",
		"Revoke an API token, named by its id or its name (as \"tokens list\" shows them); the next request with it is refused. "+
			"A name several working tokens share is refused: give the id", config.GroupBase)
	actor := fs.String("actor", "", "who the change is recorded as in the audit log (default: $USER, else \"cli\")")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, 1); err != nil {
		return err
	}
	ref := strings.TrimSpace(pos[0])
	if ref == "" {
		return &usageError{fs: fs, err: errors.New("tokens revoke: give a token's id or name")}
	}
	au, cleanup, err := a.openAuth(ctx, l)
	if err != nil {
		return err
	}
	defer cleanup()
	ts, err := au.ListTokens(ctx)
	if err != nil {
		return err
	}
	t, err := pickToken(ts, ref)
	if err != nil {
		return fmt.Errorf("tokens revoke: %w", err)
	}
	if t.Revoked() {
		fmt.Fprintf(a.stdout, "token %d %q was revoked already, at %s; nothing changed\n", t.ID, t.Name, t.RevokedAt.Format(time.RFC3339))
		return nil
	}
	revoked, err := au.RevokeToken(ctx, a.cliPrincipal(*actor), t.ID)
	if errors.Is(err, auth.ErrNotFound) {
		return fmt.Errorf("tokens revoke: no token has the id %d", t.ID)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "revoked token %d %q (%s)\n", revoked.ID, revoked.Name, revoked.Prefix)
	return nil
}

// pickToken finds the one token ref names among ts: by id, or by name.
// Names need not be unique, so a name is taken to mean the working token
// of that name, and one that several working tokens share, or that means
// something else as an id, is refused rather than guessed at.
func pickToken(ts []auth.Token, ref string) (auth.Token, error) {
	var byID *auth.Token
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		for i := range ts {
			if ts[i].ID == id {
				byID = &ts[i]
			}
		}
	}
	var named, working []auth.Token
	for _, t := range ts {
		if t.Name == ref {
			named = append(named, t)
			if !t.Revoked() {
				working = append(working, t)
			}
		}
	}
	if len(working) > 0 {
		named = working
	}
	switch {
	case byID != nil && len(named) == 0:
		return *byID, nil
	case byID != nil && !(len(named) == 1 && named[0].ID == byID.ID):
		return auth.Token{}, fmt.Errorf("%q is the id of token %d %q and the name of %s: give the id of the one meant", ref, byID.ID, byID.Name, tokenIDs(named))
	case len(named) == 1:
		return named[0], nil
	case len(named) > 1 && len(working) > 1:
		return auth.Token{}, fmt.Errorf("%d working tokens are named %q (%s): give the id of the one meant", len(named), ref, tokenIDs(named))
	case len(named) > 1:
		// Every token of the name is revoked: so is the one meant.
		return named[0], nil
	}
	return auth.Token{}, fmt.Errorf("no token has the id or name %q (see \"waymark tokens list\")", ref)
}

// tokenIDs lists tokens by id for a message: "token 3" or "tokens 3, 5".
func tokenIDs(ts []auth.Token) string {
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	slices.Sort(ids)
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = strconv.FormatInt(id, 10)
	}
	if len(names) == 1 {
		return "token " + names[0]
	}
	return "tokens " + strings.Join(names, ", ")
}

// joinScopes names scopes, separated by sep.
func joinScopes(scopes []auth.Scope, sep string) string {
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = string(s)
	}
	return strings.Join(names, sep)
}
