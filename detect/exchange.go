package detect

import (
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/internal/human"
	"github.com/mamori-soc/mamori/sanitize"
)

// Exchange is what came back for a connection or a request: whether the
// other side answered, refused, or said nothing. Rules weigh what happened
// by it (a connection to a listed address that was refused is an attempt,
// not a channel) and say it in their explanations ("refused" or
// "exchanged", never "exchanged traffic" for a reset or an ICMP error).
type Exchange uint8

// The exchanges.
const (
	// ExchangeUnknown: the log does not say (a firewall's accept line, a
	// proxy line without a status).
	ExchangeUnknown Exchange = iota
	// ExchangeAnswered: the other side answered: a handshake, data or an
	// HTTP response came back.
	ExchangeAnswered
	// ExchangeRefused: the other side or a device on the way refused: a
	// TCP reset to the opening (Zeek REJ), a reset before any data
	// (RSTO, RSTR without payload), a firewall's or proxy's block.
	ExchangeRefused
	// ExchangeUnanswered: nothing came back (Zeek S0, a Suricata flow
	// that stayed "new" with no byte to the client).
	ExchangeUnanswered
	// ExchangeICMPError: the event is an ICMP error message (destination
	// unreachable, time exceeded, ...): a report about other traffic,
	// sent by the side that refused it, not traffic of its own.
	ExchangeICMPError
)

// Failed reports whether the exchange shows the connection did not get
// through: refused, unanswered, or reported undeliverable.
func (x Exchange) Failed() bool {
	return x == ExchangeRefused || x == ExchangeUnanswered || x == ExchangeICMPError
}

// String names the exchange for details: "answered", "refused",
// "unanswered", "icmp-error", or "" when unknown.
func (x Exchange) String() string {
	switch x {
	case ExchangeAnswered:
		return "answered"
	case ExchangeRefused:
		return "refused"
	case ExchangeUnanswered:
		return "unanswered"
	case ExchangeICMPError:
		return "icmp-error"
	}
	return ""
}

// Zeek conn_state values by what they say came back (Zeek's
// base/protocols/conn/main.zeek).
var (
	zeekUnanswered = map[string]bool{"S0": true, "RSTOS0": true, "SH": true}
	zeekRefused    = map[string]bool{"REJ": true, "RSTRH": true}
	zeekReset      = map[string]bool{"RSTO": true, "RSTR": true} // established, then reset
	zeekAnswered   = map[string]bool{"SF": true, "S1": true, "S2": true, "S3": true}
)

// ExchangeOf says what came back for ev, from what its source logs: the
// policy device's action, Zeek's conn_state, a Suricata flow's state and
// bytes, an HTTP status, a DNS answer code, ICMP error types.
func ExchangeOf(ev *event.Event) Exchange {
	if ev.Action == event.ActionDeny {
		return ExchangeRefused
	}
	if IsICMP(ev.Transport) {
		if _, ok := ICMPErrorType(ev); ok {
			return ExchangeICMPError
		}
		if ev.BytesIn > 0 {
			return ExchangeAnswered
		}
		if zeekUnanswered[ev.Label] || ev.Label == "OTH" && strings.HasPrefix(ev.Format, "zeek") {
			return ExchangeUnanswered
		}
		return ExchangeUnknown
	}
	switch ev.Kind {
	case event.KindHTTP:
		if ev.Status > 0 {
			return ExchangeAnswered
		}
		return ExchangeUnknown
	case event.KindDNS:
		if ev.RCode != "" || len(ev.Answers) > 0 {
			return ExchangeAnswered
		}
		return ExchangeUnknown
	case event.KindTLS:
		if ev.Label != "" || ev.BytesIn > 0 {
			return ExchangeAnswered // a version is known only from the server's hello
		}
		return ExchangeUnknown
	case event.KindConnection:
	default:
		if ev.BytesIn > 0 {
			return ExchangeAnswered
		}
		return ExchangeUnknown
	}
	switch {
	case zeekUnanswered[ev.Label]:
		return ExchangeUnanswered
	case zeekRefused[ev.Label]:
		return ExchangeRefused
	case zeekReset[ev.Label]:
		if ev.BytesIn == 0 && ev.BytesOut == 0 {
			return ExchangeRefused
		}
		return ExchangeAnswered
	case zeekAnswered[ev.Label]:
		return ExchangeAnswered
	case ev.Label == "rejected": // a Suricata flow whose opening was reset
		return ExchangeRefused
	case ev.Label == "new" && strings.HasPrefix(ev.Format, "suricata"):
		if ev.BytesIn == 0 {
			return ExchangeUnanswered
		}
		return ExchangeAnswered
	case ev.BytesIn > 0:
		return ExchangeAnswered
	}
	return ExchangeUnknown
}

// IsICMP reports whether a transport name is ICMP or ICMPv6, as the
// parsers write it.
func IsICMP(transport string) bool {
	switch transport {
	case "icmp", "icmpv6", "ipv6-icmp", "icmp6":
		return true
	}
	return false
}

