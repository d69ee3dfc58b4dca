package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/config"
)

// maxStdinPassword bounds what --password-stdin reads: far beyond any
// password, short of a file piped in by mistake.
const maxStdinPassword = 4 << 10

func (a *app) usersCreate(ctx context.Context, args []string) error {
	fs, l := a.flags("users create", "EMAIL",
		"Create an account and print a generated one-time password (or take one from standard input). Use it to create the first admin", config.GroupBase)
	admin := fs.Bool("admin", false, "give the account the admin role (the same as -role admin)")
	role := fs.String("role", "", "the account's role: viewer, editor or admin (default viewer)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one")
	actor := fs.String("actor", "", "who the change is recorded as in the audit log (default: $USER, else \"cli\")")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, 1); err != nil {
		return err
	}
	r := auth.RoleViewer
	if *role != "" {
		if r, err = auth.ParseRole(*role); err != nil {
			return &usageError{fs: fs, err: fmt.Errorf("users create: -role: %q is not one of viewer, editor, admin", *role)}
		}
	}
	if *admin {
		if *role != "" && r != auth.RoleAdmin {
			return &usageError{fs: fs, err: fmt.Errorf("users create: -admin and -role %s contradict each other", r)}
		}
		r = auth.RoleAdmin
	}
	email, err := auth.NormalizeEmail(pos[0])
	if err != nil {
		return &usageError{fs: fs, err: fmt.Errorf("users create: %w", err)}
	}
	password, generated := "", false
	if *fromStdin {
		if password, err = readPassword(a.stdin); err != nil {
			return err
		}
	} else {
		if password, err = auth.GeneratePassword(); err != nil {
			return err
		}
		generated = true
	}
	if err := auth.CheckPassword(password); err != nil {
		return fmt.Errorf("users create: %w", err)
	}
	au, cleanup, err := a.openAuth(ctx, l)
	if err != nil {
		return err
	}
	defer cleanup()
	u, err := au.CreateUser(ctx, a.cliPrincipal(*actor), auth.NewUser{Email: email, Role: r, Password: password})
	if errors.Is(err, auth.ErrConflict) {
		return fmt.Errorf("users create: %s already has an account", email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "created %s %s (id %d)\n", u.Role, u.Email, u.ID)
	if generated {
		fmt.Fprintf(a.stdout, "password: %s\n(shown once; change it after signing in)\n", password)
	}
	return nil
}

// readPassword reads the first line of r, without its line ending. No
// input at all (nil) reads as an empty line.
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		r = strings.NewReader("")
	}
	line, err := bufio.NewReaderSize(io.LimitReader(r, maxStdinPassword), maxStdinPassword).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("users create: -password-stdin: standard input has no password")
	}
	return line, nil
}

func (a *app) usersList(ctx context.Context, args []string) error {
	fs, l := a.flags("users list", "", "List accounts, by email, with their role, whether they are disabled, "+
		"when they were created and when they last signed in with a password (\"unknown\" for accounts without one, which sign in through the auth proxy)", config.GroupBase)
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
	users, err := au.ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tDISABLED\tCREATED\tLAST SIGN-IN")
	for _, u := range users {
		disabled := "no"
		if u.Disabled {
			disabled = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, disabled, u.CreatedAt.Format(time.RFC3339), lastSignIn(u))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// lastSignIn is when u last signed in with a password. Sign-ins through the
// auth proxy are not recorded, so an account without a password that never
// signed in with one may still have been in yesterday.
func lastSignIn(u auth.User) string {
	switch {
	case !u.LastLoginAt.IsZero():
		return u.LastLoginAt.Format(time.RFC3339)
	case u.HasPassword:
		return "never"
	}
	return "unknown"
}

func (a *app) usersSetRole(ctx context.Context, args []string) error {
	fs, l := a.flags("users set-role", "EMAIL ROLE",
		"Give an account another role: viewer, editor or admin. The change applies to the account's next request; the last enabled admin keeps the role", config.GroupBase)
	actor := fs.String("actor", "", "who the change is recorded as in the audit log (default: $USER, else \"cli\")")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 2, 2); err != nil {
		return err
	}
	email, err := auth.NormalizeEmail(pos[0])
	if err != nil {
		return &usageError{fs: fs, err: fmt.Errorf("users set-role: %w", err)}
	}
	role, err := auth.ParseRole(pos[1])
	if err != nil {
		return &usageError{fs: fs, err: fmt.Errorf("users set-role: role %q is not one of viewer, editor, admin", pos[1])}
	}
	au, cleanup, err := a.openAuth(ctx, l)
	if err != nil {
		return err
	}
	defer cleanup()
	before, err := au.UserByEmail(ctx, email)
	if errors.Is(err, auth.ErrNotFound) {
		return fmt.Errorf("users set-role: no account has the email %s", email)
	}
	if err != nil {
		return err
	}
	after, err := au.SetRole(ctx, a.cliPrincipal(*actor), before.ID, role)
	switch {
	case errors.Is(err, auth.ErrLastAdmin):
		return fmt.Errorf("users set-role: %s is the last enabled admin: make another account admin first", email)
	case errors.Is(err, auth.ErrNotFound):
		return fmt.Errorf("users set-role: no account has the email %s", email)
	case err != nil:
		return err
	}
	// The role read before may be stale; what SetRole returns is not.
	if after.UpdatedAt.Equal(before.UpdatedAt) && after.Role == before.Role {
		fmt.Fprintf(a.stdout, "%s is %s already; nothing changed\n", after.Email, after.Role)
		return nil
	}
	fmt.Fprintf(a.stdout, "%s is now %s (was %s)\n", after.Email, after.Role, before.Role)
	return nil
}

// cliPrincipal is who a command acts as: the operator, named by -actor, else
// $USER; the audit log calls them "cli:<name>", or "cli" with neither.
func (a *app) cliPrincipal(actor string) auth.Principal {
	if actor == "" {
		actor = a.getenv("USER")
	}
	return auth.CLI(strings.TrimSpace(actor))
}

// openAuth loads the configuration and opens the database on a current
// schema for the account commands.
func (a *app) openAuth(ctx context.Context, l *config.Loader) (*auth.Auth, func(), error) {
	cfg, err := load(l)
	if err != nil {
		return nil, nil, err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, nil, err
	}
	au, err := auth.New(pool, auth.Options{Logger: cfg.NewLogger(a.stderr)})
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return au, pool.Close, nil
}

// stringsFlag is a flag that may be given several times.
type stringsFlag []string

var _ flag.Value = (*stringsFlag)(nil)

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

func (s *stringsFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}
