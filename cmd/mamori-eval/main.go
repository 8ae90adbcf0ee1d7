// Command mamori-eval prints mamori's detection scorecard on the real
// data sets described in eval/sets (see EVALUATION.md): per set, the
// events read, the documented attacks found, the alerts by severity, the
// false positives at medium or above and the rank of the first true alert.
//
// It is a separate command rather than a hidden `mamori eval` subcommand
// because it is a development instrument: it reads truth files and data
// that live in the repository and beside it (../shared), which an
// installed mamori does not have, and it would only add a command users
// cannot run. It scans through the same code as `mamori scan` (app.Open,
// App.Scan, App.Alerts), so what it scores is what a user sees.
//
// Run it from the repository root (`make eval`). The exit status is 0
// whatever the scores — it is a measurement — and non-zero only when a
// set cannot be read or scanned.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	_ "time/tzdata" // the sets' time zones work without a zoneinfo database, as in mamori

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/eval"
)

func main() {
	// The memory limit mamori sets for itself, so that scans run alike.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(192 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mamori-eval:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("mamori-eval", flag.ContinueOnError)
	setsDir := fs.String("sets", "eval/sets", "folder of data-set descriptions (truth files)")
	root := fs.String("root", ".", "repository root: the sets' paths are relative to it")
	only := fs.String("set", "", "comma-separated names of the sets to run (default all)")
	location := fs.String("location", "", `use only the copies of this name, e.g. "testdata" to measure a fresh clone`)
	verbose := fs.Bool("v", false, "list every set's truths and alerts with their verdicts")
	jsonOut := fs.Bool("json", false, "print the results as JSON")
	truths := fs.Bool("truths", false, "print the sets' truths as Markdown (for EVALUATION.md) instead of scanning")
	logFile := fs.String("log-file", "", "mamori's own log (default: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	sets, err := eval.LoadDir(*setsDir)
	if err != nil {
		return err
	}
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range sets {
		errs = append(errs, s.CheckRules(cat))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if *truths {
		return eval.WriteTruths(os.Stdout, sets)
	}
	if *only != "" {
		names := strings.Split(*only, ",")
		sets = slices.DeleteFunc(sets, func(s *eval.Set) bool { return !slices.Contains(names, s.Name) })
		if len(sets) != len(names) {
			return fmt.Errorf("-set %s: not every name is a set in %s", *only, *setsDir)
		}
	}
	opts := eval.Options{Root: *root, Location: *location}
	if *logFile != "" {
		log, closeLog, err := app.OpenLog(*logFile, false)
		if err != nil {
			return err
		}
		defer closeLog()
		opts.Log = log
	}
	results := make([]eval.Result, 0, len(sets))
	for _, s := range sets {
		r, err := eval.Run(ctx, s, opts)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if *jsonOut {
		return eval.WriteJSON(os.Stdout, results)
	}
	return eval.WriteText(os.Stdout, results, *verbose)
}
