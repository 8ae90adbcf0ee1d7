package ingest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mamori-soc/mamori/store"
)

// TestMain lets the kill test re-run this binary as the process to kill.
func TestMain(m *testing.M) {
	if mode := os.Getenv("MAMORI_KILL_CHILD"); mode != "" {
		os.Exit(killChild(mode, os.Getenv("MAMORI_KILL_DB"), os.Getenv("MAMORI_KILL_LOG")))
	}
	goleak.VerifyTestMain(m)
}

// killChild ingests the log into the store until it is killed, printing
// "started" once events are flowing.
func killChild(mode, db, logPath string) int {
	st, err := store.Open(db, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p := NewPipeline(st, NewStats(), nil)
	ctx := context.Background()
	go func() {
		for p.Written() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		fmt.Println("started")
	}()
	go func() { _ = p.Run(ctx) }()
	switch mode {
	case "import":
		_ = Import(ctx, p, st, []string{logPath}, ImportOptions{Options: testOptions(), Resume: true})
	case "follow":
		f := &Follower{Pipeline: p, Offsets: st, Poll: 20 * time.Millisecond}
		_ = f.Run(ctx, []FollowSource{{Pattern: logPath, Options: testOptions()}})
	}
	select {} // wait to be killed
}

func TestKill9MidIngestLeavesExactlyOneCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("writes many lines")
	}
	for _, mode := range []string{"import", "follow"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "db")
			logPath := filepath.Join(dir, "big.log")
			const n = killLines
			appendLines(t, logPath, 0, n)

			for round := range 2 { // kill twice, at different points
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), "MAMORI_KILL_CHILD="+mode, "MAMORI_KILL_DB="+db, "MAMORI_KILL_LOG="+logPath)
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				line, _ := bufio.NewReader(out).ReadString('\n')
				if strings.TrimSpace(line) != "started" {
					_ = cmd.Process.Kill()
					t.Fatalf("child said %q", line)
				}
				time.Sleep(time.Duration(50+100*round) * time.Millisecond)
				_ = cmd.Process.Signal(syscall.SIGKILL)
				_ = cmd.Wait()
			}

			// What the killed writer stored is in the timelines too, once
			// (the store's journal gives back the postings it held in
			// memory), read-only as a responder would look first.
			ro, err := store.Open(db, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			stored, err := ro.CountEvents(context.Background(), time.Time{}, time.Time{})
			if err != nil || stored == 0 {
				t.Fatalf("after the kills the store counts %d events, %v", stored, err)
			}
			if inTimelines := timelinesTotal(t, ro); inTimelines != stored {
				t.Fatalf("after the kills the timelines show %d events, the store holds %d", inTimelines, stored)
			}
			if err := ro.Close(); err != nil {
				t.Fatal(err)
			}

			// Restart and let it finish.
			h := newHarness(t, db)
			if mode == "import" {
				if err := Import(context.Background(), h.p, h.st, []string{logPath}, ImportOptions{Options: testOptions(), Resume: true}); err != nil {
					t.Fatal(err)
				}
			} else {
				stop := h.follow(context.Background(), &Follower{}, FollowSource{Pattern: logPath, Options: testOptions()})
				defer stop()
			}
			h.waitFor(n, 60*time.Second)
			time.Sleep(200 * time.Millisecond)
			h.wantExactly(n)
			if c, _ := h.st.CountEvents(context.Background(), time.Time{}, time.Time{}); c != n {
				t.Fatalf("store counts %d events, want %d", c, n)
			}
			if got := timelinesTotal(t, h.st); got != n {
				t.Fatalf("the timelines show %d events, want %d", got, n)
			}
		})
	}
}

// timelinesTotal is how many events the timelines of the endpoints of
// testLine (10.0.10.1 to .200) show together, each event once per page.
func timelinesTotal(t *testing.T, st *store.Store) int {
	t.Helper()
	total := 0
	for i := 1; i <= 200; i++ {
		p, err := st.Timeline(context.Background(), store.ParseEndpoint(fmt.Sprintf("10.0.10.%d", i)), store.Query{Limit: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[store.EventKey]bool{}
		for _, it := range p.Items {
			if seen[it.Key] {
				t.Fatalf("the timeline of 10.0.10.%d shows %v twice", i, it.Key)
			}
			seen[it.Key] = true
		}
		total += len(p.Items)
	}
	return total
}
