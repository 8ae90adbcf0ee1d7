package detect

import (
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
)

func TestAllowEntriesExpire(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	a := &alert.Alert{Rule: "S-BEACON", Endpoint: "10.0.10.5", Peer: "cdn.example.com", Severity: alert.High}
	l := NewAllowList([]Allow{{Rule: "S-BEACON", Endpoint: "10.0.10.0/24", Reason: "updater", Expires: now.Add(time.Hour)}})
	l.SetClock(func() time.Time { return now })
	if !l.Hidden(a) {
		t.Fatal("an active entry does not hide its alert")
	}
	now = now.Add(time.Hour)
	if l.Hidden(a) {
		t.Fatal("an expired entry still hides its alert")
	}
	if e := (Allow{Rule: "S-BEACON", Endpoint: "10.0.10.0/24"}); e.Scope() != "S-BEACON alerts of 10.0.10.0/24" {
		t.Errorf("scope = %q", e.Scope())
	}
	if (Allow{}).Active(now) || (Allow{Reason: "x"}).Matches(a) {
		t.Error("an empty entry hides something")
	}
}

func TestAllowRemove(t *testing.T) {
	a := &alert.Alert{Rule: "N-APP", Endpoint: "10.0.10.5"}
	l := NewAllowList([]Allow{{Rule: "N-APP", Reason: "config entry"}})
	l.Add(Allow{ID: "al-1", Endpoint: "10.0.10.5", Reason: "stored"})
	if _, ok := l.Remove(""); ok {
		t.Fatal("removed an entry without an id (a configuration entry)")
	}
	if e, ok := l.Remove("al-1"); !ok || e.Reason != "stored" {
		t.Fatalf("Remove(al-1) = %+v, %v", e, ok)
	}
	if m, ok := l.Match(a); !ok || m.Reason != "config entry" {
		t.Fatalf("after removal the configuration's entry should still match: %+v %v", m, ok)
	}
}
