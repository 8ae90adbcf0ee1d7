// Package backendtest is a backend.Backend for the console's tests: alerts
// and endpoints in memory, events in a real store in a temporary
// directory.
package backendtest

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/config"
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
	Updates   chan []alert.Alert

	mu      sync.Mutex
	alerts  []alert.Alert
	allowed []config.Allow
	Acks    map[string]bool
}

// SetAlerts sets the stored alerts.
func (f *Fake) SetAlerts(as []alert.Alert) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alerts = append([]alert.Alert(nil), as...)
}

// Allowed returns the allow-list entries added.
func (f *Fake) Allowed() []config.Allow {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]config.Allow(nil), f.allowed...)
}

// Catalog implements backend.Backend.
func (f *Fake) Catalog() *catalog.Catalog { return f.Cat }

// ReadOnly implements backend.Backend.
func (f *Fake) ReadOnly() bool { return f.RO }

// Alerts implements backend.Backend.
func (f *Fake) Alerts(context.Context) ([]alert.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
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
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.allowed {
		if (e.Rule == "" || e.Rule == a.Rule) && (e.Endpoint == "" || e.Endpoint == a.Endpoint) && (e.Destination == "" || e.Destination == a.Peer) {
			return true
		}
	}
	return false
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

// Allow implements backend.Backend.
func (f *Fake) Allow(_ context.Context, e config.Allow) error {
	if f.RO {
		return errors.New("read-only")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.allowed = append(f.allowed, e)
	return nil
}

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
