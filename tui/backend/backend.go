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
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/ingest"
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
	Allow(ctx context.Context, e config.Allow) error

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
	// Err is the last problem writing to the store (disk full, ...).
	Err   error
	ErrAt time.Time
	// Watermark is the newest event time the engine has processed.
	Watermark time.Time
}
