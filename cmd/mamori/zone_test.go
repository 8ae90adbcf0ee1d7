package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestScanWarnsOfAWrongZone scans the demo data set, whose syslog-style
// files (dnsmasq, firewall, sshd) carry the office's local time without a
// zone, as a rescue team would with a wrong --timezone: the summary (text
// and --json) must say the sources disagree and name the zone that fixes
// it; with the right zone, or the config demo --write wrote, nothing.
func TestScanWarnsOfAWrongZone(t *testing.T) {
	t.Parallel() // its own directories and processes
	if testing.Short() {
		t.Skip("writes and scans two days of an office's logs")
	}
	dir := t.TempDir()
	c := cli{t: t, dir: dir}
	logs := filepath.Join(dir, "logs")
	c.ok("demo", "--write", logs, "--days", "1", "--endpoints", "14", "--at", time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC).Format(time.RFC3339))
	cfg := filepath.Join(logs, "mamori.yaml")

	// The check is the reading's: an import (no detection, so cheap)
	// says it in its summary, and scan, which reads the same way, in its
	// own (checked below, in text and JSON).
	runs := 0
	summary := func(args ...string) (warnings []string) {
		t.Helper()
		runs++
		db := filepath.Join(dir, "db"+strconv.Itoa(runs))
		out, stderr, code := c.run(append([]string{"ingest", "--json", "--config", cfg, "--db", db}, append(args, logs)...)...)
		if code != 0 {
			t.Fatalf("ingest %v exited %d: %s", args, code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var s struct {
			Zones []struct {
				Format string `json:"format"`
				Hours  int    `json:"hours"`
				Zone   string `json:"suggested_timezone"`
				Text   string `json:"text"`
			} `json:"zone_warnings"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
			t.Fatalf("the last line is no summary: %v: %s", err, lines[len(lines)-1])
		}
		for _, z := range s.Zones {
			if z.Zone != "+09:00" {
				t.Errorf("zone warning for %s (%d h) suggests %q, want +09:00", z.Format, z.Hours, z.Zone)
			}
			warnings = append(warnings, z.Text)
		}
		return warnings
	}

	for _, wrong := range []string{"UTC", "America/New_York"} {
		ws := summary("--timezone", wrong)
		if len(ws) == 0 {
			t.Fatalf("--timezone %s: no zone warning", wrong)
		}
		var dnsmasq bool
		for _, w := range ws {
			dnsmasq = dnsmasq || strings.Contains(w, "dnsmasq logs (gateway/dnsmasq.log) look") && strings.Contains(w, "ahead of the zeek logs")
			if !strings.Contains(w, "try --timezone +09:00") {
				t.Errorf("--timezone %s: the warning names no fix: %s", wrong, w)
			}
		}
		if !dnsmasq {
			t.Errorf("--timezone %s: the dnsmasq lookups were not compared with Zeek's: %q", wrong, ws)
		}
	}
	for _, right := range [][]string{nil, {"--timezone", "Asia/Tokyo"}} {
		if ws := summary(right...); len(ws) != 0 {
			t.Errorf("import %v: the sources agree, yet: %q", right, ws)
		}
	}
	// scan's text summary says it too.
	_, stderr, _ := c.run("scan", "--config", cfg, "--timezone", "UTC", logs)
	if !strings.Contains(stderr, "warning: the dnsmasq logs") {
		t.Errorf("no zone warning in the text summary:\n%s", stderr)
	}
	// Logs imported first and analysed later (scan --db without paths):
	// the stored sources are compared; the JSON summary has the warning
	// among its warnings and in zone_warnings.
	db := filepath.Join(dir, "db")
	c.ok("ingest", "--config", cfg, "--timezone", "UTC", "--db", db, logs)
	out, stderr, code := c.run("scan", "--json", "--config", cfg, "--db", db)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last struct {
		Summary struct {
			Warnings []string          `json:"warnings"`
			Zones    []json.RawMessage `json:"zone_warnings"`
		} `json:"summary"`
	}
	if code != 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &last) != nil {
		t.Fatalf("scan --json --db: exit %d, last line %q: %s", code, lines[len(lines)-1], stderr)
	}
	zoneWarnings := 0
	for _, w := range last.Summary.Warnings {
		if strings.Contains(w, "the dnsmasq logs") || strings.Contains(w, "zone") {
			zoneWarnings++
		}
	}
	if len(last.Summary.Zones) == 0 || zoneWarnings != len(last.Summary.Zones) {
		t.Errorf("scan --json --db of a store filled in the wrong zone: %d zone warnings among the warnings, %d in zone_warnings", zoneWarnings, len(last.Summary.Zones))
	}
}

// TestSourcesCommand: `mamori sources` lists what a store holds of each
// file (format, events, time range) and says where the zones disagree,
// for a store filled in the wrong zone, and nothing for the right one.
func TestSourcesCommand(t *testing.T) {
	t.Parallel() // its own directories and processes
	if testing.Short() {
		t.Skip("writes and imports two days of an office's logs")
	}
	dir := t.TempDir()
	c := cli{t: t, dir: dir}
	logs := filepath.Join(dir, "logs")
	c.ok("demo", "--write", logs, "--days", "1", "--endpoints", "14", "--at", time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC).Format(time.RFC3339))
	for zone, warn := range map[string]bool{"UTC": true, "Asia/Tokyo": false} {
		db := filepath.Join(dir, "db-"+strings.ReplaceAll(zone, "/", "-"))
		c.run("ingest", "--db", db, "--timezone", zone, logs)
		var rep struct {
			Sources []struct {
				Path      string    `json:"path"`
				Format    string    `json:"format"`
				Events    int64     `json:"events"`
				FirstTime time.Time `json:"first_event_time"`
				LastTime  time.Time `json:"last_event_time"`
			} `json:"sources"`
			Zones []struct {
				Format string   `json:"format"`
				Files  []string `json:"files"`
				Zone   string   `json:"suggested_timezone"`
				Text   string   `json:"text"`
			} `json:"zone_warnings"`
		}
		if err := json.Unmarshal([]byte(c.ok("sources", "--db", db, "--json")), &rep); err != nil {
			t.Fatal(err)
		}
		formats := map[string]int64{}
		for _, s := range rep.Sources {
			formats[s.Format] += s.Events
			if s.Events == 0 || s.FirstTime.IsZero() || s.LastTime.Before(s.FirstTime) {
				t.Errorf("%s: %s: %+v", zone, s.Path, s)
			}
		}
		for _, f := range []string{"dnsmasq", "netfilter", "sshd", "squid", "zeek"} {
			if formats[f] == 0 {
				t.Errorf("%s: no %s events listed: %v", zone, f, formats)
			}
		}
		if got := len(rep.Zones) > 0; got != warn {
			t.Errorf("--timezone %s: zone warnings %+v, want some: %v", zone, rep.Zones, warn)
		}
		for _, z := range rep.Zones {
			if z.Zone != "+09:00" {
				t.Errorf("--timezone %s: %s", zone, z.Text)
			}
		}
		text := c.ok("sources", "--db", db)
		if strings.Contains(text, "warning:") != warn || !strings.Contains(text, "gateway/dnsmasq.log") {
			t.Errorf("--timezone %s: text output:\n%s", zone, text)
		}
	}
}
