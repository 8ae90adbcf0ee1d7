package ingest

import (
	"net/netip"
	"testing"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/event"
)

func TestEnrich(t *testing.T) {
	inv := asset.NewInventory([]asset.Asset{
		{Prefix: netip.MustParsePrefix("10.0.20.10/32"), Host: "fs01", Segment: "servers"},
		{Prefix: netip.MustParsePrefix("10.0.10.23/32"), Host: "pc-23", Segment: "office"},
	})
	e := &Enricher{Networks: asset.MustNetworks(asset.DefaultInternal...), Inventory: inv}
	ip := netip.MustParseAddr
	cases := map[string]struct {
		in       event.Event
		endpoint string
		host     string
		dst      string
	}{
		"internal client browsing": {
			in:       event.Event{Kind: event.KindHTTP, SrcIP: ip("10.0.10.23"), DstIP: ip("93.184.216.34")},
			endpoint: "10.0.10.23", host: "pc-23",
		},
		"internet to internal server": {
			in:       event.Event{Kind: event.KindConnection, SrcIP: ip("198.51.100.7"), DstIP: ip("10.0.20.10")},
			endpoint: "10.0.20.10", host: "fs01",
		},
		"sshd brute force on a known server": {
			in:       event.Event{Kind: event.KindAuth, SrcIP: ip("198.51.100.7"), Observer: "fs01"},
			endpoint: "10.0.20.10", host: "fs01", dst: "10.0.20.10",
		},
		"sshd on a server not in the inventory": {
			in:       event.Event{Kind: event.KindAuth, SrcIP: ip("198.51.100.7"), Observer: "LabSZ"},
			endpoint: "", host: "LabSZ",
		},
		"internal admin login": {
			in:       event.Event{Kind: event.KindAuth, SrcIP: ip("10.0.30.5"), Observer: "fs01"},
			endpoint: "10.0.30.5", host: "", dst: "10.0.20.10",
		},
		"mapped address": {
			in:       event.Event{Kind: event.KindConnection, SrcIP: ip("::ffff:10.0.10.23"), DstIP: ip("8.8.8.8")},
			endpoint: "10.0.10.23", host: "pc-23",
		},
		"external only": {
			in: event.Event{Kind: event.KindConnection, SrcIP: ip("198.51.100.7"), DstIP: ip("8.8.8.8")},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ev := c.in
			e.Enrich(&ev)
			if got := ev.EndpointID(); got != c.endpoint && (c.endpoint != "" || got != c.host) {
				t.Errorf("endpoint %q, want %q", got, c.endpoint)
			}
			if ev.Host != c.host {
				t.Errorf("host %q, want %q", ev.Host, c.host)
			}
			if c.dst != "" && ev.DstIP.String() != c.dst {
				t.Errorf("dst %v, want %s", ev.DstIP, c.dst)
			}
		})
	}
}
