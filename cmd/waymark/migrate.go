package main

import (
	"context"
	"fmt"

	"github.com/waymarkhq/waymark/internal/config"
	"github.com/waymarkhq/waymark/migrations"
)

func (a *app) migrate(ctx context.Context, args []string) error {
	fs, l := a.flags("migrate", "", "Apply every pending database migration, Waymark's and the job queue's", config.GroupBase)
	down := fs.Int("down", 0, "instead, revert the newest `N` Waymark migrations (the job queue's tables are kept)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 0, 0); err != nil {
		return err
	}
	if *down < 0 {
		return &usageError{fs: fs, err: fmt.Errorf("migrate: -down must be a positive number, not %d", *down)}
	}
	cfg, err := load(l)
	if err != nil {
		return err
	}
	log := cfg.NewLogger(a.stderr)
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()

	if *down > 0 {
		done, err := migrations.Down(ctx, pool, *down)
		for _, v := range done {
			fmt.Fprintf(a.stdout, "reverted migration %04d\n", v)
		}
		if err != nil {
			return err
		}
		if len(done) == 0 {
			fmt.Fprintln(a.stdout, "no migrations to revert")
		}
		return nil
	}
	done, err := migrations.Up(ctx, pool, log)
	for _, v := range done {
		fmt.Fprintf(a.stdout, "applied migration %04d\n", v)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "database schema is current (version %04d)\n", migrations.Latest())
	return nil
}
