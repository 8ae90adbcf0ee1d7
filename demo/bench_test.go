package demo

import (
	"context"
	"testing"
)

// BenchmarkWrite measures generation speed in lines per second. For a
// million lines per format family, use Endpoints: 1000, Days: 7 or so.
func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	var lines int64
	for b.Loop() {
		m, err := Write(context.Background(), dir, Options{Endpoints: 100, Days: 2, At: anchor})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range m.Files {
			lines += f.Lines
		}
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}
