package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/store"
)

func TestFollowAppendsAndRestartsWithoutLossOrDuplicates(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db")
	h := newHarness(t, db)
	path := filepath.Join(h.dir, "app.log")
	appendLines(t, path, 0, 100) // backlog before mamori starts
	stop := h.follow(context.Background(), &Follower{}, FollowSource{Pattern: path, Options: testOptions()})
	h.waitFor(100, 5*time.Second)
	appendLines(t, path, 100, 150)
	h.waitFor(150, 5*time.Second)
	stop()
	h.stop()

	// Lines written while mamori was stopped are read after the restart;
	// lines read before are not read again.
	appendLines(t, path, 150, 200)
	h = newHarness(t, db)
	stop = h.follow(context.Background(), &Follower{}, FollowSource{Pattern: path, Options: testOptions()})
	defer stop()
	h.waitFor(200, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	h.wantExactly(200)
	s := h.p.Stats().Snapshot()[0]
	if s.Events != 50 {
		t.Fatalf("the restarted follower read %d events, want the 50 new ones", s.Events)
	}
}

func TestFollowRenameRotationKeepsLateLinesOfOldFile(t *testing.T) {
	h := newHarness(t, "")
	path := filepath.Join(h.dir, "access.log")
	appendLines(t, path, 0, 50)
	stop := h.follow(context.Background(), &Follower{RotateWait: 500 * time.Millisecond}, FollowSource{Pattern: path, Options: testOptions()})
	defer stop()
	h.waitFor(50, 5*time.Second)

	// logrotate: rename, create a new file; the writer still appends to the
	// old file (its open descriptor) until it is told to reopen.
	rotated := path + ".1"
	if err := os.Rename(path, rotated); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, 50, 60)    // new file
	appendLines(t, rotated, 60, 70) // late lines into the old file
	time.Sleep(100 * time.Millisecond)
	appendLines(t, path, 70, 100)
	h.waitFor(100, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	h.wantExactly(100)
}

func TestFollowCopyTruncate(t *testing.T) {
	h := newHarness(t, "")
	path := filepath.Join(h.dir, "access.log")
	appendLines(t, path, 0, 40)
	stop := h.follow(context.Background(), &Follower{}, FollowSource{Pattern: path, Options: testOptions()})
	defer stop()
	h.waitFor(40, 5*time.Second)

	// logrotate copytruncate: copy away, truncate in place, keep writing.
	b, _ := os.ReadFile(path)
	_ = os.WriteFile(path+".1", b, 0o644)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // the follower notices the shrink
	appendLines(t, path, 40, 45)
	h.waitFor(45, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	h.wantExactly(45)
}

func TestFollowDeleteAndRecreate(t *testing.T) {
	h := newHarness(t, "")
	path := filepath.Join(h.dir, "firewall.log")
	appendLines(t, path, 0, 30)
	stop := h.follow(context.Background(), &Follower{RotateWait: 200 * time.Millisecond}, FollowSource{Pattern: path, Options: testOptions()})
	defer stop()
	h.waitFor(30, 5*time.Second)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // gone for a while
	appendLines(t, path, 30, 60)
	h.waitFor(60, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	h.wantExactly(60)
}

func TestFollowWaitsForMissingFileAndGlobs(t *testing.T) {
	h := newHarness(t, "")
	dir := filepath.Join(h.dir, "zeek")
	stop := h.follow(context.Background(), &Follower{Rescan: 100 * time.Millisecond},
		FollowSource{Pattern: filepath.Join(dir, "*.log"), Options: testOptions()},
		FollowSource{Pattern: filepath.Join(h.dir, "later.log"), Options: testOptions()})
	defer stop()
	time.Sleep(200 * time.Millisecond)
	_ = os.MkdirAll(dir, 0o755)
	appendLines(t, filepath.Join(dir, "conn.log"), 0, 10)
	appendLines(t, filepath.Join(dir, "dns.log"), 10, 20)
	appendLines(t, filepath.Join(h.dir, "later.log"), 20, 30)
	h.waitFor(30, 5*time.Second)
	h.wantExactly(30)
}

func TestFollowResumesRotationThatHappenedWhileStopped(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db")
	h := newHarness(t, db)
	path := filepath.Join(h.dir, "access.log")
	appendLines(t, path, 0, 20)
	stop := h.follow(context.Background(), &Follower{}, FollowSource{Pattern: path, Options: testOptions()})
	h.waitFor(20, 5*time.Second)
	stop()
	h.stop()

	appendLines(t, path, 20, 30) // written before the rotation, never read
	_ = os.Rename(path, path+".1")
	appendLines(t, path, 30, 40)

	h = newHarness(t, db)
	stop = h.follow(context.Background(), &Follower{}, FollowSource{Pattern: path, Options: testOptions()})
	defer stop()
	h.waitFor(40, 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	h.wantExactly(40)
}

func TestFollowResumeReplaysHeader(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db")
	h := newHarness(t, db)
	path := filepath.Join(h.dir, "conn.log")
	_ = os.WriteFile(path, []byte("#testfmt fields a b c\n"), 0o644)
	appendLines(t, path, 0, 5)
	stop := h.follow(context.Background(), &Follower{}, FollowSource{Pattern: path, Options: testOptions()})
	h.waitFor(5, 5*time.Second)
	stop()
	h.stop()
	appendLines(t, path, 5, 10)
	h = newHarness(t, db)
	stop = h.follow(context.Background(), &Follower{}, FollowSource{Pattern: path, Options: testOptions()})
	defer stop()
	h.waitFor(10, 5*time.Second)
	ev := lastEvent(t, h)
	if ev.Label != "#testfmt fields a b c" {
		t.Fatalf("after resuming mid-file the decoder did not see the header: label %q", ev.Label)
	}
}

// Live detection waits for CaughtUp and then takes a snapshot: every line
// of the files present at the start must be in it, and a source still
// missing must not hold it back.
func TestFollowCaughtUpCoversTheBacklog(t *testing.T) {
	h := newHarness(t, "")
	dir := filepath.Join(h.dir, "zeek")
	_ = os.MkdirAll(dir, 0o755)
	appendLines(t, filepath.Join(h.dir, "big.log"), 0, 6000)
	appendLines(t, filepath.Join(dir, "conn.log"), 6000, 9000)
	appendLines(t, filepath.Join(dir, "dns.log"), 9000, 9500)
	f := &Follower{Rescan: 100 * time.Millisecond}
	stop := h.follow(context.Background(), f,
		FollowSource{Pattern: filepath.Join(h.dir, "big.log"), Options: testOptions()},
		FollowSource{Pattern: filepath.Join(dir, "*.log"), Options: testOptions()},
		FollowSource{Pattern: filepath.Join(h.dir, "missing.log"), Options: testOptions()})
	defer stop()
	select {
	case <-f.CaughtUp():
	case <-time.After(10 * time.Second):
		t.Fatal("CaughtUp never closed")
	}
	sub, err := h.p.Subscribe(context.Background(), 4)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = sub.Snapshot.Events(context.Background(), time.Time{}, time.Time{}, func(store.Stored) error {
		n++
		return nil
	})
	sub.Snapshot.Close()
	if err != nil {
		t.Fatal(err)
	}
	if n != 9500 {
		t.Fatalf("the snapshot taken after CaughtUp holds %d events, want all 9500 of the backlog", n)
	}
}
