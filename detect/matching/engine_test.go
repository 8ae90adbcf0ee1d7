package matching

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// TestThroughEngine runs a short intrusion through a real engine with the
// real catalog and checks the alerts as the console shows them.
func TestThroughEngine(t *testing.T) {
	env := newEnv(t)
	e := newEngine(t, env)
	c2 := "kx7-update.duckdns.org"
	evs := []*event.Event{
		squid(0, pc1, "GET", "http://files-share.ddns.net/s/invoice.pdf.exe", "files-share.ddns.net", ip("203.0.113.20"), 80, "application/octet-stream"),
		squid(3*time.Minute, pc1, "GET", "http://203.0.113.80/update.exe", "203.0.113.80", ip("203.0.113.80"), 80, "application/x-msdownload"),
	}
	for i := range 12 {
		evs = append(evs, dnsQ(5*time.Minute+time.Duration(i)*5*time.Minute, pc1, c2))
	}
	evs = append(evs,
		&event.Event{Time: t0.Add(2 * time.Hour), Format: "zeek.dce_rpc", Kind: event.KindRPC, SrcIP: pc1, DstIP: pc2, DstPort: 445, Service: "svcctl", Method: "CreateServiceW"},
		dnsQ(2*time.Hour, proxy, c2),
	)
	for _, ev := range evs {
		e.Process(enrich(env, ev))
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	got := map[string]alert.Alert{}
	for _, a := range e.Alerts() {
		got[a.Rule+" "+a.Endpoint+" "+a.Key] = a
	}
	for key, check := range map[string]func(a alert.Alert) string{
		"M-DOUBLE-EXT 10.0.10.21 invoice.pdf.exe": func(a alert.Alert) string {
			if a.Phase != phaseDelivery || a.Severity != alert.High || a.Perspective != alert.Matching || a.Basis != alert.KnownAttack {
				return "phase, severity or perspective"
			}
			return ""
		},
		"M-IOC-IP 10.0.10.21 203.0.113.80:80": func(a alert.Alert) string {
			if a.Phase != phaseFoothold || a.Severity != alert.High {
				return "an executable from a listed address is a high foothold"
			}
			return ""
		},
		"M-IOC-DOMAIN 10.0.10.21 " + c2: func(a alert.Alert) string {
			if a.Count != 12 || len(a.Evidence) != 12 || a.Phase != phaseC2 || a.Title != "Domain on an IOC list" {
				return fmt.Sprintf("12 lookups aggregate into one C2 alert: count %d, %d events, phase %d", a.Count, len(a.Evidence), a.Phase)
			}
			if a.Details["summary_ja"] == "" || !strings.Contains(a.Summary, "iocs.txt") {
				return "summaries"
			}
			return ""
		},
		"M-DDNS 10.0.10.21 files-share.ddns.net": func(a alert.Alert) string {
			if a.Phase != phaseDelivery || a.Details["zone"] != "ddns.net" {
				return "delivery from a ddns host"
			}
			return ""
		},
		"M-PSEXEC 10.0.10.21 remote-exec": func(a alert.Alert) string {
			if a.Phase != phaseSpread || a.Severity != alert.High || a.Peer != "10.0.10.22" {
				return "psexec"
			}
			return ""
		},
		"M-IOC-DOMAIN 10.0.20.3 " + c2: func(a alert.Alert) string {
			if a.Severity > alert.Low {
				return "the proxy's lookup must stay at or below low, is " + a.Severity.String()
			}
			return ""
		},
	} {
		a, ok := got[key]
		if !ok {
			t.Errorf("no alert %s; have %v", key, keys(got))
			continue
		}
		if why := check(a); why != "" {
			t.Errorf("%s: %s: %+v", key, why, a)
		}
	}
	states := map[string]detect.RuleState{}
	for _, s := range e.States() {
		states[s.Rule.ID] = s
	}
	for _, f := range Factories() {
		if s := states[f.Rule]; s.State != detect.StateActive {
			t.Errorf("%s is %s (%s)", f.Rule, s.State, s.Why)
		}
	}
}

// TestStateIsBounded feeds a week's worth of distinct pairs and
// signatures: the per-key state must stay at its caps.
func TestStateIsBounded(t *testing.T) {
	env := newEnv(t)
	ps := build(t, env, RulePsExec).(*psexec)
	id := build(t, env, RuleIDS).(*ids)
	em := detect.NewEmitter("x")
	for i := range 50_000 {
		src := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		dst := netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)})
		at := time.Duration(i) * 10 * time.Second
		ps.Observe(enrich(env, &event.Event{Time: t0.Add(at), Format: "zeek.smb_files", Kind: event.KindSMB, SrcIP: src, DstIP: dst, Method: "SMB::FILE_OPEN", FileName: `\svcctl`}), em)
		id.Observe(enrich(env, &event.Event{Time: t0.Add(at), Format: "suricata.alert", Kind: event.KindIDS, SrcIP: netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}),
			DstIP: server, Signature: "ET F" + strconv.Itoa(i%20_000) + " x", SignatureID: int64(i), Severity: 3}), em)
		id.Observe(enrich(env, &event.Event{Time: t0.Add(at), Format: "suricata.alert", Kind: event.KindIDS, SrcIP: netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}),
			DstIP: server, Signature: "ET SCAN x", SignatureID: int64(i), Severity: 3}), em)
		if i%1000 == 0 {
			em.Findings()
		}
	}
	if n := ps.recent.Len(); n > maxPairs {
		t.Errorf("psexec keeps %d pairs (cap %d)", n, maxPairs)
	}
	if n := id.groups.Len(); n > maxIDSKeys {
		t.Errorf("ids keeps %d signature families (cap %d)", n, maxIDSKeys)
	}
	g, ok := id.groups.Get(server.String() + "\x00family:ET SCAN")
	if !ok || len(g.sigs) > maxIDSSigs || len(g.peers) > maxIDSPeers || g.otherHits == 0 {
		t.Errorf("the ET SCAN family keeps %+v", g)
	}
}

