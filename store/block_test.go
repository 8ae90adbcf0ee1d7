package store

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/event"
)

// blockEvents makes n events in one minute of three endpoints (one known
// only by name, one IPv6), some with an internal peer.
func blockEvents(n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		ev := event.Event{Time: t0.Add(time.Duration(i) * 37 * time.Millisecond), Format: "squid", Kind: event.KindHTTP,
			DstIP: netip.MustParseAddr("203.0.113.7"), URL: fmt.Sprintf("http://example.com/%d", i),
			Ref: event.Ref{File: "/logs/access.log", Offset: int64(i) * 100}, Raw: fmt.Sprintf("raw line %d", i)}
		switch i % 3 {
		case 0:
			ev.Endpoint = netip.MustParseAddr("10.0.10.23")
			ev.SrcIP = ev.Endpoint
			ev.DstIP = netip.MustParseAddr("10.0.10.24") // lateral: two timelines
		case 1:
			ev.Host = "pc-011.corp.local"
		case 2:
			ev.Endpoint = netip.MustParseAddr("2001:db8::23")
			ev.SrcIP = ev.Endpoint
		}
		evs[i] = ev
	}
	return evs
}

func itemsOf(evs []event.Event) []blockItem {
	items := make([]blockItem, len(evs))
	for i := range evs {
		items[i] = blockItem{tk: timeKey(evs[i].Time), id: EventID(evs[i].Ref.File, evs[i].Ref.Offset, evs[i].Raw), ev: &evs[i]}
	}
	slices.SortFunc(items, compareItems)
	return items
}

