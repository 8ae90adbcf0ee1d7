package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/store"
)

// BenchmarkAppendToStored measures the time from a line appended to a
// followed file to its event being stored (the writer hands events to
// subscribers only after the store accepted them). Reported as the median
// and the 99th percentile; the aim is under 200 ms.
func BenchmarkAppendToStored(b *testing.B) {
	dir := b.TempDir()
	st, err := store.Open(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	p := NewPipeline(st, NewStats(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = p.Run(ctx) }()
	sub, err := p.Subscribe(ctx, 1024)
	if err != nil {
		b.Fatal(err)
	}
	sub.Snapshot.Close()
	path := filepath.Join(dir, "app.log")
	if err := os.WriteFile(path, []byte(testLine(0)+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	f := &Follower{Pipeline: p, Offsets: st}
	go func() { _ = f.Run(ctx, []FollowSource{{Pattern: path, Options: testOptions()}}) }()
	<-sub.Events // the first line: the follower is running

	out, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := fmt.Fprintln(out, testLine(i+1)); err != nil {
			b.Fatal(err)
		}
		select {
		case <-sub.Events:
			lat = append(lat, time.Since(start))
		case <-time.After(5 * time.Second):
			b.Fatal("the appended line was not stored within 5 s")
		}
		time.Sleep(10 * time.Millisecond) // lines arrive one by one, as in a quiet log
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
