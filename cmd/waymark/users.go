package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/waymarkhq/waymark/internal/auth"
	"github.com/waymarkhq/waymark/internal/config"
)

// maxStdinPassword bounds what --password-stdin reads: far beyond any
// password, short of a file piped in by mistake.
const maxStdinPassword = 4 << 10

func (a *app) usersCreate(ctx context.Context, args []string) error {
	return a.usersCreateFrom(ctx, args, os.Stdin)
}

// usersCreateFrom is users create reading --password-stdin from stdin.
func (a *app) usersCreateFrom(ctx context.Context, args []string, stdin io.Reader) error {
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
		if password, err = readPassword(stdin); err != nil {
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
	cfg, err := load(l)
	if err != nil {
		return err
	}
	au, cleanup, err := a.openAuth(ctx, cfg)
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

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
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

// cliPrincipal is who a command acts as: the operator, named by -actor, else
// $USER, else "cli".
func (a *app) cliPrincipal(actor string) auth.Principal {
	if actor == "" {
		actor = a.getenv("USER")
	}
	if actor == "" {
		actor = "cli"
	}
	return auth.CLI(actor)
}

// openAuth opens the database on a current schema for the account commands.
func (a *app) openAuth(ctx context.Context, cfg config.Config) (*auth.Auth, func(), error) {
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
