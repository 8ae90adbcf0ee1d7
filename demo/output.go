package demo

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sinkID names one output file.
type sinkID int

const (
	sinkSquid sinkID = iota
	sinkDnsmasq
	sinkFirewall
	sinkAuth
	sinkConn
	sinkDNS
	sinkHTTP
	sinkFiles
	sinkSMBFiles
	sinkSMBMapping
	sinkDCERPC
	numSinks
)

// sinkSpec says where a sink's file goes and what it holds.
type sinkSpec struct {
	path   string // relative to the demo directory, slash-separated
	format string // the ingest format name
	title  string
	zeek   string // Zeek #path, empty for non-Zeek files
	fields string // Zeek #fields, tab-separated
	types  string // Zeek #types, tab-separated
}

// The Zeek field lists and types are those Zeek 6 writes by default; conn,
// dns, http, smb_*, dce_rpc match the WRCCDC 2018 (Zeek 6.2) and RITA
// samples, files.log has the uid and id fields Zeek 5.1 introduced in place
// of tx_hosts, rx_hosts and conn_uids.
var sinkSpecs = [numSinks]sinkSpec{
	sinkSquid:    {path: "proxy/access.log", format: "squid", title: "Squid native access.log with the user agent appended"},
	sinkDnsmasq:  {path: "gateway/dnsmasq.log", format: "dnsmasq", title: "dnsmasq log-queries (syslog)"},
	sinkFirewall: {path: "gateway/firewall.log", format: "netfilter", title: "netfilter LOG lines of the gateway (syslog)"},
	sinkAuth:     {path: "servers/auth.log", format: "sshd", title: "auth.log of the servers (syslog)"},
	sinkConn: {path: "zeek/conn.log", format: "zeek", title: "Zeek conn.log", zeek: "conn",
		fields: "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents",
		types:  "time string addr port addr port enum string interval count count string bool bool count string count count count count set[string]"},
	sinkDNS: {path: "zeek/dns.log", format: "zeek", title: "Zeek dns.log", zeek: "dns",
		fields: "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass qclass_name qtype qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected",
		types:  "time string addr port addr port enum count interval string count string count string count string bool bool bool bool count vector[string] vector[interval] bool"},
	sinkHTTP: {path: "zeek/http.log", format: "zeek", title: "Zeek http.log", zeek: "http",
		fields: "ts uid id.orig_h id.orig_p id.resp_h id.resp_p trans_depth method host uri referrer version user_agent origin request_body_len response_body_len status_code status_msg info_code info_msg tags username password proxied orig_fuids orig_filenames orig_mime_types resp_fuids resp_filenames resp_mime_types",
		types:  "time string addr port addr port count string string string string string string string count count count string count string set[enum] string string set[string] vector[string] vector[string] vector[string] vector[string] vector[string] vector[string]"},
	sinkFiles: {path: "zeek/files.log", format: "zeek", title: "Zeek files.log", zeek: "files",
		fields: "ts fuid uid id.orig_h id.orig_p id.resp_h id.resp_p source depth analyzers mime_type filename duration local_orig is_orig seen_bytes total_bytes missing_bytes overflow_bytes timedout parent_fuid md5 sha1 sha256 extracted extracted_cutoff extracted_size",
		types:  "time string string addr port addr port string count set[string] string string interval bool bool count count count count bool string string string string string bool count"},
	sinkSMBFiles: {path: "zeek/smb_files.log", format: "zeek", title: "Zeek smb_files.log", zeek: "smb_files",
		fields: "ts uid id.orig_h id.orig_p id.resp_h id.resp_p fuid action path name size prev_name times.modified times.accessed times.created times.changed",
		types:  "time string addr port addr port string enum string string count string time time time time"},
	sinkSMBMapping: {path: "zeek/smb_mapping.log", format: "zeek", title: "Zeek smb_mapping.log", zeek: "smb_mapping",
		fields: "ts uid id.orig_h id.orig_p id.resp_h id.resp_p path service native_file_system share_type",
		types:  "time string addr port addr port string string string string"},
	sinkDCERPC: {path: "zeek/dce_rpc.log", format: "zeek", title: "Zeek dce_rpc.log", zeek: "dce_rpc",
		fields: "ts uid id.orig_h id.orig_p id.resp_h id.resp_p rtt named_pipe endpoint operation",
		types:  "time string addr port addr port interval string string string"},
}

