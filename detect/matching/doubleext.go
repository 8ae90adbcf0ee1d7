package matching

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
)

// doubleExt is M-DOUBLE-EXT: a file name that hides an executable behind a
// document-looking name. Every event that carries a file name is read:
// downloads (the URL's last path segment and its query values, Zeek's
// resp_filenames, Suricata fileinfo), files on the wire (Zeek files.log,
// including mail attachments, which Zeek names from the MIME headers),
// files on shares (smb_files) — whatever the parsers set.
//
// A name is disguised when its real extension runs code (.exe, .scr,
// .js, .lnk, ... see executableExts) and
//
//   - the part before it ends in a document, picture, media or archive
//     extension (decoyExts: report.pdf.exe, photo.jpg.js, 請求書.docx .scr,
//     memo.txt....exe — spaces, dots and underscores between the two are
//     skipped), or
//   - it holds a Unicode bidirectional control (U+202E right-to-left
//     override and its kin), which makes "invoice<RLO>fdp.exe" show as
//     "invoiceexe.pdf", or
//   - the real extension is pushed out of view by a run of three or more
//     spaces ("Scan 2026-03-04          .exe").
//
// setup.exe, archive.tar.gz, jquery.min.js, report.v2.pdf and
// file.name.with.dots.docx are names of what they are and stay silent. One
// download written in several logs (the proxy's, the sensor's HTTP and
// files logs) counts once (sightings).
type doubleExt struct {
	env    *detect.Env
	relays *relays
	seen   sightings
}

func newDoubleExt(p detect.Params, env *detect.Env) detect.Detector {
	return &doubleExt{env: env, relays: newRelays(env, p.Strings("relay_roles", defaultRelayRoles)), seen: newSightings()}
}

func (*doubleExt) Rule() string { return RuleDoubleExt }

func (*doubleExt) Kinds() []event.Kind {
	return []event.Kind{event.KindHTTP, event.KindFile, event.KindSMB}
}

func (*doubleExt) Params() []detect.Param { return []detect.Param{relayParam} }

// maxFileName bounds the names judged: longer ones are cut at the end,
// which keeps the extension.
const maxFileName = 1024

func (d *doubleExt) Observe(ev *event.Event, em *detect.Emitter) {
	d.relays.note(ev)
	if ev.FileName != "" {
		if name := baseName(ev.FileName); name != "" {
			if dis, ok := disguise(name); ok {
				d.emit(ev, name, "file name", dis, em)
				return
			}
		}
	}
	if ev.Kind != event.KindHTTP || ev.URL == "" || ev.Method == "CONNECT" {
		return
	}
	if name := urlFileName(ev.URL); name != "" && mayDisguise(name) {
		if dec, err := url.PathUnescape(name); err == nil {
			name = dec
		}
		if dis, ok := disguise(name); ok {
			d.emit(ev, name, "URL path", dis, em)
			return
		}
	}
	q := ev.URL
	i := strings.IndexByte(q, '?')
	if i < 0 {
		return
	}
	q = q[i+1:]
	if j := strings.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		_, v, ok := strings.Cut(kv, "=")
		if !ok || !mayDisguise(v) {
			continue
		}
		if dec, err := url.QueryUnescape(v); err == nil {
			v = dec
		}
		if dis, ok := disguise(baseName(v)); ok {
			d.emit(ev, baseName(v), "URL query", dis, em)
			return
		}
	}
}

// mayDisguise is a cheap test that a still-encoded name could be disguised:
// it ends in an executable extension (extensions are ASCII and not
// percent-encoded in practice).
func mayDisguise(name string) bool {
	_, ok := executableExt(name)
	return ok
}

// disguised says how a file name hides what it is.
type disguised struct {
	ext   string // the real extension, lower case: "exe"
	decoy string // the document-looking extension before it: "pdf", or ""
	bidi  rune   // the bidirectional control it holds, or 0
	pad   int    // spaces before the real extension
}

func (d disguised) how() (en, ja string) {
	switch {
	case d.bidi != 0:
		return "a Unicode bidirectional control (U+" + hex4(d.bidi) + ") reverses how the end of the name is shown: it is really ." + d.ext,
			"Unicodeの双方向制御文字（U+" + hex4(d.bidi) + "）で名前の末尾の表示が逆転している。実際の拡張子は ." + d.ext
	case d.decoy != "":
		return "an executable (." + d.ext + ") disguised as ." + d.decoy,
			"." + d.decoy + " に見せかけた実行ファイル（." + d.ext + "）"
	}
	return "the real extension ." + d.ext + " is pushed out of view by " + itoa(d.pad) + " spaces",
		itoa(d.pad) + "個の空白で実際の拡張子 ." + d.ext + " を見えない位置に押し出している"
}

func hex4(r rune) string {
	const digits = "0123456789ABCDEF"
	b := []byte{digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf]}
	return string(b)
}

// disguise judges a file name (see doubleExt).
func disguise(name string) (disguised, bool) {
	if len(name) > maxFileName {
		name = name[len(name)-maxFileName:]
	}
	ext, ok := executableExt(name)
	if !ok {
		return disguised{}, false
	}
	d := disguised{ext: ext}
	d.bidi = bidiControl(name)
	stem := name[:len(name)-len(ext)-1]
	trimmed := strings.TrimRightFunc(stem, func(r rune) bool { return r == '.' || r == '_' || unicode.IsSpace(r) })
	for _, r := range stem[len(trimmed):] {
		if unicode.IsSpace(r) {
			d.pad++
		}
	}
	if i := strings.LastIndexByte(trimmed, '.'); i >= 0 {
		if decoy := lowerASCII(trimmed[i+1:]); decoyExts[decoy] {
			d.decoy = decoy
		}
	}
	return d, d.bidi != 0 || d.decoy != "" || d.pad >= 3
}

