package clocktest

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

func TestHeldFiresOnlyWhatIsDue(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)
	h := New(t0)
	type fired struct {
		name string
		at   time.Time
	}
	tick := func(name string) func(time.Time) tea.Msg {
		return func(at time.Time) tea.Msg { return fired{name, at} }
	}
	if cmd := h.Tick(5*time.Second, tick("reload")); cmd != nil {
		t.Fatal("a held timer is a command a driver would have to wait for")
	}
	h.Tick(time.Second, tick("status"))
	h.Tick(2*time.Second, tick("refresh"))
	if got := h.Advance(0); len(got) != 0 {
		t.Fatalf("nothing is due yet: %v", got)
	}
	got := h.Advance(2 * time.Second)
	want := []fired{{"status", t0.Add(time.Second)}, {"refresh", t0.Add(2 * time.Second)}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("due after 2 s: %v, want %v", got, want)
	}
	if h.Pending() != 1 || !h.Now().Equal(t0.Add(2*time.Second)) {
		t.Fatalf("pending %d, now %v", h.Pending(), h.Now())
	}
	if got := h.Advance(3 * time.Second); len(got) != 1 || got[0].(fired).name != "reload" {
		t.Fatalf("due after 5 s: %v", got)
	}
	if h.Pending() != 0 {
		t.Fatal("a fired timer is still pending")
	}
}
