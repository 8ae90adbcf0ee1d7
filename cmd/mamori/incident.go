package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/app/control"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/export"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/handling/report"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend"
)

// incidentCommands are the incident-handling commands: measures,
// incident, incidents, report, evidence.
func incidentCommands(g *globals) []*cobra.Command {
	return []*cobra.Command{
		newMeasuresCmd(g),
		newIncidentCmd(g),
		newIncidentsCmd(g),
		newReportCmd(g),
		newEvidenceCmd(g),
	}
}

// handling is an opened mamori with the incident manager and audit log.
type handling struct {
	app *app.App
	log *audit.Log
	im  *incident.Manager
	// remote is the running mamori read through, when it holds the store
	// (read-only commands only); nil when the store was opened.
	remote *control.Client
}

// openHandling opens mamori for an incident command; one that only reads
// (readonly) reads through the running mamori when that one holds the
// store.
func openHandling(ctx context.Context, g *globals, readonly bool) (*handling, func(), error) {
	if readonly {
		a, remote, done, err := openRead(ctx, g)
		if err != nil {
			return nil, nil, err
		}
		return &handling{app: a, log: a.Audit, im: a.Incidents, remote: remote}, done, nil
	}
	return openHandlingWritable(g)
}

// openExport opens what an export needs: the store, writable so that the
// export is recorded in the audit log (read-only with --readonly: the file
// is written, with a warning that it is not recorded), or the running
// mamori that holds it, which then writes the file and records it.
func openExport(ctx context.Context, g *globals) (*handling, func(), error) {
	cfg, _, err := loadConfig(g)
	if err != nil {
		return nil, nil, err
	}
	a, remote, done, err := openReadWith(ctx, g, cfg, g.readonly)
	if err != nil {
		return nil, nil, err
	}
	return &handling{app: a, log: a.Audit, im: a.Incidents, remote: remote}, done, nil
}

// openHandlingWritable opens the store for a change to incidents.
func openHandlingWritable(g *globals) (*handling, func(), error) {
	a, done, err := openApp(g, false)
	if err != nil {
		return nil, nil, err
	}
	return &handling{app: a, log: a.Audit, im: a.Incidents}, done, nil
}

// warnAudit reports on stderr a change that happened but whose audit
// mirror line could not be written; other errors are returned.
func warnAudit(err error) error {
	if err == nil {
		return nil
	}
	var me *audit.MirrorError
	if errors.As(err, &me) {
		fmt.Fprintln(os.Stderr, "mamori: warning:", err)
		return nil
	}
	return err
}

func newMeasuresCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "measures",
		Short: "List the containment measures with their C/I/A ratings, evidence effect and parameters",
		Long: `List the catalog's containment measures (暫定対処策): what each protects of
confidentiality, integrity and availability (0 none – 3 high), what it costs
the business (0 – 3), what it does to evidence, whether it can be undone,
the parameters it needs, and whether an actuator is configured for it
(otherwise it is done by hand and recorded in mamori).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			// The catalog and the configuration are all this needs: no store.
			cfg, _, err := loadConfig(g)
			if err != nil {
				return err
			}
			cat, err := catalog.Load()
			if err != nil {
				return err
			}
			if err := containment.CheckActuators(cat, cfg.Actuators); err != nil {
				fmt.Fprintln(os.Stderr, "mamori: warning:", err)
			}
			for _, n := range containment.Interpreters(cfg.Actuators) {
				fmt.Fprintln(os.Stderr, "mamori: note:", n)
			}
			type param struct {
				Name     string `json:"name"`
				Kind     string `json:"kind"`
				Required bool   `json:"required"`
				Label    string `json:"label"`
			}
			type row struct {
				ID          string  `json:"id"`
				Target      string  `json:"target"`
				Title       string  `json:"title"`
				TitleJA     string  `json:"title_ja"`
				C           int     `json:"c"`
				I           int     `json:"i"`
				A           int     `json:"a"`
				Cost        int     `json:"cost"`
				Affected    string  `json:"affected"`
				Evidence    string  `json:"evidence"`
				ExportFirst bool    `json:"export_first"`
				Reversible  string  `json:"reversible"`
				Params      []param `json:"params"`
				Rationale   string  `json:"rationale"`
				Configured  bool    `json:"actuator_configured"`
			}
			var rows []row
			for _, m := range cat.Measures() {
				r := row{ID: m.ID, Target: string(m.Target), Title: m.Title.EN, TitleJA: m.Title.JA,
					C: m.Protects.C, I: m.Protects.I, A: m.Protects.A, Cost: m.Cost.Availability, Affected: m.Cost.Affected.EN,
					Evidence: string(m.Evidence.Class), ExportFirst: m.Evidence.ExportFirst, Reversible: string(m.Reversible),
					Rationale: m.Rationale.EN, Params: []param{}}
				_, r.Configured = cfg.Actuators[m.ID]
				for _, p := range m.Params {
					r.Params = append(r.Params, param{p.Name, string(p.Kind), p.Required, p.Label.EN})
				}
				rows = append(rows, r)
			}
			if g.jsonOut {
				return printJSONLines(os.Stdout, rows)
			}
			lang := g.lang
			t := newGrid("ID", "C/I/A", "COST", "EVIDENCE", "UNDO", "RUNS", "PARAMETERS", "TITLE").withDetail(7)
			for i, m := range cat.Measures() {
				r := rows[i]
				var ps []string
				for _, p := range m.Params {
					s := p.Name
					if !p.Required {
						s = "[" + s + "]"
					}
					ps = append(ps, s)
				}
				ev := r.Evidence
				if r.ExportFirst {
					ev += "!"
				}
				runs := "by hand"
				if r.Configured {
					runs = "actuator"
				}
				t.row(r.ID, fmt.Sprintf("%d/%d/%d", r.C, r.I, r.A), fmt.Sprint(r.Cost), ev, r.Reversible, runs,
					strings.Join(ps, " "), m.Title.In(lang))
			}
			if err := t.write(os.Stdout, outputWidth(g)); err != nil {
				return err
			}
			fmt.Println("\nC/I/A: protection of confidentiality, integrity, availability; COST: business cost (0 none – 3 high);")
			fmt.Println("EVIDENCE! : export the evidence bundle first. Configure actuators in the config file (actuators:).")
			return nil
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print one JSON object per measure")
	return cmd
}

// resolveEndpoints turns the host and asset names among endpoints into
// the endpoints they stand for (backend.One): an incident on a name no
// event is stored under would attach nothing. A name that matches no
// endpoint or several is a usage error that says which; what is not a
// name at all is left for the incident manager to refuse.
func resolveEndpoints(a *app.App, endpoints []string) ([]string, error) {
	var sums []store.EndpointSummary
	out := make([]string, len(endpoints))
	for i, e := range endpoints {
		out[i] = e
		norm, err := incident.NormalizeEndpoint(e)
		if err != nil {
			continue
		}
		if _, err := netip.ParseAddr(norm); err == nil {
			continue
		}
		if sums == nil {
			if sums, err = a.Store.EndpointSummaries(); err != nil {
				return nil, fmt.Errorf("incident open: %w", err)
			}
		}
		if out[i], err = backend.One(norm, sums, a.Inventory); err != nil {
			return nil, usageError("incident open: %v", err)
		}
	}
	return out, nil
}

func newIncidentCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incident",
		Short: "Open, close or reopen an incident",
	}
	var (
		endpoints, alerts []string
		title, note       string
	)
	open := &cobra.Command{
		Use:   "open --endpoint IP | --alert ID [--title T]",
		Short: "Open an incident on endpoints or alerts and print its id",
		Long: `Open an incident on one or more endpoints (addresses or host names) and/or
