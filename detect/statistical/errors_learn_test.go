package statistical

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// The learning tests of S-ERRORS: attacks that start inside the learning
// window must neither hide themselves nor raise the bar for later
// attackers, and a success after failures is always reported.

var errInv = []string{"10.0.20.10 fs01 servers file-server", "10.0.20.5 www01 dmz web-server"}

// learn72 is the engine's default learning window from t0.
var learn72 = t0.Add(72 * time.Hour)

// failures returns n sshd lines of label from client to server, one every
// gap from at.
func failures(env *detect.Env, at time.Time, gap time.Duration, n int, server, client, user, label string) []*event.Event {
	evs := make([]*event.Event, 0, n)
	for i := range n {
		evs = append(evs, sshLogin(env, at.Add(time.Duration(i)*gap), server, client, user, label))
	}
	return evs
}

// findingsFor returns the findings whose peer is peer.
func findingsFor(fs []detect.Finding, peer string) []detect.Finding {
	var out []detect.Finding
	for _, f := range fs {
		if f.Peer == peer {
			out = append(out, f)
		}
	}
	return out
}

// A burst is judged on its own window even when the next event comes much
// later: a scan of a capture ticks only when events come, and an hour of
// silence after the burst must not empty the window it is judged on.
func TestErrorsBurstBeforeSilence(t *testing.T) {
	env := newEnv()
	at := t0.Add(19 * time.Hour)
	evs := failures(env, at, 700*time.Millisecond, 10, "combo", "60.30.224.116", "root", "pam-failure")
	evs = append(evs, sshLogin(env, at.Add(time.Hour), "combo", "195.129.24.210", "root", "pam-failure"))
	fs := newRun(env, NewErrors(detect.Params{}, env)).feed(evs...).finish(evs[len(evs)-1].Time)
	got := findingsFor(fs, "60.30.224.116")
	if len(got) == 0 {
		t.Fatalf("10 failures in 7 s followed by an hour of silence: no finding (%d others)", len(fs))
	}
	if f := got[len(got)-1]; !strings.Contains(f.Summary, "10 failed SSH logins for 1 user (root) in 6 s from 60.30.224.116 to combo") {
		t.Errorf("summary: %s", f.Summary)
	}
}

// PAM names the client by host name when sshd resolved it (rhost=): the
// alert must name it.
func TestErrorsHostNameClient(t *testing.T) {
	env := newEnv()
	var evs []*event.Event
	for i := range 12 {
		ev := sshLogin(env, t0.Add(time.Duration(i*2)*time.Second), "combo", "192.0.2.1", "root", "pam-failure")
		ev.SrcIP, ev.Message = netip.Addr{}, "n219076184117.netvigator.com"
		evs = append(evs, ev)
	}
	fs := newRun(env, NewErrors(detect.Params{}, env)).feed(evs...).finish(evs[len(evs)-1].Time)
	if len(fs) == 0 {
		t.Fatal("no finding")
	}
	f := fs[len(fs)-1]
	if f.Peer != "n219076184117.netvigator.com" || f.Endpoint != "combo" || f.Key != "ssh n219076184117.netvigator.com" ||
		!strings.Contains(f.Summary, "from n219076184117.netvigator.com to combo") {
		t.Errorf("finding: peer %q endpoint %q key %q: %s", f.Peer, f.Endpoint, f.Key, f.Summary)
	}
}

