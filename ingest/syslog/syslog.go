// Package syslog is the format of a whole syslog file in which several
// programs write: a small office box's /var/log/syslog or messages, or a
// journal export (journalctl -o short, short-precise, short-iso; rsyslog's
// RFC 3339 and RFC 5424 forms; every header parse.ParseSyslog reads).
//
// The header is parsed once and the message handed to the family that
// writes it, by program:
//
//	sshd, sshd-session, sshd-auth  → sshd.DecodeMessage      (Format "sshd")
//	kernel, packet logs            → netfilter.DecodeMessage (Format "netfilter")
//	dnsmasq                        → dnslog.DnsmasqDecoder   (Format "dnsmasq")
//	named                          → dnslog.DecodeBind       (Format "bind")
//
// Events carry the format name of the family that decoded them, so a
// detector sees the same sshd event from auth.log and from a journal
// export. Every other program is parse.ErrSkip; a line that is not syslog
// is rejected with parse.ParseSyslog's reason. For example
//
//	Mar  4 10:00:00 gw dnsmasq[512]: query[A] example.com from 10.0.0.5
//
// becomes a dnsmasq question event, and the next line of cron is skipped.
//
// Sniff rates any syslog file, but below a family's own format when the
// file is written by one program only (a dnsmasq log file, kern.log) and
// above it when programs are mixed, so that no family's lines are lost.
package syslog

import (
	"strings"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/dnslog"
	"github.com/mamori-soc/mamori/ingest/netfilter"
	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/ingest/sshd"
)

// Format is the mixed syslog format.
var Format = parse.Format{
	Name:     "syslog",
	ZoneLess: true,
	Title:    "syslog or journal text of several programs (sshd, kernel firewall, dnsmasq, named)",
	Example:  "Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502",
	Sniff:    Sniff,
	New:      New,
}

// New returns a decoder for one syslog file.
func New(src parse.Source) parse.Decoder {
	return &decoder{src: src, dnsmasq: dnslog.NewDnsmasq(src)}
}

type decoder struct {
	src     parse.Source
	dnsmasq *dnslog.DnsmasqDecoder // remembers questions across lines
}

func (d *decoder) Decode(line []byte, ev *event.Event) error {
	h, err := parse.ParseSyslog(line, d.src)
	if err != nil {
		return err
	}
	switch family(h.Program) {
	case "sshd":
		return sshd.DecodeMessage(&h, ev)
	case "kernel":
		return netfilter.DecodeMessage(&h, ev)
	case "dnsmasq":
		return d.dnsmasq.DecodeSyslog(&h, ev)
	case "named":
		return dnslog.DecodeBind(&h, ev)
	}
	return parse.ErrSkip
}

// family names the writer of a program's lines: one name for the programs
// of one family ("sshd-session" is sshd, "dnsmasq-dhcp" dnsmasq), else the
// program itself.
func family(prog string) string {
	switch {
	case sshd.IsProgram(prog):
		return "sshd"
	case prog == "kernel":
		return "kernel"
	case dnslog.IsDnsmasq(prog), strings.HasPrefix(prog, "dnsmasq-"):
		return "dnsmasq"
	case dnslog.IsNamed(prog):
		return "named"
	}
	return prog
}

// maxPrograms bounds the programs Sniff tells apart; more is "mixed" anyway.
const maxPrograms = 4

// Sniff rates lines as syslog: 0 when none parse; 1..30 when all that do
// come from one program family, which its own format reads as well; and
// 91..99 when programs are mixed, above every family's own format (at most
// 90), scaled by the share of lines that parse.
func Sniff(_ string, lines [][]byte) int {
	src := parse.Source{ModTime: time.Now()}
	var programs [maxPrograms]string
	n, ok, bad := 0, 0, 0
	for _, l := range lines {
		h, err := parse.ParseSyslog(l, src)
		if err != nil {
			bad++
			continue
		}
		ok++
		f := family(h.Program)
		seen := false
		for _, p := range programs[:n] {
			seen = seen || p == f
		}
		if !seen && n < maxPrograms {
			programs[n] = f
			n++
		}
	}
	switch {
	case ok == 0:
		return 0
	case n <= 1:
		return 1 + 29*ok/(ok+bad)
	}
	return 91 + 8*ok/(ok+bad)
}