alerts (ids from "mamori alerts --json"). Every alert of the incident's
endpoints that is in no other open incident is attached to it, now and
whenever the console syncs. The new id is printed on stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(endpoints) == 0 && len(alerts) == 0 {
				return usageError("incident open: give --endpoint or --alert")
			}
			h, done, err := openHandling(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer done()
			if endpoints, err = resolveEndpoints(h.app, endpoints); err != nil {
				return err
			}
			inc, err := h.im.Open(cmd.Context(), incident.Request{Title: title, Alerts: alerts, Endpoints: endpoints, Note: note})
			if err := warnAudit(err); err != nil {
				return err
			}
			fmt.Println(inc.ID)
			fmt.Fprintf(os.Stderr, "%s: %s — %d alerts on %s\n", inc.ID, sanitize.Line(inc.Title), len(inc.Alerts), sanitize.Line(strings.Join(inc.Endpoints, ", ")))
			return nil
		},
	}
	open.Flags().StringArrayVar(&endpoints, "endpoint", nil, "endpoint address or host name (repeatable)")
	open.Flags().StringArrayVar(&alerts, "alert", nil, "alert id (repeatable)")
	open.Flags().StringVar(&title, "title", "", "title (default: from the most severe alert)")
	open.Flags().StringVar(&note, "note", "", "note for the audit log")

	change := func(use, short string, do func(h *handling, cmd *cobra.Command, id string) (incident.Incident, error)) *cobra.Command {
		c := &cobra.Command{
			Use:   use + " ID",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				h, done, err := openHandling(cmd.Context(), g, false)
				if err != nil {
					return err
				}
				defer done()
				inc, err := do(h, cmd, args[0])
				if err := warnAudit(err); err != nil {
					return err
				}
				fmt.Printf("%s %s\n", inc.ID, inc.Status)
				return nil
			},
		}
		c.Flags().StringVar(&note, "note", "", "note for the audit log (why)")
		return c
	}
	var force bool
	closeCmd := change("close", "Close an incident (asks for --force while its checklist is untouched)", func(h *handling, cmd *cobra.Command, id string) (incident.Incident, error) {
		inc, err := h.im.Get(cmd.Context(), id)
		if err != nil {
			return incident.Incident{}, err
		}
		if done, total := h.im.Checklist(&inc).Progress(); done == 0 && !force && inc.IsOpen() {
			return incident.Incident{}, usageError("%s: 0 of %d checklist items are done or skipped: closing it now closes an incident nobody handled. Mark what was done (the console's checklist), or give --force with a --note saying why", id, total)
		}
		return h.im.Close(cmd.Context(), id, "", note)
	})
	closeCmd.Flags().BoolVar(&force, "force", false, "close even though no checklist item is done")
	cmd.AddCommand(open, closeCmd,
		change("reopen", "Reopen a closed incident", func(h *handling, cmd *cobra.Command, id string) (incident.Incident, error) {
			return h.im.Reopen(cmd.Context(), id, "", note)
		}),
	)
	return cmd
}

func newIncidentsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incidents",
		Short: "List the incidents, newest first",
		Long: `List the incidents, newest first: a table, or one JSON object per
incident with --json. While a mamori runs on the store they are read
through it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, done, err := openHandling(cmd.Context(), g, true)
			if err != nil {
				return err
			}
			defer done()
			incs, err := h.im.List(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOut {
				return printJSONLines(os.Stdout, incs)
			}
			if len(incs) == 0 {
				fmt.Println("no incidents")
				return nil
			}
			loc := h.im.Location()
			t := newGrid("ID", "STATUS", "OPENED", "PHASE", "ALERTS", "ENDPOINTS", "TITLE").withDetail(6)
			for _, inc := range incs {
				phase := h.im.Checklist(&inc).Current
				if phase == "" {
					phase = "done"
				}
				t.row(inc.ID, string(inc.Status), inc.Opened.In(loc).Format("01-02 15:04"), phase,
					fmt.Sprint(len(inc.Alerts)), strings.Join(inc.Endpoints, ","), inc.Title)
			}
			return t.write(os.Stdout, outputWidth(g))
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print one JSON object per incident")
	return cmd
}

func newReportCmd(g *globals) *cobra.Command {
	var (
		format, out string
		force       bool
	)
	cmd := &cobra.Command{
		Use:   "report ID [--format md|json] [-o FILE]",
		Short: "Write an incident report for management or an external specialist",
		Long: `Write the report of an incident: summary (endpoints, first and last seen,
highest severity, attack phases reached), the timeline of alerts and key log
lines in local time, the four findings of the full investigation (what people
established, and mamori's suggestions marked as such), the handling checklist
per phase, the containment actions with their C/I/A ratings and outcomes,
and the audit trail. Markdown reads as plain text; JSON has stable fields.

While a mamori runs on the store (the console, --headless, the demo) the
report is read through it; with -o FILE that mamori writes the file, as
its console exports one, and records it in its audit log.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "md" && format != "json" {
				return usageError("report: --format must be md or json")
			}
			if out != "" && out != "-" {
				// A file is an export, written and recorded in the audit
				// log as the console exports one.
				return exportReport(cmd.Context(), g, args[0], out, export.ReportOptions{
					Format: format, Force: force, Options: report.Options{Lang: langOf(g)},
				})
			}
			h, done, err := openHandling(cmd.Context(), g, true)
			if err != nil {
				return err
			}
			defer done()
			r, err := report.Build(cmd.Context(), h.im, h.log, args[0], report.Options{
				Lang: langOf(g), Version: h.app.Version(), Inventory: h.app.Inventory,
			})
			if err != nil {
				return err
			}
			if format == export.JSON {
				return r.JSON(os.Stdout)
			}
			return r.Markdown(os.Stdout)
		},
	}
	cmd.Flags().StringVar(&format, "format", "md", "md (Markdown) or json")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of stdout")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing output file")
	return cmd
}

