// Package backend is what the console reads and changes, as one interface:
// the app implements it over the store and the engine, tests over a
// temporary store or a fake. Panes call it only from inside tea.Cmds.
package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/handling/report"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/ingest/skew"
	"github.com/mamori-soc/mamori/store"
)

// Backend is the console's view of mamori.
type Backend interface {
	Catalog() *catalog.Catalog
	// ReadOnly reports whether the console must not change anything.
	ReadOnly() bool

	// Alerts returns every stored alert (allow-listed ones included).
	Alerts(ctx context.Context) ([]alert.Alert, error)
	// AlertUpdates delivers new and changed alerts while mamori runs live;
	// nil when nothing runs (a store opened for review).
	AlertUpdates() <-chan []alert.Alert
	// Hidden reports whether an alert is allow-listed.
	Hidden(a *alert.Alert) bool
	// Ack marks an alert acknowledged (or not).
	Ack(ctx context.Context, id string, acked bool) error
	// Allow adds an allow-list entry (persisted).
	Allow(ctx context.Context, e detect.Allow) error

	// Endpoints returns what the store knows of every endpoint.
	Endpoints(ctx context.Context) ([]store.EndpointSummary, error)
	// Asset returns the inventory entry of an endpoint id.
	Asset(endpoint string) (asset.Asset, bool)
	// Timeline returns a page of an endpoint's events.
	Timeline(ctx context.Context, endpoint string, q store.Query) (store.Page, error)
	// Histogram counts an endpoint's events per step.
	Histogram(ctx context.Context, endpoint string, from, to time.Time, step time.Duration) ([]int, error)

	// Status is the header's and the sources pane's data.
	Status() Status

	// Incidents opens, changes and reads incidents, their checklist and
	// findings; nil when the backend has no incident handling.
	Incidents() *incident.Manager
	// IncidentChanges delivers changes to incidents (opened, changed,
	// alerts attached by the application); nil when there are none.
	IncidentChanges() <-chan []incident.Change
	// Containment offers, plans and runs containment measures; nil when
	// the backend has none.
	Containment() *containment.Manager
	// Audit is the audit log of incident handling; nil when none.
	Audit() *audit.Log
	// ExportReport writes incident id's report as Markdown to path (never
	// replacing a file) and records it in the audit log; lang chooses the
	// catalog's language. A report written but not recorded (a read-only
	// store) comes back with a Warning, not an error.
	ExportReport(ctx context.Context, id, path, lang string) (Exported, error)
	// ExportEvidence writes incident id's evidence bundle to path (never
	// replacing a file), recorded in the audit log like ExportReport.
	ExportEvidence(ctx context.Context, id, path string) (Exported, error)
}

// Exported is a file an export wrote.
type Exported struct {
	Path   string // absolute
	Bytes  int64
	SHA256 string // of the evidence bundle; "" for a report
	// Lines and Files count the original log lines and log files in an
	// evidence bundle.
	Lines, Files int
	// Warning says the file was written but the export is not (fully) in
	// the audit log.
	Warning string
}

// WriteReport builds incident id's report and writes it as Markdown to
// path, through a temporary file in the same directory renamed into
// place; an existing path is refused. The export is then recorded in the
// audit log; when that fails the report stays and Warning says why. It is
// the ExportReport of every Backend.
func WriteReport(ctx context.Context, im *incident.Manager, log *audit.Log, id, path string, opts report.Options) (Exported, error) {
	return WriteReportAs(ctx, im, log, id, path, "md", false, opts)
}

// WriteReportAs is WriteReport in format "md" (Markdown) or "json",
// replacing an existing path when force: the export a running mamori does
// for `mamori report -o FILE` asked over its control socket.
func WriteReportAs(ctx context.Context, im *incident.Manager, log *audit.Log, id, path, format string, force bool, opts report.Options) (Exported, error) {
	if im == nil || log == nil {
		return Exported{}, errors.New("report: no incident handling")
	}
	if format != "md" && format != "json" {
		return Exported{}, fmt.Errorf("report: unknown format %q (want md or json)", format)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Exported{}, fmt.Errorf("report %s: %w", id, err)
	}
	r, err := report.Build(ctx, im, log, id, opts)
	if err != nil {
		return Exported{}, fmt.Errorf("report %s: %w", id, err)
	}
	write := r.Markdown
	if format == "json" {
		write = r.JSON
	}
	n, err := writeNew(abs, force, write)
	if err != nil {
		return Exported{}, fmt.Errorf("report %s: %w", id, err)
	}
	out := Exported{Path: abs, Bytes: n}
	_, aerr := log.Append(context.WithoutCancel(ctx), audit.Record{Kind: audit.KindExport, Action: audit.ActionReportWritten, Incident: id, Subject: abs})
	if aerr != nil {
		out.Warning = "the report is not in the audit log: " + aerr.Error()
	}
	return out, nil
}

// writeNew writes a file at path through a temporary file renamed into
// place and returns its size; an existing file is refused unless force.
func writeNew(path string, force bool, write func(io.Writer) error) (int64, error) {
	exists := func() error {
		if _, err := os.Lstat(path); err == nil && !force {
			return fmt.Errorf("%s exists already: choose another name", filepath.Base(path))
		}
		return nil
	}
	if err := exists(); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // after the rename there is nothing to remove
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	var n int64
	if fi, serr := tmp.Stat(); serr == nil {
		n = fi.Size()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := exists(); err != nil {
		return 0, err
	}
	return n, os.Rename(tmp.Name(), path)
}

// Bundle is the ExportEvidence of every Backend: report.WriteBundle with
// the result as an Exported.
func Bundle(ctx context.Context, im *incident.Manager, events report.Timeliner, id, path string, opts report.BundleOptions) (Exported, error) {
	if im == nil {
		return Exported{}, errors.New("evidence: no incident handling")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Exported{}, fmt.Errorf("evidence %s: %w", id, err)
	}
	res, err := report.WriteBundle(ctx, im, events, id, abs, opts)
	if err != nil {
		return Exported{}, err
	}
	c := res.Manifest.Counts
	return Exported{Path: res.Path, Bytes: res.Bytes, SHA256: res.SHA256, Lines: c.Lines, Files: c.LogFiles, Warning: res.Warning}, nil
}

// Status is mamori's state at one moment.
type Status struct {
	Live      bool // sources are followed and the engine runs
	ReadOnly  bool
	Sources   []ingest.SourceStats
	StoreDir  string
	StoreSize int64
	Written   int64 // events stored since start
	// Learning is the baseline learning progress (0–1) and Learned
	// whether it is complete.
	Learning float64
	Learned  bool
	// Unanalysed counts stored events the detectors never saw (stored by
	// `mamori ingest`, not yet scanned).
	Unanalysed int64
	// Zones are the time-zone disagreements between the sources (see
	// ingest/skew), each saying which files and the --timezone to try.
	Zones []skew.Warning
	// Err is the last problem writing to the store (disk full, ...).
	Err   error
	ErrAt time.Time
}
