package ingest

import (
	"net/netip"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/event"
)

// Enricher decides which of the organisation's endpoints an event belongs
// to and names it from the asset inventory.
type Enricher struct {
	Networks  asset.Networks
	Inventory *asset.Inventory // may be nil
}

// Internal reports whether a is one of the organisation's addresses.
func (e *Enricher) Internal(a netip.Addr) bool { return e.Networks.Contains(a) }

// Enrich sets ev.Endpoint and ev.Host. The endpoint is the source when it
// is internal (the PC that browses, scans or beacons), else the destination
// when that is internal (a server brute-forced from outside). For a login
// recorded by the server itself (sshd names only the client), the server is
// found from the log's host name in the inventory; without it, the host
// name alone names the endpoint. A DNS server's log of the requests it
// refused is read the same way.
func (e *Enricher) Enrich(ev *event.Event) {
	ev.SrcIP, ev.DstIP = ev.SrcIP.Unmap(), ev.DstIP.Unmap()
	if serverLog(ev) {
		if a, ok := e.Inventory.AddrOf(ev.Observer); ok {
			ev.DstIP = a
		}
	}
	switch {
	case e.Internal(ev.SrcIP):
		ev.Endpoint = ev.SrcIP
	case e.Internal(ev.DstIP):
		ev.Endpoint = ev.DstIP
	case serverLog(ev):
		ev.Host = ev.Observer
		return
	default:
		return
	}
	if as, ok := e.Inventory.Lookup(ev.Endpoint); ok && as.Host != "" {
		ev.Host = as.Host
	} else if ev.Endpoint == ev.DstIP && ev.Kind == event.KindAuth && ev.Observer != "" {
		ev.Host = ev.Observer
	}
}

// serverLog reports whether ev was written by the server it is about,
// which names only its client: a login (sshd) or a request the server
// refused (BIND's denied queries and zone transfers). The server is the
// log's host.
func serverLog(ev *event.Event) bool {
	if ev.Observer == "" || ev.DstIP.IsValid() {
		return false
	}
	return ev.Kind == event.KindAuth || ev.Kind == event.KindDNS && ev.Action == event.ActionDeny
}
