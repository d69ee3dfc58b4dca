// Command waymark is Waymark's one binary: the web server, database
// migrations, and journeys as code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/waymarkhq/waymark/internal/config"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // bad command line or configuration; nothing was done
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal starts a graceful shutdown; restoring the
		// default lets a second one end a shutdown that hangs.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit code. Errors are
// written to stderr as one line, "waymark: <reason>".
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	return a.exec(ctx, args)
}

// app is one invocation: where input comes from, where output goes and
// where settings come from.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command is one subcommand, e.g. "journeys apply".
type command struct {
	name    string
	args    string // positional arguments, for usage
	summary string
	run     func(a *app, ctx context.Context, args []string) error
}

// commands lists every subcommand in the order usage shows them.
func commands() []command {
	return []command{
		{name: "serve", summary: "serve the web UI and API", run: (*app).serve},
		{name: "worker", summary: "run the background workers only; several share the queue", run: (*app).worker},
		{name: "migrate", summary: "apply database migrations (Waymark's and the job queue's)", run: (*app).migrate},
		{name: "journeys apply", args: "FILE|DIR...", summary: "create or update journeys from YAML files", run: (*app).journeysApply},
		{name: "journeys export", args: "[SLUG]", summary: "print journeys as YAML", run: (*app).journeysExport},
		{name: "journeys list", summary: "list journeys", run: (*app).journeysList},
		{name: "slos apply", args: "FILE|DIR...", summary: "create or update journeys' SLOs from OpenSLO v1 files", run: (*app).slosApply},
		{name: "slos export", args: "[SLUG]", summary: "print journeys' SLOs as OpenSLO v1", run: (*app).slosExport},
		{name: "users create", args: "EMAIL", summary: "create an account (the first admin, say) with a one-time password", run: (*app).usersCreate},
		{name: "users list", summary: "list accounts with their role and last sign-in", run: (*app).usersList},
		{name: "users set-role", args: "EMAIL ROLE", summary: "give an account another role: viewer, editor or admin", run: (*app).usersSetRole},
		{name: "tokens create", summary: "create a scoped API token for CI/CD and print it once", run: (*app).tokensCreate},
		{name: "tokens list", summary: "list API tokens with their scopes and last use (never the secret)", run: (*app).tokensList},
		{name: "tokens revoke", args: "ID|NAME", summary: "revoke an API token; the next request with it is refused", run: (*app).tokensRevoke},
		{name: "demo", summary: "run everything on this machine with live demo shop traffic", run: (*app).demo},
		{name: "sampling policy", summary: "print a collector tail_sampling configuration that keeps the journeys' failed, slow and sampled traces", run: (*app).samplingPolicy},
		{name: "check", args: "[FILE|DIR...]", summary: "check spans exported by a test run against the journeys: context propagation, correlation, segments (exit 0 pass, 1 fail, 2 cannot decide)", run: (*app).check},
		{name: "gate", summary: "ask a Waymark server whether a deployment may proceed (exit 0 pass, 1 fail, 2 cannot decide)", run: (*app).gate},
		{name: "version", summary: "print the version", run: (*app).version},
	}
}

func (a *app) exec(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.fail(errors.New("no command given"))
		a.usage(a.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		a.usage(a.stdout)
		return exitOK
	}
	cmd, rest, err := lookup(args)
	if err != nil {
		a.fail(err)
		a.usage(a.stderr)
		return exitUsage
	}
	err = cmd.run(a, ctx, rest)
	var uerr *usageError
	var cerr *configError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &uerr):
		a.fail(err)
		if uerr.fs != nil {
			uerr.fs.SetOutput(a.stderr)
			uerr.fs.Usage()
		}
		return exitUsage
	case errors.As(err, &cerr):
		a.fail(err)
		return exitUsage
	default:
		a.fail(err)
		return exitFailure
	}
}

// lookup finds the command named by the first one or two args.
func lookup(args []string) (command, []string, error) {
	var groupMatch bool
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):], nil
		}
		if words[0] == args[0] {
			groupMatch = true
		}
	}
	if groupMatch {
		if len(args) == 1 {
			return command{}, nil, fmt.Errorf("%s: no subcommand given", args[0])
		}
		return command{}, nil, fmt.Errorf("%s: unknown subcommand %q", args[0], args[1])
	}
	return command{}, nil, fmt.Errorf("unknown command %q", args[0])
}

// fail writes err as the one line a failed command prints.
func (a *app) fail(err error) {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
	fmt.Fprintf(a.stderr, "waymark: %s\n", msg)
}

func (a *app) usage(w io.Writer) {
	cmds := commands()
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.name)+1+len(c.args))
	}
	var b strings.Builder
	b.WriteString("Waymark: business-journey observability.\n\nUsage:\n  waymark <command> [flags] [arguments]\n\nCommands:\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	b.WriteString("\nRun \"waymark <command> -h\" for a command's flags. Flags override WAYMARK_* environment variables.\n")
	_, _ = io.WriteString(w, b.String())
}

// usageError is a bad command line: it is printed with the command's usage
// and exits 2.
type usageError struct {
	fs  *flag.FlagSet
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// configError is a setting that fails validation; it exits 2.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// flags returns the flag set of a command, with the settings of group bound
// to it, and a usage that lists them.
func (a *app) flags(name, args, summary string, group config.Group) (*flag.FlagSet, *config.Loader) {
	fs := flag.NewFlagSet("waymark "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var l *config.Loader
	if group != 0 {
		l = config.Bind(fs, a.getenv, group)
	}
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: waymark %s [flags] %s\n\n%s.\n", name, args, summary)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintf(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs, l
}

// parse parses args, allowing flags after positional arguments (apply
// dir/ -actor ci), until a "--". -h prints the usage to stdout and returns
// flag.ErrHelp.
func (a *app) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(a.stdout)
			fs.Usage()
			return nil, flag.ErrHelp
		}
		if err != nil {
			return nil, &usageError{fs: fs, err: fmt.Errorf("%s: %w", strings.TrimPrefix(fs.Name(), "waymark "), err)}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// load resolves the configuration after parsing.
func load(l *config.Loader) (config.Config, error) {
	cfg, err := l.Load()
	if err != nil {
		return config.Config{}, &configError{err: err}
	}
	return cfg, nil
}

// wantArgs checks the number of positional arguments.
func wantArgs(fs *flag.FlagSet, pos []string, lo, hi int) error {
	name := strings.TrimPrefix(fs.Name(), "waymark ")
	switch {
	case len(pos) < lo:
		return &usageError{fs: fs, err: fmt.Errorf("%s: missing argument", name)}
	case hi >= 0 && len(pos) > hi:
		return &usageError{fs: fs, err: fmt.Errorf("%s: unexpected argument %q", name, pos[hi])}
	}
	return nil
}
