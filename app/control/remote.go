package control

import (
	"context"
	"fmt"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/handling/export"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/tui/backend"
)

// Backend is the console's backend for a --readonly console beside a
// running mamori: the app.Console of an App opened over the Client
// (app.OpenReader), so panes read what the running mamori has, with the
// running mamori's live feeds and status, and its exports.
type Backend struct {
	*app.Console
	c       *Client
	updates <-chan []alert.Alert
	changes <-chan []incident.Change
}

var _ backend.Backend = (*Backend)(nil)

// NewBackend returns the backend of a read-only console over a (opened
// with app.OpenReader over c). Its feeds end with ctx.
func NewBackend(ctx context.Context, a *app.App, c *Client) *Backend {
	b := &Backend{Console: a.Console(ctx, false), c: c}
	if c.Live() {
		b.updates = c.WatchAlerts(ctx)
	}
	b.changes = c.WatchIncidents(ctx)
	return b
}

// AlertUpdates implements backend.Backend: the running engine's.
func (b *Backend) AlertUpdates() <-chan []alert.Alert { return b.updates }

// IncidentChanges implements backend.Backend: the running mamori's.
func (b *Backend) IncidentChanges() <-chan []incident.Change { return b.changes }

// Status implements backend.Backend: the running mamori's, read-only
// here; when it does not answer, Err says so.
func (b *Backend) Status() backend.Status {
	ctx, cancel := context.WithTimeout(b.c.ctx, 15*time.Second)
	defer cancel()
	st, err := b.c.Status(ctx)
	if err != nil {
		return backend.Status{ReadOnly: true, StoreDir: b.c.Dir(),
			Err: fmt.Errorf("the running mamori (pid %d) does not answer: %w", b.c.PID(), err), ErrAt: time.Now()}
	}
	return st
}

// ExportReport implements backend.Backend: the running mamori writes the
// report, and records it in its audit log.
func (b *Backend) ExportReport(ctx context.Context, id, path, lang string) (export.Exported, error) {
	return b.c.ExportReport(ctx, ReportRequest{ID: id, Path: path, Format: "md", Lang: lang})
}

// ExportEvidence implements backend.Backend: the running mamori writes the
// bundle (its configured evidence window), and records it in its audit
// log.
func (b *Backend) ExportEvidence(ctx context.Context, id, path string) (export.Exported, error) {
	return b.c.ExportEvidence(ctx, EvidenceRequest{ID: id, Path: path})
}
