package app

import (
	"context"
	"fmt"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/incident"
)

// openHandling opens the audit log, the incident manager and the
// containment manager over the store. The audit log's mirror is the
// configured file, else the store's own (config.DefaultAuditFile).
func (a *App) openHandling() error {
	if a.Config.AuditFile == "" {
		a.Config.AuditFile = config.DefaultAuditFile(a.rd.Dir())
	}
	a.Audit = audit.Open(a.rd, audit.Options{Mirror: a.Config.AuditFile})
	loc := a.Config.Location(config.Source{})
	a.Incidents = incident.New(a.rd, a.Audit, a.Catalog,
		incident.Options{Networks: a.Networks, Inventory: a.Inventory, Location: loc})
	cm, err := containment.New(containment.Options{
		Catalog:   a.Catalog,
		Actuators: a.Config.Actuators,
		Audit:     a.Audit,
		ReadOnly:  a.rd.ReadOnly(),
		Networks:  a.Networks,
		Inventory: a.Inventory,
		Endpoints: a.rd,
		Events:    a.rd,
	})
	if err != nil {
		return fmt.Errorf("actuators: %w", err)
	}
	a.Containment = cm
	for _, n := range containment.Interpreters(a.Config.Actuators) {
		a.Log.Warn(n)
	}
	if !a.rd.ReadOnly() {
		// No command can be running now: a store has one writer. A run
		// that started and never finished is one mamori was stopped in.
		marked, err := a.Audit.MarkInterrupted(context.Background())
		for _, r := range marked {
			a.Log.Warn("containment run interrupted: mamori stopped while its command ran", "run", r.Run.ID, "measure", r.Run.Measure, "incident", r.Incident)
		}
		if err != nil {
			a.Log.Error("marking interrupted containment runs", "err", err)
		}
	}
	return nil
}

// attachLive attaches new alerts to the open incidents of their endpoints
// as the engine raises them, until ctx ends: the same with or without a
// console. Only the alerts of each batch are looked at.
func (a *App) attachLive(ctx context.Context, updates <-chan []alert.Alert) {
	for batch := range updates {
		att, err := a.Incidents.AttachNew(ctx, batch)
		if err != nil && ctx.Err() == nil {
			a.Log.Warn("attaching alerts to incidents", "err", err)
		}
		for _, at := range att {
			a.Log.Info("alerts attached", "incident", at.Incident, "alerts", len(at.Alerts))
		}
	}
}