func newEvidenceCmd(g *globals) *cobra.Command {
	var (
		out    string
		force  bool
		window time.Duration
	)
	cmd := &cobra.Command{
		Use:   "evidence ID -o FILE.tar.gz",
		Short: "Export the original log lines behind an incident, with SHA-256 sums",
		Long: `Export an incident's evidence as a tar.gz: the original lines behind its
alerts and every event of its endpoints within the evidence window around
each alert (evidence_window in the config, default 10m), one file per
original log file with the lines in time order, byte for byte as read, plus
incident.json, alerts.json, manifest.json (who, when, mamori version, store,
query windows, counts, each file's SHA-256) and SHA256SUMS ("sha256sum -c"
checks it). Only the output file is written; an existing one is kept unless
--force. While a mamori runs on the store, that mamori writes the file, as
its console exports one, and records it in its audit log.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError("evidence: give the output file with -o FILE.tar.gz")
			}
			h, done, err := openExport(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer done()
			var ex export.Exported
			if h.remote != nil {
				// The running mamori writes it, as its console does, and
				// records it in its audit log.
				if err := refuseExisting(out, force); err != nil {
					return err
				}
				ex, err = h.remote.ExportEvidence(cmd.Context(), control.EvidenceRequest{ID: args[0], Path: out, Window: window, Force: force})
			} else {
				ex, err = h.app.ExportEvidence(cmd.Context(), args[0], out, export.EvidenceOptions{
					Force: force, BundleOptions: report.BundleOptions{Window: window},
				})
			}
			if err != nil {
				return forceHint(err)
			}
			warnExport(ex, h.remote != nil)
			if ex.Bundle != nil {
				c := ex.Bundle.Counts
				fmt.Printf("wrote %s: %d lines (%d behind alerts, %d of context) from %d log files, %d alerts\nsha256 %s\n",
					sanitize.Line(ex.Path), c.Lines, c.AlertLines, c.ContextLines, c.LogFiles, c.Alerts, ex.SHA256)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the archive to write (required)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing output file")
	cmd.Flags().DurationVar(&window, "window", 0, "context before and after each alert (default: evidence_window of the config)")
	return cmd
}

// exportReport writes incident id's report to the file out, recorded in
// the audit log: by the running mamori when one holds the store, else
// here.
func exportReport(ctx context.Context, g *globals, id, out string, opts export.ReportOptions) error {
	h, done, err := openExport(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	var ex export.Exported
	if h.remote != nil {
		if err := refuseExisting(out, opts.Force); err != nil {
			return err
		}
		ex, err = h.remote.ExportReport(ctx, control.ReportRequest{ID: id, Path: out, Format: opts.Format, Lang: opts.Lang, Force: opts.Force})
	} else {
		ex, err = h.app.ExportReport(ctx, id, out, opts)
	}
	if err != nil {
		return forceHint(err)
	}
	warnExport(ex, h.remote != nil)
	return nil
}

// forceHint adds the command line's way to replace an existing file to
// an export's refusal.
func forceHint(err error) error {
	if errors.Is(err, export.ErrExists) {
		return fmt.Errorf("%w (or --force to replace it)", err)
	}
	return err
}

// refuseExisting refuses to replace path unless force, before a running
// mamori is asked to write it (which would refuse it too, after the work).
func refuseExisting(path string, force bool) error {
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s exists (use --force to replace it)", path)
		}
	}
	return nil
}

// warnExport reports on stderr an export written but not recorded in the
// audit log, or written by the running mamori (remote) where this process
// cannot see it (a service with a private /tmp).
func warnExport(ex export.Exported, remote bool) {
	if ex.Warning != "" {
		fmt.Fprintln(os.Stderr, "mamori: warning:", sanitize.Line(ex.Warning))
	}
	if !remote {
		return
	}
	if _, err := os.Stat(ex.Path); err != nil {
		fmt.Fprintf(os.Stderr, "mamori: warning: the running mamori wrote %s, but it cannot be found from here: %v\n", sanitize.Line(ex.Path), err)
	}
}

// langOf is the language of catalog texts: --lang, else LANG.
func langOf(g *globals) string {
	if g.lang != "" {
		return g.lang
	}
	return os.Getenv("LANG")
}

// mamoriVersion is the version `mamori version` prints.
func mamoriVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
