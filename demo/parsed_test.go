package demo

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/dnslog"
	"github.com/mamori-soc/mamori/ingest/netfilter"
	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/ingest/squid"
	"github.com/mamori-soc/mamori/ingest/sshd"
	"github.com/mamori-soc/mamori/ingest/zeek"
)

// decodeAll returns the events the format's parser reads from a demo file.
func decodeAll(t *testing.T, rel string, f parse.Format) []event.Event {
	t.Helper()
	path := filepath.Join(defDir, filepath.FromSlash(rel))
	dec := f.New(parse.Source{Path: path, ModTime: defManifest.End, Location: defManifest.Location})
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []event.Event
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var ev event.Event
		if err := dec.Decode(sc.Bytes(), &ev); err == nil {
			out = append(out, ev)
		} else if !errors.Is(err, parse.ErrSkip) {
			t.Fatalf("%s: %v: %s", rel, err, sc.Text())
		}
	}
	return out
}

// TestParsedAttackEvents reads the attack's key lines through the real
// parsers and checks the fields the detectors need.
func TestParsedAttackEvents(t *testing.T) {
	s := defStory
	v := s.Victim.IP
	peerB := s.Peers[1].IP
	has := func(evs []event.Event, match func(*event.Event) bool) bool {
		for i := range evs {
			if match(&evs[i]) {
				return true
			}
		}
		return false
	}
	tests := map[string]struct {
		file   string
		format parse.Format
		match  func(*event.Event) bool
	}{
		"squid: beacon CONNECT on 8443 with the malware's user agent": {"proxy/access.log", squid.Format, func(e *event.Event) bool {
			return e.SrcIP == v && e.Method == "CONNECT" && e.Domain == siteC2Name && e.DstPort == c2Port && e.UserAgent == uaMalware
		}},
		"squid: second stage from a bare address": {"proxy/access.log", squid.Format, func(e *event.Event) bool {
			return e.SrcIP == v && e.URL == "http://"+addrFoothold.String()+"/update.exe" && e.Status == 200
		}},
		"dnsmasq: sinkholed answer for the victim": {"gateway/dnsmasq.log", dnslog.Dnsmasq, func(e *event.Event) bool {
			return e.SrcIP == v && e.Query == sinkholed && len(e.Answers) == 1 && e.Answers[0] == "0.0.0.0"
		}},
		"netfilter: accepted direct connection": {"gateway/firewall.log", netfilter.Format, func(e *event.Event) bool {
			return e.SrcIP == v && e.DstIP == addrBypass && e.DstPort == 443 && e.Action == event.ActionAllow
		}},
		"sshd: brute-force success": {"servers/auth.log", sshd.Format, func(e *event.Event) bool {
			return e.SrcIP == v && e.User == "backup" && e.Outcome == event.OutcomeSuccess && e.Observer == "fs01"
		}},
		"zeek files: the implant's hash on a peer's share": {"zeek/files.log", zeek.Format, func(e *event.Event) bool {
			return e.FileHash == s.Indicators.SHA256 && e.DstIP == peerB
		}},
		"zeek dce_rpc: CreateServiceW on a peer": {"zeek/dce_rpc.log", zeek.Format, func(e *event.Event) bool {
			return e.SrcIP == v && e.DstIP == peerB && e.Service == "svcctl" && e.Method == "CreateServiceW"
		}},
		"zeek conn: the upload's bytes": {"zeek/conn.log", zeek.Format, func(e *event.Event) bool {
			return e.SrcIP == v && e.DstPort == proxyPort && e.BytesOut > 250e6
		}},
		"zeek http: the double extension's file name": {"zeek/http.log", zeek.Format, func(e *event.Event) bool {
			return e.SrcIP == v && e.FileName == deliveryFile
		}},
		"zeek smb_mapping: ADMIN$": {"zeek/smb_mapping.log", zeek.Format, func(e *event.Event) bool {
			return e.SrcIP == v && e.Label == `\\`+peerB.String()+`\ADMIN$`
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if !has(decodeAll(t, tt.file, tt.format), tt.match) {
				t.Error("no such event")
			}
		})
	}
}
