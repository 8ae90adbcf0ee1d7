package normal

import (
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
)

// The real captures in the repository's testdata (see testdata/README.md
// for origin and licences).
const testdata = "../../testdata/"

// split learns the events keep says to learn, and observes the others.
func learnObserve(t *testing.T, f func(detect.Params, *detect.Env) detect.Detector, env *detect.Env, evs []event.Event, learn func(*event.Event) bool) []detect.Finding {
	t.Helper()
	var c ruleCase
	for i := range evs {
		if learn(&evs[i]) {
			c.learn = append(c.learn, &evs[i])
		} else {
			c.observe = append(c.observe, &evs[i])
		}
	}
	if len(c.learn) == 0 || len(c.observe) == 0 {
		t.Fatalf("%d events to learn, %d to observe", len(c.learn), len(c.observe))
	}
	return run(t, f, env, c)
}

// TestSlipsMozi runs on Stratosphere's capture of a Windows VM fetching
// Mozi botnet payloads: HTTP requests whose Host is a bare internet address
// (/bin.sh, /Mozi.m), and a Log4Shell probe string as a user agent, among
// ordinary Internet Explorer browsing that is learned.
func TestSlipsMozi(t *testing.T) {
	evs := ingesttest.ReadLog(t, testdata+"zeek-slips/test9-mixed-zeek-dir/http.log", ingesttest.Options{Format: "zeek", Location: time.UTC, Enricher: ingesttest.Enricher(nil)})
	env := testEnv(t)
	odd := func(ev *event.Event) bool {
		_, lit := ipLiteral(ev.Domain)
		return lit || strings.Contains(ev.UserAgent, "${jndi")
	}
	fs := learnObserve(t, newIPDirect, env, evs, func(ev *event.Event) bool { return !odd(ev) })
	peers := map[string]bool{}
	for _, f := range fs {
		if f.Endpoint != "10.0.2.15" {
			t.Errorf("N-IP-DIRECT on %s: %s", f.Endpoint, f.Summary)
		}
		peers[f.Peer] = true
	}
	if !peers["112.255.161.10"] || !peers["103.41.26.58"] || len(peers) != 2 {
		t.Errorf("N-IP-DIRECT peers %v, want the two payload hosts", peers)
	}
	// N-APP: the probe string, and the NCSI agent the Mozi download used
	// (Windows' connectivity probe never fetches from a bare address; the
	// VM's NCSI checks are not in the learned part of the capture).
	fs = learnObserve(t, newApp, env, evs, func(ev *event.Event) bool { return !odd(ev) })
	keys := map[string]bool{}
	for _, f := range fs {
		if f.Endpoint != "10.0.2.15" {
			t.Errorf("N-APP on %s: %s", f.Endpoint, f.Summary)
		}
		keys[f.Key] = true
	}
	if !keys["${jndi:ldap://xyz.xyz.com:#/a}"] || !keys["Microsoft NCSI"] || len(keys) != 2 {
		t.Errorf("N-APP families %v, want the Log4Shell probe and NCSI", keys)
	}
}

// TestSlipsMoziShortCapture: the same capture scanned alone, as a
// rescue team would, is all inside the learning window; the payloads
// fetched from bare addresses are reported anyway, and nothing else.
func TestSlipsMoziShortCapture(t *testing.T) {
	evs := ingesttest.ReadLog(t, testdata+"zeek-slips/test9-mixed-zeek-dir/http.log", ingesttest.Options{Format: "zeek", Location: time.UTC, Enricher: ingesttest.Enricher(nil)})
	var c ruleCase
	for i := range evs {
		c.learn = append(c.learn, &evs[i])
	}
	fs := run(t, newIPDirect, testEnv(t), c)
	got := map[string]string{}
	for _, f := range fs {
		got[f.Peer] = f.Summary
		if f.Endpoint != "10.0.2.15" || f.Phase != 3 {
			t.Errorf("on %s, phase %d: %s", f.Endpoint, f.Phase, f.Summary)
		}
	}
	if !strings.Contains(got["112.255.161.10"], "fetched bin.sh (text/plain) from the bare address 112.255.161.10") ||
		!strings.Contains(got["103.41.26.58"], "fetched Mozi.m from the bare address 103.41.26.58") || len(got) != 2 {
		t.Errorf("findings while learning: %v", got)
	}
}