// The poisoning of issue #11: a slow brute force (240 failed root logins
// at 8 a minute) while the baseline is learned is reported, and does not
// raise the bar: on day 5, 150 failures then a success from another
// address are reported, as critical.
func TestErrorsSlowBruteForceWhileLearning(t *testing.T) {
	env := newEnv(errInv...)
	slow := failures(env, t0.Add(10*time.Hour), 7500*time.Millisecond, 240, "www01", "203.0.113.50", "root", "failed")
	day5 := t0.Add(4*24*time.Hour + 14*time.Hour)
	later := failures(env, day5, 2*time.Second, 150, "www01", "198.51.100.7", "root", "failed")
	later = append(later, sshLogin(env, day5.Add(301*time.Second), "www01", "198.51.100.7", "root", "accepted"))
	// The server's own normal business meanwhile: a colleague's logins.
	var normal []*event.Event
	for h := 0; h < 5*24; h += 2 {
		normal = append(normal, sshLogin(env, t0.Add(time.Duration(h)*time.Hour+5*time.Minute), "www01", "10.0.30.10", "yamada", "accepted"))
	}
	rn := newRun(env, NewErrors(detect.Params{}, env))
	rn.learnEnd = learn72
	fs := rn.feed(sorted(slow, later, normal)...).finish(later[len(later)-1].Time)
	if len(findingsFor(fs, "203.0.113.50")) == 0 {
		t.Error("the slow brute force while learning was not reported")
	}
	got := findingsFor(fs, "198.51.100.7")
	if len(got) == 0 {
		t.Fatal("day 5: 150 failures and a success from 198.51.100.7 not reported")
	}
	f := got[len(got)-1]
	if f.Severity == nil || *f.Severity != alert.Critical || f.Details["success_user"] != "root" ||
		!strings.Contains(f.Summary, "150 failed SSH logins") || !strings.Contains(f.Summary, "then a success for root") {
		t.Errorf("day 5 finding: severity %v: %s %v", f.Severity, f.Summary, f.Details)
	}
}

// An outside source failing just below the minimum all through the
// learning window teaches nothing: no outside source can move a baseline.
func TestErrorsOutsideSourceTeachesNothing(t *testing.T) {
	env := newEnv(errInv...)
	var learn []*event.Event
	for h := range 70 {
		learn = append(learn, failures(env, t0.Add(time.Duration(h)*time.Hour), 30*time.Second, 9, "www01", "203.0.113.9", "root", "failed")...)
	}
	test := failures(env, learn72.Add(5*time.Hour), 20*time.Second, 12, "www01", "198.51.100.66", "admin", "failed")
	rn := newRun(env, NewErrors(detect.Params{}, env))
	rn.learnEnd = learn72
	fs := rn.feed(append(learn, test...)...).finish(test[len(test)-1].Time)
	if len(findingsFor(fs, "198.51.100.66")) == 0 {
		t.Errorf("12 failures from a new outside source after a learning window full of 9s from another: not reported (%d findings)", len(fs))
	}
}

// An internal script that fails a few times every hour is normal business
// for that script (learned per source, as a typical hour, not the busiest
// one); the same count from another machine is not.
func TestErrorsInternalSourceLearnedPerSource(t *testing.T) {
	env := newEnv(errInv...)
	var learn []*event.Event
	for h := range 70 {
		learn = append(learn, failures(env, t0.Add(time.Duration(h)*time.Hour), 40*time.Second, 6, "fs01", "10.0.30.7", "backup", "failed")...)
	}
	after := learn72.Add(3 * time.Hour)
	test := failures(env, after, 30*time.Second, 12, "fs01", "10.0.30.7", "backup", "failed")
	test = append(test, failures(env, after.Add(time.Hour), 30*time.Second, 12, "fs01", "10.0.30.8", "backup", "failed")...)
	test = append(test, failures(env, after.Add(2*time.Hour), 10*time.Second, 30, "fs01", "10.0.30.7", "backup", "failed")...)
	rn := newRun(env, NewErrors(detect.Params{}, env))
	rn.learnEnd = learn72
	fs := rn.feed(append(learn, test...)...).finish(test[len(test)-1].Time)
	script := 0
	for _, f := range fs {
		if f.Endpoint != "10.0.30.7" {
			continue
		}
		script++
		if f.FirstSeen.Before(after.Add(2 * time.Hour)) {
			t.Errorf("the script's usual failures reported: %s", f.Summary)
		} else if !strings.Contains(f.Summary, "this source usually has up to 6 in 10 min, so from 18 it is reported") {
			t.Errorf("30 failures of the script: %s", f.Summary)
		}
	}
	if script == 0 {
		t.Error("30 failures of the script, five times its usual, not reported")
	}
	got := 0
	for _, f := range fs {
		if f.Endpoint == "10.0.30.8" {
			got++
		}
	}
	if got == 0 {
		t.Error("12 failures from another machine not reported")
	}
}

