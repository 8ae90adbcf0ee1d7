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
		})
	}
}
