package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// invalidCatalog is Postgres's code for a database that does not exist.
const invalidCatalog = "3D000"

// ensureDatabase creates the database dsn names when the server has none
// of that name, as the demo promises: it is the newcomer's one step, on a
// database it owns. Other failures to connect are left to the first query
// to report.
func ensureDatabase(ctx context.Context, dsn string, log *slog.Logger) error {
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return &configError{err: errors.New("WAYMARK_DATABASE_URL: is not a valid Postgres URL or key=value DSN")}
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err == nil {
		return conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != invalidCatalog {
		return nil
	}
	name := cc.Database
	admin := cc.Copy()
	admin.Database = "postgres"
	ac, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("create database %q: connect to the server's postgres database: %w", name, err)
	}
	defer ac.Close(context.Background())
	if _, err := ac.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		var pe *pgconn.PgError
		// Another demo starting at the same moment created it first.
		if errors.As(err, &pe) && pe.Code == "42P04" {
			return nil
		}
		return fmt.Errorf("create database %q: %w", name, err)
	}
	log.Info("created the demo database", "database", name)
	return nil
}

// bannerDelay lets the services log their start before the banner, so
// that it is the last thing on screen rather than lost among them.
const bannerDelay = 1500 * time.Millisecond

// bannerService prints text once the other services have started, then
// waits for the end.
func bannerService(print func()) service {
	return service{name: "banner", run: func(ctx context.Context) error {
		select {
		case <-time.After(bannerDelay):
			print()
		case <-ctx.Done():
		}
		<-ctx.Done()
		return nil
	}}
}

// box draws lines in a frame, so that the demo's address and password
// stand out from the logs.
func box(lines ...string) string {
	w := 0
	for _, l := range lines {
		w = max(w, utf8.RuneCountInString(l))
	}
	var b strings.Builder
	b.WriteString("┌" + strings.Repeat("─", w+2) + "┐\n")
	for _, l := range lines {
		b.WriteString("│ " + l + strings.Repeat(" ", w-utf8.RuneCountInString(l)) + " │\n")
	}
	b.WriteString("└" + strings.Repeat("─", w+2) + "┘\n")
	return b.String()
}
