package ingest

import (
	"github.com/mamori-soc/mamori/ingest/dnslog"
	"github.com/mamori-soc/mamori/ingest/netfilter"
	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/ingest/squid"
	"github.com/mamori-soc/mamori/ingest/sshd"
	"github.com/mamori-soc/mamori/ingest/zeek"
)

// Formats returns every supported log format, in the order `mamori
// formats` lists them.
func Formats() []parse.Format {
	fs := []parse.Format{squid.Format, zeek.Format}
	fs = append(fs, dnslog.Formats...)
	fs = append(fs, netfilter.Format, sshd.Format)
	return fs
}
