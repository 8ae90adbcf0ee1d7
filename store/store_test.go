package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/event"
)

func openTemp(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// mkEvents makes n events of endpoint ep, one a minute from t0.
func mkEvents(file string, ep string, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		raw := fmt.Sprintf("line %d of %s", i, file)
		evs[i] = event.Event{
			Time:     t0.Add(time.Duration(i) * time.Minute),
			Format:   "test",
			Kind:     event.KindHTTP,
			Endpoint: netip.MustParseAddr(ep),
			SrcIP:    netip.MustParseAddr(ep),
			DstIP:    netip.MustParseAddr("203.0.113.7"),
			Ref:      event.Ref{File: file, Offset: int64(i * len(raw))},
			Raw:      raw,
		}
	}
	return evs
}

func collect(t *testing.T, s *Store, from, to time.Time) []Stored {
	t.Helper()
	var got []Stored
	if err := s.Events(context.Background(), from, to, func(st Stored) error {
		got = append(got, st)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestPutEventsIsIdempotent(t *testing.T) {
	s := openTemp(t, Options{})
	evs := mkEvents("/logs/a.log", "10.0.10.23", 50)
	blocks := 0
	for i := range 3 { // a replay after a crash writes the same lines again
		if err := s.PutEvents(evs); err != nil {
			t.Fatal(err)
		}
		// ... into the same blocks, under the same keys
		if n := keysUnder(t, s, prefixBlock); i == 0 {
			blocks = n
		} else if n != blocks {
			t.Fatalf("write %d: %d blocks, after the first %d", i+1, n, blocks)
		}
	}
	got := collect(t, s, time.Time{}, time.Time{})
	if len(got) != len(evs) {
		t.Fatalf("stored %d events after writing %d three times", len(got), len(evs))
	}
	for i, st := range got {
		if st.Event.Raw != evs[i].Raw || !st.Event.Time.Equal(evs[i].Time) {
			t.Fatalf("event %d: got %q at %v", i, st.Event.Raw, st.Event.Time)
		}
	}
	if n, _ := s.CountEvents(context.Background(), time.Time{}, time.Time{}); n != 50 {
		t.Fatalf("CountEvents = %d", n)
	}
}

func TestEventsRangeIsHalfOpenAndOrdered(t *testing.T) {
	s := openTemp(t, Options{})
	evs := mkEvents("/logs/a.log", "10.0.10.23", 10)
	// Write out of order: the store orders by time.
	for i := len(evs) - 1; i >= 0; i-- {
		if err := s.PutEvents(evs[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	got := collect(t, s, t0.Add(2*time.Minute), t0.Add(5*time.Minute))
	if len(got) != 3 {
		t.Fatalf("got %d events, want 3", len(got))
	}
	for i, st := range got {
		if want := t0.Add(time.Duration(2+i) * time.Minute); !st.Event.Time.Equal(want) {
			t.Fatalf("event %d at %v, want %v", i, st.Event.Time, want)
		}
	}
}

func TestTimelinePagesBothWays(t *testing.T) {
	s := openTemp(t, Options{IsInternal: func(a netip.Addr) bool { return a.IsPrivate() }})
	a := mkEvents("/logs/a.log", "10.0.10.23", 25)
	b := mkEvents("/logs/b.log", "10.0.10.24", 5)
	// One event from .23 to .24: both timelines show it.
	lateral := mkEvents("/logs/c.log", "10.0.10.23", 1)
	lateral[0].DstIP = netip.MustParseAddr("10.0.10.24")
	lateral[0].Time = t0.Add(90 * time.Second)
	for _, evs := range [][]event.Event{a, b, lateral} {
		if err := s.PutEvents(evs); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	ep := ParseEndpoint("10.0.10.23")

	var all []Stored
	q := Query{Limit: 10}
	for {
		p, err := s.Timeline(ctx, ep, q)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Items...)
		if !p.More {
			break
		}
		last := p.Items[len(p.Items)-1].Key
		q.After = &last
	}
	if len(all) != 26 {
		t.Fatalf("forward pages gave %d events, want 26", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Event.Time.Before(all[i-1].Event.Time) {
			t.Fatalf("timeline out of order at %d", i)
		}
	}

	p, err := s.Timeline(ctx, ep, Query{Reverse: true, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 3 || !p.More || !p.Items[0].Event.Time.Equal(t0.Add(24*time.Minute)) {
		t.Fatalf("newest page: %d items, more=%v, first at %v", len(p.Items), p.More, p.Items[0].Event.Time)
	}

	peer, err := s.Timeline(ctx, ParseEndpoint("10.0.10.24"), Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(peer.Items) != 6 {
		t.Fatalf("peer timeline has %d events, want 5 of its own and the lateral one", len(peer.Items))
	}

	window, err := s.Timeline(ctx, ep, Query{From: t0.Add(10 * time.Minute), To: t0.Add(12 * time.Minute), Reverse: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(window.Items) != 2 || !window.Items[0].Event.Time.Equal(t0.Add(11*time.Minute)) {
		t.Fatalf("bounded reverse page: %+v", window.Items)
	}

	kept, err := s.Timeline(ctx, ep, Query{Keep: func(e *event.Event) bool { return e.Ref.File == "/logs/c.log" }})
	if err != nil || len(kept.Items) != 1 {
		t.Fatalf("filtered timeline: %d items, %v", len(kept.Items), err)
	}

	h, err := s.Histogram(ctx, ep, t0, t0.Add(30*time.Minute), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(h) != "[11 10 5]" {
		t.Fatalf("histogram %v", h)
	}
}

func TestHostOnlyEndpoint(t *testing.T) {
	s := openTemp(t, Options{})
	ev := event.Event{Time: t0, Host: "fs01", Kind: event.KindAuth, Ref: event.Ref{File: "/a"}, Raw: "x"}
	if err := s.PutEvents([]event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Timeline(context.Background(), ParseEndpoint("fs01"), Query{})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("host timeline: %d items, %v", len(p.Items), err)
	}
}

func TestAlertsOffsetsAndDocuments(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := alert.Alert{ID: "abc", Rule: "S-BEACON", Severity: alert.High, Count: 3, Attack: []string{"T1071.001"}}
	if err := s.PutAlerts([]alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	a.Count = 4
	if err := s.PutAlerts([]alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	off := Offset{Path: "/var/log/squid/access.log", Dev: 1, Inode: 2, Offset: 4096}
	keyed := Offset{Key: "follow\x00/var/log/squid/access.log*\x001:3", Path: "/var/log/squid/access.log.1", Ref: "/var/log/squid/access.log",
		Dev: 1, Inode: 3, Offset: 8192, Head: []byte("1796672183.234 10 10.0.10.2 TCP_MISS/200\n")}
	gone := Offset{Key: "follow\x00gone", Path: "/var/log/gone.log"}
	if err := s.PutOffsets([]Offset{off, keyed, gone}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOffsets([]string{gone.Key}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(Incidents, "INC-1", map[string]string{"title": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	as, err := s.Alerts()
	if err != nil || len(as) != 1 || as[0].Count != 4 || as[0].Severity != alert.High {
		t.Fatalf("alerts after reopen: %+v, %v", as, err)
	}
	got, ok, err := s.Offset(off.Path)
	if err != nil || !ok || got.Offset != 4096 || got.Inode != 2 || got.Key != "" || got.Ref != "" || got.Head != nil {
		t.Fatalf("offset after reopen: %+v %v %v", got, ok, err)
	}
	if got, ok, err := s.Offset(keyed.Key); err != nil || !ok || got.Path != keyed.Path || got.Ref != keyed.Ref || string(got.Head) != string(keyed.Head) || got.Offset != 8192 {
		t.Fatalf("keyed offset after reopen: %+v %v %v", got, ok, err)
	}
	if offs, err := s.Offsets(); err != nil || len(offs) != 2 {
		t.Fatalf("offsets after reopen (one forgotten): %+v %v", offs, err)
	}
	var doc map[string]string
	if ok, err := s.Get(Incidents, "INC-1", &doc); !ok || err != nil || doc["title"] != "x" {
		t.Fatalf("document after reopen: %v %v %v", doc, ok, err)
	}
	names := 0
	if err := s.List(Incidents, func(string, []byte) error { names++; return nil }); err != nil || names != 1 {
		t.Fatalf("list: %d, %v", names, err)
	}
	if err := s.Delete(Incidents, "INC-1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Get(Incidents, "INC-1", &doc); ok {
		t.Fatal("deleted document still there")
	}
}

func TestAuditLogIsAppendOnlyAndGapless(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		seq, err := s.AppendAudit(map[string]int{"n": i})
		if err != nil || seq != uint64(i+1) {
			t.Fatalf("append %d: seq %d, %v", i, seq, err)
		}
	}
	_ = s.Close()
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if seq, _ := s.AppendAudit("after reopen"); seq != 4 {
		t.Fatalf("sequence after reopen = %d, want 4", seq)
	}
	var seqs []uint64
	_ = s.AuditLog(2, func(seq uint64, _ []byte) error { seqs = append(seqs, seq); return nil })
	if fmt.Sprint(seqs) != "[2 3 4]" {
		t.Fatalf("audit from 2: %v", seqs)
	}
}

func TestReadOnlyStoreRefusesWrites(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutEvents(mkEvents("/a", "10.0.0.1", 1)); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	ro, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.PutEvents(mkEvents("/a", "10.0.0.1", 1)); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write to read-only store: %v", err)
	}
	if _, err := ro.AppendAudit("x"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("audit on read-only store: %v", err)
	}
	if len(collect(t, ro, time.Time{}, time.Time{})) != 1 {
		t.Fatal("read-only store cannot read")
	}
	if _, err := Open(t.TempDir(), Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "no mamori store") {
		t.Fatalf("read-only open of an empty directory: %v", err)
	}
}

// TestSecondProcessGetsLockError runs a second process on a store this one
// holds: it must get one clear sentence naming the directory.
func TestSecondProcessGetsLockError(t *testing.T) {
	if dir := os.Getenv("MAMORI_STORE_LOCK_CHILD"); dir != "" {
		_, err := Open(dir, Options{ReadOnly: os.Getenv("MAMORI_STORE_LOCK_RO") != ""})
		fmt.Print(err)
		os.Exit(0)
	}
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	if err := s.PutEvents(mkEvents("/logs/a.log", "10.0.10.23", 3)); err != nil {
		t.Fatal(err)
	}
	// Read-only too: the running writer's memtable log is there, as a
	// killed writer's would be, and the store is not taken for one.
	for _, ro := range []string{"", "1"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSecondProcessGetsLockError$")
		cmd.Env = append(os.Environ(), "MAMORI_STORE_LOCK_CHILD="+dir, "MAMORI_STORE_LOCK_RO="+ro)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		msg := string(out)
		want := fmt.Sprintf("the store %s is in use by another mamori process (pid %d)", s.Dir(), os.Getpid())
		if !strings.Contains(msg, want) {
			t.Fatalf("second process (read-only %q) said %q, want it to contain %q", ro, msg, want)
		}
		if strings.Contains(msg, "goroutine") || strings.Contains(msg, ".go:") {
			t.Fatalf("lock error leaks internals: %q", msg)
		}
	}

	// In-process too, as a typed error.
	_, err = Open(dir, Options{})
	var le *LockedError
	if !errors.As(err, &le) || le.Dir != s.Dir() {
		t.Fatalf("second open in process: %v", err)
	}
}

func TestTimelineAcrossDays(t *testing.T) {
	s := openTemp(t, Options{})
	var evs []event.Event
	ep := netip.MustParseAddr("10.0.10.5")
	for i := range 40 { // every 6 h over 10 days, and a quiet endpoint in between
		evs = append(evs, event.Event{Time: t0.Add(time.Duration(i) * 6 * time.Hour), Kind: event.KindDNS, Endpoint: ep,
			Ref: event.Ref{File: "/d", Offset: int64(i)}, Raw: fmt.Sprint("line ", i)})
	}
	evs = append(evs, event.Event{Time: t0.Add(-30 * 24 * time.Hour), Kind: event.KindDNS, Endpoint: netip.MustParseAddr("10.0.10.6"), Ref: event.Ref{File: "/d", Offset: 999}, Raw: "old"})
	if err := s.PutEvents(evs); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, reverse := range []bool{false, true} {
		var got []string
		q := Query{Limit: 3, Reverse: reverse}
		for range 100 {
			p, err := s.Timeline(ctx, ParseEndpoint("10.0.10.5"), q)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				got = append(got, it.Event.Raw)
			}
			if !p.More {
				break
			}
			k := p.Items[len(p.Items)-1].Key
			q.After = &k
		}
		if len(got) != 40 {
			t.Fatalf("reverse=%v: %d events over the days, want 40", reverse, len(got))
		}
		for i, r := range got {
			want := i
			if reverse {
				want = 39 - i
			}
			if r != fmt.Sprint("line ", want) {
				t.Fatalf("reverse=%v: event %d is %q", reverse, i, r)
			}
		}
	}
	h, err := s.Histogram(ctx, ParseEndpoint("10.0.10.5"), t0, t0.Add(10*24*time.Hour), 24*time.Hour)
	if err != nil || fmt.Sprint(h) != "[4 4 4 4 4 4 4 4 4 4]" {
		t.Fatalf("histogram %v %v", h, err)
	}
}

func TestCallsAfterCloseFailCleanly(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.PutEvents(mkEvents("/a", "10.0.0.1", 10))
	// A console query may still run when the user quits: Close waits for
	// it, and later calls get ErrClosed instead of reading unmapped files.
	done := make(chan error, 1)
	go func() {
		done <- s.Events(context.Background(), time.Time{}, time.Time{}, func(Stored) error {
			time.Sleep(20 * time.Millisecond)
			return nil
		})
	}()
	time.Sleep(5 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the read in flight failed: %v", err)
	}
	if _, err := s.Timeline(context.Background(), ParseEndpoint("10.0.0.1"), Query{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("timeline after close: %v", err)
	}
	if err := s.PutEvents(mkEvents("/a", "10.0.0.1", 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

// Alerts are decoded in chunks on every core; they come back all, once
// each, in id order, and a damaged record is an error, not a hang.
func TestAlertsManyInOrder(t *testing.T) {
	s := openTemp(t, Options{})
	const n = 1300 // more than two chunks
	as := make([]alert.Alert, n)
	for i := range as {
		as[i] = alert.Alert{ID: fmt.Sprintf("a%05d", n-i), Rule: "S-BEACON", Count: i}
	}
	if err := s.PutAlerts(as); err != nil {
		t.Fatal(err)
	}
	got, err := s.Alerts()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("read %d alerts, want %d", len(got), n)
	}
	for i := range got {
		if want := fmt.Sprintf("a%05d", i+1); got[i].ID != want {
			t.Fatalf("alert %d is %s, want %s", i, got[i].ID, want)
		}
	}
	damage := func(txn *badger.Txn) error { return txn.Set(nameKey(prefixAlert, "a00700"), []byte(`{"id": 7`)) }
	if err := s.update(damage); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Alerts(); err == nil {
		t.Fatal("a damaged alert record read without an error")
	}
}
