package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/store"
)

func runImport(t *testing.T, h *harness, opt ImportOptions, paths ...string) Summary {
	t.Helper()
	if opt.Formats == nil {
		opt.Options = testOptions()
	}
	if err := Import(context.Background(), h.p, h.st, paths, opt); err != nil {
		t.Fatal(err)
	}
	// A subscription begins once everything sent before it is written
	// and counted: what Import sent is then all in the stats. (Its events
	// are drained so the writer never waits on it.)
	sub, err := h.p.Subscribe(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	sub.Snapshot.Close()
	go func() {
		for range sub.Events {
		}
	}()
	return Summarize(h.p.Stats().Snapshot())
}

func TestImportFolderWithGzipAndNonLogs(t *testing.T) {
	h := newHarness(t, "")
	dir := filepath.Join(h.dir, "collected")
	_ = os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	appendLines(t, filepath.Join(dir, "a.log"), 0, 100)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	for i := 100; i < 250; i++ {
		zw.Write([]byte(testLine(i) + "\n"))
	}
	zw.Close()
	_ = os.WriteFile(filepath.Join(dir, "sub", "b.log.1.gz"), gz.Bytes(), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "README"), []byte("These logs were collected on 2026-11-20 from the proxy.\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "capture.pcap"), append([]byte{0xd4, 0xc3, 0xb2, 0xa1}, make([]byte, 100)...), 0o644)
	_ = os.WriteFile(filepath.Join(dir, ".hidden"), []byte("x"), 0o644)

	sum := runImport(t, h, ImportOptions{}, dir)
	if sum.Events != 250 || sum.ByFormat["testfmt"] != 250 {
		t.Fatalf("summary: %+v", sum)
	}
	h.wantExactly(250)
	reasons := map[string]string{}
	for _, s := range sum.Skipped {
		reasons[filepath.Base(s.Path)] = s.Reason
	}
	if !strings.Contains(reasons["README"], "no known log format") || !strings.Contains(reasons["capture.pcap"], "pcap") || reasons[".hidden"] == "" {
		t.Fatalf("skipped: %+v", sum.Skipped)
	}
	if sum.Rejected != 0 {
		t.Fatalf("non-logs were counted as rejected lines: %+v", sum.RejectedByReason)
	}
}

func TestImportCountsBadInputAndKeepsGoing(t *testing.T) {
	h := newHarness(t, "")
	path := filepath.Join(h.dir, "bad.log")
	var b bytes.Buffer
	b.WriteString(testLine(0) + "\n")
	b.WriteString("bad\n")                                                             // too few fields
	b.WriteString("2026-13-45T99:00:00Z 10.0.0.1 x\n")                                 // bad timestamp
	b.WriteString(testLine(1)[:20] + " not-an-ip x\n")                                 // bad address
	b.WriteString("x\x00\x01\x02 binary\n")                                            // binary garbage
	b.WriteString(strings.Repeat("A", 10<<20) + "\n")                                  // a 10 MB line
	b.WriteString(testLine(2) + " caf\xe9\n")                                          // invalid UTF-8: stored, noted
	b.WriteString(testLine(3) + "\n")                                                  // fine
	b.WriteString(testT0.Add(-time.Hour).Format(time.RFC3339) + " 10.0.0.1 earlier\n") // time goes back
	b.WriteString("\n\n")                                                              // blank lines
	_ = os.WriteFile(path, b.Bytes(), 0o644)

	sum := runImport(t, h, ImportOptions{Options: Options{Formats: testOptions().Formats, MaxLine: 1 << 20}}, path)
	wantReasons := map[string]int64{"too few fields": 1, "bad timestamp": 1, "bad address": 1, "binary data": 1, "line too long": 1}
	for r, n := range wantReasons {
		if sum.RejectedByReason[r] != n {
			t.Errorf("rejected %q: %d, want %d (all: %v)", r, sum.RejectedByReason[r], n, sum.RejectedByReason)
		}
	}
	if sum.Events != 4 {
		t.Errorf("events %d, want 4", sum.Events)
	}
	if sum.Notes["invalid UTF-8 (replaced)"] != 1 || sum.Notes["time goes back more than 10m"] != 1 {
		t.Errorf("notes %v", sum.Notes)
	}
	src := sum.Sources[0]
	if len(src.Samples) == 0 {
		t.Fatal("no samples kept")
	}
	for _, s := range src.Samples {
		if len(s.Line) > 1000 {
			t.Fatalf("sample of %q is %d bytes: samples must be short", s.Reason, len(s.Line))
		}
	}
	// The invalid UTF-8 line is stored byte for byte.
	found := false
	for _, r := range h.raws() {
		if strings.HasSuffix(r, "caf\xe9") {
			found = true
		}
	}
	if !found {
		t.Fatal("the raw line with invalid UTF-8 was not kept as it was")
	}
}

func TestImportResumeSkipsDoneFiles(t *testing.T) {
	h := newHarness(t, "")
	path := filepath.Join(h.dir, "a.log")
	appendLines(t, path, 0, 10)
	runImport(t, h, ImportOptions{Resume: true}, path)
	appendLines(t, path, 10, 15)
	h2 := h.p.Stats()
	_ = h2
	sum := runImport(t, h, ImportOptions{Resume: true}, path)
	h.wantExactly(15)
	if sum.Sources[0].Events != 15 { // 10 from the first run, 5 new
		t.Fatalf("events counted: %d", sum.Sources[0].Events)
	}
}

func TestImportSkipFileAndForcedFormat(t *testing.T) {
	h := newHarness(t, "")
	path := filepath.Join(h.dir, "x509.log")
	_ = os.WriteFile(path, []byte("#testfmt header\nskipfile\n"+testLine(0)+"\n"), 0o644)
	sum := runImport(t, h, ImportOptions{Options: Options{Formats: testOptions().Formats, Format: "testfmt"}}, path)
	if len(sum.Skipped) != 1 || !strings.Contains(sum.Skipped[0].Reason, "nothing here") {
		t.Fatalf("skipped: %+v", sum.Skipped)
	}
	if _, err := LookupFormat(testOptions().Formats, "nope"); err == nil || !strings.Contains(err.Error(), "testfmt") {
		t.Fatalf("unknown format error: %v", err)
	}
}

// gatedStore is the real store with a writer that waits for the gate
// before saving offsets: the writer is behind the sources for as long as
// the test wants.
type gatedStore struct {
	*store.Store
	gate chan struct{}
}

func (g *gatedStore) PutOffsets(offs []store.Offset) error {
	<-g.gate
	return g.Store.PutOffsets(offs)
}

// A file is reported done only once the writer stored and counted its
// lines: a summary taken when every file is done is complete, however far
// behind the writer was when Import returned.
func TestImportDoneOnlyOnceTheWriterCountedIt(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := &gatedStore{Store: st, gate: make(chan struct{})}
	p := NewPipeline(g, NewStats(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = p.Run(ctx)
	}()
	opened := true
	release := func() {
		if opened {
			close(g.gate)
			opened = false
		}
	}
	defer func() {
		release()
		cancel()
		<-ran
		_ = st.Close()
	}()

	path := filepath.Join(t.TempDir(), "a.log")
	appendLines(t, path, 0, 100)
	if err := Import(ctx, p, st, []string{path}, ImportOptions{Options: testOptions()}); err != nil {
		t.Fatal(err)
	}
	s := p.Stats().Snapshot()[0]
	if s.State == StateDone {
		t.Fatalf("the file is reported done while the writer has not stored it yet (events counted: %d)", s.Events)
	}
	release()
	deadline := time.Now().Add(30 * time.Second)
	for s = p.Stats().Snapshot()[0]; s.State != StateDone; s = p.Stats().Snapshot()[0] {
		if time.Now().After(deadline) {
			t.Fatalf("the file never became done: %+v", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if sum := Summarize(p.Stats().Snapshot()); sum.Events != 100 || sum.Lines != 100 {
		t.Fatalf("summary of a done import: %d events of %d lines, want 100", sum.Events, sum.Lines)
	}
}
