package backend

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/store"
)

// Resolve returns the endpoints (as the store and the alerts name them) a
// name typed by a person stands for: an address is itself; the id of an
// endpoint the store knows is that endpoint; otherwise a host name is
// every endpoint whose summary carries it and every inventory entry of a
// single address that has it, case aside and with or without its domain
// ("pc-006" is pc-006.corp.example). Nil when it names nothing.
func Resolve(name string, sums []store.EndpointSummary, inv *asset.Inventory) []string {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil
	}
	if a, err := netip.ParseAddr(name); err == nil {
		return []string{a.Unmap().String()}
	}
	for _, s := range sums {
		if strings.EqualFold(s.ID, name) {
			return []string{s.ID}
		}
	}
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, s := range sums {
		if sameHost(s.Host, name) {
			add(s.ID)
		}
	}
	for _, as := range inv.All() {
		if as.Prefix.IsSingleIP() && sameHost(as.Host, name) {
			add(as.Prefix.Addr().Unmap().String())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, aerr := netip.ParseAddr(out[i])
		b, berr := netip.ParseAddr(out[j])
		if aerr == nil && berr == nil {
			return a.Less(b)
		}
		if (aerr == nil) != (berr == nil) {
			return aerr == nil // addresses first
		}
		return out[i] < out[j]
	})
	return out
}

// sameHost reports whether two host names name the same host: equal case
// aside, or one is the other's first label ("pc-006", "PC-006.corp").
func sameHost(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if strings.EqualFold(a, b) {
		return true
	}
	first := func(s string) string { h, _, _ := strings.Cut(s, "."); return h }
	return (!strings.Contains(b, ".") && strings.EqualFold(first(a), b)) ||
		(!strings.Contains(a, ".") && strings.EqualFold(a, first(b)))
}

// One returns the single endpoint name stands for (see Resolve), or an
// error that says the name matches nothing or which endpoints it matches.
func One(name string, sums []store.EndpointSummary, inv *asset.Inventory) (string, error) {
	ids := Resolve(name, sums, inv)
	shown := sanitize.Line(name)
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("no endpoint %q: not an address, nor a host name in the store or the inventory", shown)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%q names %d endpoints: %s (give one of them)", shown, len(ids), strings.Join(ids, ", "))
}
