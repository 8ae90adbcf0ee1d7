package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/demo"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/ingest"
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
the minute after) into DIR and exit: "mamori scan DIR" then analyses it.`,
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
				fmt.Printf("wrote %d lines in %d files to %s\n", lines, len(m.Files), m.Dir)
				return nil
			}
			if dir == "" {
				tmp, err := os.MkdirTemp("", "mamori-demo-")
				if err != nil {
					return err
				}
				dir = tmp
				if !keep {
					defer os.RemoveAll(tmp)
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
	return cmd
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
		cfg.Timezone = m.Location.String()
	}
	for _, f := range m.Files {
		cfg.Sources = append(cfg.Sources, config.Source{Path: f.Path, Format: f.Format})
	}
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
		noConfigHelp(os.Stdout)
		return nil
	}
	return runLive(cmd.Context(), g, cfg)
}

// runLive follows the configured sources, detecting, and shows alerts as
// they come (the console will take this place).
func runLive(ctx context.Context, g *globals, cfg *config.Config) error {
	a, done, err := openAppWith(g, cfg, g.readonly)
	if err != nil {
		return err
	}
	defer done()
	if g.readonly {
		as, err := a.Alerts(false)
		if err != nil {
			return err
		}
		printAlerts(os.Stdout, as, terminalWidth())
		return nil
	}
	updates := a.Engine.Subscribe()
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
				fmt.Printf("%s %s %-14s %s %s\n", al.LastSeen.Local().Format("01-02 15:04:05"), severityMark(al.Severity), al.Rule, al.Endpoint, clip(al.Summary, 100))
			}
		}
	}()
	err = a.Live(ctx, a.Sources(), func(*ingest.Pipeline) {})
	a.Engine.Close()
	wg.Wait()
	return err
}

var _ = app.Options{}
