package category

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mamori-soc/mamori/detect"
)

var _ detect.Categories = (*List)(nil)

const sample = "\ufeff# site categories\n" +
	"example.com\tportal\n" +
	"mail.example.com\twebmail   # the more specific entry wins\n" +
	"\n" +
	"files.example.net   File-Sharing\n" +
	".example.org,cloud-storage\n" +
	"\"*.example.jp\",\"personal storage\"\n" +
	"duckdns.org\tdynamic-dns\n" +
	"xn--r8jz45g.jp\tnews\n" +
	"EXAMPLE.INFO.\tparked\n" +
	"twice.example\tone\n" +
	"twice.example\ttwo\n"

func TestCategory(t *testing.T) {
	l, err := Parse(strings.NewReader(sample), "sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		domain, want string
	}{
		"exact":                   {"example.com", "portal"},
		"subdomain":               {"www.example.com", "portal"},
		"most specific":           {"mail.example.com", "webmail"},
		"under the specific":      {"eu.mail.example.com", "webmail"},
		"spaces, lower-cased":     {"files.example.net", "file-sharing"},
		"parent not listed":       {"example.net", ""},
		"csv, leading dot":        {"drive.example.org", "cloud-storage"},
		"csv quoted, wildcard":    {"example.jp", "personal storage"},
		"dynamic dns":             {"kx7-update.duckdns.org", "dynamic-dns"},
		"punycode":                {"www.xn--r8jz45g.jp", "news"},
		"list trailing dot, case": {"example.info", "parked"},
		"query case, dot":         {"WWW.Example.COM.", "portal"},
		"suffix trick":            {"notexample.com", ""},
		"later line wins":         {"twice.example", "two"},
		"empty":                   {"", ""},
		"unlisted tld":            {"com", ""},
	}
	for name, c := range cases {
		got, ok := l.Category(c.domain)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s: Category(%q) = %q, %v; want %q", name, c.domain, got, ok, c.want)
		}
	}
	if l.Len() != 9 {
		t.Errorf("Len() = %d", l.Len())
	}
	if d := l.Describe(); !strings.Contains(d, "9 domains") || !strings.Contains(d, "sample.txt") {
		t.Errorf("Describe() = %q", d)
	}
	var nilList *List
	if _, ok := nilList.Category("example.com"); ok {
		t.Error("a nil list has categories")
	}
}

func TestCSVHeader(t *testing.T) {
	l, err := Parse(strings.NewReader("domain,category\nexample.com,news\n"), "export.csv")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := l.Category("example.com"); c != "news" || l.Len() != 1 {
		t.Fatalf("got %q, %d entries", c, l.Len())
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]struct {
		text string
		want string
	}{
		"no category":        {"ok.example\tnews\nlonely.example\n", "x.txt:2:"},
		"empty category":     {"a.example,\n", "x.txt:1: \"a.example\" has no category"},
		"bad domain":         {"bad domain!.example\tnews\n", "x.txt:1:"},
		"empty label":        {"a..example\tnews\n", "x.txt:1:"},
		"url not domain":     {"http://a.example/\tnews\n", "x.txt:1:"},
		"broken csv":         {"\"a.example,news\n", "x.txt:1:"},
		"long label":         {strings.Repeat("a", 64) + ".example\tnews\n", "x.txt:1:"},
		"long name":          {strings.Repeat("abcdefgh.", 30) + "example\tnews\n", "x.txt:1:"},
		"control characters": {"a.example\tne\x01ws\n", "x.txt:1:"},
		"invalid utf-8":      {"a.example\tn\xffws\n", "x.txt:1: not UTF-8"},
		"only comments":      {"# nothing\n\n", "no categories"},
	}
	for name, c := range cases {
		_, err := Parse(strings.NewReader(c.text), "x.txt")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", name, err, c.want)
		}
	}
}

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "categories.txt")
	if err := os.WriteFile(p, []byte("example.com\tnews\nbad..example\tx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p+":2:") {
		t.Fatalf("error %v does not name the file and line", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.txt")); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Fatalf("missing file: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("domain,category\na.example,\"x, y\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		l, err := Parse(strings.NewReader(text), "fuzz")
		if err != nil {
			return
		}
		for d := range l.cats {
			if c, ok := l.Category(d); !ok || c == "" {
				t.Fatalf("listed %q has no category", d)
			}
		}
	})
}

func BenchmarkCategory(b *testing.B) {
	l, err := Parse(strings.NewReader(sample), "sample.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		l.Category("eu.mail.example.com")
	}
}