// One hour of NXDOMAIN just below the minimum while learning is not what
// the endpoint usually does: a later burst is judged against its typical
// hour, not against that one.
func TestErrorsOneBusyHourWhileLearning(t *testing.T) {
	env := newEnv(errInv...)
	var learn []*event.Event
	for m := 0; m < 70*60; m += 5 {
		learn = append(learn, lookup(t0.Add(time.Duration(m)*time.Minute), "10.0.10.8", "www.example.com", "NOERROR"))
	}
	for i := range 19 {
		learn = append(learn, lookup(t0.Add(30*time.Hour+time.Duration(i*20)*time.Second), "10.0.10.8", fmt.Sprintf("x%d.example.net", i), "NXDOMAIN"))
	}
	var test []*event.Event
	for i := range 25 {
		test = append(test, lookup(learn72.Add(2*time.Hour+time.Duration(i*15)*time.Second), "10.0.10.8", fmt.Sprintf("y%d.example.net", i), "NXDOMAIN"))
	}
	rn := newRun(env, NewErrors(detect.Params{}, env))
	rn.learnEnd = learn72
	fs := rn.feed(sorted(learn, test)...).finish(test[len(test)-1].Time)
	found := false
	for _, f := range fs {
		if f.Endpoint == "10.0.10.8" && f.Key == "dns" && !f.FirstSeen.Before(learn72) {
			found = true
		}
	}
	if !found {
		t.Errorf("25 NXDOMAIN after learning not reported; findings: %d", len(fs))
	}
}

// A success after a run of failures from the same source is always
// reported, however few the failures were beyond a person's typos; with
// many failures it is critical.
func TestErrorsSuccessAfterFailures(t *testing.T) {
	tests := map[string]struct {
		fails    int
		want     bool
		severity alert.Severity
	}{
		"typos":                {fails: 2},
		"six tries, then in":   {fails: 6, want: true, severity: alert.High},
		"brute force, then in": {fails: 30, want: true, severity: alert.Critical},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			env := newEnv(errInv...)
			at := t0.Add(26 * time.Hour)
			evs := failures(env, at, 15*time.Second, tt.fails, "www01", "198.51.100.23", "deploy", "failed")
			evs = append(evs, sshLogin(env, at.Add(time.Duration(tt.fails)*15*time.Second), "www01", "198.51.100.23", "deploy", "accepted"))
			fs := newRun(env, NewErrors(detect.Params{}, env)).feed(evs...).finish(evs[len(evs)-1].Time)
			if !tt.want {
				if len(fs) > 0 {
					t.Errorf("reported: %s", fs[0].Summary)
				}
				return
			}
			if len(fs) == 0 {
				t.Fatal("not reported")
			}
			f := fs[len(fs)-1]
			if f.Severity == nil || *f.Severity != tt.severity || f.Details["success_user"] != "deploy" || f.Score < 1 ||
				!strings.Contains(f.Summary, "then a success for deploy") {
				t.Errorf("severity %v score %.2f: %s", f.Severity, f.Score, f.Summary)
			}
		})
	}
}

