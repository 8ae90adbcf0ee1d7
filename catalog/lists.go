package catalog

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// The ids of the shipped lists.
const (
	// ListDynamicDNS holds the zones of dynamic-DNS providers, where anyone
	// can make a name point at any address (M-DDNS).
	ListDynamicDNS = "dynamic-dns"
	// ListTrustedSites holds cloud, PaaS and file-sharing zones that
	// attackers use for phishing, C2 and exfiltration because they are
	// trusted (the LOTS project): exfiltration to cloud hosts, and the
	// rare-destination logic of C-CROSS-EP, which must compare full host
	// names under these shared zones.
	ListTrustedSites = "trusted-sites"
	// ListPaaSPaste holds paste sites, file drops, tunnels, object storage
	// and PaaS hosting zones (a subset of the trusted sites), the
	// destinations J-CRAT names as a sign of malware traffic (M-PAAS).
	ListPaaSPaste = "paas-paste"
)

// List is a shipped list of DNS zones that rules match names against.
type List struct {
	ID          string     `yaml:"id"`
	Title       Text       `yaml:"title"`
	Description Text       `yaml:"description"`
	Files       []ListFile `yaml:"files"`
	zones       *DomainSet
}

// ListFile is one file a List is read from, with its provenance.
type ListFile struct {
	Path    string `yaml:"path"`    // under data/: "lists/dynamic-dns-maltrail.txt"
	Origin  string `yaml:"origin"`  // where it came from: URL and commit
	Licence string `yaml:"licence"` // SPDX id: "MIT", "CC0-1.0"
}

// Match reports the most specific zone of the list that name is in.
func (l *List) Match(name string) (zone string, ok bool) { return l.zones.Match(name) }

// Len returns the number of zones in the list.
func (l *List) Len() int { return l.zones.Len() }

// DomainSet is a set of DNS zones that matches a name when the name is one
// of the zones or a subdomain of one: "cdn-update.duckdns.org" and
// "DuckDNS.org." are in a set holding "duckdns.org"; "duckdns.org.evil.com"
// is not. The zero value is an empty set. A DomainSet is not changed after
// it is built and is safe for concurrent use.
type DomainSet struct {
	zones map[string]struct{}
}

// NewDomainSet returns a set of the given zones. Zones are normalised like
// names in Match (case, a leading or trailing dot); empty ones are ignored.
func NewDomainSet(zones ...string) *DomainSet {
	s := &DomainSet{zones: make(map[string]struct{}, len(zones))}
	for _, z := range zones {
		if z = normalise(strings.TrimPrefix(z, ".")); z != "" {
			s.zones[z] = struct{}{}
		}
	}
	return s
}

// maxName is the longest DNS name there can be (RFC 1035), without the
// trailing dot. Longer input is not a name and matches nothing.
const maxName = 253

// Match reports whether name is one of the zones or under one, and which:
// the most specific when zones nest. Case and a trailing dot are ignored.
// It allocates only when name has upper-case letters.
func (s *DomainSet) Match(name string) (zone string, ok bool) {
	if s == nil || len(s.zones) == 0 {
		return "", false
	}
	name = normalise(name)
	if name == "" || len(name) > maxName {
		return "", false
	}
	for {
		if _, ok := s.zones[name]; ok {
			return name, true
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return "", false
		}
		name = name[i+1:]
	}
}

// Len returns the number of zones in the set.
func (s *DomainSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.zones)
}

// normalise lower-cases name and drops one trailing dot.
func normalise(name string) string {
	name = strings.TrimSuffix(name, ".")
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(name)
		}
	}
	return name
}

// readZones reads a list file: one zone per line, "#" starts a comment,
// blank lines are ignored, a leading dot is allowed (MISP writes
// ".duckdns.org"); files whose name ends in ".gz" are gzip-compressed. The
// zones returned share one string, so a list costs no allocation per zone.
func readZones(fsys fs.FS, path string) ([]string, error) {
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	text := strings.ToLower(string(b))
	var zones []string
	n := 0
	for line := range strings.Lines(text) {
		n++
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimPrefix(strings.TrimSpace(line), ".")
		if line == "" {
			continue
		}
		if err := checkDomain(line); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		zones = append(zones, line)
	}
	if len(zones) == 0 {
		return nil, fmt.Errorf("%s: no zones", path)
	}
	return zones, nil
}
