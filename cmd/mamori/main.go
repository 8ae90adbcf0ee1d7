// Command mamori is a terminal SOC console for defending a small organisation
// against targeted attacks. See the README for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"
	_ "time/tzdata" // time zones work on machines without a zoneinfo database

	"github.com/mamori-soc/mamori/store"
)

func main() {
	// mamori runs beside other services on small boxes: unless GOMEMLIMIT
	// says otherwise, the Go heap is kept near 192 MiB (the collector works
	// harder as it approaches the limit; nothing fails at it). Measured on
	// batch ingest: the peak of anonymous memory falls from 267 to 169 MB at
	// the same speed.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(192 << 20)
	}
	// A terminal that goes away (an SSH session dropped) stops mamori as
	// Ctrl-C does, so that the store closes cleanly and the control socket
	// goes; unless hangups are ignored (nohup).
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	stopProfile := startProfile(os.Getenv("MAMORI_CPUPROFILE"))
	if p := os.Getenv("MAMORI_MEMPROFILE"); p != "" {
		go writeHeapProfiles(p)
	}
	err := newRootCmd().ExecuteContext(ctx)
	stopProfile()
	stop()
	os.Exit(exitCode(err))
}

// startProfile writes a CPU profile to path when set (for developers:
// MAMORI_CPUPROFILE=cpu.out mamori ingest ...; go tool pprof cpu.out).
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mamori: profile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "mamori: profile:", err)
		_ = f.Close() // nothing was written; the error above is the one to see
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "mamori: profile:", err)
		}
	}
}

// exitError carries an exit status chosen by a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Exit statuses (README, "Commands").
const (
	exitFailure     = 1   // anything else
	exitUsage       = 2   // a wrong flag or argument
	exitNothingRead = 3   // an import or scan read no event
	exitDiskFull    = 4   // the store's disk is below its reserve: nothing lost, free space and run again
	exitInterrupted = 130 // interrupted (Ctrl-C), as shells report SIGINT
)

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "mamori:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "mamori:", err)
	if errors.Is(err, store.ErrDiskFull) {
		return exitDiskFull
	}
	return exitFailure
}

// writeHeapProfiles writes a heap profile to path every 5 s (for
// developers: the last one before the end shows what the heap held).
func writeHeapProfiles(path string) {
	for range time.Tick(5 * time.Second) {
		f, err := os.Create(path)
		if err != nil {
			return
		}
		// A developer aid written while the console may own the terminal:
		// a failed profile is simply missing or short, and is not reported.
		_ = pprof.WriteHeapProfile(f)
		_ = f.Close()
	}
}
