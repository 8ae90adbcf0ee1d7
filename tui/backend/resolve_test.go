package backend

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/store"
)

func TestResolveNames(t *testing.T) {
	sums := []store.EndpointSummary{
		{ID: "10.0.10.6", Host: "pc-006"},
		{ID: "10.0.10.60", Host: "pc-060"},
		{ID: "10.0.10.7", Host: "pc-007"},
		{ID: "10.0.10.77", Host: "PC-007.corp.example"}, // the same name on a second address (DHCP)
		{ID: "fs01", Host: "fs01"},                      // sshd lines name the host only
	}
	inv := asset.NewInventory([]asset.Asset{
		{Prefix: netip.MustParsePrefix("10.0.20.5/32"), Host: "nas01.corp.example"}, // no events yet
		{Prefix: netip.MustParsePrefix("10.0.20.10/32"), Host: "fs01"},
		{Prefix: netip.MustParsePrefix("10.0.30.0/24"), Host: "printers"}, // a network names no one endpoint
	})
	for name, c := range map[string]struct {
		in   string
		want string // the id, or a part of the error
	}{
		"address":                {"10.0.10.6", "10.0.10.6"},
		"unknown address":        {"10.9.9.9", "10.9.9.9"},
		"mapped address":         {"::ffff:10.0.10.6", "10.0.10.6"},
		"host":                   {"pc-006", "10.0.10.6"},
		"host in caps":           {"PC-006", "10.0.10.6"},
		"not a prefix":           {"pc-00", `no endpoint "pc-00"`},
		"asset name":             {"nas01", "10.0.20.5"},
		"asset full name":        {"NAS01.corp.example", "10.0.20.5"},
		"two addresses":          {"pc-007", `"pc-007" names 2 endpoints: 10.0.10.7, 10.0.10.77`},
		"an endpoint's own id":   {"fs01", "fs01"},
		"a network is no host":   {"printers", `no endpoint "printers"`},
		"nothing":                {"pc-999", `no endpoint "pc-999": not an address, nor a host name in the store or the inventory`},
		"escape in what's typed": {"pc\x1b[2J", `no endpoint "pc":`},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := One(c.in, sums, inv)
			if err != nil {
				if !strings.Contains(err.Error(), c.want) {
					t.Errorf("One(%q): %v, want %q", c.in, err, c.want)
				}
				return
			}
			if got != c.want {
				t.Errorf("One(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
