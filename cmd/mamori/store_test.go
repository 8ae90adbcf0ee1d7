package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/internal/tmpfs"
	"github.com/mamori-soc/mamori/store"
)

// squidLines writes n Squid access lines to path.
func squidLines(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC).Unix()
	// Each URL carries random bytes: the store compresses what repeats,
	// and these lines must take room.
	r := rand.New(rand.NewPCG(uint64(n), 7))
	noise := make([]byte, 240)
	for i := range n {
		for j := range noise {
			noise[j] = byte(r.Uint32())
		}
		fmt.Fprintf(w, "%d.%03d %6d 10.0.10.%d TCP_MISS/200 %d GET http://www.example.com/page/%d?q=%s - HIER_DIRECT/93.184.216.34 text/html\n",
			t0+int64(i/10), i%1000, 20+i%300, 1+i%200, 1000+i, i, base64.RawURLEncoding.EncodeToString(noise))
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		t.Fatal(err)
	}
}

// storedEvents counts the events of the store in dir, opened read-only.
func storedEvents(t *testing.T, dir string) int {
	t.Helper()
	st, err := store.Open(dir, store.Options{ReadOnly: true, DiskReserve: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.CountEvents(context.Background(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIngestOnAFullDisk runs the real command line with its store on a
// 64 MiB tmpfs that fills up during the import: `mamori ingest` stops
// with exit status 4 and one clear message (also in mamori.log), not a
// SIGBUS and a goroutine dump; the store opens read-only on the full
// disk; with space back the same command stores the rest, every line once.
func TestIngestOnAFullDisk(t *testing.T) {
	t.Parallel() // its own directories and processes
	mnt := tmpfs.Mount(t, 64)
	dir := t.TempDir()
	c := cli{t: t, dir: dir}
	db := filepath.Join(mnt, "db")
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("disk_reserve: 16MiB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "access.log")
	const n = 30_000
	squidLines(t, logs, n)
	filler := tmpfs.Fill(t, mnt, 20<<20)

	_, stderr, code := c.run("ingest", "--config", cfg, "--db", db, logs)
	if code != exitDiskFull {
		t.Fatalf("ingest on a filling disk: exit %d, want %d; stderr:\n%s", code, exitDiskFull, stderr)
	}
	for _, want := range []string{"the import stopped", "disk full", "16 MiB", "reserve", "run the same command again"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "SIGBUS") || strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
		t.Errorf("more than one clear line on stderr:\n%s", stderr)
	}
	mlog, err := os.ReadFile(filepath.Join(dir, "state", "mamori", "mamori.log"))
	if err != nil || !strings.Contains(string(mlog), "ingest stopped: the disk is full") {
		t.Errorf("mamori.log does not say why the import stopped (%v):\n%s", err, mlog)
	}
	stored := storedEvents(t, db)
	if stored == 0 || stored == n {
		t.Fatalf("%d of %d events stored: the disk did not fill midway", stored, n)
	}
	if _, stderr, code := c.run("alerts", "--config", cfg, "--db", db); code != 0 {
		t.Fatalf("alerts (read-only) on the full disk: exit %d:\n%s", code, stderr)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := c.run("ingest", "--config", cfg, "--db", db, logs); code != 0 {
		t.Fatalf("ingest with space back: exit %d:\n%s", code, stderr)
	}
	if got := storedEvents(t, db); got != n {
		t.Fatalf("%d events stored after resuming, want %d", got, n)
	}
}

// crashChild stores events in the store dir, says "written" and waits to
// be killed (see TestMain).
func crashChild(dir string) int {
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	evs := make([]event.Event, 1000)
	for i := range evs {
		evs[i] = event.Event{Time: time.Date(2026, 11, 20, 9, 0, i, 0, time.UTC), Format: "squid", Kind: event.KindHTTP,
			Endpoint: netip.MustParseAddr("10.0.10.23"), Ref: event.Ref{File: "/logs/access.log", Offset: int64(i)},
			Raw: fmt.Sprintf("line %d", i)}
	}
	if err := st.PutEvents(evs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("written")
	select {}
}

// crash leaves the store in dir as a writer killed with SIGKILL does.
func crash(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "MAMORI_CRASH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if strings.TrimSpace(line) != "written" {
		t.Fatalf("the writer to kill said %q", line)
	}
}

// TestReadCommandsAfterKill9: after a writer is killed with SIGKILL, the
// read-only commands (alerts, incidents, the console with --readonly)
// work, each with a note on stderr, where every read-only open failed
// with Badger's "Log truncate required".
func TestReadCommandsAfterKill9(t *testing.T) {
	t.Parallel() // its own directories and processes
	dir := t.TempDir()
	c := cli{t: t, dir: dir}
	db := filepath.Join(dir, "db")
	for _, args := range [][]string{
		{"alerts", "--db", db},
		{"incidents", "--db", db},
		{"--readonly", "--headless", "--db", db},
	} {
		crash(t, db)
		_, stderr, code := c.run(args...)
		if code != 0 {
			t.Fatalf("%v after kill -9: exit %d:\n%s", args, code, stderr)
		}
		if !strings.Contains(stderr, "not closed cleanly") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: stderr should be one note of the recovery:\n%s", args, stderr)
		}
	}
	if n := storedEvents(t, db); n != 1000 {
		t.Fatalf("%d events after the crashes, want 1000", n)
	}
}
