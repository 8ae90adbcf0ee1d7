// Package export writes an incident's report and evidence bundle to
// files. It is the one way an export happens: the console, the control
// socket (an export asked from another shell while the console runs) and
// the command line all call it, so every export is written the same way
// (package File: never half a file, never over another file unless
// forced, private) and recorded the same way in the audit log, which
// containment reads to know whether evidence was kept before a measure.
package export

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/handling/report"
)

// Exported is a file an export wrote.
type Exported struct {
	Path   string `json:"path"` // absolute
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"` // of the whole file
	// Bundle is the manifest of an evidence bundle; nil for a report.
	Bundle *report.Manifest `json:"bundle,omitempty"`
	// Warning says the file was written but the export is not (fully) in
	// the audit log (no audit log, a read-only store, its mirror file).
	Warning string `json:"warning,omitempty"`
}

// Report formats.
const (
	Markdown = "md"
	JSON     = "json"
)

// ReportOptions tune Report.
type ReportOptions struct {
	Format string // Markdown (default) or JSON
	Force  bool   // replace an existing file
	report.Options
}

// Report builds incident id's report and writes it to path (File), then
// records the export in log. A report written but not recorded comes back
// with a Warning, not an error.
func Report(ctx context.Context, im *incident.Manager, log *audit.Log, id, path string, opts ReportOptions) (Exported, error) {
	if im == nil {
		return Exported{}, errors.New("report: no incident handling")
	}
	if opts.Format == "" {
		opts.Format = Markdown
	}
	if opts.Format != Markdown && opts.Format != JSON {
		return Exported{}, fmt.Errorf("report: unknown format %q (want md or json)", opts.Format)
	}
	r, err := report.Build(ctx, im, log, id, opts.Options)
	if err != nil {
		return Exported{}, fmt.Errorf("report %s: %w", id, err)
	}
	write := r.Markdown
	if opts.Format == JSON {
		write = r.JSON
	}
	ex, err := File(path, opts.Force, write)
	if err != nil {
		return Exported{}, fmt.Errorf("report %s: %w", id, err)
	}
	ex.Warning = record(ctx, log, audit.Record{
		Action: audit.ActionReportWritten, Incident: id, Subject: ex.Path,
		Fields: map[string]string{"sha256": ex.SHA256, "format": opts.Format},
	})
	return ex, nil
}

// EvidenceOptions tune Evidence.
type EvidenceOptions struct {
	Force bool // replace an existing file
	report.BundleOptions
}

// Evidence writes incident id's evidence bundle (report.Bundle) to path
// (File), then records the export in log with the archive's SHA-256.
func Evidence(ctx context.Context, im *incident.Manager, log *audit.Log, events report.Timeliner, id, path string, opts EvidenceOptions) (Exported, error) {
	if im == nil {
		return Exported{}, errors.New("evidence: no incident handling")
	}
	if opts.Who == "" && log != nil {
		opts.Who = log.User()
	}
	// Refuse an existing file before the work of building the bundle.
	if err := refuseAbs(path, opts.Force); err != nil {
		return Exported{}, fmt.Errorf("evidence: %w", err)
	}
	var man report.Manifest
	ex, err := File(path, opts.Force, func(w io.Writer) error {
		var err error
		man, err = report.Bundle(ctx, im, events, id, w, opts.BundleOptions)
		return err
	})
	if err != nil {
		return Exported{}, fmt.Errorf("evidence: %w", err)
	}
	ex.Bundle = &man
	ex.Warning = record(ctx, log, audit.Record{
		Action: audit.ActionEvidenceExported, Incident: man.Incident, Subject: ex.Path, Who: opts.Who,
		Fields: map[string]string{"sha256": ex.SHA256, "lines": fmt.Sprint(man.Counts.Lines), "window": man.Window},
	})
	return ex, nil
}

// record appends an export's record to log and returns the warning to
// give when it could not ("" when it did).
func record(ctx context.Context, log *audit.Log, rec audit.Record) string {
	if log == nil {
		return "the export is not in the audit log: there is no audit log"
	}
	rec.Kind = audit.KindExport
	if _, err := log.Append(context.WithoutCancel(ctx), rec); err != nil {
		return "the export is not in the audit log: " + err.Error()
	}
	return ""
}

// Lines is the number of original log lines in an evidence bundle; 0 for
// a report.
func (e Exported) Lines() int {
	if e.Bundle == nil {
		return 0
	}
	return e.Bundle.Counts.Lines
}
