package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/mamori-soc/mamori/event"
)

// writeFormat1 writes evs to a new store in dir as mamori wrote stores
// before event blocks: one 'e' entry per event and one empty 'x' timeline
// key per event and endpoint.
func writeFormat1(t *testing.T, dir string, evs []event.Event, internal func(netip.Addr) bool) {
	t.Helper()
	db, err := badger.Open(badgerOptions(dir, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{opts: Options{IsInternal: internal}}
	wb := db.NewWriteBatch()
	for i := range evs {
		k := KeyOf(&evs[i])
		v, err := evs[i].MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if err := wb.Set(eventKey(k), v); err != nil {
			t.Fatal(err)
		}
		for _, ep := range s.endpointsOf(&evs[i], nil) {
			if err := wb.Set(endpointKey(ep, k), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// format1Events are events of two endpoints over three days, with lateral
// ones indexed under both.
func format1Events() []event.Event {
	a := mkEvents("/logs/a.log", "10.0.10.23", 3000) // a minute apart: two days
	b := mkEvents("/logs/b.log", "10.0.10.24", 500)
	for i := range b {
		b[i].Time = b[i].Time.Add(24*time.Hour + 30*time.Second)
		if i%10 == 0 {
			b[i].DstIP = netip.MustParseAddr("10.0.10.23")
		}
	}
	return append(a, b...)
}

var private = func(a netip.Addr) bool { return a.IsPrivate() }

// TestFormat1StoreIsConvertedNeverMisread: a store written before event
// blocks is refused read-only with a message saying how to convert it
// (never read as empty); opened for writing it is converted, and every
// reader then sees what it held, with no old entry left.
func TestFormat1StoreIsConvertedNeverMisread(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	evs := format1Events()
	writeFormat1(t, dir, evs, private)

	_, err := Open(dir, Options{ReadOnly: true})
	var old *OldFormatError
	if !errors.As(err, &old) || !errors.Is(err, ErrOldFormat) || !strings.Contains(err.Error(), "mamori migrate --db "+dir) {
		t.Fatalf("read-only open of a format-1 store: %v", err)
	}
	// One message, naming the store once and the command (the CLI prints
	// it after "mamori: ").
	if !strings.HasPrefix(err.Error(), "the store "+dir+" was written by an older mamori") || strings.Count(err.Error(), dir) != 2 {
		t.Fatalf("the refusal is not one clear message: %v", err)
	}

	s, err := Open(dir, Options{IsInternal: private})
	if err != nil {
		t.Fatal(err)
	}
	if ok, n := s.Migrated(); !ok || n != len(evs) {
		t.Fatalf("Migrated() = %v, %d; want true, %d", ok, n, len(evs))
	}
	checkHolds(t, s, evs)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open after the conversion: %v", err)
	}
	defer s.Close()
	if ok, _ := s.Migrated(); ok {
		t.Error("converted twice")
	}
	checkHolds(t, s, evs)
	for _, p := range []byte{prefixEvent, prefixEndpoint, prefixJournal} {
		if n := keysUnder(t, s, p); n != 0 {
			t.Errorf("%d keys left under %q", n, p)
		}
	}
}

// TestInterruptedConversionStartsOver: a conversion killed midway leaves
// the old entries and some blocks and postings; the next open drops those
// and converts again, so nothing is doubled or lost.
func TestInterruptedConversionStartsOver(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	evs := format1Events()
	writeFormat1(t, dir, evs, private)
	// What an interrupted conversion leaves: blocks and postings of part
	// of the events, grouped otherwise than a whole conversion would.
	db, err := badger.Open(badgerOptions(dir, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	part := &Store{db: db, dir: dir, opts: Options{IsInternal: private}, index: newIndex(), stored: map[int32]int64{}}
	// (.23's events of minutes where .24 has some too: alone here, a
	// whole conversion puts both in one block.)
	if err := part.PutEvents(evs[1500:1600]); err != nil {
		t.Fatal(err)
	}
	if err := part.flushIndex(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(dir, Options{IsInternal: private})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkHolds(t, s, evs)
	// The leftovers are gone: the blocks are those of a conversion that
	// was never interrupted.
	clean := filepath.Join(t.TempDir(), "clean")
	writeFormat1(t, clean, evs, private)
	c, err := Open(clean, Options{IsInternal: private})
	if err != nil {
		t.Fatal(err)
	}
	want := keysUnder(t, c, prefixBlock)
	_ = c.Close()
	if n := keysUnder(t, s, prefixBlock); n != want {
		t.Fatalf("%d blocks after the resumed conversion, %d after an uninterrupted one", n, want)
	}
	// Events written after are stored once, under their keys.
	if err := s.PutEvents(evs[:50]); err != nil {
		t.Fatal(err)
	}
	checkHolds(t, s, evs)
}

// checkHolds checks every reader against evs: events in time order,
// counts, each event by key, the timelines and a histogram.
func checkHolds(t *testing.T, s *Store, evs []event.Event) {
	t.Helper()
	got := collect(t, s, time.Time{}, time.Time{})
	if len(got) != len(evs) {
		t.Fatalf("%d events, want %d", len(got), len(evs))
	}
	seen := map[EventKey]bool{}
	for i, st := range got {
		if i > 0 && st.Event.Time.Before(got[i-1].Event.Time) {
			t.Fatalf("events out of order at %d", i)
		}
		seen[st.Key] = true
	}
	for i := range evs {
		if !seen[KeyOf(&evs[i])] {
			t.Fatalf("event %q missing", evs[i].Raw)
		}
	}
	if n := countAll(t, s); n != len(evs) {
		t.Fatalf("CountEvents = %d, want %d", n, len(evs))
	}
	if ev, err := s.Event(KeyOf(&evs[1234])); err != nil || ev.Raw != evs[1234].Raw {
		t.Fatalf("Event: %q, %v", ev.Raw, err)
	}
	// .23 has its 3000 and the 50 lateral events of .24; .24 its 500.
	for ep, want := range map[string]int{"10.0.10.23": 3050, "10.0.10.24": 500} {
		if n := timelineLen(t, s, ep); n != want {
			t.Fatalf("timeline of %s: %d events, want %d", ep, n, want)
		}
	}
	h, err := s.Histogram(context.Background(), ParseEndpoint("10.0.10.24"), t0, t0.Add(3*24*time.Hour), 24*time.Hour)
	if err != nil || fmt.Sprint(h) != "[0 500 0]" {
		t.Fatalf("histogram %v %v", h, err)
	}
}

// TestConversionKilledWhileDroppingTheOldEntries: Badger drops a prefix
// level by level, so a conversion killed while it drops the old entries
// leaves some of them. The next open must not take that for a conversion
// that never finished (drop the blocks and convert what is left: the
// events already dropped would be lost); it finishes the drop and keeps
// every event.
func TestConversionKilledWhileDroppingTheOldEntries(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	evs := format1Events()
	writeFormat1(t, dir, evs, private)

	// The conversion dies after dropping the old entries of the first
	// half of the events.
	killed := errors.New("killed")
	dropLegacy = func(db *badger.DB) error {
		var keys [][]byte
		err := db.View(func(txn *badger.Txn) error {
			opt := badger.DefaultIteratorOptions
			opt.PrefetchValues = false
			opt.Prefix = []byte{prefixEvent}
			it := txn.NewIterator(opt)
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			return nil
		})
		if err != nil {
			return err
		}
		wb := db.NewWriteBatch()
		for _, k := range keys[:len(keys)/2] {
			if err := wb.Delete(k); err != nil {
				return err
			}
		}
		if err := wb.Flush(); err != nil {
			return err
		}
		return killed
	}
	_, err := Open(dir, Options{IsInternal: private})
	dropLegacy = dropLegacyEntries
	if !errors.Is(err, killed) {
		t.Fatalf("the interrupted conversion: %v", err)
	}

	s, err := Open(dir, Options{IsInternal: private})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkHolds(t, s, evs)
	for _, p := range []byte{prefixEvent, prefixEndpoint} {
		if n := keysUnder(t, s, p); n != 0 {
			t.Errorf("%d old keys left under %q", n, p)
		}
	}
}
