package app

import (
	"context"
	"time"

	"github.com/mamori-soc/mamori/handling/export"
)

// ExportReport writes incident id's report to path and records it in the
// audit log (export.Report), with the application's inventory and
// version: what the console, the control socket and `mamori report -o`
// all do. opts.Lang chooses the catalog's language.
func (a *App) ExportReport(ctx context.Context, id, path string, opts export.ReportOptions) (export.Exported, error) {
	opts.Inventory = a.Inventory
	opts.Version = a.Version()
	return export.Report(ctx, a.Incidents, a.Audit, id, path, opts)
}

// ExportEvidence writes incident id's evidence bundle to path and records
// it in the audit log (export.Evidence): what the console, the control
// socket and `mamori evidence` all do. A zero opts.Window is the
// configured evidence window.
func (a *App) ExportEvidence(ctx context.Context, id, path string, opts export.EvidenceOptions) (export.Exported, error) {
	if opts.Window <= 0 {
		opts.Window = time.Duration(a.Config.EvidenceWindow)
	}
	opts.Version = a.Version()
	opts.Store = a.rd.Dir()
	return export.Evidence(ctx, a.Incidents, a.Audit, a.rd, id, path, opts)
}

// Version is mamori's version as reports and bundles give it: the one
// the program was built with (Options.Version), else the module's, else
// "dev".
func (a *App) Version() string {
	if a.opts.Version != "" {
		return a.opts.Version
	}
	if v := buildVersion(); v != "" {
		return v
	}
	return "dev"
}
