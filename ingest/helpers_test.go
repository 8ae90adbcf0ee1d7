package ingest

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/store"
)

// testFormat is a minimal line format for the framework's tests:
// "RFC3339 IP message"; lines starting with "#" are headers (the decoder
// remembers the last one, like a Zeek TSV decoder), "bad" lines are
// rejected.
var testFormat = parse.Format{
	Name:    "testfmt",
	Title:   "test format",
	Example: "2026-11-20T09:00:00Z 10.0.10.23 hello",
	Sniff: func(_ string, lines [][]byte) int {
		for _, l := range lines {
			if bytes.HasPrefix(l, []byte("20")) || bytes.HasPrefix(l, []byte("#testfmt")) {
				return 50
			}
		}
		return 0
	},
	New: func(parse.Source) parse.Decoder { return &testDecoder{} },
}

type testDecoder struct{ header string }

func (d *testDecoder) Decode(line []byte, ev *event.Event) error {
	if bytes.HasPrefix(line, []byte("#")) {
		d.header = string(line)
		return parse.ErrSkip
	}
	if bytes.Equal(line, []byte("skipfile")) {
		return parse.SkipFile("nothing here")
	}
	f := bytes.SplitN(line, []byte(" "), 3)
	if len(f) < 3 {
		return parse.Rejectf("too few fields", "%d fields", len(f))
	}
	t, err := time.Parse(time.RFC3339Nano, string(f[0]))
	if err != nil {
		return parse.Rejectf("bad timestamp", "%v", err)
	}
	a, err := netip.ParseAddr(string(f[1]))
	if err != nil {
		return parse.Rejectf("bad address", "%v", err)
	}
	*ev = event.Event{Time: t, Format: "testfmt", Kind: event.KindConnection, SrcIP: a, Message: string(f[2]), Label: d.header}
	return nil
}

var testT0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func testLine(i int) string {
	return fmt.Sprintf("%s 10.0.10.%d message number %d", testT0.Add(time.Duration(i)*time.Second).Format(time.RFC3339), 1+i%200, i)
}

// noisyLine is testLine with 180 random bytes (base64) at the end: the
// store compresses events, and a test that must fill a disk needs lines
// that do not compress.
func noisyLine(i int) string {
	noise := make([]byte, 180)
	r := rand.New(rand.NewPCG(uint64(i), 7))
	for j := range noise {
		noise[j] = byte(r.Uint32())
	}
	return testLine(i) + " " + base64.StdEncoding.EncodeToString(noise)
}

type harness struct {
	t      *testing.T
	dir    string
	st     *store.Store
	p      *Pipeline
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func testOptions() Options {
	return Options{
		Formats:  []parse.Format{testFormat},
		Enricher: &Enricher{Networks: asset.MustNetworks(asset.DefaultInternal...)},
	}
}

// newHarness opens a store and runs a pipeline until the test ends.
func newHarness(t *testing.T, dbDir string) *harness {
	t.Helper()
	return newHarnessWith(t, dbDir, store.Options{})
}

// newHarnessWith is newHarness with the store's options.
func newHarnessWith(t *testing.T, dbDir string, opts store.Options) *harness {
	t.Helper()
	if dbDir == "" {
		dbDir = filepath.Join(t.TempDir(), "db")
	}
	st, err := store.Open(dbDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: t.TempDir(), st: st}
	h.p = NewPipeline(st, NewStats(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		_ = h.p.Run(ctx)
	}()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.wg.Wait()
	h.cancel = nil
	_ = h.st.Close()
}

func (h *harness) follow(ctx context.Context, f *Follower, srcs ...FollowSource) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	f.Pipeline, f.Offsets = h.p, h.st
	if f.Log == nil && os.Getenv("MAMORI_DEBUG") != "" { // the follower's log on stderr
		f.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if f.RotateWait == 0 {
		f.RotateWait = 300 * time.Millisecond
	}
	if f.Poll == 0 {
		f.Poll = 50 * time.Millisecond
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.Run(ctx, srcs); err != nil {
			h.t.Errorf("follower: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	h.t.Cleanup(stop) // before the pipeline stops, also when the test fails
	return stop
}

// raws returns the raw lines stored, sorted.
func (h *harness) raws() []string {
	var out []string
	err := h.st.Events(context.Background(), time.Time{}, time.Time{}, func(s store.Stored) error {
		out = append(out, s.Event.Raw)
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// missing returns the lines line(0)..line(n-1) not stored and the stored
// lines that are not one of them or are stored more than once.
func (h *harness) missing(n int, line func(int) string) (missing, extra []string) {
	count := map[string]int{}
	for _, r := range h.raws() {
		count[r]++
	}
	for i := range n {
		l := line(i)
		if count[l] == 0 {
			missing = append(missing, l)
		}
		count[l]--
	}
	for l, c := range count {
		if c > 0 {
			extra = append(extra, fmt.Sprintf("%dx %s", c, l))
		}
	}
	return missing, extra
}

// waitFor polls until the store holds n events. It fails when the count
// has not moved for stall: the deadline extends while the count grows, so
// a loaded machine that ingests slowly passes and a stuck one fails.
func (h *harness) waitFor(n int, stall time.Duration) {
	h.t.Helper()
	last, deadline := -1, time.Now().Add(stall)
	for {
		got, err := h.st.CountEvents(context.Background(), time.Time{}, time.Time{})
		if err != nil {
			h.t.Fatal(err)
		}
		if got == n {
			return
		}
		if got > n {
			h.t.Fatalf("store holds %d events, more than the %d written", got, n)
		}
		if got != last {
			last, deadline = got, time.Now().Add(stall)
		}
		if time.Now().After(deadline) {
			miss, extra := h.missing(n, testLine) // the lines of most tests
			h.t.Fatalf("store holds %d events, unchanged for %v, want %d; missing %q, extra %q; sources: %+v", got, stall, n, miss, extra, h.p.Stats().Snapshot())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantExactly checks that the store holds exactly lines 0..n-1, once each.
func (h *harness) wantExactly(n int) {
	h.t.Helper()
	h.wantLines(n, testLine)
}

// wantLines checks that the store holds exactly line(0)..line(n-1), once
// each.
func (h *harness) wantLines(n int, line func(int) string) {
	h.t.Helper()
	want := make([]string, n)
	for i := range want {
		want[i] = line(i)
	}
	sort.Strings(want)
	got := h.raws()
	miss, extra := h.missing(n, line)
	if len(got) != n || len(miss)+len(extra) > 0 {
		h.t.Fatalf("store holds %d events, want %d: missing %q, extra %q", len(got), n, miss, extra)
	}
	for i := range want {
		if got[i] != want[i] {
			h.t.Fatalf("stored lines differ from written at %d: %q vs %q", i, got[i], want[i])
		}
	}
}

func appendLines(t *testing.T, path string, from, to int) {
	t.Helper()
	appendLinesOf(t, path, from, to, testLine)
}

func appendLinesOf(t *testing.T, path string, from, to int, line func(int) string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b bytes.Buffer
	for i := from; i < to; i++ {
		b.WriteString(line(i))
		b.WriteByte('\n')
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
}

func lastEvent(t *testing.T, h *harness) event.Event {
	t.Helper()
	var last event.Event
	_ = h.st.Events(context.Background(), time.Time{}, time.Time{}, func(s store.Stored) error {
		last = s.Event
		return nil
	})
	return last
}
