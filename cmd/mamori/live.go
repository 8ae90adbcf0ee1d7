package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/app/control"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/demo"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/themes"
	"github.com/mamori-soc/mamori/tui"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/i18n"
)

func newDemoCmd(g *globals) *cobra.Command {
	var (
		opts  demo.Options
		dir   string
		write string
		keep  bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the console on a built-in small office under a targeted attack",
		Long: `Write a realistic small-office log set (a few days of normal business for
~20 endpoints, then a targeted attack walking through the six phases of the
defence model) into a temporary directory, keep appending live lines, and
follow it like a real deployment. No configuration or data needed.

With --write DIR, only write the complete demo data set (history, attack and
the minute after) into DIR, with DIR/mamori.yaml (the office's time zone,
inventory, IOC list, GeoIP database and site categories, as a rescue team
would write them for collected logs), and print the command that scans it
with the demo's results.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if write != "" {
				m, err := demo.Write(ctx, write, opts)
				if err != nil {
					return err
				}
				var lines int64
				for _, f := range m.Files {
					lines += f.Lines
				}
				cfg, err := writeDemoConfig(m)
				if err != nil {
					return err
				}
				fmt.Printf("wrote %d lines in %d files to %s\nscan them with:\n  mamori scan --config %s %s\n",
					lines, len(m.Files), m.Dir, shellQuote(cfg), shellQuote(m.Dir))
				return nil
			}
			if dir == "" {
				tmp, err := os.MkdirTemp("", "mamori-demo-")
				if err != nil {
					return err
				}
				dir = tmp
				if !keep {
					defer removeTemp(tmp)
				}
			}
			return runDemo(ctx, g, dir, opts)
		},
	}
	f := cmd.Flags()
	f.Int64Var(&opts.Seed, "seed", demo.DefaultSeed, "seed of the office's people and traffic (same seed, same logs)")
	f.IntVar(&opts.Endpoints, "endpoints", demo.DefaultEndpoints, "number of machines in the office")
	f.IntVar(&opts.Days, "days", demo.DefaultDays, "days of normal business before the attack")
	f.Float64Var(&opts.Speed, "speed", 1, "how much faster than real time the live part runs")
	f.StringVar(&dir, "dir", "", "directory for the demo's logs and store (default: a temporary one)")
	f.BoolVar(&keep, "keep", false, "keep the temporary directory afterwards")
	f.StringVar(&write, "write", "", "only write the complete demo data set into this directory and exit")
	f.TimeVar(&opts.At, "at", time.Time{}, []string{time.RFC3339}, "end the demo's history at this time, e.g. 2026-11-20T11:00:00Z (default: now); with the same --seed, the same logs")
	return cmd
}

// writeDemoConfig writes DIR/mamori.yaml beside a written demo data set:
// the settings its logs need to be analysed as the demo office's own
// console does (zone of the syslog files, inventory, lists). It returns
// the file's path.
func writeDemoConfig(m demo.Manifest) (string, error) {
	rel := func(p string) string {
		if r, err := filepath.Rel(m.Dir, p); err == nil {
			return r
		}
		return p
	}
	zone := ""
	if m.Location != nil {
		_, off := m.End.In(m.Location).Zone()
		zone = fmt.Sprintf("%+03d:%02d", off/3600, (off%3600)/60)
	}
	body := fmt.Sprintf(`# mamori configuration for the demo data set in this folder, written by
# "mamori demo --write". Paths are relative to this file.
#   mamori scan --config mamori.yaml .
timezone: %q            # the office's zone: the syslog files carry none
assets: %s
ioc: [%s]
geoip: %s
categories: %s
`, zone, rel(m.Inventory), rel(m.IOCs), rel(m.GeoIP), rel(m.Categories))
	path := filepath.Join(m.Dir, "mamori.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	return path, nil
}

// shellQuote quotes a path for a command to copy into a shell.
func shellQuote(s string) string {
	plain := func(r rune) bool {
		return r == '/' || r == '.' || r == '-' || r == '_' || r == '+' || r == ':' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plain(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runDemo writes the demo's history, then follows it live with the
// console.
func runDemo(ctx context.Context, g *globals, dir string, opts demo.Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan demo.Manifest, 1)
	grp, gctx := errgroup.WithContext(ctx)
	grp.Go(func() error {
		return demo.Run(gctx, filepath.Join(dir, "logs"), opts, func(m demo.Manifest) { ready <- m })
	})
	var m demo.Manifest
	select {
	case m = <-ready:
	case <-gctx.Done():
		return grp.Wait()
	}
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "db")
	cfg.LogFile = filepath.Join(dir, "mamori.log")
	cfg.AuditFile = filepath.Join(dir, "audit.jsonl")
	cfg.Assets = m.Inventory
	cfg.IOC = []string{m.IOCs}
	cfg.Categories = m.Categories
	cfg.GeoIP = m.GeoIP
	if m.Location != nil {
		_, off := m.End.In(m.Location).Zone()
		cfg.Timezone = fmt.Sprintf("%+03d:%02d", off/3600, (off%3600)/60)
	}
	for _, f := range m.Files {
		cfg.Sources = append(cfg.Sources, config.Source{Path: f.Path, Format: f.Format})
	}
	// Containment in the demo runs harmless actuators that print the
	// command a real gateway would run.
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	cfg.Actuators = containment.DemoActuators(cat)
	grp.Go(func() error {
		defer cancel() // the console quitting ends the demo
		return runLive(gctx, g, cfg)
	})
	return grp.Wait()
}

// runConsole is `mamori` without a sub-command.
func runConsole(cmd *cobra.Command, g *globals) error {
	cfg, found, err := loadConfig(g)
	if err != nil {
		return err
	}
	if !found && g.db == "" {
		return noConfigHelp(os.Stdout)
	}
	return runLive(cmd.Context(), g, cfg)
}

// runLive follows the configured sources with the console, or, when
// stdout is not a terminal (or --headless), prints alerts as they come.
// While it runs it answers read commands from other shells on its control
// socket. With --readonly it only shows the store: its own, or, when a
// running mamori holds it, that mamori's, read through it.
func runLive(ctx context.Context, g *globals, cfg *config.Config) error {
	headless := g.headless || !isTerminal(os.Stdout)
	if g.readonly {
		a, remote, done, err := openReadWith(ctx, g, cfg, true)
		if err != nil {
			return err
		}
		defer done()
		if headless {
			return printStored(a, outputWidth(g))
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var be backend.Backend = a.Console(ctx, false)
		if remote != nil {
			be = control.NewBackend(ctx, a, remote)
		}
		return runTUI(ctx, g, cfg, a, be)
	}
	a, done, err := openAppWith(g, cfg, false)
	var locked *store.LockedError
	if errors.As(err, &locked) {
		return fmt.Errorf("%w; or add --readonly to watch it beside the running one", err)
	}
	if err != nil {
		return err
	}
	defer done()
	sources := a.Sources()
	live := len(sources) > 0
	if headless && !live {
		return printStored(a, outputWidth(g))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	grp, gctx := errgroup.WithContext(ctx)
	var console *app.Console
	mon := a.Monitor(live)
	if !headless {
		console = a.Console(ctx, live)
		mon = console.Monitor
	}
	serveControl(gctx, grp, a, mon, live, headless)
	if headless {
		grp.Go(func() error {
			defer cancel()
			return runHeadless(gctx, a, sources, mon)
		})
		return grp.Wait()
	}
	if live {
		grp.Go(func() error { return a.Live(gctx, sources, console.SetPipeline) })
	}
	grp.Go(func() error {
		defer cancel()
		return runTUI(gctx, g, cfg, a, console)
	})
	return grp.Wait()
}

// serveControl answers read commands from other shells on the store's
// control socket until ctx ends (see package control). Without a socket
// mamori runs on, and says why in its log (and on stderr when headless).
func serveControl(ctx context.Context, grp *errgroup.Group, a *app.App, mon *app.Monitor, live, headless bool) {
	srv, err := control.Listen(a, control.Options{Status: mon.Status, Live: live, Version: mamoriVersion(), Log: a.Log})
	if err != nil {
		a.Log.Warn("read commands from other shells cannot reach this mamori", "err", err)
		if headless {
			fmt.Fprintln(os.Stderr, "mamori: note: read commands from other shells cannot reach this mamori:", err)
		}
		return
	}
	grp.Go(func() error {
		if err := srv.Serve(ctx); err != nil {
			a.Log.Warn("control socket stopped", "err", err)
		}
		return nil
	})
}

// runTUI runs the console over be until it quits or ctx ends.
func runTUI(ctx context.Context, g *globals, cfg *config.Config, a *app.App, be backend.Backend) error {
	lang := i18n.Parse(firstNonEmpty(g.lang, cfg.UI.Lang, string(i18n.FromEnv())))
	ts, errs := themes.Load(filepath.Join(filepath.Dir(config.DefaultPath()), "themes"))
	for _, e := range errs {
		a.Log.Warn("theme", "err", e)
	}
	return tui.Run(ctx, tui.Options{Backend: be, Themes: ts, Theme: firstNonEmpty(g.theme, cfg.UI.Theme), Lang: lang})
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// printStored prints the alerts a store holds (headless, nothing to
// follow).
func printStored(a *app.App, width int) error {
	as, err := a.Alerts(false)
	if err != nil {
		return err
	}
	return printAlerts(os.Stdout, as, width, a.Location())
}

// runHeadless prints alerts as they are raised (for a pipe or a log).
func runHeadless(ctx context.Context, a *app.App, sources []ingest.FollowSource, mon *app.Monitor) error {
	updates, loc := a.Engine.Subscribe(ctx), a.Location()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		shown := map[string]bool{}
		for batch := range updates {
			detect.SortAlerts(batch)
			for _, al := range batch {
				if shown[al.ID] || a.Allow.Hidden(&al) {
					continue
				}
				shown[al.ID] = true
				fmt.Printf("%s %s %-8s %-14s %-15s %s\n", al.LastSeen.In(loc).Format("01-02 15:04:05"), al.Severity.Symbol(), al.Severity,
					al.Rule, al.Endpoint, sanitize.Line(al.Summary))
			}
		}
	}()
	err := a.Live(ctx, sources, mon.SetPipeline)
	a.Engine.Close()
	wg.Wait()
	return err
}
