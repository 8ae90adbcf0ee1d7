package sources_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/sources"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

func TestMain(m *testing.M) { tuitest.Main(m) }

// office is what the demo follows: eleven files, one of them with
// rejected lines and notes, one waiting for its file, one failed.
func office() backend.Status {
	var srcs []ingest.SourceStats
	for i, f := range []struct{ path, format string }{
		{"/var/log/squid/access.log", "squid"}, {"/var/log/gateway/dnsmasq.log", "dnsmasq"}, {"/var/log/gateway/firewall.log", "netfilter"},
		{"/var/log/servers/auth.log", "sshd"}, {"/var/log/zeek/conn.log", "zeek"}, {"/var/log/zeek/dns.log", "zeek"},
		{"/var/log/zeek/http.log", "zeek"}, {"/var/log/zeek/files.log", "zeek"}, {"/var/log/zeek/smb_files.log", "zeek"},
		{"/var/log/suricata/eve.json", "suricata"}, {"/var/log/bind/query.log", "bind"},
	} {
		s := ingest.SourceStats{Path: f.path, Format: f.format, State: ingest.StateFollowing, Lines: int64(1000 * (i + 1)), Events: int64(990 * (i + 1)),
			Ignored: 10, Offset: int64(200000 * (i + 1)), Size: int64(200000 * (i + 1)), Rate: float64(i)}
		srcs = append(srcs, s)
	}
	srcs[0].Rejected, srcs[0].ByReason = 12, map[string]int64{"bad timestamp": 10, "too few fields": 2}
	srcs[0].Notes = map[string]int64{"time went backwards": 3, "invalid UTF-8 replaced": 1}
	srcs[0].Samples = []ingest.Sample{{Reason: "bad timestamp", Offset: 4096, Line: "garbage line"}, {Reason: "too few fields", Offset: 8192, Line: "1700000000.000 42"}}
	srcs[9].State, srcs[9].Reason, srcs[9].Events, srcs[9].Rate = ingest.StateWaiting, "the file does not exist (yet)", 0, 0
	srcs[10].State, srcs[10].Reason, srcs[10].Size = ingest.StateFailed, "permission denied", 400000*11
	return backend.Status{Live: true, Sources: srcs}
}

func pane(t *testing.T, st backend.Status, lang i18n.Lang, keys ...string) sources.Model {
	t.Helper()
	m := sources.New(tuitest.Styles(t), lang, tuitest.Zone)
	m.SetSize(80, 24)
	m.SetStatus(st)
	return tuitest.Press(t, m, keys...)
}

func TestGolden(t *testing.T) {
	views := map[string]struct {
		st   func() backend.Status
		keys []string
	}{
		"office":      {office, nil},
		"office-last": {office, strings.Split(strings.Repeat("j", 10), "")},
		"office-wait": {office, strings.Split(strings.Repeat("j", 9), "")},
		"review":      {review, nil},
		"no-sources":  {func() backend.Status { return backend.Status{} }, nil},
	}
	for name, v := range views {
		for _, lang := range tuitest.Langs {
			t.Run(fmt.Sprintf("%s-%s", name, lang), func(t *testing.T) {
				out := pane(t, v.st(), lang, v.keys...).View()
				tuitest.Golden(t, out, 80, 24)
			})
		}
	}
}

// review is a store opened for review: the files earlier runs read.
func review() backend.Status {
	return backend.Status{Sources: []ingest.SourceStats{
		{Path: "/var/log/squid/access.log", Format: "squid", State: ingest.StateStored, Offset: 3 << 20, Size: 4 << 20, LastRead: tuitest.Now},
		{Path: "/var/log/zeek/conn.log", Format: "zeek", State: ingest.StateStored, Offset: 9 << 20, Size: 9 << 20, LastRead: tuitest.Now},
	}}
}
