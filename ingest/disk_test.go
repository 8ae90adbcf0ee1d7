package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/internal/tmpfs"
	"github.com/mamori-soc/mamori/store"
)

// TestFollowPausesOnAFullDiskAndResumes: the store on a real 64 MiB tmpfs
// filled below its reserve; the follower's new lines wait (the pipeline
// says why, for the status bar) instead of Badger dying of SIGBUS, and
// once the filler is deleted they are stored, every one exactly once.
func TestFollowPausesOnAFullDiskAndResumes(t *testing.T) {
	mnt := tmpfs.Mount(t, 64)
	h := newHarnessWith(t, filepath.Join(mnt, "db"), store.Options{DiskReserve: 16 << 20})
	path := filepath.Join(h.dir, "live.log")
	appendLines(t, path, 0, 1000)
	stop := h.follow(context.Background(), &Follower{}, FollowSource{Pattern: path, Options: testOptions()})
	defer stop()
	h.waitFor(1000, 30*time.Second)

	filler := tmpfs.Fill(t, mnt, 10<<20)
	appendLines(t, path, 1000, 3000)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := h.p.Err()
		if errors.Is(err, store.ErrDiskFull) {
			if !strings.Contains(err.Error(), "reserve") {
				t.Errorf("the status says %q", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no disk-full error after 30s (last error %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, err := h.st.CountEvents(context.Background(), time.Time{}, time.Time{}); err != nil || n != 1000 {
		t.Fatalf("%d events stored on a full disk (%v), want the 1000 from before", n, err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	h.waitFor(3000, 30*time.Second)
	h.wantExactly(3000)
	deadline = time.Now().Add(30 * time.Second)
	for _, err := h.p.Err(); err != nil; _, err = h.p.Err() {
		if time.Now().After(deadline) {
			t.Fatalf("the status still says %v with space back", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestImportStopsOnAFullDisk: a batch import whose disk fills up stops
// with ErrDiskFull (no retrying forever, no crash), keeping what it stored
// and its offsets; run again with space back, it stores the rest, every
// line once.
func TestImportStopsOnAFullDisk(t *testing.T) {
	mnt := tmpfs.Mount(t, 64)
	db := filepath.Join(mnt, "db")
	st, err := store.Open(db, store.Options{DiskReserve: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() }) // before the tmpfs is unmounted
	path := filepath.Join(t.TempDir(), "big.log")
	const n = 30_000 // about 10 MiB in the store: lines that do not compress
	appendLinesOf(t, path, 0, n, noisyLine)
	filler := tmpfs.Fill(t, mnt, 20<<20) // room for a part only
	p := NewPipeline(st, NewStats(), nil)
	p.StopWhenFull = true
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	ierr := Import(ctx, p, st, []string{path}, ImportOptions{Options: testOptions(), Resume: true})
	p.CloseInput()
	rerr := <-done
	if !errors.Is(rerr, store.ErrDiskFull) || !errors.Is(ierr, store.ErrDiskFull) {
		t.Fatalf("import on a filling disk: %v; pipeline: %v; want ErrDiskFull from both", ierr, rerr)
	}
	stored, _ := st.CountEvents(context.Background(), time.Time{}, time.Time{})
	if stored == 0 || stored == n {
		t.Fatalf("%d of %d events stored before the disk filled: the test did not fill it midway", stored, n)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	h := newHarnessWith(t, db, store.Options{DiskReserve: 16 << 20})
	if err := Import(context.Background(), h.p, h.st, []string{path}, ImportOptions{Options: testOptions(), Resume: true}); err != nil {
		t.Fatal(err)
	}
	h.waitFor(n, 60*time.Second)
	h.wantLines(n, noisyLine)
}
