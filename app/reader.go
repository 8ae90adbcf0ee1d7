package app

import (
	"context"
	"errors"
	"time"

	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/store"
)

// Reader is everything mamori reads of a store: the store itself, or —
// while another mamori holds the store (Badger has one writer and no
// reader beside it) — that running instance, asked over its control
// socket (package control). *store.Store satisfies it.
//
// An App opened over a Reader with OpenReader runs the same code as one
// opened on the store (the same allow list, incident manager, audit log
// and report), so what a command prints is the same either way. Writes
// through a Reader that is not the store fail with store.ErrReadOnly.
type Reader interface {
	incident.Store
	audit.Store
	EndpointSummaries() ([]store.EndpointSummary, error)
	Histogram(ctx context.Context, ep store.Endpoint, from, to time.Time, step time.Duration) ([]int, error)
	Offsets() ([]store.Offset, error)
	// Dir is the store's directory, Size the disk space it uses.
	Dir() string
	Size() int64
}

var _ Reader = (*store.Store)(nil)

// OpenReader applies opts over cfg and opens mamori read-only over r
// instead of a store: the catalog, the inventory and the optional
// databases are loaded as Open loads them, and the allow list, incidents
// and audit log are read through r. There is no engine and no store
// (App.Store is nil); Close does not close r.
func OpenReader(cfg *config.Config, opts Options, r Reader) (*App, error) {
	opts.ReadOnly = true
	a, _, err := prepare(cfg, opts)
	if err != nil {
		return nil, err
	}
	if !r.ReadOnly() {
		return nil, a.closeAfter(errors.New("app: a reader other than the store must be read-only"))
	}
	a.rd = r
	if err := a.loadAllowList(); err != nil {
		return nil, a.closeAfter(err)
	}
	if err := a.openHandling(); err != nil {
		return nil, a.closeAfter(err)
	}
	return a, nil
}

// closeAfter closes what prepare opened when an open fails after it.
func (a *App) closeAfter(err error) error {
	for _, c := range a.closers {
		_ = c()
	}
	return err
}

// StoreDir is the directory of the store the App reads (its own, or the
// one a running mamori holds).
func (a *App) StoreDir() string { return a.rd.Dir() }

// Reader is what the App reads the store through: its store, or the
// Reader it was opened over.
func (a *App) Reader() Reader { return a.rd }
