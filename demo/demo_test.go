package demo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/dnslog"
	"github.com/mamori-soc/mamori/ingest/netfilter"
	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/ingest/squid"
	"github.com/mamori-soc/mamori/ingest/sshd"
	"github.com/mamori-soc/mamori/ingest/zeek"
)

// anchor is a Wednesday morning; the history starts on a Saturday.
var anchor = time.Date(2026, 3, 4, 10, 0, 0, 0, Location())

// The default demo, written once for the tests that only read it.
var (
	defDir      string
	defManifest Manifest
	defStory    Scenario
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "mamori-demo-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		defDir = dir
		opts := Options{At: anchor}
		if defManifest, err = Write(context.Background(), dir, opts); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if defStory, err = Story(opts); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}())
}

// lines returns the lines of a demo file.
func lines(t testing.TB, dir, rel string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// records returns the lines that are not Zeek meta lines.
func records(t testing.TB, rel string) []string {
	var out []string
	for _, l := range lines(t, defDir, rel) {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func grep(ls []string, subs ...string) []string {
	var out []string
	for _, l := range ls {
		ok := true
		for _, s := range subs {
			if !strings.Contains(l, s) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

func TestWriteIsDeterministic(t *testing.T) {
	opts := Options{Seed: 7, Endpoints: 16, Days: 2, At: anchor}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	ma, err := Write(context.Background(), a, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(context.Background(), b, opts); err != nil {
		t.Fatal(err)
	}
	opts.Seed = 8
	if _, err := Write(context.Background(), c, opts); err != nil {
		t.Fatal(err)
	}
	same := func(dir, rel string) bool {
		x, err := os.ReadFile(filepath.Join(a, rel))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Equal(x, y)
	}
	rels := []string{"assets.csv", "intel/iocs.txt", "intel/categories.txt"}
	for _, f := range ma.Files {
		rel, _ := filepath.Rel(a, f.Path)
		rels = append(rels, rel)
	}
	differs := 0
	for _, rel := range rels {
		if !same(b, rel) {
			t.Errorf("%s differs between two runs with the same options", rel)
		}
		if !same(c, rel) {
			differs++
		}
	}
	if differs < len(ma.Files) {
		t.Errorf("only %d of %d files differ with another seed", differs, len(rels))
	}
}

func TestOptions(t *testing.T) {
	tests := map[string]struct {
		opts    Options
		wantErr bool
	}{
		"defaults":           {opts: Options{At: anchor}},
		"too few endpoints":  {opts: Options{Endpoints: MinEndpoints - 1, At: anchor}, wantErr: true},
		"too many endpoints": {opts: Options{Endpoints: MaxEndpoints + 1, At: anchor}, wantErr: true},
		"negative days":      {opts: Options{Days: -1, At: anchor}, wantErr: true},
		"too many days":      {opts: Options{Days: MaxDays + 1, At: anchor}, wantErr: true},
		"negative speed":     {opts: Options{Speed: -2, At: anchor}, wantErr: true},
		"smallest office":    {opts: Options{Endpoints: MinEndpoints, Days: 1, At: anchor}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := Story(tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Story error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !s.At.Equal(anchor) {
				t.Errorf("At = %v, want %v", s.At, anchor)
			}
		})
	}
}

func TestManifest(t *testing.T) {
	want := map[string]string{
		"proxy/access.log": "squid", "gateway/dnsmasq.log": "dnsmasq", "gateway/firewall.log": "netfilter",
		"servers/auth.log": "sshd", "zeek/conn.log": "zeek", "zeek/dns.log": "zeek", "zeek/http.log": "zeek",
		"zeek/files.log": "zeek", "zeek/smb_files.log": "zeek", "zeek/smb_mapping.log": "zeek", "zeek/dce_rpc.log": "zeek",
	}
	got := map[string]string{}
	for _, f := range defManifest.Files {
		rel, err := filepath.Rel(defDir, f.Path)
		if err != nil || !filepath.IsAbs(f.Path) {
			t.Errorf("file path %q is not absolute under %s", f.Path, defDir)
		}
		got[filepath.ToSlash(rel)] = f.Format
		if f.Lines == 0 {
			t.Errorf("%s has no lines", rel)
		}
		st, err := os.Stat(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		if !st.ModTime().Equal(defManifest.End) {
			t.Errorf("%s modified at %v, want the end %v (syslog years are inferred from it)", rel, st.ModTime(), defManifest.End)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files = %v\nwant %v", got, want)
	}
	for _, p := range []string{defManifest.Inventory, defManifest.IOCs, defManifest.Categories, defManifest.GeoIP} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	if !defManifest.Start.Equal(anchor.Add(-4*24*time.Hour)) || !defManifest.End.Equal(anchor.Add(time.Minute)) {
		t.Errorf("period %v to %v, want 4 days before %v to a minute after", defManifest.Start, defManifest.End, anchor)
	}
}

// lineTime reads the time of a line of the demo's formats.
func lineTime(t *testing.T, format, l string, year int) time.Time {
	t.Helper()
	switch format {
	case "squid", "zeek":
		f, _, _ := strings.Cut(strings.Fields(l)[0], "\t")
		sec, frac, _ := strings.Cut(f, ".")
		s, err1 := strconv.ParseInt(sec, 10, 64)
		n, err2 := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad time in %q", l)
		}
		return time.Unix(s, n)
	default:
		ts, err := time.ParseInLocation("Jan _2 15:04:05", l[:15], Location())
		if err != nil {
			t.Fatalf("bad syslog time in %q: %v", l, err)
		}
		return ts.AddDate(year, 0, 0)
	}
}

func TestLinesAreInTimeOrderWithinThePeriod(t *testing.T) {
	for _, f := range defManifest.Files {
		rel, _ := filepath.Rel(defDir, f.Path)
		t.Run(rel, func(t *testing.T) {
			var prev time.Time
			for i, l := range records(t, filepath.ToSlash(rel)) {
				ts := lineTime(t, f.Format, l, anchor.Year())
				if ts.Before(prev) {
					t.Fatalf("line %d at %v comes after one at %v: %s", i+1, ts, prev, l)
				}
				if ts.Before(defManifest.Start.Truncate(time.Second)) || ts.After(defManifest.End) {
					t.Fatalf("line %d at %v is outside %v to %v", i+1, ts, defManifest.Start, defManifest.End)
				}
				prev = ts
			}
		})
	}
}

func TestZeekFilesHaveZeekHeaders(t *testing.T) {
	for k, spec := range sinkSpecs {
		if spec.zeek == "" {
			continue
		}
		t.Run(spec.zeek, func(t *testing.T) {
			ls := lines(t, defDir, spec.path)
			head := []string{"#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\t" + spec.zeek, "#open\t2026-02-28-10-00-00"}
			for i, h := range head {
				if ls[i] != h {
					t.Errorf("header line %d = %q, want %q", i+1, ls[i], h)
				}
			}
			fields := strings.Split(strings.TrimPrefix(ls[6], "#fields\t"), "\t")
			types := strings.Split(strings.TrimPrefix(ls[7], "#types\t"), "\t")
			if !strings.HasPrefix(ls[6], "#fields\tts\t") || !strings.HasPrefix(ls[7], "#types\ttime\t") || len(fields) != len(types) {
				t.Fatalf("bad #fields/#types:\n%s\n%s", ls[6], ls[7])
			}
			if last := ls[len(ls)-1]; last != "#close\t2026-03-04-10-01-00" {
				t.Errorf("last line = %q, want the #close line", last)
			}
			recs := ls[8 : len(ls)-1]
			if int64(len(recs)) != defManifest.Files[k].Lines {
				t.Errorf("%d records, manifest says %d", len(recs), defManifest.Files[k].Lines)
			}
			for i, l := range recs {
				cols := strings.Split(l, "\t")
				if len(cols) != len(fields) {
					t.Fatalf("record %d has %d columns, want %d: %q", i+1, len(cols), len(fields), l)
				}
				for j, c := range cols {
					if c == "" {
						t.Fatalf("record %d has an empty %s: %q", i+1, fields[j], l)
					}
					if types[j] == "addr" {
						if _, err := netip.ParseAddr(c); err != nil {
							t.Fatalf("record %d: %s %q is not an address", i+1, fields[j], c)
						}
					}
					if (types[j] == "count" || types[j] == "port") && c != "-" {
						if _, err := strconv.ParseUint(c, 10, 64); err != nil {
							t.Fatalf("record %d: %s %q is not a count", i+1, fields[j], c)
						}
					}
				}
				if uid := cols[slices.Index(fields, "uid")]; uid != "-" && (uid[0] != 'C' || len(uid) < 12) {
					t.Fatalf("record %d: uid %q is not a Zeek connection uid", i+1, uid)
				}
			}
		})
	}
}

func TestSquidLinesAreNativeFormat(t *testing.T) {
	for i, l := range records(t, "proxy/access.log") {
		f := strings.Fields(l)
		if len(f) < 11 {
			t.Fatalf("line %d has %d fields: %q", i+1, len(f), l)
		}
		code, status, ok := strings.Cut(f[3], "/")
		if !ok || code == "" || len(status) != 3 || !strings.HasPrefix(f[8], "HIER_") || !strings.HasSuffix(l, `"`) || !strings.Contains(l, ` "`) {
			t.Fatalf("line %d is not native Squid with a quoted user agent: %q", i+1, l)
		}
		if f[5] == "CONNECT" && strings.Contains(f[6], "/") {
			t.Fatalf("line %d: CONNECT target %q is not host:port", i+1, f[6])
		}
	}
}

// TestParsersAcceptEveryLine decodes the demo with the format parsers
// that exist: no line may be rejected.
func TestParsersAcceptEveryLine(t *testing.T) {
	for _, tt := range []struct {
		file   string
		format parse.Format
		events int // at least
	}{
		{"proxy/access.log", squid.Format, 10000},
		{"servers/auth.log", sshd.Format, 100},
		{"gateway/firewall.log", netfilter.Format, 10000},
		{"gateway/dnsmasq.log", dnslog.Dnsmasq, 10000},
		{"zeek/conn.log", zeek.Format, 10000},
		{"zeek/dns.log", zeek.Format, 100},
		{"zeek/http.log", zeek.Format, 10000},
		{"zeek/files.log", zeek.Format, 1000},
		{"zeek/smb_files.log", zeek.Format, 1000},
		{"zeek/smb_mapping.log", zeek.Format, 50},
		{"zeek/dce_rpc.log", zeek.Format, 30},
	} {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(defDir, filepath.FromSlash(tt.file))
			dec := tt.format.New(parse.Source{Path: path, ModTime: defManifest.End, Location: defManifest.Location})
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			events := 0
			for sc.Scan() {
				var ev event.Event
				switch err := dec.Decode(sc.Bytes(), &ev); {
				case err == nil:
					events++
					if ev.Time.Before(defManifest.Start.Add(-time.Second)) || ev.Time.After(defManifest.End) {
						t.Errorf("event time %v outside the demo: %s", ev.Time, sc.Text())
					}
				case errors.Is(err, parse.ErrSkip):
				default:
					t.Errorf("rejected: %v: %s", err, sc.Text())
				}
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if events < tt.events {
				t.Errorf("%d events, want at least %d", events, tt.events)
			}
			// auth.log starts with a weekend of cron lines that sshd does
			// not claim; the manifest names its format instead.
			if tt.format.Name != "sshd" && tt.format.Sniff(path, firstLines(t, path)) == 0 {
				t.Errorf("%s does not recognise the demo's %s", tt.format.Name, tt.file)
			}
		})
	}
}

func firstLines(t *testing.T, path string) [][]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for l := range bytes.SplitSeq(b, []byte("\n")) {
		if len(l) > 0 && len(out) < parse.SniffLines {
			out = append(out, l)
		}
	}
	return out
}

func TestStoryStepsAreInTheFiles(t *testing.T) {
	s := defStory
	if s.Victim.IP != defStory.Steps[0].Endpoint || len(s.Peers) != 2 {
		t.Fatalf("victim %v, peers %v", s.Victim, s.Peers)
	}
	for i, st := range s.Steps {
		t.Run(st.Name, func(t *testing.T) {
			if st.Time.Before(s.Start) || !st.Time.Before(s.End) {
				t.Errorf("at %v, outside %v to %v", st.Time, s.Start, s.End)
			}
			if i > 0 && st.Time.Before(s.Steps[i-1].Time) {
				t.Errorf("at %v, before the previous step", st.Time)
			}
			if st.Phase < 2 || st.Phase > 6 || len(st.Rules) == 0 || len(st.Evidence) == 0 {
				t.Errorf("incomplete step: %+v", st)
			}
			for _, e := range st.Evidence {
				if len(grep(records(t, e.File), e.Contains...)) == 0 {
					t.Errorf("no line of %s contains %q", e.File, e.Contains)
				}
			}
		})
	}
	// the steps after T come within the first minute, the others at least 9 h before
	for _, st := range s.Steps {
		d := st.Time.Sub(s.At)
		if d > 0 && d >= time.Minute || d < 0 && d > -9*time.Hour {
			t.Errorf("%s at T%+v", st.Name, d)
		}
	}
	all := []string{RuleDoubleExt, RuleExeSource, RuleIPDirect, RuleApp, RuleBeacon, RuleDDNS, RuleConnectPort, RuleIOCDomain, RuleSinkhole,
		RuleFanout, RulePsExec, RuleLANExe, RuleErrors, RuleBytesOut, RuleProxyBypass, RuleNoDNS, RuleCrossEP, RuleSameEP, RuleKillChain}
	slices.Sort(all)
	if got := s.Rules(); !slices.Equal(got, all) {
		t.Errorf("rules = %v\nwant %v", got, all)
	}
}

// intervals returns the gaps between the times of the lines.
func intervals(t *testing.T, format string, ls []string) []float64 {
	var out []float64
	for i := 1; i < len(ls); i++ {
		out = append(out, lineTime(t, format, ls[i], anchor.Year()).Sub(lineTime(t, format, ls[i-1], anchor.Year())).Seconds())
	}
	return out
}

func meanSD(xs []float64) (float64, float64) {
	var s, ss float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)))
}

func TestAttackShape(t *testing.T) {
	s := defStory
	v := s.Victim.IP.String()
	access := records(t, "proxy/access.log")

	t.Run("beacon every 300 s with jitter for 9 h or more", func(t *testing.T) {
		b := grep(access, v+" TCP_TUNNEL/200", "CONNECT "+siteC2Name+":8443")
		if len(b) < 9*12 {
			t.Fatalf("%d beacons", len(b))
		}
		m, sd := meanSD(intervals(t, "squid", b))
		if m < 285 || m > 315 || sd < 10 || sd > 40 {
			t.Errorf("beacon interval mean %.0f s, sd %.0f s", m, sd)
		}
	})
	t.Run("sinkhole lookups every 600 s", func(t *testing.T) {
		q := grep(records(t, "gateway/dnsmasq.log"), "query[A] "+sinkholed+" from "+v)
		c := grep(records(t, "gateway/dnsmasq.log"), "config "+sinkholed+" is 0.0.0.0")
		if len(q) < 9*6 || len(c) < len(q) {
			t.Fatalf("%d lookups, %d answers", len(q), len(c))
		}
		if m, _ := meanSD(intervals(t, "dnsmasq", q)); m < 570 || m > 630 {
			t.Errorf("lookup interval %.0f s", m)
		}
	})
	t.Run("fan-out to many hosts on 445, mostly unanswered", func(t *testing.T) {
		probes := 0
		failed := 0
		for _, l := range grep(records(t, "zeek/conn.log"), "\t"+v+"\t", "\t445\ttcp\t-\t") {
			probes++
			if strings.Contains(l, "\tS0\t") || strings.Contains(l, "\tREJ\t") {
				failed++
			}
		}
		if probes < 200 || failed < probes*9/10 {
			t.Errorf("%d probes, %d failed", probes, failed)
		}
	})
	t.Run("psexec on both peers", func(t *testing.T) {
		rpc := records(t, "zeek/dce_rpc.log")
		for _, p := range s.Peers {
			for _, op := range []string{"OpenSCManagerW", "CreateServiceW", "StartServiceW"} {
				if len(grep(rpc, v, p.IP.String()+"\t445", `\\pipe\\ntsvcs`+"\tsvcctl\t"+op)) != 1 {
					t.Errorf("no %s from %s to %s", op, v, p.IP)
				}
			}
			w := grep(records(t, "zeek/smb_files.log"), v, "SMB::FILE_WRITE", `\\\\`+p.IP.String()+`\\ADMIN$`, ".exe")
			if len(w) != 1 {
				t.Errorf("%d executable writes to %s's ADMIN$", len(w), p.IP)
			}
		}
		if got := grep(records(t, "zeek/files.log"), s.Indicators.SHA256); len(got) != 3 {
			t.Errorf("the implant's hash is in %d files.log records, want 3 (download and two copies)", len(got))
		}
	})
	t.Run("brute force then success", func(t *testing.T) {
		auth := records(t, "servers/auth.log")
		failed := grep(auth, "fs01 sshd[", "Failed password for ", "from "+v)
		ok := grep(auth, "fs01 sshd[", "Accepted password for backup from "+v)
		if len(failed) < 20 || len(ok) != 1 {
			t.Errorf("%d failures, %d successes", len(failed), len(ok))
		}
	})
	t.Run("exfiltration far above the victim's norm", func(t *testing.T) {
		var biggest, rest int64
		for _, l := range grep(records(t, "zeek/conn.log"), "\t"+v+"\t", "\t3128\ttcp\t") {
			ob, _ := strconv.ParseInt(strings.Split(l, "\t")[9], 10, 64)
			if ob > biggest {
				biggest, rest = ob, max(rest, biggest)
			} else {
				rest = max(rest, ob)
			}
		}
		if biggest < 250e6 || biggest < 20*rest {
			t.Errorf("largest upload %d bytes, next %d", biggest, rest)
		}
	})
	t.Run("bypass never resolved", func(t *testing.T) {
		ip := addrBypass.String()
		if len(grep(records(t, "gateway/firewall.log"), "SRC="+v+" DST="+ip, "DPT=443")) == 0 {
			t.Error("no direct connection at the firewall")
		}
		if got := grep(records(t, "gateway/dnsmasq.log"), ip); len(got) != 0 {
			t.Errorf("the bypass address was resolved: %q", got[0])
		}
	})
}

func TestBenignEndpointsHaveNoAttackTraffic(t *testing.T) {
	attack := []struct{ file, s string }{
		{"proxy/access.log", siteC2Name}, {"proxy/access.log", siteExfilName}, {"proxy/access.log", "docs-invoice.ddns.net"},
		{"proxy/access.log", uaMalware}, {"gateway/dnsmasq.log", sinkholed}, {"zeek/dce_rpc.log", "CreateServiceW"},
		{"servers/auth.log", "Failed password for invalid user"}, {"gateway/firewall.log", addrBypass.String()},
	}
	involved := map[string]bool{defStory.Victim.IP.String(): true}
	for _, p := range defStory.Peers {
		involved[p.IP.String()] = true
	}
	for _, a := range attack {
		hits := grep(records(t, a.file), a.s)
		if len(hits) == 0 {
			t.Errorf("%s has no %q at all", a.file, a.s)
		}
		for _, l := range hits {
			for _, b := range defStory.Benign {
				if strings.Contains(l, " "+b.IP.String()+" ") || strings.Contains(l, "\t"+b.IP.String()+"\t") || strings.Contains(l, "from "+b.IP.String()) {
					t.Errorf("benign %s (%s) in attack line: %s", b.Host, b.IP, l)
				}
			}
		}
	}
	if len(defStory.Benign) != DefaultEndpoints-6 {
		t.Errorf("%d benign endpoints, want all but the victim, the peers, the file server, the proxy and the gateway", len(defStory.Benign))
	}
}

func TestHardNegativesArePresent(t *testing.T) {
	access := records(t, "proxy/access.log")
	dnsmasq := records(t, "gateway/dnsmasq.log")
	count := func(ls []string, subs ...string) int { return len(grep(ls, subs...)) }
	clients := func(ls []string) int {
		seen := map[string]bool{}
		for _, l := range ls {
			seen[strings.Fields(l)[2]] = true
		}
		return len(seen)
	}
	s, err := Story(Options{At: anchor})
	if err != nil {
		t.Fatal(err)
	}
	newcomer := s.HardNegatives[4].Endpoints[0].String()
	firstDay := time.Date(2026, 3, 2, 0, 0, 0, 0, Location()) // day 3 of the history, a Monday
	tests := map[string]func() string{
		"windows update on every PC": func() string {
			if n := clients(grep(access, "CONNECT fe3.delivery.mp.microsoft.com:443")); n < 12 {
				return fmt.Sprintf("%d PCs check for updates", n)
			}
			return ""
		},
		"defender deltas are executables from the update host, mostly cache hits": func() string {
			exe := grep(access, "GET http://download.windowsupdate.com/", ".exe")
			if len(exe) < 20 || count(exe, "TCP_HIT/200")+count(exe, "TCP_MEM_HIT/200") < len(exe)/2 {
				return fmt.Sprintf("%d downloads", len(exe))
			}
			return ""
		},
		"av cloud every 30 minutes": func() string {
			if n := count(access, "CONNECT wdcp.microsoft.com:443"); n < 500 {
				return fmt.Sprintf("%d lookups", n)
			}
			return ""
		},
		"newcomer appears on day 3": func() string {
			ls := grep(access, " "+newcomer+" ")
			if len(ls) < 50 {
				return fmt.Sprintf("%d lines of the newcomer", len(ls))
			}
			if first := lineTime(t, "squid", ls[0], 2026); first.Before(firstDay) || first.After(firstDay.Add(24*time.Hour)) {
				return fmt.Sprintf("first seen %v", first)
			}
			return ""
		},
		"admin logs in by key, mistypes now and then": func() string {
			auth := records(t, "servers/auth.log")
			if count(auth, "Accepted publickey for yamada from 10.0.30.10") < 3 || count(auth, "Failed password for yamada from 10.0.30.10") < 1 {
				return "missing admin logins"
			}
			if count(auth, "CRON[") < 100 {
				return "missing cron lines"
			}
			return ""
		},
		"typos, blocks and 404s": func() string {
			if count(dnsmasq, "is NXDOMAIN") < 2 || count(access, "TCP_DENIED/403") < 5 || count(access, "TCP_MISS/404") < 1 {
				return "missing errors"
			}
			return ""
		},
		"dropped direct NTP after a lookup": func() string {
			fw := records(t, "gateway/firewall.log")
			if count(fw, "FW-DROP: IN=eth1 OUT=eth0", "DPT=123") < 2 || count(dnsmasq, "query[A] time.windows.com from 10.0.1") < 2 {
				return "missing time-sync drops"
			}
			if count(fw, "FW-DROP: IN=eth0 OUT= ") < 5 {
				return "missing scanner noise"
			}
			return ""
		},
		"service query without create": func() string {
			rpc := records(t, "zeek/dce_rpc.log")
			if count(rpc, "10.0.30.10", "QueryServiceStatus") < 1 || count(rpc, "10.0.30.10", "CreateServiceW") != 0 {
				return "no benign svcctl query"
			}
			return ""
		},
		"daily share use and printing": func() string {
			if count(records(t, "zeek/smb_mapping.log"), `\\\\FS01\\share`) < 20 || count(records(t, "zeek/conn.log"), "\t9100\ttcp\t") < 5 {
				return "missing share or printer use"
			}
			return ""
		},
		"nightly NAS backup is big": func() string {
			if count(access, "10.0.20.12 TCP_TUNNEL/200", "backblazeb2.com:443") < 3 {
				return "missing backups"
			}
			return ""
		},
	}
	for name, check := range tests {
		t.Run(name, func(t *testing.T) {
			if msg := check(); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestInventoryAndIntel(t *testing.T) {
	inv, err := asset.Load(defManifest.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Len() != DefaultEndpoints+1+3 {
		t.Errorf("%d inventory entries, want %d machines, the gateway's outside address and 3 segments", inv.Len(), DefaultEndpoints)
	}
	for _, e := range append(append([]Endpoint{defStory.Victim}, defStory.Peers...), defStory.Benign...) {
		a, ok := inv.Lookup(e.IP)
		if !ok || a.Host != e.Host || a.Role != e.Role || a.Owner == "" {
			t.Errorf("inventory has %+v for %+v", a, e)
		}
	}
	if a, _ := inv.Lookup(netip.MustParseAddr("10.0.10.99")); a.Segment != "office" {
		t.Errorf("10.0.10.99 is in segment %q", a.Segment)
	}
	if a, _ := inv.Lookup(addrGWOutside); a.Host != "gw01" || a.Segment != "edge" {
		t.Errorf("the gateway's outside address is %+v", a)
	}
	iocs := lines(t, defDir, "intel/iocs.txt")
	for _, want := range []string{defStory.Indicators.Domain, defStory.Indicators.IPPort, defStory.Indicators.SHA256} {
		if !slices.Contains(iocs, want) {
			t.Errorf("iocs.txt lacks %s", want)
		}
	}
	for _, l := range iocs {
		if l == "" || strings.HasPrefix(l, "#") || slices.Contains([]string{defStory.Indicators.Domain, defStory.Indicators.IPPort, defStory.Indicators.SHA256}, l) {
			continue
		}
		decoy := strings.TrimSuffix(l, ":4444")
		decoy, _, _ = strings.Cut(decoy, ":")
		for _, f := range defManifest.Files {
			b, err := os.ReadFile(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(decoy)) {
				t.Errorf("decoy %s appears in %s", l, f.Path)
			}
		}
	}
	cats := map[string]string{}
	for _, l := range lines(t, defDir, "intel/categories.txt") {
		if k, v, ok := strings.Cut(l, "\t"); ok && !strings.HasPrefix(l, "#") {
			cats[k] = v
		}
	}
	for name, want := range map[string]string{"duckdns.org": "dynamic-dns", "hopto.org": "dynamic-dns", "ddns.net": "dynamic-dns",
		"download.windowsupdate.com": "software-update", siteExfilName: "cloud-storage", "www.nicovideo.jp": "streaming"} {
		if cats[name] != want {
			t.Errorf("category of %s = %q, want %q", name, cats[name], want)
		}
	}
}

func TestScales(t *testing.T) {
	dir := t.TempDir()
	m, err := Write(context.Background(), dir, Options{Endpoints: 200, Days: 1, At: anchor, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Story(Options{Endpoints: 200, Days: 1, At: anchor, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, f := range m.Files {
		total += f.Lines
	}
	if total < 200_000 {
		t.Errorf("%d lines for 200 endpoints", total)
	}
	access := lines(t, dir, "proxy/access.log")
	clients := map[string]bool{}
	for _, l := range access {
		clients[strings.Fields(l)[2]] = true
	}
	if len(clients) < 180 {
		t.Errorf("%d proxy clients of 200 endpoints", len(clients))
	}
	// with a day of history the attack starts before it; the live steps are all there
	for _, st := range s.Steps {
		if st.Time.Before(s.Start) {
			continue
		}
		for _, e := range st.Evidence {
			if len(grep(lines(t, dir, e.File), e.Contains...)) == 0 {
				t.Errorf("%s: no line of %s contains %q", st.Name, e.File, e.Contains)
			}
		}
	}
}

func TestWriteHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, t.TempDir(), Options{At: anchor}); !errors.Is(err, context.Canceled) {
		t.Errorf("Write on a cancelled context = %v", err)
	}
}
