// Package asset knows the organisation's own network: which addresses are
// internal endpoints, and what each one is (host name, segment, role, owner)
// from an optional inventory. Knowing the whole system is the rescue team's
// first recommendation; every alert and timeline uses it.
package asset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultInternal are the networks treated as internal when none are
// configured: RFC 1918, carrier-grade NAT and IPv6 unique local addresses.
var DefaultInternal = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"}

// Networks is a set of internal prefixes.
type Networks struct {
	prefixes []netip.Prefix
}

// ParseNetworks reads CIDRs (or single addresses).
func ParseNetworks(cidrs []string) (Networks, error) {
	var n Networks
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		p, err := parsePrefix(c)
		if err != nil {
			return Networks{}, fmt.Errorf("internal network %q: %w", c, err)
		}
		n.prefixes = append(n.prefixes, p)
	}
	return n, nil
}

// MustNetworks is ParseNetworks for constants; it panics on a bad CIDR.
func MustNetworks(cidrs ...string) Networks {
	n, err := ParseNetworks(cidrs)
	if err != nil {
		panic(err)
	}
	return n
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Contains reports whether a is internal.
func (n Networks) Contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range n.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Prefixes returns the networks.
func (n Networks) Prefixes() []netip.Prefix { return append([]netip.Prefix(nil), n.prefixes...) }

func (n Networks) String() string {
	s := make([]string, len(n.prefixes))
	for i, p := range n.prefixes {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Asset is one inventory entry: a single address or a whole network.
type Asset struct {
	Prefix  netip.Prefix `yaml:"-"`
	Host    string       `yaml:"host"`
	Segment string       `yaml:"segment"`
	Role    string       `yaml:"role"`
	Owner   string       `yaml:"owner"`
}

// Inventory maps addresses to assets; the most specific entry wins.
type Inventory struct {
	entries []Asset // sorted by prefix length, longest first
	byHost  map[string]netip.Addr
	// byPrefix finds the entry of a network; lengths4 and lengths6 are
	// the prefix lengths the entries have, longest first. Lookup is
	// called for every address of every event: a walk over thousands of
	// entries took most of an import's time.
	byPrefix           map[netip.Prefix]int
	lengths4, lengths6 []int
}

// Lookup returns the most specific asset covering a.
func (inv *Inventory) Lookup(a netip.Addr) (Asset, bool) {
	if inv == nil || !a.IsValid() || a.Zone() != "" {
		return Asset{}, false
	}
	a = a.Unmap()
	lengths := inv.lengths6
	if a.Is4() {
		lengths = inv.lengths4
	}
	for _, bits := range lengths {
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		if i, ok := inv.byPrefix[p]; ok {
			return inv.entries[i], true
		}
	}
	return Asset{}, false
}

// AddrOf returns the address of the single-address asset named host
// (case-insensitive, with or without a domain suffix).
func (inv *Inventory) AddrOf(host string) (netip.Addr, bool) {
	if inv == nil || host == "" {
		return netip.Addr{}, false
	}
	h := strings.ToLower(host)
	if a, ok := inv.byHost[h]; ok {
		return a, true
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		a, ok := inv.byHost[h[:i]]
		return a, ok
	}
	return netip.Addr{}, false
}

// Len returns the number of entries.
func (inv *Inventory) Len() int {
	if inv == nil {
		return 0
	}
	return len(inv.entries)
}

// All returns the entries, most specific first.
func (inv *Inventory) All() []Asset {
	if inv == nil {
		return nil
	}
	return append([]Asset(nil), inv.entries...)
}

// Segment returns the segment an address belongs to, or "".
func (inv *Inventory) Segment(a netip.Addr) string {
	as, _ := inv.Lookup(a)
	return as.Segment
}

// NewInventory builds an inventory from entries.
func NewInventory(entries []Asset) *Inventory {
	inv := &Inventory{entries: append([]Asset(nil), entries...), byHost: map[string]netip.Addr{}}
	sort.SliceStable(inv.entries, func(i, j int) bool {
		return inv.entries[i].Prefix.Bits() > inv.entries[j].Prefix.Bits()
	})
	inv.byPrefix = make(map[netip.Prefix]int, len(inv.entries))
	for i, e := range inv.entries {
		if !e.Prefix.IsValid() {
			continue
		}
		p := e.Prefix.Masked()
		if _, dup := inv.byPrefix[p]; dup { // the first of equal networks wins
			continue
		}
		inv.byPrefix[p] = i
		lengths := &inv.lengths6
		if p.Addr().Is4() {
			lengths = &inv.lengths4
		}
		if n := len(*lengths); n == 0 || (*lengths)[n-1] != p.Bits() {
			*lengths = append(*lengths, p.Bits()) // entries are longest first
		}
	}
	for _, e := range inv.entries {
		if e.Host != "" && e.Prefix.IsSingleIP() {
			h := strings.ToLower(e.Host)
			if _, dup := inv.byHost[h]; !dup {
				inv.byHost[h] = e.Prefix.Addr()
			}
		}
	}
	return inv
}

// Load reads an inventory file: CSV with a header row naming the columns
// (ip or cidr, host, segment, role, owner; any order, extra columns
// ignored), or YAML (a list of maps with the same keys), chosen by the
// file's extension.
func Load(path string) (*Inventory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("asset inventory: %w", err)
	}
	defer func() { _ = f.Close() }() // only read: a failed close loses nothing
	var entries []Asset
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		entries, err = readYAML(f)
	default:
		entries, err = readCSV(f)
	}
	if err != nil {
		return nil, fmt.Errorf("asset inventory %s: %w", path, err)
	}
	return NewInventory(entries), nil
}

func readCSV(r io.Reader) ([]Asset, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	addrCol, ok := col["ip"]
	if !ok {
		if addrCol, ok = col["cidr"]; !ok {
			if addrCol, ok = col["address"]; !ok {
				return nil, errors.New("header has no ip or cidr column")
			}
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []Asset
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if addrCol >= len(rec) || strings.TrimSpace(rec[addrCol]) == "" {
			continue
		}
		p, err := parsePrefix(strings.TrimSpace(rec[addrCol]))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, Asset{Prefix: p, Host: get(rec, "host"), Segment: get(rec, "segment"), Role: get(rec, "role"), Owner: get(rec, "owner")})
	}
}

func readYAML(r io.Reader) ([]Asset, error) {
	var raw []struct {
		IP    string `yaml:"ip"`
		CIDR  string `yaml:"cidr"`
		Asset `yaml:",inline"`
	}
	if err := yaml.NewDecoder(r).Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	out := make([]Asset, 0, len(raw))
	for i, e := range raw {
		s := e.IP
		if s == "" {
			s = e.CIDR
		}
		p, err := parsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		e.Prefix = p
		out = append(out, e.Asset)
	}
	return out, nil
}
