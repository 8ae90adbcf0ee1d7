package statistical

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
)

// findingsOn runs S-ERRORS over a log file and returns its findings by
// endpoint and peer ("endpoint peer").
func errorsOn(t *testing.T, path, format string, year int) map[string]detect.Finding {
	t.Helper()
	evs := ingesttest.ReadLog(t, path, ingesttest.Options{Format: format, Location: time.UTC, Enricher: ingesttest.Enricher(nil)})
	if year != 0 {
		for i := range evs {
			evs[i].Time = evs[i].Time.AddDate(year-evs[i].Time.Year(), 0, 0)
		}
	}
	p := ptrs(evs)
	if len(p) == 0 {
		t.Fatalf("%s: no events", path)
	}
	env := newEnv()
	fs := newRun(env, NewErrors(detect.Params{}, env)).feed(p...).finish(p[len(p)-1].Time)
	got := map[string]detect.Finding{}
	for _, f := range fs {
		k := f.Endpoint + " " + f.Peer
		if g, ok := got[k]; !ok || f.Count >= g.Count {
			got[k] = f
		}
	}
	return got
}

// crowdsec's ssh-bf fixture: six accounts tried from 35.188.49.176 in three
// seconds: password spraying on sd-126005.
func TestErrorsCrowdsecSSHSpray(t *testing.T) {
	got := errorsOn(t, filepath.Join(testdata, "crowdsec/ssh-bf.log"), "sshd", 0)
	f, ok := got["sd-126005 35.188.49.176"]
	if !ok {
		t.Fatalf("no spray found: %v", got)
	}
	for _, s := range []string{"6 failed SSH logins for 6 users (pascal, pascal1, pascal2, pascal3, pascal4, …) in 3 s from 35.188.49.176 to sd-126005 (password spraying)"} {
		if !strings.Contains(f.Summary, s) {
			t.Errorf("summary %q lacks %q", f.Summary, s)
		}
	}
	if len(got) != 1 {
		t.Errorf("findings: %v", got)
	}
}

// Loghub's OpenSSH_2k (research-only: read from the data set, never
// copied): LabSZ brute-forced from the internet, 187.141.143.180 above all.
func TestErrorsLoghubOpenSSH(t *testing.T) {
	path := filepath.Join(shared, "linux-auth-loghub/OpenSSH_2k.part1.log")
	if _, err := os.Stat(path); err != nil {
		t.Skip("Loghub's OpenSSH_2k is not here (it may not be copied into the repository)")
	}
	got := errorsOn(t, path, "sshd", 2026)
	f, ok := got["LabSZ 187.141.143.180"]
	if !ok {
		t.Fatalf("187.141.143.180 not found: %d findings", len(got))
	}
	if f.Count < 50 || !strings.Contains(f.Summary, "from 187.141.143.180 to LabSZ") || f.Key != "ssh 187.141.143.180" {
		t.Errorf("%d %s (%s)", f.Count, f.Summary, f.Key)
	}
	for k, f := range got {
		t.Log(k, f.Count, f.Summary)
	}
}

// WRCCDC 2018 (every dns.log record is written twice: the sensor saw each
// packet twice): 10.47.2.10 sweeps reverse lookups (62 names in 50 s);
// 10.47.3.156 loops on two reverse names, a lookup every 5 s (47 in under
// 5 minutes); 10.47.8.155 and a dozen other machines retry one or two
// names (a desktop search lens, a short host name) in the background, one
// lookup every 10 to 60 s. The sweep and the loop are reported, the
// background retries are not.
func TestErrorsWRCCDCNXDOMAIN(t *testing.T) {
	for _, path := range sources(t, "zeek-wrccdc2018-nxdomain/dns.log.gz", "zeek-wrccdc2018/dns.log.gz") {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			got := errorsOn(t, path, "zeek", 0)
			f, ok := got["10.47.2.10 "]
			if !ok {
				t.Fatal("10.47.2.10: no NXDOMAIN burst")
			}
			if f.Key != "dns" || f.Count != 62 || !strings.Contains(f.Summary, "lookups answered NXDOMAIN (no such name) in 50 s for 32+ names") {
				t.Errorf("10.47.2.10: %d %s", f.Count, f.Summary)
			}
			f, ok = got["10.47.3.156 "]
			if !ok {
				t.Fatal("10.47.3.156: its loop on two names is not reported")
			}
			if f.Count != 47 || f.Details["pattern"] != "retry loop" {
				t.Errorf("10.47.3.156: %d %s", f.Count, f.Summary)
			}
			for k, f := range got {
				if k != "10.47.2.10 " && k != "10.47.3.156 " {
					t.Errorf("%s: %s", k, f.Summary)
				}
			}
		})
	}
}