// BenchmarkObserve runs every rule of the package over a mix of ordinary
// office events (no matches: the common case).
func BenchmarkObserve(b *testing.B) {
	env := newEnv(b)
	var dets []detect.Detector
	byKind := map[event.Kind][]detect.Detector{}
	for _, f := range Factories() {
		d := f.New(detect.Params{}, env)
		dets = append(dets, d)
		for _, k := range d.Kinds() {
			byKind[k] = append(byKind[k], d)
		}
	}
	evs := []*event.Event{
		enrich(env, dnsQ(0, pc1, "www.example.co.jp")),
		enrich(env, squid(0, pc1, "GET", "http://www.example.co.jp/news/index.html?page=2", "www.example.co.jp", ip("203.0.113.44"), 80, "text/html")),
		enrich(env, squid(0, pc1, "CONNECT", "login.example.com:443", "login.example.com", ip("203.0.113.45"), 443, "")),
		enrich(env, conn(0, pc1, 50000, ip("203.0.113.46"), 443)),
		enrich(env, &event.Event{Time: t0, Format: "zeek.ssl", Kind: event.KindTLS, SrcIP: pc1, DstIP: ip("203.0.113.47"), DstPort: 443, Domain: "cdn.example.net"}),
		enrich(env, &event.Event{Time: t0, Format: "zeek.files", Kind: event.KindFile, SrcIP: pc1, DstIP: ip("203.0.113.47"), FileName: "logo.png", FileHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}),
	}
	em := detect.NewEmitter("bench")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ev := evs[i%len(evs)]
		for _, d := range byKind[ev.Kind] {
			d.Observe(ev, em)
		}
	}
	if n := len(em.Findings()); n != 0 {
		b.Fatalf("%d findings on ordinary traffic", n)
	}
	_ = dets
}

// TestPsExecCountsRuns checks that an alert counts remote executions, not
// the operations of each.
func TestPsExecCountsRuns(t *testing.T) {
	env := newEnv(t)
	e := newEngine(t, env)
	run := func(at time.Duration) []*event.Event {
		return []*event.Event{
			{Time: t0.Add(at), Format: "zeek.smb_files", Kind: event.KindSMB, SrcIP: pc1, DstIP: pc2, DstPort: 445, Method: "SMB::FILE_WRITE", Label: `\\PC-022\ADMIN$`, FileName: `\\PC-022\ADMIN$\abcdefgh.exe`},
			{Time: t0.Add(at + time.Second), Format: "zeek.dce_rpc", Kind: event.KindRPC, SrcIP: pc1, DstIP: pc2, DstPort: 445, Service: "svcctl", Method: "CreateServiceW"},
			{Time: t0.Add(at + 2*time.Second), Format: "zeek.dce_rpc", Kind: event.KindRPC, SrcIP: pc1, DstIP: pc2, DstPort: 445, Service: "svcctl", Method: "StartServiceW"},
		}
	}
	for _, ev := range append(run(0), run(30*time.Minute)...) {
		e.Process(enrich(env, ev))
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	var got []alert.Alert
	for _, a := range e.Alerts() {
		if a.Rule == RulePsExec {
			got = append(got, a)
		}
	}
	if len(got) != 1 || got[0].Count != 2 || len(got[0].Evidence) != 4 {
		t.Fatalf("two runs: %+v", got)
	}
}
