// Package netfilter reads the packet logs of the Linux firewall: iptables'
// and ip6tables' LOG target and nftables' log statement as the kernel writes
// them to syslog or the journal, and the Proxmox VE firewall's own log.
//
// Line shapes (any header parse.ParseSyslog reads, program "kernel"):
//
//	Jun  8 14:34:33 gw kernel: [50028442.088484] IPTABLES-DROP: IN=eth0 OUT= MAC=... SRC=195.54.160.107 DST=51.15.166.67 LEN=40 ... PROTO=TCP SPT=8080 DPT=8123 WINDOW=1024 RES=0x00 SYN URGP=0
//	Mar 04 10:00:00 gw kernel: [UFW BLOCK] IN=eth0 OUT= ... SRC=2001:db8::1 DST=2001:db8::2 ... PROTO=ICMPv6 TYPE=128 CODE=0
//	0 5 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 policy DROP: IN=vmbr0 MAC=... SRC=10.3.94.11 DST=10.3.94.12 LEN=52 ... PROTO=UDP SPT=49152 DPT=3784 LEN=32
//
// Each becomes one event of Kind connection: SrcIP, DstIP, SrcPort, DstPort
// (TCP, UDP, SCTP), Transport the lowercased PROTO ("tcp", "icmpv6", "47"),
// BytesOut the packet's IP length (LEN), Observer the syslog host, Message
// the interfaces ("IN=eth0 OUT=") and, for Proxmox, the chain. Label is the
// log prefix, trimmed ("IPTABLES-DROP:", "[UFW BLOCK]", "policy DROP:"; ""
// when there is none), and Action comes from its words: DROP, REJECT, DENY
// or BLOCK (or -ED forms) mean deny, ACCEPT, ALLOW or PASS allow, matched
// case-insensitively as whole words, so "PVEFW-reject" and
// "filter_IN_public_REJECT" deny and "DROPBOX" does not.
//
// A kernel line is a packet log when it has SRC= and DST= keys; other
// kernel lines and other programs are parse.ErrSkip. A packet log without
// the IN= key the kernel always writes first, or with a bad address or
// port, is rejected. Interface names are taken as they are: Linux allows
// dots ("vmbr0.94"), so crowdsec's "IN=enp.1s0" test line is accepted.
// Invalid UTF-8 is kept, each invalid sequence replaced by U+FFFD.
package netfilter

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// Format is the netfilter packet log format.
var Format = parse.Format{
	Name:     "netfilter",
	ZoneLess: true,
	Title:    "Linux firewall packet logs (iptables LOG, nftables log, Proxmox VE firewall)",
	Example:  "Sep 27 20:56:38 ubuntu-focal kernel: [  203.842973] IPTABLES-DROP: IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=127.0.0.1 DST=127.0.0.53 LEN=76 TOS=0x00 PREC=0x00 TTL=64 ID=25029 DF PROTO=UDP SPT=49007 DPT=53 LEN=56",
	Sniff: func(_ string, lines [][]byte) int {
		return parse.SniffByDecoding(New, lines)
	},
	New: New,
}

// New returns a decoder for one kernel log or Proxmox firewall log.
func New(src parse.Source) parse.Decoder { return decoder{src: src} }

type decoder struct{ src parse.Source }

func (d decoder) Decode(line []byte, ev *event.Event) error {
	if len(line) > 0 && isDigit(line[0]) {
		if !utf8.Valid(line) {
			line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
		}
		if ok, err := decodeProxmox(string(line), d.src, ev); ok {
			return err
		}
	}
	h, err := parse.ParseSyslog(line, d.src)
	if err != nil {
		return err
	}
	return DecodeMessage(&h, ev)
}

// IsPacketLog reports whether a kernel message is a packet log line: one
// with SRC= and DST= keys.
func IsPacketLog(msg string) bool {
	return keyAt(msg, "SRC=") >= 0 && keyAt(msg, "DST=") >= 0
}

// DecodeMessage decodes the message of a syslog line whose header is
// already parsed. It returns parse.ErrSkip for programs other than the
// kernel and for kernel messages that are not packet logs.
func DecodeMessage(h *parse.Syslog, ev *event.Event) error {
	if h.Program != "kernel" || !IsPacketLog(h.Message) {
		return parse.ErrSkip
	}
	if keyAt(h.Message, "IN=") < 0 {
		return parse.Rejectf("missing field", "no IN= in a packet log: %.60q", h.Message)
	}
	if err := decodePacket(h.Message, "", ev); err != nil {
		return err
	}
	ev.Time = h.Time
	ev.Observer = h.Host
	return nil
}

