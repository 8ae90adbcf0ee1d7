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
	"github.com/mamori-soc/mamori/handling/export"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/handling/report"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend"
)

// Console is the console's backend over an opened App: reads go to the
// store (or the Reader of OpenReader), live alerts come from the engine,
// changes go through the engine (acknowledgements) and the store
// (allow-list entries). Its Status is the App's Monitor's.
type Console struct {
	*Monitor
	a       *App
	updates <-chan []alert.Alert
	changes <-chan []incident.Change
}

var _ backend.Backend = (*Console)(nil)

// Console returns the backend; live says whether sources are followed.
// Its subscriptions end with ctx.
func (a *App) Console(ctx context.Context, live bool) *Console {
	c := &Console{Monitor: a.Monitor(live), a: a}
	if a.Engine != nil && live {
		c.updates = a.Engine.Subscribe(ctx)
	}
	if a.Incidents != nil {
		c.changes = a.Incidents.Changes(ctx)
	}
	return c
}

// Monitor is the running application's state as the console's header and
// sources pane show it, and as a second process asks for it over the
// control socket: the same with or without a terminal.
type Monitor struct {
	a    *App
	live bool

	mu       sync.Mutex
	pipeline *ingest.Pipeline

	storedOnce sync.Once
	stored     []ingest.SourceStats
}

// Monitor returns the App's status view; live says whether sources are
// followed (give it the pipeline with SetPipeline once it runs).
func (a *App) Monitor(live bool) *Monitor { return &Monitor{a: a, live: live} }

// SetPipeline gives the monitor the running pipeline's statistics.
func (m *Monitor) SetPipeline(p *ingest.Pipeline) {
	m.mu.Lock()
	m.pipeline = p
	m.mu.Unlock()
}

// readOnly reports whether nothing may be changed: no engine, or a store
// (or Reader) opened read-only.
func (a *App) readOnly() bool { return a.Engine == nil || a.rd.ReadOnly() }

// Catalog implements backend.Backend.
func (c *Console) Catalog() *catalog.Catalog { return c.a.Catalog }

// ReadOnly implements backend.Backend.
func (c *Console) ReadOnly() bool { return c.a.readOnly() }

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
	return c.a.rd.EndpointSummaries()
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
	return c.a.rd.Timeline(ctx, store.ParseEndpoint(endpoint), q)
}

// Histogram implements backend.Backend.
func (c *Console) Histogram(ctx context.Context, endpoint string, from, to time.Time, step time.Duration) ([]int, error) {
	return c.a.rd.Histogram(ctx, store.ParseEndpoint(endpoint), from, to, step)
}

// Status is mamori's state now (backend.Backend's Status).
func (m *Monitor) Status() backend.Status {
	a := m.a
	s := backend.Status{Live: m.live, ReadOnly: a.readOnly(), StoreDir: a.rd.Dir(), StoreSize: a.rd.Size()}
	m.mu.Lock()
	p := m.pipeline
	m.mu.Unlock()
	if p != nil {
		s.Sources = p.Stats().Snapshot()
		s.Written = p.Written()
		s.ErrAt, s.Err = p.Err()
	} else {
		s.Sources = m.storedSources()
	}
	if a.Engine != nil {
		s.Learning, s.Learned, _, _ = a.Engine.Learning()
	}
	if p, err := a.Pending(); err == nil {
		s.Unanalysed = p.Events
	}
	return s
}

// storedSources lists, for a store opened for review, the files earlier
// runs read into it and how far (their saved offsets): what a rescue team
// wants to check it loaded. Nothing writes to the store meanwhile, so it is
// read once.
func (m *Monitor) storedSources() []ingest.SourceStats {
	m.storedOnce.Do(func() {
		offs, err := m.a.rd.Offsets()
		if err != nil {
			m.a.Log.Warn("reading the stored offsets", "err", err)
			return
		}
		for _, o := range offs {
			size := o.Size
			if o.Done {
				size = o.Offset
			}
			m.stored = append(m.stored, ingest.SourceStats{
				Path: o.Path, State: ingest.StateStored, Offset: o.Offset, Size: size, LastRead: o.Updated,
			})
		}
		sort.Slice(m.stored, func(i, j int) bool { return m.stored[i].Path < m.stored[j].Path })
	})
	return m.stored
}

// Incidents implements backend.Backend.
func (c *Console) Incidents() *incident.Manager { return c.a.Incidents }

// Containment implements backend.Backend.
func (c *Console) Containment() *containment.Manager { return c.a.Containment }

// Audit implements backend.Backend.
func (c *Console) Audit() *audit.Log { return c.a.Audit }

// ExportReport implements backend.Backend: App.ExportReport in Markdown.
func (c *Console) ExportReport(ctx context.Context, id, path, lang string) (export.Exported, error) {
	return c.a.ExportReport(ctx, id, path, export.ReportOptions{Options: report.Options{Lang: lang}})
}

// ExportEvidence implements backend.Backend: App.ExportEvidence with the
// configured evidence window.
func (c *Console) ExportEvidence(ctx context.Context, id, path string) (export.Exported, error) {
	return c.a.ExportEvidence(ctx, id, path, export.EvidenceOptions{})
}

// buildVersion is the module version mamori was built as, or "" for a
// development build.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return ""
}