// pending is a line waiting for its turn.
type pending struct {
	at  int64
	seq uint64
	b   []byte
}

// sink is one output file. Lines may be handed in slightly ahead of their
// time (a Squid line is logged when the request completes); they wait in a
// heap until the generator's clock passes them, so that every file is in
// time order.
type sink struct {
	spec  sinkSpec
	path  string
	f     *os.File
	w     *bufio.Writer
	heap  []pending
	seq   uint64
	free  [][]byte
	lines int64
	dirty bool
	err   error
}

func openSink(dir string, spec sinkSpec) (*sink, error) {
	p := filepath.Join(dir, filepath.FromSlash(spec.path))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, fmt.Errorf("demo: create directory for %s: %w", spec.path, err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("demo: create %s: %w", spec.path, err)
	}
	return &sink{spec: spec, path: p, f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// zeekTime formats a Zeek #open/#close stamp.
func zeekTime(t int64) string {
	return toTime(t).In(jst).Format("2006-01-02-15-04-05")
}

// header writes the Zeek meta lines that open a log file.
func (s *sink) header(open int64) {
	if s.spec.zeek == "" {
		return
	}
	_, err := fmt.Fprintf(s.w, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t%s\n#open\t%s\n#fields\t%s\n#types\t%s\n",
		s.spec.zeek, zeekTime(open),
		strings.ReplaceAll(s.spec.fields, " ", "\t"),
		strings.ReplaceAll(s.spec.types, " ", "\t"))
	s.fail(err)
	s.dirty = true
}

// buf hands out an empty line buffer, reusing written ones.
func (s *sink) buf() []byte {
	if n := len(s.free); n > 0 {
		b := s.free[n-1]
		s.free = s.free[:n-1]
		return b[:0]
	}
	return make([]byte, 0, 256)
}

func (s *sink) write(b []byte) {
	b = append(b, '\n')
	_, err := s.w.Write(b)
	s.fail(err)
	s.lines++
	s.dirty = true
	if cap(b) <= 4096 && len(s.free) < 1024 {
		s.free = append(s.free, b)
	}
}

// put queues a line for time at; now is the generator's clock, which no
// later line will precede.
func (s *sink) put(now, at int64, b []byte) {
	if at <= now && len(s.heap) == 0 {
		s.write(b)
		return
	}
	s.seq++
	s.heap = append(s.heap, pending{at: at, seq: s.seq, b: b})
	s.up(len(s.heap) - 1)
}

// release writes the queued lines due at or before t.
func (s *sink) release(t int64) {
	for len(s.heap) > 0 && s.heap[0].at <= t {
		p := s.heap[0]
		n := len(s.heap) - 1
		s.heap[0] = s.heap[n]
		s.heap[n] = pending{}
		s.heap = s.heap[:n]
		if n > 0 {
			s.down(0)
		}
		s.write(p.b)
	}
}

// next is the time of the earliest queued line.
func (s *sink) next() int64 {
	if len(s.heap) == 0 {
		return never
	}
	return s.heap[0].at
}

func (s *sink) less(i, j int) bool {
	a, b := &s.heap[i], &s.heap[j]
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

func (s *sink) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			return
		}
		s.heap[i], s.heap[p] = s.heap[p], s.heap[i]
		i = p
	}
}

func (s *sink) down(i int) {
	n := len(s.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			return
		}
		s.heap[i], s.heap[m] = s.heap[m], s.heap[i]
		i = m
	}
}

// flush pushes buffered bytes to the file so a tailer sees them.
func (s *sink) flush() error {
	if !s.dirty {
		return s.err
	}
	s.dirty = false
	s.fail(s.w.Flush())
	return s.err
}

// fail keeps the first write error of the file, for flush to return.
func (s *sink) fail(err error) {
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("demo: write %s: %w", s.spec.path, err)
	}
}

// close writes the Zeek #close line (when the file is complete), drops the
// lines still queued for after the end, and closes the file.
func (s *sink) close(end int64, complete bool) error {
	s.heap = nil
	if complete && s.spec.zeek != "" {
		_, err := fmt.Fprintf(s.w, "#close\t%s\n", zeekTime(end))
		s.fail(err)
	}
	s.dirty = true
	err := s.flush()
	if cerr := s.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("demo: close %s: %w", s.spec.path, cerr)
	}
	return err
}