// TestRITAProxyAgents runs on RITA's capture of a host beaconing through a
// forward proxy: the beacon's odd user agent is learned while learning;
// curl, appearing afterwards, is a new application on the endpoint. The
// proxy is recognised from the CONNECTs sent to it.
func TestRITAProxyAgents(t *testing.T) {
	evs := ingesttest.ReadLog(t, testdata+"zeek-rita/proxy/http.log", ingesttest.Options{Format: "zeek", Location: time.UTC, Enricher: ingesttest.Enricher(nil)})
	firstCurl := time.Time{}
	for i := range evs {
		if strings.HasPrefix(evs[i].UserAgent, "curl/") {
			firstCurl = evs[i].Time
			break
		}
	}
	fs := learnObserve(t, newApp, testEnv(t), evs, func(ev *event.Event) bool { return ev.Time.Before(firstCurl) })
	if len(fs) == 0 {
		t.Fatal("curl not reported")
	}
	for _, f := range fs {
		if f.Endpoint != "10.136.0.18" || f.Key != "curl/#" || !strings.Contains(f.Summary, "curl/7.58.0") {
			t.Errorf("finding %s %s: %s", f.Endpoint, f.Key, f.Summary)
		}
	}
	r := newRelays(detect.Params{}, newEndpoints(testEnv(t)))
	for i := range evs {
		r.note(testEnv(t), &evs[i])
	}
	if !r.is(addr("10.136.0.16")) {
		t.Error("the proxy 10.136.0.16 was not recognised")
	}
	if n, ok := r.client(addr("10.136.0.18")); !ok || n == 0 {
		t.Error("10.136.0.18 not known as a proxy client")
	}
}

// TestWRCCDCRemoteServices runs N-LAN-EXE on the WRCCDC 2018 capture's
// SMB and DCE/RPC logs: the red team creates and starts services remotely
// (svcctl CreateServiceW, smbexec style: the service runs a command, no
// executable is copied) and registers a scheduled task. With no
// executable written first, N-LAN-EXE stays silent; with one written just
// before the real CreateServiceW, it reports the writer.
func TestWRCCDCRemoteServices(t *testing.T) {
	var evs []event.Event
	for _, f := range []string{"dce_rpc.log.gz", "smb_files.log.gz", "smb_mapping.log.gz"} {
		evs = append(evs, ingesttest.ReadLog(t, testdata+"zeek-wrccdc2018/"+f, ingesttest.Options{Format: "zeek", Location: time.UTC, Enricher: ingesttest.Enricher(nil)})...)
	}
	ingesttest.ByTime(evs)
	creates := 0
	for i := range evs {
		if evs[i].Method == "CreateServiceW" {
			creates++
		}
	}
	if creates < 2 {
		t.Fatalf("%d CreateServiceW in the capture", creates)
	}
	env := testEnv(t)
	var c ruleCase
	for i := range evs {
		c.observe = append(c.observe, &evs[i])
	}
	if fs := run(t, newLANExe, env, c); len(fs) != 0 {
		t.Errorf("remote services without a copied executable: %+v", fs)
	}
	// The same capture with an executable written to 10.47.8.142 first.
	var withCopy ruleCase
	for i := range evs {
		ev := &evs[i]
		if ev.Method == "CreateServiceW" && ev.DstIP == addr("10.47.8.142") {
			withCopy.observe = append(withCopy.observe, smbWrite(ev.Time.Add(-2*time.Second), ev.SrcIP.String(), "10.47.8.142", `\\10.47.8.142\ADMIN$`, "payload.exe"))
		}
		withCopy.observe = append(withCopy.observe, ev)
	}
	fs := run(t, newLANExe, env, withCopy)
	if len(fs) != 1 || fs[0].Endpoint != "10.128.0.214" || fs[0].Peer != "10.47.8.142" || !strings.Contains(fs[0].Summary, "svcctl CreateServiceW from 10.128.0.214") {
		t.Fatalf("with a copy: %+v", fs)
	}
	if fs[0].Evidence[1].Raw == "" || !strings.Contains(fs[0].Evidence[1].Raw, "CreateServiceW") {
		t.Errorf("the real dce_rpc line is not the evidence: %q", fs[0].Evidence[1].Raw)
	}
}
