package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/asset"
)

// TestFollowWarnsOfAWrongZone: followed live, a dnsmasq log written in
// Tokyo time and read as UTC, beside the Zeek dns.log of the same
// lookups, makes the pipeline's stats warn (what the console's Sources
// pane shows), naming the zone to try; read in Tokyo time, no warning.
func TestFollowWarnsOfAWrongZone(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	t0 := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		loc  *time.Location
		warn bool
	}{"read as UTC": {time.UTC, true}, "read in Tokyo time": {tokyo, false}} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, "")
			var dnsmasq, zeek strings.Builder
			for i := range 40 {
				at := t0.Add(time.Duration(i) * 97 * time.Second)
				client, q := fmt.Sprintf("10.0.10.%d", 10+i%7), fmt.Sprintf("host%d.example.net", i)
				fmt.Fprintf(&dnsmasq, "%s gw01 dnsmasq[812]: query[A] %s from %s\n", at.In(tokyo).Format(time.Stamp), q, client)
				fmt.Fprintf(&dnsmasq, "%s gw01 dnsmasq[812]: reply %s is 203.0.113.%d\n", at.In(tokyo).Format(time.Stamp), q, i)
				fmt.Fprintf(&zeek, `{"ts":%d.%03d,"uid":"C%d","id.orig_h":"%s","id.orig_p":%d,"id.resp_h":"10.0.20.1","id.resp_p":53,"proto":"udp","query":"%s","qtype_name":"A","rcode_name":"NOERROR","answers":["203.0.113.%d"]}`+"\n",
					at.Unix(), 300, i, client, 40000+i, q, i)
			}
			gw, sensor := filepath.Join(h.dir, "dnsmasq.log"), filepath.Join(h.dir, "dns.log")
			for p, body := range map[string]string{gw: dnsmasq.String(), sensor: zeek.String()} {
				if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			opts := Options{Formats: Formats(), Location: tc.loc, Enricher: &Enricher{Networks: asset.MustNetworks(asset.DefaultInternal...)}}
			h.follow(context.Background(), &Follower{}, FollowSource{Pattern: gw, Options: opts}, FollowSource{Pattern: sensor, Options: opts})
			stats := h.p.Stats()
			deadline := time.Now().Add(20 * time.Second)
			for {
				var events int64
				for _, s := range stats.Snapshot() {
					events += s.Events
				}
				if events >= 80 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("sources: %+v", stats.Snapshot())
				}
				time.Sleep(20 * time.Millisecond)
			}
			ws := stats.ZoneCheck()
			if !tc.warn {
				if len(ws) != 0 {
					t.Fatalf("in agreement, yet: %+v", ws)
				}
				return
			}
			if len(ws) != 1 || ws[0].Format != "dnsmasq" || ws[0].Hours != 9 || ws[0].Zone != "+09:00" || !strings.Contains(ws[0].Text, "ahead of the zeek logs") {
				t.Fatalf("ZoneCheck = %+v, want dnsmasq 9 h ahead of zeek, +09:00", ws)
			}
			if got := stats.Warnings(); len(got) != 1 {
				t.Fatalf("Warnings = %+v", got)
			}
		})
	}
}
