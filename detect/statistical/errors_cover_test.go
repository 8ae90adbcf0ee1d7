package statistical

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
)

// errorsOnLines runs S-ERRORS over log lines written to a file and read
// as ingest reads them.
func errorsOnLines(t *testing.T, format, name string, lines []string) map[string]detect.Finding {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	evs := ingesttest.ReadLog(t, path, ingesttest.Options{Format: format, Location: time.UTC, Year: 2026, Enricher: ingesttest.Enricher(nil)})
	ingesttest.ByTime(evs)
	p := ptrs(evs)
	if len(p) == 0 {
		t.Fatalf("%s: no events", name)
	}
	env := newEnv()
	fs := newRun(env, NewErrors(detect.Params{}, env)).feed(p...).finish(p[len(p)-1].Time)
	got := map[string]detect.Finding{}
	for _, f := range fs {
		got[f.Endpoint+" "+f.Peer] = f
	}
	return got
}

// BIND's denied queries and zone transfers (CrowdSec's bind9 fixture, in
// BIND's own file, and fail2ban's named-refused lines through syslog): a
// refused zone transfer and a refused ANY or root NS query are reported
// from the first, at low; five refused queries of one client are
// reported at the rule's severity; one refused ordinary query is not.
func TestErrorsBINDRefused(t *testing.T) {
	t.Run("crowdsec bind9 fixture", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(testdata, "crowdsec/bind9-logs.log"))
		if err != nil {
			t.Fatal(err)
		}
		got := errorsOnLines(t, "bind", "bind9-logs.log", strings.Split(strings.TrimSpace(string(b)), "\n"))
		xfr, ok := got["192.168.1.2 "]
		if !ok {
			t.Fatalf("no refused zone transfer from 192.168.1.2: %v", got)
		}
		if want := "1 zone transfer (AXFR) request refused, asked by 192.168.1.2 (example.com): an attempt to list every name of the zone"; !strings.Contains(xfr.Summary, want) {
			t.Errorf("summary %q lacks %q", xfr.Summary, want)
		}
		if xfr.Severity == nil || *xfr.Severity != alert.Low || xfr.Phase != 1 {
			t.Errorf("zone transfer: severity %v phase %d, want low and reconnaissance", xfr.Severity, xfr.Phase)
		}
		any, ok := got["192.168.1.1 "]
		if !ok {
			t.Fatalf("no open-resolver probing from 192.168.1.1: %v", got)
		}
		if want := "2 ANY or root NS queries refused in 1 s, asked by 192.168.1.1 (example.com): the queries open-resolver scanners send"; !strings.Contains(any.Summary, want) {
			t.Errorf("summary %q lacks %q", any.Summary, want)
		}
		for k, f := range got {
			if k != "192.168.1.2 " && k != "192.168.1.1 " {
				t.Errorf("%s: %s", k, f.Summary)
			}
		}
	})
	t.Run("outside clients of a named server (syslog)", func(t *testing.T) {
		lines := []string{
			"Jul 24 14:16:55 raid5 named[3935]: client 194.145.196.18#4795: query 'ricreig.com/NS/IN' denied",
			"Jul 24 14:23:36 raid5 named[3935]: client 62.109.4.89#9334: view external: query (cache) './NS/IN' denied",
		}
		for i := range 5 {
			lines = append(lines, fmt.Sprintf("Jul 24 14:%02d:13 raid5 named[3935]: client 148.160.29.6#33081: query (cache) 'site%d.de/NS/IN' denied", 30+i, i))
		}
		got := errorsOnLines(t, "bind", "named.log", lines)
		probe, ok := got["raid5 62.109.4.89"]
		if !ok || probe.Severity == nil || *probe.Severity != alert.Low || !strings.Contains(probe.Summary, "refused by raid5") {
			t.Errorf("root NS probe from 62.109.4.89: %+v", probe)
		}
		many, ok := got["raid5 148.160.29.6"]
		if !ok || many.Severity != nil || !strings.Contains(many.Summary, "5 other queries refused by raid5 in 4 min, asked by 148.160.29.6") {
			t.Errorf("five refused queries from 148.160.29.6: %+v", many)
		}
		if f, ok := got["raid5 194.145.196.18"]; ok {
			t.Errorf("one refused NS query reported: %s", f.Summary)
		}
	})
}

// A program looping on names that do not exist: one failing lookup every
// 10 s of two names for 8 minutes is reported; background retries (one a
// minute) are not, nor is a lookup counted twice because the sensor saw
// each packet twice (Zeek dns.log lines as WRCCDC 2018's: every record
// written twice, from the same client port).
func TestErrorsNXDOMAINRetryLoop(t *testing.T) {
	const header = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n" +
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool"
	rec := func(ts float64, client string, port int, name string) string {
		return fmt.Sprintf("%.6f\tC%08d\t%s\t%d\t10.10.3.1\t53\tudp\t%d\t-\t%s\t1\tC_INTERNET\t12\tPTR\t3\tNXDOMAIN\tF\tF\tT\tF\t0\t-\t-\tF", ts, port, client, port, port, name)
	}
	lines := []string{header}
	start := 1521911789.0
	for i := range 48 { // a loop: two names every 10 s
		name := []string{"156.0.16.172.in-addr.arpa", "58.0.16.172.in-addr.arpa"}[i%2]
		r := rec(start+float64(i/2)*10+float64(i%2)*0.1, "10.47.3.156", 20000+i, name)
		lines = append(lines, r, r) // each record twice
	}
	for i := range 30 { // background: one name every 20 s, each twice
		r := rec(start+float64(i)*20, "10.47.4.155", 30000+i, "videosearch.ubuntu.com")
		lines = append(lines, r, r)
	}
	got := errorsOnLines(t, "zeek", "dns.log", lines)
	f, ok := got["10.47.3.156 "]
	if !ok {
		t.Fatalf("the retry loop is not reported: %v", got)
	}
	for _, want := range []string{"48 lookups answered NXDOMAIN (no such name) in 4 min for 2 names", "a program looping on names that do not exist"} {
		if !strings.Contains(f.Summary, want) {
			t.Errorf("summary %q lacks %q", f.Summary, want)
		}
	}
	if f.Details["pattern"] != "retry loop" {
		t.Errorf("pattern %q", f.Details["pattern"])
	}
	if f, ok := got["10.47.4.155 "]; ok {
		t.Errorf("background retries reported (a lookup counted twice?): %s", f.Summary)
	}
}
