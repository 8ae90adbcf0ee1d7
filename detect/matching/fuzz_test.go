package matching

import (
	"testing"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// FuzzFileNames feeds attacker-chosen file names and URLs to the rules
// that read them: nothing may panic, and a finding always names its
// endpoint and key.
func FuzzFileNames(f *testing.F) {
	for _, s := range []string{"report.doc.exe", "invoice\u202efdp.exe", "/s/%E8%AB%8B.pdf.exe", "a.pdf .exe?x=%zz", "\xff\xfe.exe", ".exe", "?=&=.js"} {
		f.Add(s, s)
	}
	env := newEnv(f)
	dets := []detect.Detector{build(f, env, RuleDoubleExt), build(f, env, RuleIOCURL), build(f, env, RuleIOCDomain), build(f, env, RulePsExec)}
	f.Fuzz(func(t *testing.T, name, url string) {
		em := detect.NewEmitter("fuzz")
		for _, ev := range []*event.Event{
			enrich(env, &event.Event{Time: t0, Format: "squid", Kind: event.KindHTTP, SrcIP: pc1, DstIP: ip("203.0.113.1"), Method: "GET", URL: url, Domain: name, FileName: name}),
			enrich(env, &event.Event{Time: t0, Format: "zeek.smb_files", Kind: event.KindSMB, SrcIP: pc1, DstIP: pc2, Method: "SMB::FILE_WRITE", Label: url, FileName: name}),
		} {
			for _, d := range dets {
				for _, k := range d.Kinds() {
					if k == ev.Kind {
						d.Observe(ev, em)
					}
				}
			}
		}
		for _, fd := range em.Findings() {
			if fd.Endpoint == "" || fd.Summary == "" {
				t.Fatalf("finding without endpoint or summary: %+v", fd)
			}
		}
	})
}
