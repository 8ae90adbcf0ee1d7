package store

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/event"
)

// BenchmarkPutEvents writes batches of 1024 proxy-like events (with their
// raw lines, as ingest does) and reports events per second.
func BenchmarkPutEvents(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "db"), Options{IsInternal: func(a netip.Addr) bool { return a.IsPrivate() }})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := make([]event.Event, 1024)
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range batch {
			n++
			ep := netip.AddrFrom4([4]byte{10, 0, byte(n % 8), byte(n % 250)})
			raw := fmt.Sprintf("%d.%03d    250 %s TCP_MISS/200 5120 GET http://www.example%d.co.jp/path/to/resource/%d?q=abc - HIER_DIRECT/93.184.216.34 text/html \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\"", t0.Unix()+int64(n/100), n%1000, ep, n%500, n)
			batch[j] = event.Event{Time: t0.Add(time.Duration(n) * 10 * time.Millisecond), Format: "squid", Kind: event.KindHTTP, Endpoint: ep, SrcIP: ep,
				DstIP: netip.MustParseAddr("93.184.216.34"), DstPort: 80, Method: "GET", Domain: fmt.Sprintf("www.example%d.co.jp", n%500), URL: raw[60:140],
				Status: 200, BytesIn: 5120, UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
				ContentType: "text/html", Label: "TCP_MISS", Ref: event.Ref{File: "/var/log/squid/access.log", Offset: int64(n) * 300}, Raw: raw}
		}
		if err := s.PutEvents(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkTimelineOnStore pages the busiest endpoint's timeline of the
// store in MAMORI_BENCH_DB (newest 200 events) and counts its histogram.
func BenchmarkTimelineOnStore(b *testing.B) {
	dir := os.Getenv("MAMORI_BENCH_DB")
	if dir == "" {
		b.Skip("set MAMORI_BENCH_DB to a store directory")
	}
	s, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	sums, err := s.EndpointSummaries()
	if err != nil || len(sums) == 0 {
		b.Fatalf("no endpoints: %v", err)
	}
	slices.SortFunc(sums, func(x, y EndpointSummary) int { return int(y.Events - x.Events) })
	for _, sum := range []EndpointSummary{sums[0], sums[len(sums)/2]} {
		ep := ParseEndpoint(sum.ID)
		b.Run(fmt.Sprintf("%d-events", sum.Events), func(b *testing.B) {
			for b.Loop() {
				p, err := s.Timeline(context.Background(), ep, Query{Reverse: true, Limit: 200})
				if err != nil || len(p.Items) == 0 {
					b.Fatalf("page: %d, %v", len(p.Items), err)
				}
			}
		})
	}
}
