package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/sanitize"
)

func newIngestCmd(g *globals) *cobra.Command {
	var resume bool
	cmd := &cobra.Command{
		Use:   "ingest [flags] PATH...",
		Short: "Import log files and folders (including .gz) into the store",
		Long: `Import collected logs — files, folders (walked recursively) and .gz files —
into the store, recognising each file's format from its content. Files that
are not logs of a known format are listed as skipped with the reason;
malformed lines are counted per reason. Importing the same file twice stores
each line once.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, done, err := openApp(g, false)
			if err != nil {
				return err
			}
			defer done()
			sum, err := a.Ingest(cmd.Context(), args, resume, progressPrinter(!g.jsonOut && isTerminal(os.Stderr)))
			if err != nil {
				return err
			}
			if g.jsonOut {
				return json.NewEncoder(os.Stdout).Encode(sum)
			}
			return printSummary(os.Stdout, sum)
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print the summary as one JSON object")
	cmd.Flags().BoolVar(&resume, "resume", true, "skip what an earlier import of the same unchanged files stored")
	readFlags(cmd, g)
	return cmd
}

func newScanCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "scan [flags] PATH...",
		Short: "Import logs, run every detector to completion and print the alerts",
		Long: `Import collected logs (like "mamori ingest"), run every detection rule
over all stored events in event-time order, and print the alerts, most
important first: a readable table on a terminal, one JSON object per line
with --json. Without --db the scan uses a temporary store that is removed
afterwards; give --db DIR to keep it for "mamori alerts" or the console.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, _, err := loadConfig(g)
			if err != nil {
				return err
			}
			if g.db == "" {
				tmp, err := os.MkdirTemp("", "mamori-scan-")
				if err != nil {
					return err
				}
				defer removeTemp(tmp)
				g.db = tmp
			}
			a, done, err := openAppWith(g, cfg, false)
			if err != nil {
				return err
			}
			defer done()
			sum, err := a.Scan(cmd.Context(), args, progressPrinter(!g.jsonOut && isTerminal(os.Stderr)))
			if err != nil {
				return err
			}
			as, err := a.Alerts(all)
			if err != nil {
				return err
			}
			if g.jsonOut {
				return printJSONLines(os.Stdout, as)
			}
			// The summary is a side note on stderr: the alerts on stdout
			// are the result, and whether they were written is what counts.
			_ = printSummary(os.Stderr, sum)
			fmt.Fprintln(os.Stderr)
			return printAlerts(os.Stdout, as, terminalWidth())
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print alerts as JSON lines")
	cmd.Flags().BoolVar(&all, "all", false, "include allow-listed alerts")
	readFlags(cmd, g)
	detectFlags(cmd, g)
	return cmd
}

func newAlertsCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Print the alerts a store holds, most important first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, done, err := openApp(g, true)
			if err != nil {
				return err
			}
			defer done()
			as, err := a.Alerts(all)
			if err != nil {
				return err
			}
			if g.jsonOut {
				return printJSONLines(os.Stdout, as)
			}
			return printAlerts(os.Stdout, as, terminalWidth())
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print alerts as JSON lines")
	cmd.Flags().BoolVar(&all, "all", false, "include allow-listed alerts")
	return cmd
}

func newFormatsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "formats",
		Short: "List the supported log formats with an example line each",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			for _, f := range ingest.Formats() {
				fmt.Printf("%-10s %s\n           %s\n\n", f.Name, f.Title, sanitize.Line(f.Example))
			}
			return nil
		},
	}
}

func newBaselineCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Manage the learned baselines of normal business",
	}
	var from, to string
	learn := &cobra.Command{
		Use:   "learn --from TIME --to TIME",
		Short: "Relearn every baseline from the stored events of a period",
		Long: `Relearn the baselines of normal business (per endpoint, per segment and
across the organisation) from the events stored between --from and --to,
replacing what was learned before. Times are RFC 3339 ("2026-11-01T00:00:00+09:00")
or dates ("2026-11-01", local midnight).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseWhen(from)
			if err != nil {
				return usageError("--from: %v", err)
			}
			t, err := parseWhen(to)
			if err != nil {
				return usageError("--to: %v", err)
			}
			if !t.After(f) {
				return usageError("--to must be after --from")
			}
			a, done, err := openApp(g, false)
			if err != nil {
				return err
			}
			defer done()
			n, err := a.Engine.LearnFrom(cmd.Context(), a.Store, f, t)
			if err != nil {
				return err
			}
			fmt.Printf("learned baselines from %d events between %s and %s\n", n, f.Local().Format(time.DateTime), t.Local().Format(time.DateTime))
			return nil
		},
	}
	learn.Flags().StringVar(&from, "from", "", "start of the period (required)")
	learn.Flags().StringVar(&to, "to", "", "end of the period (required)")
	_ = learn.MarkFlagRequired("from")
	_ = learn.MarkFlagRequired("to")
	cmd.AddCommand(learn)
	return cmd
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateTime, s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time (use 2026-11-01 or 2026-11-01T09:00:00+09:00)", s)
}

func newRulesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List every detection rule with its state (active, learning, disabled)",
		Long: `List every detection rule with its state: active, disabled (and why: a
database it needs is not configured, or the config turns it off) or
learning, with the learning progress of the store. Only reads: without a
store, none is created and the learning rules show no progress.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, _, err := loadConfig(g)
			if err != nil {
				return err
			}
			log, closeLog := openLog(g, cfg)
			defer closeLog()
			states, note, err := app.RuleStates(cfg, appOptions(g, true, log))
			if err != nil {
				return err
			}
			if note != "" {
				fmt.Fprintln(os.Stderr, "mamori:", note)
			}
			if g.jsonOut {
				type row struct {
					ID          string   `json:"id"`
					Title       string   `json:"title"`
					Perspective string   `json:"perspective"`
					Basis       string   `json:"basis"`
					Phase       int      `json:"phase"`
					Attack      []string `json:"attack"`
					Sources     []string `json:"sources"`
					State       string   `json:"state"`
					Why         string   `json:"why,omitempty"`
					Progress    float64  `json:"learning_progress,omitempty"`
				}
				rows := make([]row, len(states))
				for i, s := range states {
					rows[i] = row{s.Rule.ID, s.Rule.Title.EN, string(s.Rule.Perspective), string(s.Rule.Basis), s.Rule.Phase, s.Rule.Attack, sourceNames(s), s.State, s.Why, s.Progress}
				}
				return printJSONLines(os.Stdout, rows)
			}
			out := &printer{w: os.Stdout}
			out.table(func(t *printer) {
				t.printf("RULE\tPERSPECTIVE\tBASIS\tPH\tATT&CK\tSTATE\tNEEDS\n")
				for _, s := range states {
					state := s.State
					switch s.State {
					case "learning":
						state = fmt.Sprintf("learning %.0f%%", s.Progress*100)
					case "disabled":
						state = "disabled: " + s.Why
					}
					t.printf("%s\t%s\t%s\t%d\t%s\t%s\t%s\n", s.Rule.ID, s.Rule.Perspective, s.Rule.Basis, s.Rule.Phase,
						joinMax(s.Rule.Attack, 2), state, joinMax(sourceNames(s), 3))
				}
			})
			return out.err
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print rules as JSON lines")
	detectFlags(cmd, g)
	return cmd
}

// sourceNames lists the data a rule needs: event kinds with example
// formats, or "alerts" for composite rules.
func sourceNames(s detect.RuleState) []string {
	var out []string
	for _, src := range s.Rule.Sources {
		if len(src.Formats) == 0 {
			out = append(out, src.Kind)
			continue
		}
		out = append(out, src.Kind+" ("+strings.Join(src.Formats, "/")+")")
	}
	return out
}

func joinMax(ss []string, n int) string {
	if len(ss) > n {
		return fmt.Sprintf("%s +%d", strings.Join(ss[:n], ", "), len(ss)-n)
	}
	return strings.Join(ss, ", ")
}
