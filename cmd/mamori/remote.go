package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/app/control"
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/store"
)

// openRead opens mamori read-only for a reading command: on the store
// itself, or — when a running mamori holds it (the console, --headless,
// the demo) — over that mamori's control socket, saying so on stderr.
// remote is nil when the store itself was opened. Either way the App runs
// the same code, so the command prints the same thing.
func openRead(ctx context.Context, g *globals) (a *app.App, remote *control.Client, done func(), err error) {
	cfg, _, err := loadConfig(g)
	if err != nil {
		return nil, nil, nil, err
	}
	return openReadWith(ctx, g, cfg, true)
}

// openReadWith opens the store (read-only, or writable for a command that
// records what it did, such as an export) or, when a running mamori holds
// it, a reader over that mamori's control socket (remote).
func openReadWith(ctx context.Context, g *globals, cfg *config.Config, readonly bool) (a *app.App, remote *control.Client, done func(), err error) {
	orig := *cfg // opening applies the flags to cfg: the second try starts again from it
	a, done, err = openAppWith(g, cfg, readonly)
	var locked *store.LockedError
	if err == nil || !errors.As(err, &locked) {
		return a, nil, done, err
	}
	c, err := dialHeld(ctx, locked)
	if err != nil {
		return nil, nil, nil, err
	}
	log, closeLog := openLog(g, &orig)
	a, err = app.OpenReader(&orig, appOptions(g, true, log), c)
	if err != nil {
		c.Close()
		closeLog()
		return nil, nil, nil, err
	}
	return a, c, func() {
		if err := a.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "mamori:", err)
		}
		c.Close()
		closeLog()
	}, nil
}

// dialHeld connects to the mamori that holds the store, with a note on
// stderr; when it cannot, the error says in one line why the store cannot
// be read.
func dialHeld(ctx context.Context, locked *store.LockedError) (*control.Client, error) {
	c, err := control.Dial(ctx, locked.Dir)
	if err != nil {
		return nil, heldError(locked, err)
	}
	fmt.Fprintf(os.Stderr, "mamori: note: the store %s is in use by the running mamori (pid %d): read through it\n", c.Dir(), c.PID())
	return c, nil
}

// heldError explains why a store another process holds cannot be read.
func heldError(locked *store.LockedError, err error) error {
	who := "another mamori process"
	if locked.PID > 0 {
		who = fmt.Sprintf("another mamori process (pid %d)", locked.PID)
	}
	var refused *control.RefusedError
	switch {
	case errors.Is(err, control.ErrNotRunning):
		return fmt.Errorf("the store %s is in use by %s that does not answer read commands (an import, a scan or a change holds it for now): try again when it ends", locked.Dir, who)
	case errors.Is(err, control.ErrUnsupported):
		return fmt.Errorf("the store %s is in use by %s, and on this system a read command cannot ask it: try again when it ends", locked.Dir, who)
	case errors.As(err, &refused):
		return fmt.Errorf("the store %s is in use by %s, and %w", locked.Dir, who, err)
	}
	return fmt.Errorf("the store %s is in use by %s, and asking it failed: %w", locked.Dir, who, err)
}
