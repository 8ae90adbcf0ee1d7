package ingest

import (
	"github.com/mamori-soc/mamori/ingest/dnslog"
	"github.com/mamori-soc/mamori/ingest/netfilter"
	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/ingest/squid"
	"github.com/mamori-soc/mamori/ingest/sshd"
	"github.com/mamori-soc/mamori/ingest/suricata"
	"github.com/mamori-soc/mamori/ingest/syslog"
	"github.com/mamori-soc/mamori/ingest/zeek"
)

// Formats returns every supported log format, in the order `mamori
// formats` lists them. Detection picks the format whose Sniff is surest;
// a syslog file that mixes programs goes to the syslog dispatcher, one of a
// single program to that program's format.
func Formats() []parse.Format {
	fs := []parse.Format{squid.Format, zeek.Format, suricata.Format}
	fs = append(fs, dnslog.Formats...)
	fs = append(fs, netfilter.Format, sshd.Format, syslog.Format)
	return fs
}
