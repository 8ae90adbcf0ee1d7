package statistical

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// hostileEvent builds an event from fuzzed values: log content is
// attacker-controlled, and the rules must take anything without panicking.
func hostileEvent(sec int64, kind uint8, src, dst [4]byte, port uint16, bytes int64, s1, s2 string) *event.Event {
	ev := &event.Event{
		Time: time.Unix(sec, 0).UTC(), Kind: event.Kind(kind % 12), Format: s1,
		SrcIP: netip.AddrFrom4(src), DstIP: netip.AddrFrom4(dst), SrcPort: port, DstPort: port ^ 0xffff,
		Domain: s2, Query: s2, URL: s1, User: s1, Observer: s2, Host: s1, Label: s1, RCode: s2, Service: s1,
		BytesIn: bytes, BytesOut: -bytes, Duration: time.Duration(bytes), Status: int(port),
		Answers: []string{s2, "0.0.0.0", s1}, Raw: s1 + s2,
	}
	switch kind % 4 {
	case 0:
		ev.Endpoint = ev.SrcIP
	case 1:
		ev.Endpoint = ev.DstIP
	case 2:
		ev.Outcome, ev.Action, ev.Method = event.OutcomeFailure, event.ActionDeny, "CONNECT"
	}
	return ev
}

func FuzzRules(f *testing.F) {
	f.Add(int64(1_700_000_000), uint8(2), uint32(0x0a000a17), uint32(0xcb007105), uint16(443), int64(5000), "squid", "kx7-update.duckdns.org")
	f.Add(int64(-86_400), uint8(5), uint32(0x0a000001), uint32(0x0a000002), uint16(22), int64(math.MaxInt64), "sshd", "")
	f.Add(int64(math.MaxInt32)*40, uint8(3), uint32(0xc0a80109), uint32(0x2d2120<<8), uint16(0), int64(-1), "zeek.dns", "NXDOMAIN.")
	f.Add(int64(22), uint8(1), uint32(0), uint32(0xffffffff), uint16(65535), int64(1<<40), "netfilter", "1.2.3.4")
	f.Fuzz(func(t *testing.T, sec int64, kind uint8, src, dst uint32, port uint16, bytes int64, s1, s2 string) {
		sec %= 1 << 40 // within time.Time's range, either side of 1970
		a := func(v uint32) [4]byte { return [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }
		env := newEnv("10.0.20.3 proxy01 servers proxy")
		em := detect.NewEmitter("S-FUZZ")
		for _, f := range Factories() {
			d := f.New(detect.Params{}, env)
			for i := range 3 {
				ev := hostileEvent(sec+int64(i)*3600, kind+uint8(i), a(src), a(dst+uint32(i)), port, bytes, s1, s2)
				if l, ok := d.(detect.Learner); ok && i == 0 {
					l.Learn(ev)
				} else {
					d.Observe(ev, em)
				}
				if tk, ok := d.(detect.Ticker); ok {
					tk.Tick(ev.Time.Add(2*time.Hour), em)
				}
			}
			if fin, ok := d.(detect.Finisher); ok {
				fin.Finish(time.Unix(sec, 0).Add(5*time.Hour), em)
			}
			if l, ok := d.(detect.Learner); ok {
				b, err := jsonMarshal(l.Baseline())
				if err != nil {
					t.Fatalf("%s: baseline: %v", f.Rule, err)
				}
				if err := l.Restore(b); err != nil {
					t.Fatalf("%s: restore: %v", f.Rule, err)
				}
			}
		}
		em.Findings()
	})
}