// executableExt returns the lower-case extension of name when it is one
// that runs code.
func executableExt(name string) (string, bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || len(name)-i-1 > 11 || i == len(name)-1 {
		return "", false
	}
	ext := lowerASCII(name[i+1:])
	return ext, executableExts[ext]
}

// lowerASCII lower-cases a short ASCII string; it allocates only when
// there is an upper-case letter.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// bidiControl returns the first Unicode bidirectional control in s, or 0.
func bidiControl(s string) rune {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c {
			return r
		}
		i += n
	}
	return 0
}

// executableExts are extensions Windows runs or opens with a script host
// when double-clicked.
var executableExts = setOf("exe", "scr", "com", "pif", "bat", "cmd", "vbs", "vbe", "js", "jse",
	"wsf", "wsh", "hta", "msi", "msp", "lnk", "cpl", "jar", "ps1", "psm1", "reg", "chm", "scf",
	"dll", "application", "gadget", "inf", "sct", "url")

// decoyExts are extensions of documents, pictures, media and archives that
// a victim expects to open safely. jtd (Ichitaro) and lzh are common in
// Japanese offices and have been used as lures there.
var decoyExts = setOf("doc", "docx", "docm", "dot", "dotx", "xls", "xlsx", "xlsm", "ppt", "pptx",
	"pps", "ppsx", "pdf", "txt", "rtf", "csv", "odt", "ods", "odp", "jtd", "hwp", "jpg", "jpeg",
	"png", "gif", "bmp", "tif", "tiff", "mp3", "mp4", "avi", "mov", "wmv", "wav", "zip", "rar",
	"7z", "lzh", "htm", "html", "eml", "msg")

func setOf(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func (d *doubleExt) emit(ev *event.Event, name, where string, dis disguised, em *detect.Emitter) {
	ep := ev.EndpointID()
	if ep == "" || d.seen.again(ev, "file "+strings.ToLower(name)) {
		return
	}
	shown := sanitize.Line(name)
	peer, how, howJA := d.peer(ev, shown)
	en, ja := dis.how()
	score := 0.9
	switch {
	case dis.bidi != 0:
		score = 0.95
	case dis.decoy == "":
		score = 0.8
	}
	phase := 0
	if lateralTransfer(d.env, ev) {
		phase = phaseSpread // carried from one office machine to another
	}
	f := detect.Finding{
		Time: ev.Time, Endpoint: ep, Host: ev.Host, Peer: peer, Key: strings.ToLower(name),
		Score: score, Phase: phase,
		Summary:   who(ev.Host, ep) + " " + how + ": " + en + ".",
		SummaryJA: who(ev.Host, ep) + " " + howJA + "。" + ja + "。",
		Details: map[string]string{
			"file_name": shown, "seen_in": where, "real_extension": dis.ext, "source": ev.Format,
		},
		Evidence: []*event.Event{ev},
	}
	if dis.decoy != "" {
		f.Details["shown_extension"] = dis.decoy
	}
	if dis.bidi != 0 {
		f.Details["bidi_control"] = "U+" + hex4(dis.bidi)
	}
	if ev.URL != "" {
		f.Details["url"] = sanitize.Line(ev.URL)
	}
	if ev.Domain != "" {
		f.Rare = rare(d.env, site(ev.Domain))
	}
	if why := d.relays.why(ev.Endpoint); why != "" {
		asRelay(&f, ev.Host, why)
	}
	em.Emit(f)
}

// peer names where the file came from or went to, and says how the
// endpoint got it: "downloaded %q from x", in English and Japanese.
func (d *doubleExt) peer(ev *event.Event, name string) (peer, en, ja string) {
	peer = ev.Domain
	p := ev.Peer()
	if peer == "" && p.IsValid() {
		peer = p.String()
	}
	other := peer
	if other == "" {
		other = "an unknown peer"
	}
	q := "\"" + name + "\""
	switch {
	case ev.Kind == event.KindHTTP || strings.EqualFold(ev.Service, "http"):
		return peer, "downloaded " + q + " from " + other, "が " + other + " から " + q + " をダウンロードした"
	case ev.Kind == event.KindSMB || strings.EqualFold(ev.Service, "smb"):
		if ev.Endpoint == ev.SrcIP {
			return peer, "exchanged " + q + " over SMB with " + other, "が SMB で " + other + " と " + q + " をやり取りした"
		}
		return peer, "received " + q + " over SMB from " + other, "が SMB で " + other + " から " + q + " を受け取った"
	case strings.EqualFold(ev.Service, "smtp") || strings.EqualFold(ev.Service, "imap") || strings.EqualFold(ev.Service, "pop3"):
		return peer, "exchanged the mail attachment " + q + " with " + other, "が " + other + " とメールの添付ファイル " + q + " をやり取りした"
	}
	return peer, "transferred " + q + " with " + other, "が " + other + " とファイル " + q + " をやり取りした"
}
