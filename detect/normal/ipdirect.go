package normal

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// ipDirect is N-IP-DIRECT: an HTTP request naming a bare internet address
// as its host (http://203.0.113.5/..., CONNECT 203.0.113.5:443, or a
// request without a Host header that a sensor logs by address). Addresses
// inside the organisation (a printer's or a NAS's admin page) are not
// judged. The baseline holds the addresses each endpoint used so: one its
// segment or the organisation also uses (a business service at a fixed
// address), and an endpoint that habitually uses many (a monitoring host),
// are normal.
//
// One shape is judged without a baseline, while it is learned: a file
// fetched from a bare internet address (an executable or script, or any
// file that is not a page or a page's asset: /bin.sh, /Mozi.m,
// /x86_64.bin). Droppers and IoT botnets deliver their payloads so, and no
// business software does it unnoticed; such requests are reported as soon
// as they are seen and never learned as usual.
type ipDirect struct {
	rule
	prof  *detect.SetProfile
	habit int
	// early are payload fetches seen while learning, reported at the next
	// tick (Learn has no emitter).
	early []detect.Finding
}

func newIPDirect(p detect.Params, env *detect.Env) detect.Detector {
	return &ipDirect{
		rule:  newRule(RuleIPDirect, env),
		prof:  detect.NewSetProfile(p.Int("max_addresses", 64)),
		habit: p.Int("habitual", 5),
	}
}

// Params lists the tunables.
func (d *ipDirect) Params() []detect.Param {
	return []detect.Param{
		{Name: "max_addresses", Default: 64, Doc: "addresses kept per endpoint"},
		{Name: "habitual", Default: 5, Doc: "an endpoint that used this many different internet addresses as HTTP hosts while learning does so by habit and is not judged"},
	}
}

// Kinds lists the events read: HTTP requests.
func (d *ipDirect) Kinds() []event.Kind { return []event.Kind{event.KindHTTP} }

// literal returns the endpoint and the internet address a request named.
func (d *ipDirect) literal(ev *event.Event) (*endpointInfo, netip.Addr, bool) {
	if !ev.Endpoint.IsValid() || ev.Endpoint != ev.SrcIP {
		return nil, netip.Addr{}, false
	}
	a, ok := ipLiteral(requestHost(ev))
	if !ok || d.env.Internal(a) || !publicAddr(a) {
		return nil, a, false
	}
	return d.eps.get(ev.Endpoint), a, true
}

// Learn records the addresses each endpoint uses as HTTP hosts, and holds
// payload fetches from bare addresses to be reported.
func (d *ipDirect) Learn(ev *event.Event) {
	d.learnt++
	if d.sensorCopy(ev) {
		return
	}
	in, a, ok := d.literal(ev)
	if !ok {
		return
	}
	if file, isPayload := payload(ev); isPayload {
		if !d.twice(ev) && len(d.early) < maxEarly {
			d.early = append(d.early, d.payloadFinding(ev, in, a, file))
		}
		return
	}
	d.prof.Learn(in.id, in.segment, a.String())
}

// maxEarly bounds the payload fetches held between two ticks.
const maxEarly = 1024

// Tick reports the payload fetches held while learning, then the repeats.
func (d *ipDirect) Tick(now time.Time, em *detect.Emitter) {
	d.flushEarly(em)
	d.rule.Tick(now, em)
}

// Finish reports everything still held.
func (d *ipDirect) Finish(now time.Time, em *detect.Emitter) {
	d.flushEarly(em)
	d.rule.Finish(now, em)
}

func (d *ipDirect) flushEarly(em *detect.Emitter) {
	for _, f := range d.early {
		d.lim.emit(em, f)
	}
	clear(d.early)
	d.early = d.early[:0]
}

// payloadFinding is a file fetched from a bare internet address, judged
// without a baseline.
func (d *ipDirect) payloadFinding(ev *event.Event, in *endpointInfo, a netip.Addr, file string) detect.Finding {
	ip := a.String()
	score := 0.7
	if _, exe := executable(ev); exe {
		score = 0.8
	}
	return detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: ip, Key: ip,
		Score: score, Rare: rare(d.env, ip), Phase: 3,
		Summary: fmt.Sprintf("fetched %s from the bare address %s (%s %s, HTTP %d): droppers and IoT botnets fetch their payloads by address, not name; judged without a baseline",
			file, ip, ev.Method, clip(ev.URL, 120), ev.Status),
		SummaryJA: fmt.Sprintf("IPアドレス %s を直接指定して %s を取得した（%s %s、HTTP %d）。ドロッパーやIoTボットネットは名前ではなくIPアドレスでペイロードを取得する。ベースラインによらず判定した",
			ip, file, ev.Method, clip(ev.URL, 120), ev.Status),
		Details: map[string]string{
			"dst_ip": ip, "url": clip(ev.URL, 300), "method": ev.Method, "user_agent": clip(ev.UserAgent, 200),
			"file": file, "baseline": "not needed: a payload fetched from a bare address",
		},
		Evidence: []*event.Event{ev},
	}
}

