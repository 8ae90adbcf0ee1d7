package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/config"
)

// globals are the flags every command takes.
type globals struct {
	configPath string
	db         string
	readonly   bool
	internal   []string
	assets     string
	ioc        []string
	geoip      string
	categories string
	timezone   string
	year       int
	format     string
	logFile    string
	debug      bool
	lang       string
	theme      string
	jsonOut    bool
	headless   bool
	wide       bool
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "mamori",
		Short: "A terminal SOC console for defending small organisations against targeted attacks",
		Long: `mamori (守り, "defence") tails the logs an office already has (proxy,
firewall, DNS, Zeek, Suricata, SSH) into an embedded store, runs the
detectors of the targeted-attack defence model in the background and shows
alerts, per-endpoint timelines, the incident checklist and a containment
picker.

While it runs, the read commands (alerts, incidents, report, evidence,
rules and mamori --readonly) work from another shell of the same user:
they ask the running mamori over its control socket.

Run "mamori demo" to see it work on a built-in office under attack.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConsole(cmd, g)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.configPath, "config", "", "configuration file (default "+config.DefaultPath()+")")
	pf.StringVar(&g.db, "db", "", "store directory (default $XDG_DATA_HOME/mamori)")
	pf.StringSliceVar(&g.internal, "internal", nil, "internal networks, comma-separated CIDRs (default RFC 1918, 100.64.0.0/10, fc00::/7)")
	pf.StringVar(&g.assets, "assets", "", "asset inventory file (CSV or YAML: ip or cidr, host, segment, role, owner)")
	pf.StringVar(&g.timezone, "timezone", "", "office time zone: read timestamps that carry none in it, and show times in it (default: the config's, else local)")
	pf.StringVar(&g.logFile, "log-file", "", "mamori's own log (default $XDG_STATE_HOME/mamori/mamori.log)")
	pf.BoolVar(&g.debug, "debug", false, "log debug messages")
	pf.BoolVar(&g.wide, "wide", false, "tables: whole lines even on a narrow terminal (they are whole when written to a file or a pipe)")
	root.Flags().BoolVar(&g.readonly, "readonly", false, "open the store read-only: look, change nothing (no ingest, no actions); beside a running mamori, show what it has")
	pf.StringVar(&g.lang, "lang", "", "language of the console, reports and rule titles: en or ja (default from LANG)")
	root.Flags().StringVar(&g.theme, "theme", "", "colour theme: dark, light, high-contrast, monochrome, or one of yours")
	root.PersistentFlags().BoolVar(&g.headless, "headless", false, "no console: print alerts as they are raised (also when stdout is not a terminal)")

	root.AddCommand(
		newDemoCmd(g),
		newIngestCmd(g),
		newScanCmd(g),
		newAlertsCmd(g),
		newAllowCmd(g),
		newRulesCmd(g),
		newFormatsCmd(),
		newBaselineCmd(g),
		newPruneCmd(g),
		newMigrateCmd(g),
		newVersionCmd(),
	)
	root.AddCommand(incidentCommands(g)...)
	return root
}

// detectFlags adds the flags for the optional detection inputs.
func detectFlags(cmd *cobra.Command, g *globals) {
	cmd.Flags().StringArrayVar(&g.ioc, "ioc", nil, "IOC list file or folder (repeatable): maltrail-style text, Zeek intel, MISP warning list")
	cmd.Flags().StringVar(&g.geoip, "geoip", "", "MaxMind-format country database (.mmdb) for N-COUNTRY")
	cmd.Flags().StringVar(&g.categories, "categories", "", "site category list (domain<TAB>category) for N-CATEGORY")
}

// readFlags adds the flags about reading files.
func readFlags(cmd *cobra.Command, g *globals) {
	cmd.Flags().StringVar(&g.format, "format", "", "read every file as the format `NAME` (list: mamori formats); default: recognise each file's format")
	cmd.Flags().IntVar(&g.year, "year", 0, "year of timestamps that carry none (syslog); default: inferred from the file's date")
}

// loadConfig reads the configuration file: the one given, else the default
// path if it exists, else defaults. It reports whether a file was read.
func loadConfig(g *globals) (*config.Config, bool, error) {
	path := g.configPath
	if path == "" {
		path = config.DefaultPath()
	}
	c, err := config.Load(path)
	switch {
	case err == nil:
		return c, true, nil
	case errors.Is(err, config.ErrNotFound) && g.configPath == "":
		return config.Default(), false, nil
	default:
		return nil, false, err
	}
}

// officeLocation is the office's zone (see app.OfficeZone), for times read
// from the command line before the store is open; local time when none is
// known.
func officeLocation(cfg *config.Config, g *globals) *time.Location {
	if zone := app.OfficeZone(cfg, g.db, g.timezone); zone != "" {
		if loc, err := config.ParseZone(zone); err == nil {
			return loc
		}
	}
	return time.Local
}

// openApp loads the configuration and opens mamori with the flags' overrides.
func openApp(g *globals, readonly bool) (*app.App, func(), error) {
	cfg, _, err := loadConfig(g)
	if err != nil {
		return nil, nil, err
	}
	return openAppWith(g, cfg, readonly)
}

// openAppWith opens mamori over cfg. Every time mamori shows (console,
// tables, reports, alert summaries) is in the office's zone, a.Location(),
// so that they agree with each other and with the office's clocks
// whatever the machine's zone; time.Local is left alone.
func openAppWith(g *globals, cfg *config.Config, readonly bool) (*app.App, func(), error) {
	log, closeLog := openLog(g, cfg)
	a, err := app.Open(cfg, appOptions(g, readonly, log))
	if err != nil {
		closeLog()
		return nil, nil, err
	}
	if a.Store.Recovered() {
		fmt.Fprintln(os.Stderr, "mamori: note: the store was not closed cleanly (mamori was killed or crashed); it was recovered before being opened read-only")
	}
	if ok, n := a.Store.Migrated(); ok {
		fmt.Fprintf(os.Stderr, "mamori: note: the store was written by an older mamori; converted its %d events to the current format (once)\n", n)
	}
	return a, func() {
		if err := a.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "mamori:", err)
		}
		closeLog()
	}, nil
}

// openLog opens mamori's own log: --log-file, else the configuration's.
// A log that cannot be opened is reported and discarded.
func openLog(g *globals, cfg *config.Config) (*slog.Logger, func()) {
	logPath := cfg.LogFile
	if g.logFile != "" {
		logPath = g.logFile
	}
	log, closeLog, err := app.OpenLog(logPath, g.debug)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mamori: %v (logging disabled)\n", err)
		return slog.New(slog.DiscardHandler), func() {}
	}
	return log, closeLog
}

// appOptions are the flags' overrides of the configuration.
func appOptions(g *globals, readonly bool, log *slog.Logger) app.Options {
	return app.Options{
		DB: g.db, ReadOnly: readonly, Internal: g.internal, Assets: g.assets,
		IOC: g.ioc, GeoIP: g.geoip, Categories: g.categories, Timezone: g.timezone,
		Year: g.year, Format: g.format, Log: log, Version: mamoriVersion(),
	}
}

// usageError makes an exit status 2 error.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// noConfigHelp is the screen shown by `mamori` without a configuration.
func noConfigHelp(w io.Writer) error {
	_, err := fmt.Fprintf(w, `mamori: no configuration file at %s

Tell mamori which logs to follow. For example:

%s
Then run "mamori" again. Every key is described in the README.

To try mamori first on a built-in office under attack, run:

    mamori demo

To analyse logs collected elsewhere (a folder, .gz files welcome):

    mamori scan /path/to/collected/logs
`, config.DefaultPath(), indent(config.Example, "    "))
	return err
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n") + "\n"
}
