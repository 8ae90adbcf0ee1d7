package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/tui"
	"github.com/mamori-soc/mamori/tui/i18n"
)

// BenchmarkKeyLatencyUnderLoad runs the console (the real program, headless
// at 80x24) over mamori following a Squid log that grows by 50,000 lines a
// second (one in a hundred to a dynamic-DNS name, so alerts keep arriving),
// and measures the time from a key press to the frame that answers it:
// switching between the sources and endpoints panes.
func BenchmarkKeyLatencyUnderLoad(b *testing.B) {
	const rate = 50_000
	dir := b.TempDir()
	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	cfg := testConfig(dir)
	cfg.Sources = []config.Source{{Path: logPath, Format: "squid"}}
	a, err := Open(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	console := a.Console(b.Context(), true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live := make(chan error, 1)
	go func() { live <- a.Live(ctx, a.Sources(), console.SetPipeline) }()

	// The writer: rate lines a second, in tenths.
	written := make(chan int64, 1)
	go func() {
		f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return
		}
		defer f.Close()
		w := bufio.NewWriterSize(f, 1<<20)
		var n int64
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				written <- n
				return
			case <-t.C:
				now := time.Now()
				for range rate / 10 {
					n++
					host := fmt.Sprintf("www.site%d.example.com", n%500)
					if n%100 == 0 {
						host = fmt.Sprintf("c2-%d.duckdns.org", n%5000)
					}
					fmt.Fprintf(w, "%d.%03d    120 10.0.%d.%d TCP_TUNNEL/200 4100 CONNECT %s:443 - HIER_DIRECT/203.0.113.%d -\n",
						now.Unix(), now.Nanosecond()/1e6, n%20, 1+n%250, host, n%250)
				}
				_ = w.Flush()
			}
		}
	}()

	tm := teatest.NewTestModel(b, tui.New(tui.Options{Backend: console, Lang: i18n.EN}), teatest.WithInitialTermSize(80, 24))
	out := tm.Output()
	wait := func(s string) time.Duration {
		start := time.Now()
		teatest.WaitFor(b, out, func(bts []byte) bool { return bytes.Contains(bts, []byte(s)) },
			teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(time.Millisecond))
		return time.Since(start)
	}
	wait("mamori")
	time.Sleep(3 * time.Second) // let the load build up

	lat := make([]time.Duration, 0, 2*b.N)
	b.ResetTimer()
	for range b.N {
		tm.Send(tea.KeyPressMsg{Code: '4', Text: "4"})
		lat = append(lat, wait("Rejected"))
		tm.Send(tea.KeyPressMsg{Code: '2', Text: "2"})
		lat = append(lat, wait("Phases"))
	}
	b.StopTimer()
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.WaitFinished(b, teatest.WithFinalTimeout(10*time.Second))
	cancel()
	n := <-written
	<-live
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(a.Engine.Processed()), "events-processed")
	b.ReportMetric(float64(n), "lines-written")
}