// TestBlockRoundTrip: every event of a block (several frames) reads back
// as written, with its key and its timelines.
func TestBlockRoundTrip(t *testing.T) {
	s := &Store{opts: Options{IsInternal: func(a netip.Addr) bool { return a.IsPrivate() }}}
	evs := blockEvents(3*frameEvents + 5)
	items := itemsOf(evs)
	var w blockWriter
	key, val, err := w.build(nil, bucketOf(items[0].tk), items, s.endpointsOf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseBlock(key, val)
	if err != nil {
		t.Fatal(err)
	}
	if b.len() != len(evs) {
		t.Fatalf("block holds %d events, want %d", b.len(), len(evs))
	}
	for i, it := range items {
		if b.tks[i] != it.tk || b.ids[i] != it.id || b.find(it.tk, it.id) != i {
			t.Fatalf("event %d: key %x/%x, find %d", i, b.tks[i], b.ids[i], b.find(it.tk, it.id))
		}
		var got event.Event
		if err := b.event(i, &got); err != nil {
			t.Fatal(err)
		}
		want, _ := it.ev.MarshalBinary()
		if again, _ := got.MarshalBinary(); !bytes.Equal(again, want) {
			t.Fatalf("event %d reads back as %+v, want %+v", i, got, *it.ev)
		}
		var eps []string
		b.endpoints(i, func(ep []byte) {
			e, rest, err := readEndpoint(ep)
			if err != nil || len(rest) != 0 {
				t.Fatalf("event %d: endpoint %x: %v", i, ep, err)
			}
			eps = append(eps, e.String())
		})
		var want2 []string
		for _, e := range s.endpointsOf(it.ev, nil) {
			want2 = append(want2, e.String())
		}
		if !slices.Equal(eps, want2) {
			t.Fatalf("event %d indexed under %v, want %v", i, eps, want2)
		}
	}
	// The same events make the same block: a replay overwrites it.
	key2, val2, _ := w.build(nil, bucketOf(items[0].tk), itemsOf(blockEvents(3*frameEvents+5)), s.endpointsOf)
	if !bytes.Equal(key, key2) || !bytes.Equal(val, val2) {
		t.Fatal("the same events made a different block")
	}
}

// TestCorruptBlocksAreErrors: a block cut short or with a flipped byte is
// an error when read, never a panic or a wrong event.
func TestCorruptBlocksAreErrors(t *testing.T) {
	s := &Store{}
	items := itemsOf(blockEvents(2*frameEvents + 1))
	var w blockWriter
	key, val, err := w.build(nil, bucketOf(items[0].tk), items, s.endpointsOf)
	if err != nil {
		t.Fatal(err)
	}
	readAll := func(v []byte) error {
		b, err := parseBlock(key, v)
		if err != nil {
			return err
		}
		for i := range b.len() {
			var ev event.Event
			if err := b.event(i, &ev); err != nil {
				return err
			}
		}
		return nil
	}
	for n := range len(val) {
		if err := readAll(val[:n]); err == nil {
			t.Fatalf("a block cut to %d of %d bytes reads without error", n, len(val))
		}
	}
	if _, err := parseBlock(key[:len(key)-1], val); err == nil {
		t.Fatal("a short block key parses")
	}
	wrongCount := blockKey(bucketOf(items[0].tk), 1, len(items)+1)
	if _, err := parseBlock(wrongCount, val); err == nil {
		t.Fatal("a block whose key says another count parses")
	}
}

// TestReplayedEventsInOtherBlocksAreReadOnce: a replay that groups lines
// into other batches (a followed file read in other pieces after a crash)
// stores copies in other blocks; every reader still sees each event once.
func TestReplayedEventsInOtherBlocksAreReadOnce(t *testing.T) {
	s := openTemp(t, Options{})
	evs := mkEvents("/logs/a.log", "10.0.10.23", 150) // one a minute
	for i := range evs {
		evs[i].Time = t0.Add(time.Duration(i) * time.Second) // 2.5 minutes: blocks share minutes
	}
	for _, cut := range [][2]int{{0, 100}, {50, 150}, {0, 150}} {
		if err := s.PutEvents(evs[cut[0]:cut[1]]); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < len(evs); i += 7 {
		if err := s.PutEvents(evs[i:min(i+7, len(evs))]); err != nil {
			t.Fatal(err)
		}
	}
	got := collect(t, s, time.Time{}, time.Time{})
	if len(got) != len(evs) {
		t.Fatalf("Events gives %d events, want %d", len(got), len(evs))
	}
	for i, st := range got {
		if st.Event.Raw != evs[i].Raw || st.Key != KeyOf(&evs[i]) {
			t.Fatalf("event %d: %q %+v", i, st.Event.Raw, st.Key)
		}
	}
	if n := countAll(t, s); n != len(evs) {
		t.Fatalf("CountEvents = %d, want %d", n, len(evs))
	}
	if n, _ := s.CountEvents(context.Background(), t0.Add(30*time.Second), t0.Add(90*time.Second)); n != 60 {
		t.Fatalf("CountEvents of a minute's span = %d, want 60", n)
	}
	for _, flushed := range []bool{false, true} {
		if flushed { // postings of every write on disk, some twice
			if err := s.flushIndex(); err != nil {
				t.Fatal(err)
			}
			for _, cut := range [][2]int{{0, 100}, {20, 150}} {
				if err := s.PutEvents(evs[cut[0]:cut[1]]); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n := timelineLen(t, s, "10.0.10.23"); n != len(evs) {
			t.Fatalf("flushed=%v: the timeline shows %d events, want %d", flushed, n, len(evs))
		}
		h, err := s.Histogram(context.Background(), ParseEndpoint("10.0.10.23"), t0, t0.Add(3*time.Minute), time.Minute)
		if err != nil || fmt.Sprint(h) != "[60 60 30]" {
			t.Fatalf("flushed=%v: histogram %v %v", flushed, h, err)
		}
	}
	ev, err := s.Event(KeyOf(&evs[77]))
	if err != nil || ev.Raw != evs[77].Raw {
		t.Fatalf("Event: %q %v", ev.Raw, err)
	}
}

// TestTimelineMergesWrittenAndHeldPostings: pages cross the line between
// postings written to the store and those still held in memory, both
// ways, and see every event once.
func TestTimelineMergesWrittenAndHeldPostings(t *testing.T) {
	s := openTemp(t, Options{})
	evs := mkEvents("/logs/a.log", "10.0.10.23", 300) // one a minute: five hours
	if err := s.PutEvents(evs[:170]); err != nil {
		t.Fatal(err)
	}
	if err := s.flushIndex(); err != nil {
		t.Fatal(err)
	}
	if err := s.PutEvents(evs[130:]); err != nil { // overlapping, held
		t.Fatal(err)
	}
	for _, reverse := range []bool{false, true} {
		var got []string
		q := Query{Limit: 16, Reverse: reverse}
		for {
			p, err := s.Timeline(context.Background(), ParseEndpoint("10.0.10.23"), q)
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
		if len(got) != len(evs) {
			t.Fatalf("reverse=%v: %d events, want %d", reverse, len(got), len(evs))
		}
		for i, r := range got {
			j := i
			if reverse {
				j = len(evs) - 1 - i
			}
			if r != evs[j].Raw {
				t.Fatalf("reverse=%v: event %d is %q, want %q", reverse, i, r, evs[j].Raw)
			}
		}
	}
}

// FuzzParseBlock: whatever the bytes, reading a block gives events or an
// error, never a panic.
func FuzzParseBlock(f *testing.F) {
	s := &Store{}
	items := itemsOf(blockEvents(frameEvents + 3))
	var w blockWriter
	key, val, err := w.build(nil, bucketOf(items[0].tk), items, s.endpointsOf)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint32(len(items)), val)
	f.Add(uint32(1), []byte{blockVersion, 1, 0, 1, 0})
	f.Fuzz(func(_ *testing.T, n uint32, v []byte) {
		k := append(bytes.Clone(key[:17]), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		b, err := parseBlock(k, v)
		if err != nil {
			return
		}
		for i := range b.len() {
			var ev event.Event
			_ = b.event(i, &ev)
			b.endpoints(i, func([]byte) {})
		}
	})
}

// TestTimelineDuringAFlush: timeline pages read the postings a flush is
// writing while it writes them. The flush sorted them in place and stored
// the sorted lists back into the map the pages read, unlocked: a data
// race (the race detector's report, or Go's "concurrent map read and map
// write"), found by the ingest kill test reading timelines beside a
// restarted ingest.
func TestTimelineDuringAFlush(t *testing.T) {
	s := openTemp(t, Options{})
	ep := ParseEndpoint("10.0.10.23")
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := s.Timeline(context.Background(), ep, Query{Limit: 50}); err != nil {
				done <- err
				return
			}
		}
	}()
	for round := range 40 {
		// Batches out of time order: the flush has lists to sort.
		evs := mkEvents(fmt.Sprintf("/logs/%d.log", round), "10.0.10.23", 300)
		slices.Reverse(evs)
		for i := 0; i < len(evs); i += 50 {
			if err := s.PutEvents(evs[i : i+50]); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.flushIndex(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := timelineLen(t, s, "10.0.10.23"); n != 40*300 {
		t.Fatalf("the timeline shows %d events, want %d", n, 40*300)
	}
}
