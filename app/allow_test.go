package app

import (
	"errors"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/handling/audit"
)

// TestAllowListChangesAreOwnedAndAudited: entries added and removed
// through the application are stored, applied at once, counted in what
// they hide, and each change is in the audit log; an entry of nothing, one
// without a reason and one that expires at once are refused.
func TestAllowListChangesAreOwnedAndAudited(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(testConfig(dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	t0 := time.Now().Add(-time.Hour)
	crit := alert.Alert{ID: "k1", Rule: "C-KILLCHAIN", Endpoint: "10.0.10.11", Severity: alert.Critical, Time: t0, FirstSeen: t0, LastSeen: t0, Count: 1}
	high := alert.Alert{ID: "b1", Rule: "S-BEACON", Endpoint: "10.0.10.11", Severity: alert.High, Time: t0, FirstSeen: t0, LastSeen: t0, Count: 1}
	if err := a.Store.PutAlerts([]alert.Alert{crit, high}); err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]detect.Allow{
		"nothing":      {Reason: "x"},
		"no reason":    {Rule: "S-BEACON"},
		"expired":      {Rule: "S-BEACON", Reason: "x", Expires: time.Now().Add(-time.Minute)},
		"escape codes": {Rule: "S-BEACON", Reason: "x\x1b[2J"},
	} {
		if _, err := a.AddAllow(ctx, e); !errors.Is(err, ErrAllowInvalid) {
			t.Errorf("%s: err = %v, want ErrAllowInvalid", name, err)
		}
	}
	e, err := a.AddAllow(ctx, detect.Allow{Endpoint: "10.0.10.11", Reason: "lab machine", Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if e.ID == "" || e.By == "" || e.Added.IsZero() {
		t.Errorf("added entry %+v: want an id, who and when", e)
	}
	n, err := a.Hides(e)
	if err != nil || n[alert.Critical] != 1 || n[alert.High] != 1 {
		t.Errorf("hides %v, %v: want 1 critical and 1 high", n, err)
	}
	if shown, _ := a.Alerts(false); len(shown) != 0 {
		t.Errorf("alerts still shown: %+v", shown)
	}
	if _, err := a.RemoveAllow(ctx, e.ID, "no longer a lab machine"); err != nil {
		t.Fatal(err)
	}
	if shown, _ := a.Alerts(false); len(shown) != 2 {
		t.Errorf("after removal %d alerts shown, want 2", len(shown))
	}
	if _, err := a.RemoveAllow(ctx, e.ID, ""); err == nil {
		t.Error("removed an entry twice")
	}
	recs, err := a.Audit.Records(ctx, audit.Filter{Kind: audit.KindAllowList})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Action != audit.ActionAllowAdded || recs[1].Action != audit.ActionAllowRemoved || recs[1].Allow == nil || recs[1].Allow.ID != e.ID {
		t.Errorf("audit records %+v: want the addition and the removal of %s", recs, e.ID)
	}
}