// Connections that end before authentication (sshd's pre-auth failures)
// are a scanner's or a bot's signal on their own; a monitoring check once
// a minute is not, and one connection's two lines count once.
func TestErrorsPreauth(t *testing.T) {
	env := newEnv(errInv...)
	at := t0.Add(30 * time.Hour)
	var evs []*event.Event
	for i := range 24 {
		label := []string{"no-identification", "negotiation-failed", "bad-protocol", "preauth-closed"}[i%4]
		ev := sshLogin(env, at.Add(time.Duration(i*10)*time.Second), "www01", "198.51.100.99", "", label)
		ev.Outcome, ev.SrcPort = event.OutcomeNone, uint16(40000+i)
		evs = append(evs, ev)
	}
	for i := range 180 { // the monitoring host, every minute for three hours, both lines of each connection
		for _, label := range []string{"preauth-disconnect", "preauth-disconnect"} {
			ev := sshLogin(env, at.Add(time.Duration(i)*time.Minute+30*time.Second), "www01", "10.0.20.99", "", label)
			ev.Outcome, ev.SrcPort = event.OutcomeNone, uint16(50000+i)
			evs = append(evs, ev)
		}
	}
	fs := newRun(env, NewErrors(detect.Params{}, env)).feed(sorted(evs)...).finish(at.Add(3 * time.Hour))
	got := findingsFor(fs, "198.51.100.99")
	if len(got) == 0 {
		t.Fatal("24 pre-authentication failures in 4 min: not reported")
	}
	f := got[len(got)-1]
	if f.Count != 24 || f.Details["pattern"] != "pre-authentication failures" ||
		!strings.Contains(f.Summary, "24 SSH connections from 198.51.100.99 to www01 ended before authentication in 4 min") {
		t.Errorf("count %d %v: %s", f.Count, f.Details, f.Summary)
	}
	if len(fs) != len(got) {
		t.Errorf("other findings: %+v", fs)
	}
}

// NXDOMAIN answers count by name, and a lookup looping on a few names only
// at low; HTTP errors count only when they are most of the answers: a
// page's broken ad beacons are not bursts, a sweep of names and a tool
// hammering are.
func TestErrorsRetriesAndBrokenParts(t *testing.T) {
	env := newEnv(errInv...)
	at := t0.Add(11 * time.Hour)
	var evs []*event.Event
	for i := range 60 { // one name retried every 5 s
		evs = append(evs, lookup(at.Add(time.Duration(i*5)*time.Second), "10.0.10.8", "_ldap._tcp.dc._msdcs.corp.example", "NXDOMAIN"))
	}
	for i := range 25 { // a sweep of reverse names
		evs = append(evs, lookup(at.Add(time.Duration(i*9)*time.Second), "10.0.10.9", fmt.Sprintf("%d.0.16.172.in-addr.arpa", i), "NXDOMAIN"))
	}
	for i := range 200 { // a busy page: 40 errors of 200 answers
		ev := connect(at.Add(time.Duration(i*3)*time.Second), "10.0.10.31", []string{"news.example.com", "ads.example.net", "cdn.example.org", "img.example.com", "track.example.net"}[i%5], 300)
		ev.Method, ev.Status, ev.Label = "GET", 200, "TCP_MISS"
		if i%5 == 1 {
			ev.Status = 404
		}
		evs = append(evs, ev)
	}
	fs := newRun(env, NewErrors(detect.Params{}, env)).feed(sorted(evs)...).finish(at.Add(15 * time.Minute))
	var sweep, loop bool
	for _, f := range fs {
		switch f.Endpoint {
		case "10.0.10.9":
			sweep = sweep || f.Severity == nil
		case "10.0.10.8":
			loop = loop || f.Details["pattern"] == "retry loop" && f.Severity != nil && *f.Severity == alert.Low
		default:
			t.Errorf("reported: %s %s", f.Endpoint, f.Summary)
		}
	}
	if !sweep || !loop {
		t.Errorf("sweep reported at the rule's severity %v, loop at low %v: %d findings", sweep, loop, len(fs))
	}
}

// PAM's failures for an unknown account name none: the summary does not
// count "0 users".
func TestErrorsNoUserNamed(t *testing.T) {
	env := newEnv()
	evs := failures(env, t0.Add(3*time.Hour), time.Second, 10, "combo", "198.51.100.4", "", "pam-failure")
	fs := newRun(env, NewErrors(detect.Params{}, env)).feed(evs...).finish(evs[len(evs)-1].Time)
	if len(fs) == 0 {
		t.Fatal("no finding")
	}
	if s := fs[len(fs)-1].Summary; !strings.HasPrefix(s, "10 failed SSH logins in 9 s from 198.51.100.4 to combo (brute force)") {
		t.Errorf("summary: %s", s)
	}
}
