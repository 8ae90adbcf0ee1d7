package app

import (
	"context"
	"errors"
	"net/netip"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/handling/report"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend"
)

// Console is the console's backend over an opened App: reads go to the
// store, live alerts come from the engine, changes go through the engine
// (acknowledgements) and the store (allow-list entries).
type Console struct {
	a       *App
	updates <-chan []alert.Alert
	changes <-chan []incident.Change
	live    bool

	mu       sync.Mutex
	pipeline *ingest.Pipeline

	storedOnce sync.Once
	stored     []ingest.SourceStats
}

var _ backend.Backend = (*Console)(nil)

// Console returns the backend; live says whether sources are followed.
// Its subscriptions end with ctx.
func (a *App) Console(ctx context.Context, live bool) *Console {
	c := &Console{a: a, live: live}
	if a.Engine != nil && live {
		c.updates = a.Engine.Subscribe(ctx)
	}
	if a.Incidents != nil {
		c.changes = a.Incidents.Changes(ctx)
	}
	return c
}

// SetPipeline gives the console the running pipeline's statistics.
func (c *Console) SetPipeline(p *ingest.Pipeline) {
	c.mu.Lock()
	c.pipeline = p
	c.mu.Unlock()
}

// Catalog implements backend.Backend.
func (c *Console) Catalog() *catalog.Catalog { return c.a.Catalog }

// ReadOnly implements backend.Backend.
func (c *Console) ReadOnly() bool { return c.a.Engine == nil || c.a.Store.ReadOnly() }

// Location is the office's zone (see OfficeZone), else the machine's:
// the zone every time mamori shows is in. mamori never sets time.Local.
func (a *App) Location() *time.Location { return a.Config.Location(config.Source{}) }

// Location implements backend.Backend.
func (c *Console) Location() *time.Location { return c.a.Location() }

// Alerts implements backend.Backend.
func (c *Console) Alerts(context.Context) ([]alert.Alert, error) { return c.a.Alerts(true) }

// AlertUpdates implements backend.Backend.
func (c *Console) AlertUpdates() <-chan []alert.Alert { return c.updates }

// IncidentChanges implements backend.Backend.
func (c *Console) IncidentChanges() <-chan []incident.Change { return c.changes }

// Hidden implements backend.Backend.
func (c *Console) Hidden(a *alert.Alert) bool { return c.a.Allow.Hidden(a) }

// HiddenBy implements backend.Backend.
func (c *Console) HiddenBy(a *alert.Alert) (detect.Allow, bool) { return c.a.Allow.Match(a) }

// AllowEntries implements backend.Backend.
func (c *Console) AllowEntries(context.Context) ([]detect.Allow, error) {
	return c.a.Allow.Entries(), nil
}

// Hides implements backend.Backend.
func (c *Console) Hides(_ context.Context, e detect.Allow) ([alert.Critical + 1]int, error) {
	return c.a.Hides(e)
}

// RemoveAllow implements backend.Backend: the application removes the
// entry and audits it.
func (c *Console) RemoveAllow(ctx context.Context, id, note string) error {
	if c.ReadOnly() {
		return errReadOnly
	}
	_, err := c.a.RemoveAllow(ctx, id, note)
	return err
}

// errReadOnly is what changes get in read-only mode.
var errReadOnly = errors.New("read-only: mamori was started with --readonly")

// Ack implements backend.Backend.
func (c *Console) Ack(_ context.Context, id string, acked bool) error {
	if c.ReadOnly() {
		return errReadOnly
	}
	return c.a.Engine.Ack(id, acked)
}

// Allow implements backend.Backend: the application stores the entry,
// applies it at once (to stored alerts too) and audits it.
func (c *Console) Allow(ctx context.Context, e detect.Allow) error {
	if c.ReadOnly() {
		return errReadOnly
	}
	_, err := c.a.AddAllow(ctx, e)
	return err
}

// Endpoints implements backend.Backend.
func (c *Console) Endpoints(context.Context) ([]store.EndpointSummary, error) {
	return c.a.Store.EndpointSummaries()
}

