package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/config"
)

// BenchmarkAppendToAlert measures, with everything running as in the
// console (follower, store, engine), the time from a DNS line appended to
// a followed dnsmasq log to the alert of a matching rule (M-DDNS) being
// stored and published. The aim is under 1 s.
func BenchmarkAppendToAlert(b *testing.B) {
	dir := b.TempDir()
	logPath := filepath.Join(dir, "dnsmasq.log")
	line := func(name string, i int) string {
		return fmt.Sprintf("%s gw dnsmasq[812]: query[A] %s from 10.0.10.%d\n", time.Now().Format(time.Stamp), name, 10+i%200)
	}
	if err := os.WriteFile(logPath, []byte(line("www.example.com", 0)), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg := testConfig(dir)
	cfg.Sources = []config.Source{{Path: logPath, Format: "dnsmasq"}}
	a, err := Open(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	updates := a.Engine.Subscribe(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Live(ctx, a.Sources(), nil) }()
	defer func() { cancel(); <-done }()

	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		name := fmt.Sprintf("c2-%d.duckdns.org", i)
		start := time.Now()
		if _, err := f.WriteString(line(name, i)); err != nil {
			b.Fatal(err)
		}
	wait:
		for {
			select {
			case batch := <-updates:
				for _, al := range batch {
					if al.Rule == "M-DDNS" && strings.Contains(al.Peer+al.Summary, name) {
						lat = append(lat, time.Since(start))
						break wait
					}
				}
			case <-time.After(10 * time.Second):
				b.Fatalf("no M-DDNS alert for %s within 10 s", name)
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
