// Package backendtest is a backend.Backend for the console's tests: alerts
// and endpoints in memory, events in a real store in a temporary
// directory, and (EnableHandling) the real incident, containment and
// audit managers over that store.
package backendtest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/export"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/handling/report"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend"
)

// Fake is a test backend.
type Fake struct {
	Cat       *catalog.Catalog
	Store     *store.Store // events; may be nil
	Inventory *asset.Inventory
	Sums      []store.EndpointSummary
	St        backend.Status
	RO        bool
	// Loc is the office's zone; nil means UTC.
	Loc *time.Location
	// Updates is what AlertUpdates returns: nil unless a test sets it.
	Updates chan []alert.Alert

	// IM, CM and Log are incident handling over Store, set by
	// EnableHandling; nil before.
	IM  *incident.Manager
	CM  *containment.Manager
	Log *audit.Log

	// Changes is what IncidentChanges returns: nil unless a test sets
	// it. Like Updates, a test that sets it feeds or closes it: the
	// test driver runs every command to completion, the bridge that reads
	// it too.
	Changes <-chan []incident.Change

	// AlertsErr, when set, is what Alerts fails with.
	AlertsErr error

	// Now is the clock allow-list entries are made and expire by; nil
	// means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	loads   int
	alerts  []alert.Alert
	allow   *detect.AllowList // every entry, as the application's
	allowed []detect.Allow    // the entries Allow added
	Acks    map[string]bool
	// Removed are the allow-list entries RemoveAllow removed.
	Removed []Removal
}

// list is the allow list, made on first use with the fake's clock.
func (f *Fake) list() *detect.AllowList {
	if f.allow == nil {
		f.allow = detect.NewAllowList()
		f.allow.SetClock(f.now)
	}
	return f.allow
}

func (f *Fake) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// AddConfigAllow adds allow-list entries as the configuration file
// would: without an id, not removable from the console.
func (f *Fake) AddConfigAllow(es ...detect.Allow) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range es {
		es[i].ID = ""
	}
	f.list().Add(es...)
}

// SetAlerts sets the alerts; with a Store they are also stored there, for
// the incident manager.
func (f *Fake) SetAlerts(as []alert.Alert) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alerts = append([]alert.Alert(nil), as...)
	if f.Store != nil {
		_ = f.Store.PutAlerts(as) // the tests' store is a temporary directory
	}
}

// HandlingOptions configure EnableHandling.
type HandlingOptions struct {
	// Now is the audit log's clock; nil means time.Now.
	Now func() time.Time
	// User is who changes are by; "" means the OS user.
	User string
	// Actuators are the configured containment commands.
	Actuators map[string]containment.Actuator
	// Location is the zone of incident ids and suggestions; nil means
	// time.Local (give the office's, as the application does).
	Location *time.Location
}

// EnableHandling opens the audit log, the incident manager and the
// containment manager over f.Store, read-only when f.RO is set.
func (f *Fake) EnableHandling(o HandlingOptions) error {
	if f.Store == nil {
		return errors.New("backendtest: incident handling needs a store")
	}
	var st interface {
		incident.Store
		audit.Store
	} = f.Store
	if f.RO {
		st = readOnly{f.Store}
	}
	f.Log = audit.Open(st, audit.Options{Now: o.Now, User: o.User})
	f.IM = incident.New(st, f.Log, f.Cat, incident.Options{Inventory: f.Inventory, Location: o.Location})
	cm, err := containment.New(containment.Options{
		Catalog: f.Cat, Actuators: o.Actuators, Audit: f.Log, ReadOnly: f.RO,
		Inventory: f.Inventory, Endpoints: f.Store, Events: f.Store,
	})
	if err != nil {
		return err
	}
	f.CM = cm
	return nil
}

// readOnly is the store as a read-only console sees it.
type readOnly struct{ *store.Store }

func (readOnly) ReadOnly() bool { return true }

// AlertLoads returns how many times Alerts was called.
func (f *Fake) AlertLoads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loads
}

// Allowed returns the allow-list entries added.
func (f *Fake) Allowed() []detect.Allow {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]detect.Allow(nil), f.allowed...)
}

// Catalog implements backend.Backend.
func (f *Fake) Catalog() *catalog.Catalog { return f.Cat }

// ReadOnly implements backend.Backend.
func (f *Fake) ReadOnly() bool { return f.RO }

// Location implements backend.Backend.
func (f *Fake) Location() *time.Location {
	if f.Loc == nil {
		return time.UTC
	}
	return f.Loc
}

// Alerts implements backend.Backend.
func (f *Fake) Alerts(context.Context) ([]alert.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	if f.AlertsErr != nil {
		return nil, f.AlertsErr
	}
	return append([]alert.Alert(nil), f.alerts...), nil
}

// AlertUpdates implements backend.Backend.
func (f *Fake) AlertUpdates() <-chan []alert.Alert {
	if f.Updates == nil {
		return nil
	}
	return f.Updates
}

