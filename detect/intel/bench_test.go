package intel

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// benchSet loads the full development lists when they are there (about
// 120,000 indicators), else the test slices.
func benchSet(b *testing.B) *Set {
	b.Helper()
	paths := []string{"/work/shared/data/ioc-maltrail", "/work/shared/data/ioc-misp-warninglists"}
	if _, err := os.Stat(paths[0]); err != nil {
		paths = []string{filepath.Join(testdata, "ioc-maltrail"), filepath.Join(testdata, "ioc-misp")}
	}
	s, err := Load(paths...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(s.Len()), "indicators")
	return s
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		benchSet(b)
	}
}

func BenchmarkDomain(b *testing.B) {
	s := benchSet(b)
	names := []string{"www.some-site.example.co.jp", "queda212.duckdns.org", "a.b.c.d.e.f.example.com", "Mixed.Case.Example.COM"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.Domain(names[i%len(names)])
	}
}

func BenchmarkIP(b *testing.B) {
	s := benchSet(b)
	addrs := []netip.Addr{netip.MustParseAddr("198.51.100.23"), netip.MustParseAddr("66.210.228.178"), netip.MustParseAddr("2001:db8::1")}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.IP(addrs[i%len(addrs)], 443)
	}
}

func BenchmarkURL(b *testing.B) {
	s := benchSet(b)
	urls := []string{"http://www.some-site.example.co.jp/news/2026/11/index.html?page=2", "http://regionsnews.net/OEqhU8Lg5/", "example.com:443"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.URL(urls[i%len(urls)])
	}
}
