package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/store"
)

// wantLineNumbers checks that every stored event's Ref.Line is the line
// its raw text is on in the file: testLine(i) on line i+1+skip.
func wantLineNumbers(t *testing.T, h *harness, skip int) {
	t.Helper()
	n := 0
	err := h.st.Events(context.Background(), time.Time{}, time.Time{}, func(s store.Stored) error {
		var i int
		_, after, _ := strings.Cut(s.Event.Raw, "message number ")
		if _, err := fmt.Sscan(after, &i); err != nil {
			return fmt.Errorf("%q: %w", s.Event.Raw, err)
		}
		if want := int64(i + 1 + skip); s.Event.Ref.Line != want {
			t.Errorf("%s at offset %d: line %d, want %d", s.Event.Raw, s.Event.Ref.Offset, s.Event.Ref.Line, want)
		}
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("%d events: %v", n, err)
	}
}

// TestImportNumbersLines: events carry the number of their line (an
// offset reads like one and is not), also those an import resumed after
// the lines read before, and past a header line.
func TestImportNumbersLines(t *testing.T) {
	h := newHarness(t, "")
	path := filepath.Join(h.dir, "a.log")
	if err := os.WriteFile(path, []byte("#testfmt header\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, 0, 10)
	runImport(t, h, ImportOptions{Resume: true}, path)
	appendLines(t, path, 10, 25)
	runImport(t, h, ImportOptions{Resume: true}, path)
	h.wantExactly(25)
	wantLineNumbers(t, h, 1)
}

// TestFollowNumbersLines: a followed file's lines are numbered, across a
// restart (the count is saved with the offset), and from where a
// truncation cut the file.
func TestFollowNumbersLines(t *testing.T) {
	dbDir := filepath.Join(t.TempDir(), "db")
	h := newHarness(t, dbDir)
	path := filepath.Join(h.dir, "a.log")
	appendLines(t, path, 0, 10)
	stop := h.follow(context.Background(), &Follower{}, FollowSource{Pattern: path, Options: testOptions()})
	h.waitFor(10, 10*time.Second)
	appendLines(t, path, 10, 15)
	h.waitFor(15, 10*time.Second)
	stop()
	h.stop()

	h2 := newHarness(t, dbDir)
	appendLines(t, path, 15, 30)
	stop = h2.follow(context.Background(), &Follower{}, FollowSource{Pattern: path, Options: testOptions()})
	h2.waitFor(30, 10*time.Second)
	wantLineNumbers(t, h2, 0)
	stop()

	// A record saved before line counts were kept: the lines before its
	// offset are counted once.
	offs, err := h2.st.Offsets()
	if err != nil || len(offs) == 0 {
		t.Fatalf("offsets: %v %v", offs, err)
	}
	for i := range offs {
		if offs[i].Line == 0 {
			t.Fatalf("no line count saved: %+v", offs[i])
		}
		offs[i].Line = 0
	}
	if err := h2.st.PutOffsets(offs); err != nil {
		t.Fatal(err)
	}
	h2.stop()
	h3 := newHarness(t, dbDir)
	appendLines(t, path, 30, 40)
	h3.follow(context.Background(), &Follower{}, FollowSource{Pattern: path, Options: testOptions()})
	h3.waitFor(40, 10*time.Second)
	wantLineNumbers(t, h3, 0)
}
