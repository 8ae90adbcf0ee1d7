// Package backend is what the console reads and changes, as one interface:
// the app implements it over the store and the engine, tests over a
// temporary store or a fake. Panes call it only from inside tea.Cmds.
package backend

import (
	"context"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/export"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/store"
)

// Backend is the console's view of mamori.
type Backend interface {
	Catalog() *catalog.Catalog
	// ReadOnly reports whether the console must not change anything.
	ReadOnly() bool
	// Location is the office's time zone: every time the console shows
	// is in it, and times typed into it are read in it, whatever the
	// machine's zone.
	Location() *time.Location

	// Alerts returns every stored alert (allow-listed ones included).
	Alerts(ctx context.Context) ([]alert.Alert, error)
	// AlertUpdates delivers new and changed alerts while mamori runs live;
	// nil when nothing runs (a store opened for review).
	AlertUpdates() <-chan []alert.Alert
	// Hidden reports whether an alert is allow-listed.
	Hidden(a *alert.Alert) bool
	// HiddenBy returns the allow-list entry that hides an alert, if one
	// does (it is active and matches).
	HiddenBy(a *alert.Alert) (detect.Allow, bool)
	// Ack marks an alert acknowledged (or not).
	Ack(ctx context.Context, id string, acked bool) error
	// Allow adds an allow-list entry (persisted, applied to stored
	// alerts at once, audited).
	Allow(ctx context.Context, e detect.Allow) error
	// AllowEntries returns every allow-list entry: the configuration's
	// (no ID; changed in the file) and those made in the console or with
	// `mamori allow add`, expired ones included.
	AllowEntries(ctx context.Context) ([]detect.Allow, error)
	// Hides counts, by severity, the stored alerts an entry covers
	// (whether or not it is active yet): what it hides, or would.
	Hides(ctx context.Context, e detect.Allow) ([alert.Critical + 1]int, error)
	// RemoveAllow removes the stored entry id, with a note for the audit
	// log; the alerts it hid show again.
	RemoveAllow(ctx context.Context, id, note string) error

	// Endpoints returns what the store knows of every endpoint.
	Endpoints(ctx context.Context) ([]store.EndpointSummary, error)
	// Asset returns the inventory entry of an endpoint id.
	Asset(endpoint string) (asset.Asset, bool)
	// ResolveEndpoint returns the endpoint id a name typed by the user
	// stands for (an address, a host name, an asset's name: see One), or
	// an error saying it names nothing or several.
	ResolveEndpoint(ctx context.Context, name string) (string, error)
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
	ExportReport(ctx context.Context, id, path, lang string) (export.Exported, error)
	// ExportEvidence writes incident id's evidence bundle to path (never
	// replacing a file), recorded in the audit log like ExportReport.
	ExportEvidence(ctx context.Context, id, path string) (export.Exported, error)
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
	// Err is the last problem writing to the store (disk full, ...).
	Err   error
	ErrAt time.Time
}
