package demo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunGoesLive runs the live demo at 120 times the wall clock's pace:
// the history is there when ready is called, then the attack's spread,
// exfiltration and bypass arrive within the first simulated minute.
func TestRunGoesLive(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan Manifest, 1)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- Run(ctx, dir, Options{Days: 1, Speed: 120}, func(m Manifest) { ready <- m }) }()

	var m Manifest
	select {
	case m = <-ready:
	case err := <-done:
		t.Fatalf("Run ended before it was ready: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no history after 20 s")
	}
	if m.End.Before(start.Add(-time.Second)) || m.End.After(time.Now()) {
		t.Errorf("history ends at %v, want about now", m.End)
	}
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if s := read("proxy/access.log"); !strings.Contains(s, "CONNECT "+siteC2Name+":8443") || strings.Contains(s, siteExfilName) {
		t.Fatal("the history does not hold the beacon, or holds the exfiltration")
	}
	before := len(read("zeek/conn.log"))

	// 60 simulated seconds take half a wall-clock second; allow plenty
	deadline := time.Now().Add(10 * time.Second)
	for {
		rpc, access := read("zeek/dce_rpc.log"), read("proxy/access.log")
		if strings.Contains(rpc, "CreateServiceW") && strings.Contains(access, "CONNECT "+siteExfilName+":443") &&
			strings.Contains(read("gateway/firewall.log"), "DST="+addrBypass.String()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the live attack steps did not arrive")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if after := len(read("zeek/conn.log")); after <= before {
		t.Error("conn.log did not grow")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v after cancellation", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	ls := strings.Split(strings.TrimSuffix(read("zeek/conn.log"), "\n"), "\n")
	if !strings.HasPrefix(ls[len(ls)-1], "#close\t") {
		t.Errorf("conn.log ends with %q, want #close", ls[len(ls)-1])
	}
	var prev time.Time
	for _, l := range strings.Split(strings.TrimSuffix(read("proxy/access.log"), "\n"), "\n") {
		ts := lineTime(t, "squid", l, 0)
		if ts.Before(prev) {
			t.Fatalf("access.log out of order at %q", l)
		}
		prev = ts
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	if err := Run(context.Background(), t.TempDir(), Options{Days: -3}, nil); err == nil {
		t.Error("Run accepted a negative number of days")
	}
	if err := Run(context.Background(), "", Options{}, nil); err == nil {
		t.Error("Run accepted no directory")
	}
}
