package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeLookups writes the same 40 DNS lookups as dnsmasq (in Tokyo
// time, without a zone) and Zeek (UTC) log them, into dir.
func writeLookups(t *testing.T, dir string) (dnsmasq, zeek string) {
	t.Helper()
	tokyo := time.FixedZone("JST", 9*3600)
	t0 := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	var gw, sensor strings.Builder
	for i := range 40 {
		at := t0.Add(time.Duration(i) * 97 * time.Second)
		client, q := fmt.Sprintf("10.0.10.%d", 10+i%7), fmt.Sprintf("host%d.example.net", i)
		fmt.Fprintf(&gw, "%s gw01 dnsmasq[812]: query[A] %s from %s\n", at.In(tokyo).Format(time.Stamp), q, client)
		fmt.Fprintf(&gw, "%s gw01 dnsmasq[812]: reply %s is 203.0.113.%d\n", at.In(tokyo).Format(time.Stamp), q, i)
		fmt.Fprintf(&sensor, `{"ts":%d.300,"uid":"C%d","id.orig_h":"%s","id.orig_p":%d,"id.resp_h":"10.0.20.1","id.resp_p":53,"proto":"udp","query":"%s","qtype_name":"A","rcode_name":"NOERROR","answers":["203.0.113.%d"]}`+"\n",
			at.Unix(), i, client, 40000+i, q, i)
	}
	dnsmasq, zeek = filepath.Join(dir, "dnsmasq.log"), filepath.Join(dir, "dns.log")
	for p, body := range map[string]string{dnsmasq: gw.String(), zeek: sensor.String()} {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dnsmasq, zeek
}

// TestReviewConsoleWarnsOfAWrongZone: a store filled with syslog-style
// logs read in the wrong zone, opened for review, lists each file's events
// and their time range in the Sources pane, and the zone disagreement with
// the zone to try; filled in the right zone, no warning.
func TestReviewConsoleWarnsOfAWrongZone(t *testing.T) {
	for zone, warn := range map[string]bool{"UTC": true, "Asia/Tokyo": false} {
		t.Run(zone, func(t *testing.T) {
			dir := t.TempDir()
			dnsmasq, zeek := writeLookups(t, dir)
			cfg := testConfig(dir)
			a, err := Open(cfg, Options{Timezone: zone})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Ingest(context.Background(), []string{dnsmasq, zeek}, false, nil); err != nil {
				t.Fatal(err)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			// Reviewed on a machine told nothing of the zone: the store
			// remembers the one it was filled in.
			a, err = Open(testConfig(dir), Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			st := a.Console(t.Context(), false).Status()
			if len(st.Sources) != 2 {
				t.Fatalf("sources %+v", st.Sources)
			}
			for _, s := range st.Sources {
				if s.Events < 40 || s.FirstTime.IsZero() || s.Format == "" {
					t.Errorf("stored source %+v: want its events (40 lookups), format and time range", s)
				}
			}
			if got := len(st.Zones) > 0; got != warn {
				t.Fatalf("zone warnings %+v, want some: %v", st.Zones, warn)
			}
			if warn && (st.Zones[0].Format != "dnsmasq" || st.Zones[0].Zone != "+09:00") {
				t.Fatalf("zone warnings %+v", st.Zones)
			}
		})
	}
}
