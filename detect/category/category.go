// Package category maps web sites to categories (news, webmail,
// cloud-storage, dynamic-dns, ...) from a list file given to mamori, for the
// N-CATEGORY rule. A List implements detect.Categories.
//
// The file has one site per line: a domain, then its category, separated by
// a tab or spaces, or by a comma (a CSV export):
//
//	# comments start with '#', blank lines are ignored
//	example.com	news
//	files.example.net   file-sharing
//	.example.org,cloud-storage
//	"*.example.jp","personal storage"
//
// A domain covers its subdomains; a leading "." or "*." says the same.
// When a site is under several listed domains, the most specific wins
// (mail.example.com webmail over example.com portal). A later line for the
// same domain replaces an earlier one. Categories are lower-cased and
// trimmed. A first line "domain,category" (a CSV header) is skipped.
package category

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// List is a loaded category list. It is not changed after loading and is
// safe for concurrent use.
type List struct {
	cats map[string]string
	name string
}

// maxName is the longest DNS name (RFC 1035) without the trailing dot;
// maxCategory bounds a category's length (it ends up in alert texts).
const (
	maxName     = 253
	maxCategory = 64
)

// Load reads a list file. Errors name the file and the line.
func Load(path string) (*List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("category list: %w", err)
	}
	defer func() { _ = f.Close() }() // only read: a failed close loses nothing
	return Parse(f, path)
}

// Parse reads a list from r; name is used in errors ("categories.txt:12:
// ...").
func Parse(r io.Reader, name string) (*List, error) {
	l := &List{cats: map[string]string{}, name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		domain, cat, err := parseLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if domain == "" || n == 1 && isHeader(domain, cat) {
			continue
		}
		l.cats[domain] = cat
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(l.cats) == 0 {
		return nil, fmt.Errorf("%s: no categories in the list", name)
	}
	return l, nil
}

// parseLine returns the domain and category of one line, or "" for a blank
// or comment line.
func parseLine(line string) (domain, cat string, err error) {
	line = strings.TrimPrefix(line, "\ufeff") // a byte-order mark on the first line
	if !utf8.ValidString(line) {
		return "", "", errors.New("not UTF-8 text")
	}
	if i := commentStart(line); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return "", "", nil
	}
	var raw string
	if i := strings.IndexAny(line, "\t "); i >= 0 && !strings.ContainsRune(line[:i], ',') {
		raw, cat = line[:i], line[i+1:]
	} else {
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil {
			return "", "", fmt.Errorf("not domain<TAB>category or domain,category: %w", err)
		}
		if len(rec) < 2 {
			return "", "", fmt.Errorf("%q has no category (want domain<TAB>category or domain,category)", line)
		}
		raw, cat = rec[0], rec[1]
	}
	domain, err = normaliseDomain(raw)
	if err != nil {
		return "", "", err
	}
	cat = strings.ToLower(strings.TrimSpace(cat))
	switch {
	case cat == "":
		return "", "", fmt.Errorf("%q has no category", raw)
	case len(cat) > maxCategory:
		return "", "", fmt.Errorf("category of %s is longer than %d bytes", domain, maxCategory)
	case strings.ContainsFunc(cat, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return "", "", fmt.Errorf("category of %s has control characters", domain)
	}
	return domain, cat, nil
}

// commentStart finds a '#' that starts a comment: at the beginning of the
// line or after white space (a '#' inside a quoted CSV field or a word is
// kept).
func commentStart(line string) int {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return i
		}
	}
	return -1
}

func isHeader(domain, cat string) bool {
	switch domain {
	case "domain", "host", "site", "hostname":
		return cat == "category" || cat == "categories"
	}
	return false
}

// normaliseDomain lower-cases a list entry, drops a leading "*." or "." and
// a trailing dot, and checks that it is a host name.
func normaliseDomain(raw string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(raw))
	d = strings.TrimPrefix(d, "*.")
	d = strings.TrimPrefix(d, ".")
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "", fmt.Errorf("%q is not a domain", raw)
	}
	if len(d) > maxName {
		return "", fmt.Errorf("domain %.40q... is longer than %d bytes", d, maxName)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("%q is not a domain (empty or over-long label)", raw)
		}
		for _, r := range label {
			if !domainRune(r) {
				return "", fmt.Errorf("%q is not a domain (character %q)", raw, r)
			}
		}
	}
	return d, nil
}

// domainRune reports whether r may appear in a lower-cased domain label:
// letters, digits, hyphens, underscores, and any non-ASCII (an IDN).
func domainRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r >= 0x80
}

// Category returns the category of the most specific listed domain that
// domain is, or is under. Case and a trailing dot do not matter.
func (l *List) Category(domain string) (string, bool) {
	if l == nil || domain == "" || len(domain) > maxName+1 {
		return "", false
	}
	d := strings.TrimSuffix(domain, ".")
	if hasUpper(d) {
		d = strings.ToLower(d)
	}
	for {
		if c, ok := l.cats[d]; ok {
			return c, true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return "", false
		}
		d = d[i+1:]
	}
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// Len returns the number of listed domains.
func (l *List) Len() int { return len(l.cats) }

// Describe says what is loaded, for `mamori rules`: "1234 domains in 12
// categories from /etc/mamori/categories.txt".
func (l *List) Describe() string {
	cats := map[string]bool{}
	for _, c := range l.cats {
		cats[c] = true
	}
	return fmt.Sprintf("%d domains in %d categories from %s", len(l.cats), len(cats), l.name)
}