// decodeProxmox reads "VMID LEVEL CHAIN DD/Mon/YYYY:HH:MM:SS +ZZZZ MSG".
// ok is false when the line does not have that shape.
func decodeProxmox(s string, src parse.Source, ev *event.Event) (ok bool, err error) {
	vmid, rest, _ := strings.Cut(s, " ")
	level, rest, _ := strings.Cut(rest, " ")
	chain, rest, _ := strings.Cut(rest, " ")
	if !isDigits(vmid) || !isDigits(level) || chain == "" || rest == "" || !isDigit(rest[0]) {
		return false, nil
	}
	t, n, err := parse.ParseDMY(rest, src.Loc())
	if err != nil {
		return true, err
	}
	if n >= len(rest) || rest[n] != ' ' {
		return true, parse.Rejectf("truncated line", "nothing after the timestamp")
	}
	msg := rest[n+1:]
	if !IsPacketLog(msg) {
		return true, parse.ErrSkip
	}
	if err := decodePacket(msg, chain, ev); err != nil {
		return true, err
	}
	ev.Time = t
	return true, nil
}

// decodePacket reads "PREFIX IN=.. OUT=.. ... SRC=.. DST=.. LEN=.. PROTO=.. SPT=.. DPT=..".
func decodePacket(msg, chain string, ev *event.Event) error {
	start := firstKey(msg)
	if start < 0 {
		return parse.Rejectf("missing field", "no IN= or OUT= in %.60q", msg)
	}
	label := strings.TrimSpace(msg[:start])
	var in, out string
	var hasIn, hasOut, hasSrc, hasDst, hasLen bool
	for i := start; i < len(msg); {
		// One pass per word: find its end and its first '='.
		j, eq := i, -1
		for ; j < len(msg) && msg[j] != ' '; j++ {
			if eq < 0 && msg[j] == '=' {
				eq = j
			}
		}
		word := i
		i = j + 1
		if eq < 0 {
			continue // flags: DF, SYN, ACK...
		}
		k, v := msg[word:eq], msg[eq+1:j]
		switch k {
		case "IN":
			in, hasIn = v, true
		case "OUT":
			out, hasOut = v, true
		case "SRC", "DST":
			a, err := netip.ParseAddr(v)
			if err != nil {
				return parse.Rejectf("bad address", "%s=%.50q", k, v)
			}
			if k == "SRC" {
				ev.SrcIP, hasSrc = a, true
			} else {
				ev.DstIP, hasDst = a, true
			}
		case "LEN":
			if hasLen { // the second LEN= is the UDP header's
				continue
			}
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return parse.Rejectf("bad number", "LEN=%.20q", v)
			}
			ev.BytesOut, hasLen = int64(n), true
		case "PROTO":
			ev.Transport = transport(v)
		case "SPT", "DPT":
			p, err := strconv.ParseUint(v, 10, 16)
			if err != nil {
				return parse.Rejectf("bad port", "%s=%.20q", k, v)
			}
			if k == "SPT" {
				ev.SrcPort = uint16(p)
			} else {
				ev.DstPort = uint16(p)
			}
		}
	}
	if !hasSrc || !hasDst {
		return parse.Rejectf("missing field", "no SRC= or DST= in %.60q", msg)
	}
	ev.Format = Format.Name
	ev.Kind = event.KindConnection
	ev.Label = label
	ev.Action = action(label)
	var b strings.Builder
	b.Grow(len(in) + len(out) + len(chain) + 16)
	if hasIn {
		b.WriteString("IN=")
		b.WriteString(in)
	}
	if hasOut {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("OUT=")
		b.WriteString(out)
	}
	if chain != "" && chain != "-" {
		b.WriteString(" chain=")
		b.WriteString(chain)
	}
	ev.Message = b.String()
	return nil
}

// firstKey returns where the first IN= or OUT= key starts, or -1.
func firstKey(msg string) int {
	i, o := keyAt(msg, "IN="), keyAt(msg, "OUT=")
	switch {
	case i < 0:
		return o
	case o < 0 || i < o:
		return i
	}
	return o
}

// keyAt returns the index of key ("SRC=") at the start of msg or after a
// space, or -1.
func keyAt(msg, key string) int {
	for off := 0; ; {
		i := strings.Index(msg[off:], key)
		if i < 0 {
			return -1
		}
		i += off
		if i == 0 || msg[i-1] == ' ' {
			return i
		}
		off = i + 1
	}
}

// transport lowercases PROTO without allocating for the common values.
func transport(p string) string {
	switch p {
	case "TCP":
		return "tcp"
	case "UDP":
		return "udp"
	case "ICMP":
		return "icmp"
	case "ICMPv6":
		return "icmpv6"
	case "SCTP":
		return "sctp"
	case "UDPLITE":
		return "udplite"
	}
	return strings.ToLower(p)
}

// action reads the verdict from the words of a log prefix.
func action(prefix string) event.Action {
	for prefix != "" {
		i := 0
		for i < len(prefix) && !isLetter(prefix[i]) {
			i++
		}
		j := i
		for j < len(prefix) && isLetter(prefix[j]) {
			j++
		}
		w := prefix[i:j]
		prefix = prefix[j:]
		switch strings.ToUpper(w) {
		case "DROP", "DROPPED", "REJECT", "REJECTED", "DENY", "DENIED", "BLOCK", "BLOCKED":
			return event.ActionDeny
		case "ACCEPT", "ACCEPTED", "ALLOW", "ALLOWED", "PASS", "PASSED":
			return event.ActionAllow
		}
	}
	return event.ActionNone
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
