package timeline

import (
	"fmt"
	"strings"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
)

// sourceLabel is a short name of an event's format for a narrow column.
func sourceLabel(f string) string {
	if rest, ok := strings.CutPrefix(f, "zeek."); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(f, "suricata."); ok {
		return "eve." + rest
	}
	switch f {
	case "netfilter":
		return "fw"
	case "dnsmasq", "bind":
		return "dns"
	case "sshd":
		return "ssh"
	}
	return f
}

// Describe says in one line what an event shows, from the point of view of
// the endpoint whose timeline it is in.
func Describe(ev *event.Event, endpoint string) string {
	peer, arrow := ev.DstIP, "→"
	if ev.DstIP.IsValid() && ev.DstIP.String() == endpoint {
		peer, arrow = ev.SrcIP, "←"
	}
	where := ""
	if peer.IsValid() {
		where = peer.String()
		if ev.DstPort != 0 && arrow == "→" {
			where = fmt.Sprintf("%s:%d", peer, ev.DstPort)
		}
	}
	var s string
	switch ev.Kind {
	case event.KindHTTP:
		target := ev.URL
		if target == "" {
			target = ev.Domain
		}
		s = strings.TrimSpace(fmt.Sprintf("%s %s %s %s", ev.Method, target, status(ev.Status), bytes(ev.BytesIn)))
		if ev.Action == event.ActionDeny {
			s += " DENIED"
		}
	case event.KindDNS:
		ans := strings.Join(ev.Answers, ", ")
		if len(ev.Answers) > 3 {
			ans = strings.Join(ev.Answers[:3], ", ") + fmt.Sprintf(" +%d", len(ev.Answers)-3)
		}
		s = fmt.Sprintf("%s? %s", or(ev.QType, "A"), ev.Query)
		if ans != "" {
			s += " → " + ans
		}
		if ev.RCode != "" && ev.RCode != "NOERROR" {
			s += " " + ev.RCode
		}
	case event.KindConnection:
		s = fmt.Sprintf("%s %s %s", or(ev.Transport, "conn"), arrow, where)
		if ev.Service != "" {
			s += " (" + ev.Service + ")"
		}
		if ev.BytesOut > 0 || ev.BytesIn > 0 {
			s += fmt.Sprintf(" %s↑ %s↓", bytes(ev.BytesOut), bytes(ev.BytesIn))
		}
		if ev.Label != "" {
			s += " " + ev.Label
		}
		if ev.Action == event.ActionDeny {
			s += " DENY"
		}
	case event.KindTLS:
		s = fmt.Sprintf("TLS %s %s %s", arrow, or(ev.Domain, where), ev.Label)
	case event.KindAuth:
		s = fmt.Sprintf("%s login %s %s", or(ev.Service, "auth"), ev.Outcome, ev.User)
		if ev.SrcIP.IsValid() {
			s += " from " + ev.SrcIP.String()
		}
		if ev.Host != "" && ev.Observer != "" && ev.Observer != ev.Host {
			s += " on " + ev.Observer
		}
	case event.KindFile:
		s = fmt.Sprintf("file %s %s %s", ev.FileName, ev.ContentType, bytes(ev.FileSize))
	case event.KindSMB:
		s = fmt.Sprintf("SMB %s %s %s %s", ev.Method, arrow, where, or(ev.FileName, ev.Label))
	case event.KindRPC:
		s = fmt.Sprintf("RPC %s %s %s %s", ev.Service, ev.Method, arrow, where)
	case event.KindIDS:
		s = fmt.Sprintf("IDS %s %s %s", ev.Signature, arrow, where)
	case event.KindNotice:
		s = fmt.Sprintf("notice %s %s", ev.Label, ev.Message)
	default:
		s = ev.Raw
	}
	return sanitize.Line(strings.Join(strings.Fields(s), " "))
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func status(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func bytes(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