// ICMPErrorType returns the name of an ICMP error message when ev is one
// and its source gives the type: Zeek logs an ICMP exchange with the type
// as the originator's port and the code as the responder's. Echo, router
// and neighbour messages are not errors.
func ICMPErrorType(ev *event.Event) (string, bool) {
	if !IsICMP(ev.Transport) || !strings.HasPrefix(ev.Format, "zeek") {
		return "", false
	}
	v6 := ev.SrcIP.Is6() && !ev.SrcIP.Is4In6()
	t := ev.SrcPort
	if v6 {
		switch t {
		case 1:
			return "destination unreachable", true
		case 2:
			return "packet too big", true
		case 3:
			return "time exceeded", true
		case 4:
			return "parameter problem", true
		}
		return "", false
	}
	switch t {
	case 3:
		return "destination unreachable", true
	case 4:
		return "source quench", true
	case 5:
		return "redirect", true
	case 11:
		return "time exceeded", true
	case 12:
		return "parameter problem", true
	}
	return "", false
}

// ServiceName names what an event's traffic was for explanations: the
// responder's port and transport ("443/tcp"), with the application
// protocol when the source names it ("443/tcp (ssl)"), the protocol alone
// when the log gives no port (a resolver's "dns"); ICMP by its type
// ("icmp type 3"), never as a port.
func ServiceName(ev *event.Event) string {
	proto := strings.ToLower(ev.Transport)
	if IsICMP(proto) {
		if strings.HasPrefix(ev.Format, "zeek") {
			return proto + " type " + strconv.Itoa(int(ev.SrcPort))
		}
		return proto
	}
	port := ev.DstPort
	if proto == "" {
		switch ev.Kind {
		case event.KindHTTP, event.KindTLS:
			proto = "tcp"
		case event.KindDNS:
			proto = "udp"
		}
	}
	s := ""
	switch {
	case port != 0 && proto != "":
		s = strconv.Itoa(int(port)) + "/" + proto
	case port != 0:
		s = strconv.Itoa(int(port))
	}
	app := strings.ToLower(ev.Service)
	if app == "" {
		switch ev.Kind {
		case event.KindHTTP:
			app = "http"
			if ev.Method == "CONNECT" {
				app = "tunnel"
			}
		case event.KindTLS:
			app = "tls"
		case event.KindDNS:
			app = "dns"
		}
	}
	if app != "" && app != "-" && !strings.ContainsAny(app, " \t") && len(app) <= 24 {
		if s == "" {
			return app
		}
		return s + " (" + app + ")"
	}
	return s
}

// LoggedAttempt reports whether ev is a firewall's log of a packet that
// says no verdict: a netfilter LOG rule whose prefix has no DROP, REJECT
// or ACCEPT word (the kernel's bare "IN=eth0 OUT= ... SYN"). Such a rule
// usually sits just before the rule that drops, and the log can never
// show an answer: the packet is an attempt whose outcome no log says,
// which is what a scan made of them is.
func LoggedAttempt(ev *event.Event) bool {
	return ev.Kind == event.KindConnection && ev.Format == "netfilter" && ev.Action == event.ActionNone
}

// ExchangeText says what came back for ev, for a summary, in the words of
// Exchange: "; it was blocked (FW-DROP:)", "; it was refused (reset)",
// "; the connection was reset before any data was exchanged", "; nothing
// answered", "; an ICMP destination unreachable message", " and exchanged
// 4.9 kB" (a connection), " and was answered (HTTP 200)" (a request), or
// "" when the log does not say. The Japanese text continues a sentence
// that ends in a verb ("…へ接続した" + "が、遮断された").
func ExchangeText(ev *event.Event) (en, ja string) {
	switch x := ExchangeOf(ev); x {
	case ExchangeRefused:
		label := sanitize.Line(ev.Label)
		switch {
		case ev.Action == event.ActionDeny && label != "":
			return "; it was blocked (" + label + ")", "が、遮断された（" + label + "）"
		case ev.Action == event.ActionDeny:
			return "; it was blocked", "が、遮断された"
		case ev.Label == "RSTO" || ev.Label == "RSTR":
			return "; the connection was reset before any data was exchanged", "が、データのやり取り前にリセットされた"
		}
		return "; it was refused (reset)", "が、拒否された（リセット）"
	case ExchangeUnanswered:
		return "; nothing answered", "が、応答はなかった"
	case ExchangeICMPError:
		t, _ := ICMPErrorType(ev)
		return "; an ICMP " + t + " message", "（ICMP " + t + "）"
	case ExchangeAnswered:
		switch {
		case ev.Kind == event.KindHTTP && ev.Status > 0:
			s := strconv.Itoa(ev.Status)
			return " and was answered (HTTP " + s + ")", "（HTTP " + s + " の応答あり）"
		case ev.BytesIn+ev.BytesOut > 0:
			n := human.Traffic(ev.BytesIn + ev.BytesOut)
			return " and exchanged " + n, "（" + n + " をやり取り）"
		}
		return " and was answered", "（応答あり）"
	}
	return "", ""
}