// pageExts are the extensions of web pages and what pages load, and of
// proxy auto-configuration (a .pac, WPAD's wpad.dat, which DHCP often
// points at by address): fetching them by address is a web page (a
// router's, a printer's, a test server's) or a browser finding its proxy,
// not a payload.
var pageExts = map[string]bool{
	"pac":  true,
	"html": true, "htm": true, "shtml": true, "xhtml": true, "php": true, "asp": true, "aspx": true, "jsp": true,
	"cgi": true, "do": true, "action": true, "css": true, "js": true, "mjs": true, "json": true, "xml": true,
	"txt": true, "ico": true, "png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true,
	"bmp": true, "woff": true, "woff2": true, "ttf": true, "otf": true, "eot": true, "map": true, "wasm": true,
	"mp4": true, "webm": true, "mp3": true, "m3u8": true, "ts": true,
}

// payload says whether an HTTP request fetched a file that is not a page:
// an executable or script (by type or name), or a named file of any other
// type. It names the file.
func payload(ev *event.Event) (string, bool) {
	if ev.Method != "GET" || ev.Action == event.ActionDeny || ev.Status >= 300 || ev.Status != 0 && ev.Status < 200 {
		return "", false
	}
	if why, ok := executable(ev); ok {
		return why, true
	}
	name, _ := fileNameOf(ev)
	e := ext(name)
	if e == "" || pageExts[e] || strings.EqualFold(name, "wpad.dat") {
		return "", false
	}
	return clip(name, 80), true
}

// Observe reports a request to a bare internet address.
func (d *ipDirect) Observe(ev *event.Event, em *detect.Emitter) {
	if d.sensorCopy(ev) {
		return
	}
	if !d.ready() {
		return
	}
	in, a, ok := d.literal(ev)
	if !ok {
		return
	}
	ip := a.String()
	if usual, _ := d.prof.Usual(in.id, in.segment, ip); usual || len(d.prof.Values(in.id)) >= d.habit {
		return
	}
	why := fmt.Sprintf("it used %d bare addresses while learning; %d endpoints used this one",
		len(d.prof.Values(in.id)), d.prof.Org[ip])
	score := 0.6
	what, whatJA := ev.Method+" "+clip(ev.URL, 120), ev.Method+" "+clip(ev.URL, 120)
	if exe, isExe := executable(ev); isExe {
		score = 0.8
		what, whatJA = what+", an executable ("+exe+")", whatJA+"（実行ファイル "+exe+"）"
	} else if ev.Method == "POST" || ev.Method == "PUT" {
		score = 0.7
	}
	denied, deniedJA := "", ""
	if ev.Action == event.ActionDeny {
		denied, deniedJA = " (denied)", "（拒否）"
	}
	d.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: ip, Key: ip,
		Score: score, Rare: rare(d.env, ip),
		Summary: fmt.Sprintf("HTTP request to the bare address %s%s: %s (%s)", ip, denied, what, why),
		SummaryJA: fmt.Sprintf("IPアドレス %s を直接指定したHTTPリクエスト%s: %s（学習期間中にこのアドレスを使ったエンドポイントは%d台）",
			ip, deniedJA, whatJA, d.prof.Org[ip]),
		Details: map[string]string{
			"dst_ip": ip, "url": clip(ev.URL, 300), "method": ev.Method, "user_agent": clip(ev.UserAgent, 200), "baseline": why,
		},
		Evidence: []*event.Event{ev},
	})
}

// Baseline returns the learned state.
func (d *ipDirect) Baseline() any { return profileBaseline{Learned: d.learnt, Profile: d.prof} }

// Restore sets the learned state.
func (d *ipDirect) Restore(b []byte) error {
	var v profileBaseline
	if err := restoreJSON(d.id, b, &v); err != nil {
		return err
	}
	if v.Profile != nil {
		d.prof = v.Profile
	}
	d.learnt = v.Learned
	return nil
}
