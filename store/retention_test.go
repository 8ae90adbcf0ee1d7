package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/mamori-soc/mamori/event"
)

// clock is a wall clock the test sets.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

const day24 = 24 * time.Hour

// eventAt is one DNS event of 10.0.10.5 at t.
func eventAt(t time.Time, file string, i int) event.Event {
	return event.Event{Time: t, Kind: event.KindDNS, Endpoint: netip.MustParseAddr("10.0.10.5"),
		Ref: event.Ref{File: file, Offset: int64(i)}, Raw: fmt.Sprintf("%s line %d", file, i)}
}

func countAll(t *testing.T, s *Store) int {
	t.Helper()
	n, err := s.CountEvents(context.Background(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRetentionIsAnchoredToTheWallClock: a line dated 2200 (forged or
// broken) is stored and moves nothing; retention counts back from the
// clock. Counted back from the newest event, as before, the prune deleted
// every other event.
func TestRetentionIsAnchoredToTheWallClock(t *testing.T) {
	c := &clock{}
	s := openTemp(t, Options{Retention: 10 * day24, Now: c.Now})
	for i := range 20 { // followed live: each day's line stored that day
		c.Set(t0.Add(time.Duration(i)*day24 + time.Hour))
		if err := s.PutEvents([]event.Event{eventAt(t0.Add(time.Duration(i)*day24), "/var/log/live", i)}); err != nil {
			t.Fatal(err)
		}
	}
	c.Set(t0.Add(19*day24 + 2*time.Hour))
	if err := s.PutEvents([]event.Event{eventAt(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), "/var/log/live", 99)}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, err := s.Prune(ctx, false)
	if err != nil || n != 10 {
		t.Fatalf("pruned %d, %v; want the 10 events more than 10 days before the clock", n, err)
	}
	got := collect(t, s, time.Time{}, time.Time{})
	if len(got) != 11 || got[0].Event.Raw != "/var/log/live line 10" || got[10].Event.Time.Year() != 2200 {
		t.Fatalf("after pruning: %d events, first %q", len(got), got[0].Event.Raw)
	}
	p, err := s.Timeline(ctx, ParseEndpoint("10.0.10.5"), Query{From: t0, To: t0.Add(30 * day24)})
	if err != nil || len(p.Items) != 10 {
		t.Fatalf("timeline after pruning: %d, %v", len(p.Items), err)
	}
	if n, err := s.Prune(ctx, false); n != 0 || err != nil {
		t.Fatalf("a second prune deleted %d, %v", n, err)
	}
	keep := openTemp(t, Options{Retention: -1, Now: c.Now})
	_ = keep.PutEvents([]event.Event{eventAt(t0, "/d", 1)})
	c.Set(t0.Add(1000 * day24))
	if n, _ := keep.Prune(ctx, false); n != 0 {
		t.Fatal("a negative retention pruned")
	}
}

// TestRetentionKeepsImportedEvidence: logs collected seven months ago and
// imported now are kept for a whole retention after the import; then a
// prune that would delete most of the store refuses and says why, until
// forced.
func TestRetentionKeepsImportedEvidence(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c := &clock{t: now}
	s := openTemp(t, Options{Retention: 180 * day24, Now: c.Now})
	incident := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var old []event.Event
	for i := range 30 { // an hour apart over two days
		old = append(old, eventAt(incident.Add(time.Duration(i)*time.Hour), "/cases/2026-05/proxy.log", i))
	}
	if err := s.PutEvents(old); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, at := range []time.Time{now, now.Add(179 * day24)} {
		c.Set(at)
		if n, err := s.Prune(ctx, false); n != 0 || err != nil {
			t.Fatalf("%v after the import: pruned %d, %v", at.Sub(now), n, err)
		}
	}
	c.Set(now.Add(181 * day24))
	n, err := s.Prune(ctx, false)
	var refused *PruneRefusedError
	if !errors.As(err, &refused) || !errors.Is(err, ErrPruneRefused) || n != 0 || refused.Delete != 30 {
		t.Fatalf("pruning all of the store: %d, %v; want a refusal", n, err)
	}
	for _, want := range []string{"30 of the 30", "more than half", "--force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if got := countAll(t, s); got != 30 {
		t.Fatalf("a refused prune left %d of 30 events", got)
	}
	if n, err := s.Prune(ctx, true); n != 30 || err != nil {
		t.Fatalf("forced prune: %d, %v", n, err)
	}
	if got := countAll(t, s); got != 0 {
		t.Fatalf("%d events left after a forced prune", got)
	}
	if len(s.heldDays(c.Now())) != 0 || len(s.stored) != 0 {
		t.Fatalf("stored-day records left for pruned days: %v", s.stored)
	}
}

// TestRetentionOfAnOlderStore: a store written before the stored-day
// records existed counts its events as stored when first opened, so an
// upgrade prunes nothing at once.
func TestRetentionOfAnOlderStore(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c := &clock{t: now}
	s, err := Open(dir, Options{Retention: 30 * day24, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := s.PutEvents([]event.Event{eventAt(now.Add(-time.Duration(100+i)*day24), "/old", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// What an earlier version left: events, no stored-day records.
	err = s.db.DropPrefix([]byte{prefixStored})
	if cerr := s.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	s, err = Open(dir, Options{Retention: 30 * day24, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Prune(context.Background(), false); n != 0 || err != nil {
		t.Fatalf("first prune after the upgrade: %d, %v", n, err)
	}
	c.Set(now.Add(31 * day24))
	if n, err := s.Prune(context.Background(), true); n != 3 || err != nil {
		t.Fatalf("prune a retention later: %d, %v", n, err)
	}
}

// TestPutEventsRefusesTimesItCannotStore: a year-3000 event in a batch is
// an error and nothing of the batch is written; before, it was stored as
// 1830.
func TestPutEventsRefusesTimesItCannotStore(t *testing.T) {
	s := openTemp(t, Options{})
	evs := mkEvents("/logs/a.log", "10.0.10.23", 3)
	evs = append(evs, eventAt(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), "/logs/a.log", 9))
	if err := s.PutEvents(evs); !errors.Is(err, event.ErrTimeRange) {
		t.Fatalf("got %v, want ErrTimeRange", err)
	}
	if n := countAll(t, s); n != 0 {
		t.Fatalf("%d events of a refused batch stored", n)
	}
}

// TestQueryBoundsBeyondTheKeysAreClamped: a query up to year 3000 sees
// every event instead of wrapping to 1830 and seeing none.
func TestQueryBoundsBeyondTheKeysAreClamped(t *testing.T) {
	s := openTemp(t, Options{})
	if err := s.PutEvents(mkEvents("/logs/a.log", "10.0.10.23", 5)); err != nil {
		t.Fatal(err)
	}
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := collect(t, s, time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), far); len(got) != 5 {
		t.Fatalf("events up to year 3000: %d, want 5", len(got))
	}
	if n, err := s.CountEvents(context.Background(), far, time.Time{}); n != 0 || err != nil {
		t.Fatalf("events after year 3000: %d, %v", n, err)
	}
}

// TestTimelineSkipsEmptyDays: a line dated 2200 must not make every
// timeline page walk the 63,000 empty days up to it. Pages across the gap
// are right both ways; and a page needs fewer than 64 day lookups, which
// the walk shows by not looking at its context, checked every 64 days
// (already cancelled here).
func TestTimelineSkipsEmptyDays(t *testing.T) {
	s := openTemp(t, Options{})
	ep := ParseEndpoint("10.0.10.5")
	var evs []event.Event
	for i := range 5 {
		evs = append(evs, eventAt(t0.Add(time.Duration(i)*day24), "/a", i))
	}
	evs = append(evs, eventAt(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), "/a", 5))
	if err := s.PutEvents(evs); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, reverse := range []bool{false, true} {
		var got []string
		q := Query{Reverse: reverse, Limit: 2}
		for {
			p, err := s.Timeline(ctx, ep, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				got = append(got, it.Event.Raw)
			}
			if !p.More {
				break
			}
			q.After = &p.Items[len(p.Items)-1].Key
		}
		want := "/a line 0,/a line 1,/a line 2,/a line 3,/a line 4,/a line 5"
		if reverse {
			want = "/a line 5,/a line 4,/a line 3,/a line 2,/a line 1,/a line 0"
		}
		if strings.Join(got, ",") != want {
			t.Errorf("reverse=%v: %v", reverse, got)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, reverse := range []bool{false, true} {
		if p, err := s.Timeline(cancelled, ep, Query{Reverse: reverse}); err != nil || len(p.Items) != 6 {
			t.Errorf("reverse=%v: %d items, %v: the page walked the empty days", reverse, len(p.Items), err)
		}
	}
}

// TestRetentionPrunesWholeBlocksAndTheirPostings: retention on event
// blocks of many events, some of them replayed into a second block, with
// the timeline postings written to the store, beside logs of a month ago
// imported today (kept): the events beyond the retention go with their
// copies and their postings, up to the cutoff's hour, the others stay
// whole, and every reader agrees, also after a reopen. A histogram over
// the imported day and the pruned ones counted pruned events while their
// day's postings were kept until the next day.
func TestRetentionPrunesWholeBlocksAndTheirPostings(t *testing.T) {
	dir := t.TempDir()
	c := &clock{}
	opts := Options{Retention: 10 * day24, Now: c.Now}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	const perDay = 300 // every 2 s over 10 minutes: blocks of 30
	for d := range 20 {
		c.Set(t0.Add(time.Duration(d)*day24 + time.Hour))
		var evs []event.Event
		for i := range perDay {
			evs = append(evs, eventAt(t0.Add(time.Duration(d)*day24+time.Duration(i)*2*time.Second), fmt.Sprintf("/var/log/day%d", d), i))
		}
		if err := s.PutEvents(evs); err != nil {
			t.Fatal(err)
		}
		// A replay after a crash, grouped otherwise: copies in other blocks.
		if err := s.PutEvents(evs[perDay/3 : perDay/2]); err != nil {
			t.Fatal(err)
		}
		if d == 19 { // and the logs of a month ago, imported today
			var old []event.Event
			for i := range 5 {
				old = append(old, eventAt(t0.Add(-30*day24+time.Duration(i)*time.Minute), "/cases/old.log", i))
			}
			if err := s.PutEvents(old); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.flushIndex(); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(19*day24 + 2*time.Hour)
	c.Set(now)
	ctx := context.Background()
	if _, err := s.Prune(ctx, false); err != nil {
		t.Fatal(err)
	}
	cutoff := now.Add(-opts.Retention) // day 9, 02:00: day 9's events go
	oldDay := day(t0.Add(-30 * day24))
	check := func(when string) {
		t.Helper()
		got := collect(t, s, time.Time{}, time.Time{})
		if len(got) != 10*perDay+5 || day(got[5].Event.Time) != day(t0)+10 {
			t.Fatalf("%s: %d events, the sixth of day %d; want %d, of day %d", when, len(got), day(got[5].Event.Time), 10*perDay+5, day(t0)+10)
		}
		if n := countAll(t, s); n != 10*perDay+5 {
			t.Fatalf("%s: CountEvents = %d", when, n)
		}
		if n := timelineLen(t, s, "10.0.10.5"); n != 10*perDay+5 {
			t.Fatalf("%s: the timeline shows %d events", when, n)
		}
		h, err := s.Histogram(ctx, ParseEndpoint("10.0.10.5"), t0.Add(-30*day24), t0.Add(20*day24), day24)
		if err != nil || fmt.Sprint(h[0], h[30:]) != "5 [0 0 0 0 0 0 0 0 0 0 300 300 300 300 300 300 300 300 300 300]" {
			t.Fatalf("%s: histogram %v %v", when, h, err)
		}
		err = s.view(func(txn *badger.Txn) error {
			for _, p := range []byte{prefixBlock, prefixPosting} {
				opt := badger.DefaultIteratorOptions
				opt.PrefetchValues = false
				opt.Prefix = []byte{p}
				it := txn.NewIterator(opt)
				for it.Rewind(); it.Valid(); it.Next() {
					k := it.Item().Key()
					var at tkey
					if p == prefixBlock {
						at = binary.BigEndian.Uint64(k[1:9])
					} else {
						at = hourStart(readHour(k[1:5]))
					}
					if at < timeKey(cutoff.Truncate(time.Hour)) && day(keyTime(at)) != oldDay {
						it.Close()
						return fmt.Errorf("a %q key of %v, before the cutoff %v, is left", p, keyTime(at), cutoff)
					}
				}
				it.Close()
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
	}
	check("after the prune")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, opts); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check("reopened")
	if n, err := s.Prune(ctx, false); n != 0 || err != nil {
		t.Fatalf("a second prune: %d, %v", n, err)
	}
}