// Asset implements backend.Backend.
func (c *Console) Asset(endpoint string) (asset.Asset, bool) {
	a, err := netip.ParseAddr(endpoint)
	if err != nil {
		return asset.Asset{}, false
	}
	return c.a.Inventory.Lookup(a)
}

// ResolveEndpoint implements backend.Backend over the endpoint summaries
// and the inventory.
func (c *Console) ResolveEndpoint(_ context.Context, name string) (string, error) {
	sums, err := c.a.Store.EndpointSummaries()
	if err != nil {
		return "", err
	}
	return backend.One(name, sums, c.a.Inventory)
}

// Timeline implements backend.Backend.
func (c *Console) Timeline(ctx context.Context, endpoint string, q store.Query) (store.Page, error) {
	return c.a.Store.Timeline(ctx, store.ParseEndpoint(endpoint), q)
}

// Histogram implements backend.Backend.
func (c *Console) Histogram(ctx context.Context, endpoint string, from, to time.Time, step time.Duration) ([]int, error) {
	return c.a.Store.Histogram(ctx, store.ParseEndpoint(endpoint), from, to, step)
}

// Status implements backend.Backend.
func (c *Console) Status() backend.Status {
	s := backend.Status{Live: c.live, ReadOnly: c.ReadOnly(), StoreDir: c.a.Store.Dir(), StoreSize: c.a.Store.Size()}
	c.mu.Lock()
	p := c.pipeline
	c.mu.Unlock()
	if p != nil {
		s.Sources = p.Stats().Snapshot()
		s.Written = p.Written()
		s.ErrAt, s.Err = p.Err()
	} else {
		s.Sources = c.storedSources()
	}
	if c.a.Engine != nil {
		s.Learning, s.Learned, _, _ = c.a.Engine.Learning()
	}
	if p, err := c.a.Pending(); err == nil {
		s.Unanalysed = p.Events
	}
	return s
}

// storedSources lists, for a store opened for review, the files earlier
// runs read into it and how far (their saved offsets): what a rescue team
// wants to check it loaded. Nothing writes to the store meanwhile, so it is
// read once.
func (c *Console) storedSources() []ingest.SourceStats {
	c.storedOnce.Do(func() {
		offs, err := c.a.Store.Offsets()
		if err != nil {
			c.a.Log.Warn("reading the stored offsets", "err", err)
			return
		}
		for _, o := range offs {
			size := o.Size
			if o.Done {
				size = o.Offset
			}
			c.stored = append(c.stored, ingest.SourceStats{
				Path: o.Path, State: ingest.StateStored, Offset: o.Offset, Size: size, LastRead: o.Updated,
			})
		}
		sort.Slice(c.stored, func(i, j int) bool { return c.stored[i].Path < c.stored[j].Path })
	})
	return c.stored
}

// Incidents implements backend.Backend.
func (c *Console) Incidents() *incident.Manager { return c.a.Incidents }

// Containment implements backend.Backend.
func (c *Console) Containment() *containment.Manager { return c.a.Containment }

// Audit implements backend.Backend.
func (c *Console) Audit() *audit.Log { return c.a.Audit }

// ExportReport implements backend.Backend.
func (c *Console) ExportReport(ctx context.Context, id, path, lang string) (backend.Exported, error) {
	return backend.WriteReport(ctx, c.a.Incidents, c.a.Audit, id, path, report.Options{Lang: lang, Inventory: c.a.Inventory, Version: buildVersion()})
}

// ExportEvidence implements backend.Backend: the configured evidence
// window, recorded in the audit log.
func (c *Console) ExportEvidence(ctx context.Context, id, path string) (backend.Exported, error) {
	return backend.Bundle(ctx, c.a.Incidents, c.a.Store, id, path, report.BundleOptions{
		Window: time.Duration(c.a.Config.EvidenceWindow), Version: buildVersion(), Store: c.a.Store.Dir(), Log: c.a.Audit,
	})
}

// buildVersion is the module version mamori was built as, or "" for a
// development build.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return ""
}