// Hidden implements backend.Backend.
func (f *Fake) Hidden(a *alert.Alert) bool {
	_, ok := f.HiddenBy(a)
	return ok
}

// HiddenBy implements backend.Backend with detect's matching.
func (f *Fake) HiddenBy(a *alert.Alert) (detect.Allow, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.list().Match(a)
}

// Ack implements backend.Backend.
func (f *Fake) Ack(_ context.Context, id string, acked bool) error {
	if f.RO {
		return errors.New("read-only")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.alerts {
		if f.alerts[i].ID == id {
			f.alerts[i].Acked = acked
			if f.Acks == nil {
				f.Acks = map[string]bool{}
			}
			f.Acks[id] = acked
			return nil
		}
	}
	return errors.New("no such alert")
}

// Allow implements backend.Backend: it refuses what the application
// refuses and, like it, gives the entry an id, when and by whom.
func (f *Fake) Allow(_ context.Context, e detect.Allow) error {
	if f.RO {
		return errors.New("read-only")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case e.Empty():
		return errors.New("invalid allow-list entry: it names nothing")
	case e.Reason == "":
		return errors.New("invalid allow-list entry: a reason is required")
	case !e.Expires.IsZero() && !e.Expires.After(f.now()):
		return errors.New("invalid allow-list entry: it would expire at once")
	}
	e.ID, e.Added, e.By = fmt.Sprintf("al-%08x", len(f.allowed)+1), f.now().UTC(), "analyst"
	f.allowed = append(f.allowed, e)
	f.list().Add(e)
	return nil
}

// AllowEntries implements backend.Backend.
func (f *Fake) AllowEntries(context.Context) ([]detect.Allow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.list().Entries(), nil
}

// Hides implements backend.Backend over the fake's alerts.
func (f *Fake) Hides(_ context.Context, e detect.Allow) ([alert.Critical + 1]int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n [alert.Critical + 1]int
	for i := range f.alerts {
		if e.Matches(&f.alerts[i]) {
			n[f.alerts[i].Severity]++
		}
	}
	return n, nil
}

// RemoveAllow implements backend.Backend; Removed lists what it removed.
func (f *Fake) RemoveAllow(_ context.Context, id, note string) error {
	if f.RO {
		return errors.New("read-only")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if id == "" {
		return errors.New("a configuration entry is changed in the file")
	}
	if _, ok := f.list().Remove(id); !ok {
		return fmt.Errorf("no allow-list entry %q", id)
	}
	f.Removed = append(f.Removed, Removal{ID: id, Note: note})
	return nil
}

// Removal is an entry RemoveAllow removed, with its note.
type Removal struct{ ID, Note string }

// Endpoints implements backend.Backend.
func (f *Fake) Endpoints(context.Context) ([]store.EndpointSummary, error) { return f.Sums, nil }

// Asset implements backend.Backend.
func (f *Fake) Asset(endpoint string) (asset.Asset, bool) {
	a, err := netip.ParseAddr(endpoint)
	if err != nil || f.Inventory == nil {
		return asset.Asset{}, false
	}
	return f.Inventory.Lookup(a)
}

// ResolveEndpoint implements backend.Backend over Sums and Inventory.
func (f *Fake) ResolveEndpoint(_ context.Context, name string) (string, error) {
	return backend.One(name, f.Sums, f.Inventory)
}

// Timeline implements backend.Backend.
func (f *Fake) Timeline(ctx context.Context, ep string, q store.Query) (store.Page, error) {
	if f.Store == nil {
		return store.Page{}, nil
	}
	return f.Store.Timeline(ctx, store.ParseEndpoint(ep), q)
}

// Histogram implements backend.Backend.
func (f *Fake) Histogram(ctx context.Context, ep string, from, to time.Time, step time.Duration) ([]int, error) {
	if f.Store == nil {
		return nil, nil
	}
	return f.Store.Histogram(ctx, store.ParseEndpoint(ep), from, to, step)
}

// Status implements backend.Backend.
func (f *Fake) Status() backend.Status { return f.St }

// Incidents implements backend.Backend.
func (f *Fake) Incidents() *incident.Manager { return f.IM }

// IncidentChanges implements backend.Backend.
func (f *Fake) IncidentChanges() <-chan []incident.Change { return f.Changes }

// Containment implements backend.Backend.
func (f *Fake) Containment() *containment.Manager { return f.CM }

// Audit implements backend.Backend.
func (f *Fake) Audit() *audit.Log { return f.Log }

// ExportReport implements backend.Backend.
func (f *Fake) ExportReport(ctx context.Context, id, path, lang string) (export.Exported, error) {
	return export.Report(ctx, f.IM, f.Log, id, path, export.ReportOptions{Options: report.Options{Lang: lang, Inventory: f.Inventory, Version: "test"}})
}

// ExportEvidence implements backend.Backend.
func (f *Fake) ExportEvidence(ctx context.Context, id, path string) (export.Exported, error) {
	return export.Evidence(ctx, f.IM, f.Log, f.Store, id, path, export.EvidenceOptions{BundleOptions: report.BundleOptions{Version: "test"}})
}
