package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/internal/tmpfs"
)

// TestFullDiskStopsWritesAndOpensReadOnly fills a real 64 MiB tmpfs:
// events stop below the reserve with ErrDiskFull and a clear message
// instead of Badger dying of SIGBUS in a memory-mapped write; small writes
// go on into the reserve; below a quarter of it the store refuses to open
// for writing but opens read-only; with space back it writes again.
func TestFullDiskStopsWritesAndOpensReadOnly(t *testing.T) {
	mnt := tmpfs.Mount(t, 64)
	dir := filepath.Join(mnt, "db")
	opts := Options{DiskReserve: 16 << 20}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if err := s.PutEvents(mkEvents("/logs/a.log", "10.0.10.23", 100)); err != nil {
		t.Fatal(err)
	}

	filler := tmpfs.Fill(t, mnt, 10<<20) // below the reserve, above its quarter
	err = s.PutEvents(mkEvents("/logs/b.log", "10.0.10.24", 100))
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("writing events below the reserve: %v, want ErrDiskFull", err)
	}
	for _, want := range []string{dir, "MiB free", "16 MiB", "reserve"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the disk-full error does not say %q: %v", want, err)
		}
	}
	if err := s.PutOffsets([]Offset{{Path: "/logs/a.log", Offset: 100, Updated: time.Now()}}); err != nil {
		t.Fatalf("a small write in the reserve: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	filler = tmpfs.Fill(t, mnt, 0) // full: not a byte left
	if _, err := Open(dir, opts); !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("opening for writing on a full disk: %v, want ErrDiskFull saying it opens read-only", err)
	}
	ro, err := Open(dir, Options{ReadOnly: true, DiskReserve: opts.DiskReserve})
	if err != nil {
		t.Fatalf("opening read-only on a disk without a byte free: %v", err)
	}
	if n := countAll(t, ro); n != 100 {
		t.Fatalf("read-only on a full disk sees %d events, want 100", n)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, opts)
	if err != nil {
		t.Fatalf("opening with space back: %v", err)
	}
	if err := s.PutEvents(mkEvents("/logs/b.log", "10.0.10.24", 100)); err != nil {
		t.Fatalf("writing with space back: %v", err)
	}
	if n := countAll(t, s); n != 200 {
		t.Fatalf("%d events stored, want 200", n)
	}
}

func TestDefaultReserve(t *testing.T) {
	for total, want := range map[int64]int64{
		1 << 30:   256 << 20, // a small disk: the floor
		100 << 30: 2 << 30,   // 2 % of 100 GiB
		0:         256 << 20,
	} {
		if got := defaultReserve(total); got != want {
			t.Errorf("reserve of a %d MiB filesystem: %d MiB, want %d MiB", total>>20, got>>20, want>>20)
		}
	}
}
