// Package zeek parses Zeek (formerly Bro) logs into mamori events.
//
// Both of Zeek's log encodings are read, and may even alternate in one
// stream:
//
//   - TSV, Zeek's default: a header block (#separator, #set_separator,
//     #empty_field, #unset_field, #path, #open, #fields, #types) names the
//     columns; #close ends the file. Columns are found by name, in any order;
//     unknown columns (labelled variants such as conn.log.labeled, a
//     _node_name column) are ignored or used when known. Values are
//     unescaped ("\\" and "\xNN"), sets and vectors split on the set
//     separator, and the unset field ("-") is told from the empty one
//     ("(empty)"). Header lines may be indented by stray white space, a data
//     line may carry one trailing separator, and a new header block in the
//     middle of a stream (concatenated or restarted logs) replaces the old.
//   - JSON, one object per line, with flat dotted keys ("id.orig_h") or a
//     nested "id" object; ts as epoch seconds or an ISO 8601 string.
//     Relative timestamps (seconds since the capture started, as some
//     replayed captures have) are kept as given, in 1970.
//
// The log type comes from #path or _path, else from the file name
// (conn.log, conn.09:00:00-10:00:00.log.gz, conn.log.labeled, dns.json,
// http_eth0.log), else from the fields a record has. Event.Format is
// "zeek.<path>". The logs mapped to events are conn, dns, http, files, ssl,
// smb_files, smb_mapping, dce_rpc, notice, weird, ssh, ntlm and kerberos;
// a file of any other Zeek log (x509, known_hosts, software, ...) is skipped
// as a whole with parse.SkipFile.
//
// Every event has Time (ts), SrcIP/SrcPort (id.orig_*), DstIP/DstPort
// (id.resp_*) and Observer (_node_name, else the node that logged a weird or
// notice). Per log:
//
//	conn         Connection  Transport=proto Service=service BytesOut=orig_bytes
//	                         BytesIn=resp_bytes Duration Label=conn_state
//	dns          DNS         Transport=proto Query QType=qtype_name RCode=rcode_name Answers
//	http         HTTP        Domain=host URL (http://host[:port]/uri for a relative uri)
//	                         Method Status=status_code UserAgent
//	                         ContentType=resp_mime_types[0] FileName=resp_filenames[0]
//	                         BytesOut=request_body_len BytesIn=response_body_len
//	files        File        FileName FileHash (sha256>sha1>md5) FileSize (total_bytes
//	                         or seen_bytes) ContentType=mime_type Service=source
//	                         (lowercased); Src/Dst from tx_hosts/rx_hosts and is_orig
//	                         when there is no id.*
//	ssl          TLS         Domain=server_name Label=version
//	smb_files    SMB         FileName=path\name Method=action Label=path FileSize=size
//	smb_mapping  SMB         Method="map" Label=path Service=share_type
//	dce_rpc      RPC         Service=endpoint Method=operation Label=named_pipe
//	notice       IDS         Signature=note Message=msg Transport=proto, src/dst/p
//	                         when the notice has no connection
//	weird        Notice      Label=name Message=addl
//	ssh          Auth        Service="ssh" Outcome=auth_success UserAgent=client
//	ntlm         Auth        Service="ntlm" User=domainname\username Outcome=success
//	kerberos     Auth        Service="kerberos" User=client Method=request_type
//	                         Label=service Message=error_msg Outcome=success
//
// Invalid UTF-8 in a value (Zeek's "\xNN" escapes of non-UTF-8 bytes,
// invalid bytes in JSON strings) is replaced by U+FFFD, never rejected: the
// line is attacker-controlled and an odd byte in a URL must not hide the
// request. The untouched line stays in Event.Raw.
package zeek

import (
	"bytes"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/internal/jsonscan"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// Format is the Zeek log format, TSV and JSON.
var Format = parse.Format{
	Name:  "zeek",
	Title: "Zeek logs (TSV with a #fields header, or JSON lines)",
	// zeek-slips port-scans-vertical/conn.log (GPL-2.0, StratosphereLinuxIPS).
	Example: `{"ts":1700828217.314165,"uid":"CfykLO1IT1nVRJhLA3","id.orig_h":"192.168.1.9","id.orig_p":50820,"id.resp_h":"45.33.32.156","id.resp_p":443,"proto":"tcp","duration":0.20696377754211426,"orig_bytes":0,"resp_bytes":0,"conn_state":"REJ","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"Sr","orig_pkts":1,"orig_ip_bytes":60,"resp_pkts":1,"resp_ip_bytes":40,"orig_l2_addr":"c4:23:60:3d:fd:d3","resp_l2_addr":"50:78:b3:b0:08:ec"}`,
	Sniff:   sniff,
	New:     func(src parse.Source) parse.Decoder { return newDecoder(src) },
}

// decoder reads one Zeek log file.
type decoder struct {
	// From the file name: the log type it names ("" if none) and, when that
	// is a type mamori uses, its mapping.
	namePath string
	nameType *logType

	hdr    tsvHeader
	blocks int // TSV header blocks seen
	// The current TSV block's log type, or the path of an unused type.
	typ    *logType
	unused string
	rec    record

	// Interned values of low-cardinality fields, so they do not allocate.
	proto, service, label, method, qtype, agent, observer interner
}

func newDecoder(src parse.Source) *decoder {
	d := &decoder{namePath: pathFromFile(src.Path)}
	d.nameType = logTypes[d.namePath]
	d.hdr = defaultHeader()
	d.rec.sets = &d.hdr
	return d
}

// Decode implements parse.Decoder.
func (d *decoder) Decode(line []byte, ev *event.Event) error {
	if len(line) == 0 {
		return parse.ErrSkip
	}
	if c := line[0]; c == ' ' || c == '\t' {
		trimmed := bytes.TrimLeft(line, " \t")
		switch {
		case len(trimmed) == 0:
			return parse.ErrSkip
		case trimmed[0] == '#' || trimmed[0] == '{':
			line = trimmed
		}
	}
	switch line[0] {
	case '#':
		return d.header(line)
	case '{':
		return d.decodeJSON(line, ev)
	}
	return d.decodeTSV(line, ev)
}

// emit fills ev from a decoded record of log type lt.
func (d *decoder) emit(lt *logType, r *record, ev *event.Event) error {
	ev.Format = lt.format
	ev.Kind = lt.kind
	if err := d.common(r, ev); err != nil {
		return err
	}
	return lt.fill(d, r, ev)
}

func (d *decoder) decodeJSON(line []byte, ev *event.Event) error {
	r := &d.rec
	r.reset(true)
	it := jsonscan.Record(line)
	for it.Next() {
		v := it.Value()
		if f := fieldByName(it.Key()); f != fNone {
			if v.Kind != jsonscan.Null {
				r.js[f] = v
			}
			continue
		}
		if v.Kind == jsonscan.Object && string(it.Key()) == "id" {
			sub := v.Members()
			for sub.Next() {
				if f := idField(sub.Key()); f != fNone {
					r.js[f] = sub.Value()
				}
			}
		}
	}
	if err := it.Err(); err != nil {
		if jsonscan.IsTruncated(err) {
			return parse.Rejectf("truncated line", "%v", err)
		}
		return parse.Rejectf("bad JSON", "%v", err)
	}
	lt, err := d.jsonType(r)
	if err != nil {
		return err
	}
	return d.emit(lt, r, ev)
}

// jsonType finds the log type of a JSON record.
func (d *decoder) jsonType(r *record) (*logType, error) {
	if r.has(fPath) {
		p := r.js[fPath].Bytes()
		if lt := logTypes[string(p)]; lt != nil {
			return lt, nil
		}
		path := resolvePath(string(p))
		if lt := logTypes[path]; lt != nil {
			return lt, nil
		}
		if path != "" && path == d.namePath {
			return nil, skipFile(path)
		}
		return nil, parse.ErrSkip // one line of an unused log in a mixed stream
	}
	if d.nameType != nil {
		return d.nameType, nil
	}
	if d.namePath != "" {
		return nil, skipFile(d.namePath)
	}
	if lt := inferType(r); lt != nil {
		return lt, nil
	}
	return nil, parse.ErrSkip
}

// unknownPath stands for a TSV block whose log type nothing names and
// whose columns match no log mamori uses.
const unknownPath = "?"

func skipFile(path string) error {
	if path == unknownPath {
		return parse.SkipFile("zeek log without #path whose columns match no log type mamori uses")
	}
	return parse.SkipFile("zeek %s.log is not a log type mamori uses", path)
}

// sniff rates a file: a TSV header is certain; JSON lines with Zeek's keys
// are near-certain. Suricata's eve.json (event_type) is not claimed.
func sniff(path string, lines [][]byte) int {
	named := pathFromFile(path) != ""
	ok, bad := 0, 0
	for _, l := range lines {
		l = bytes.TrimLeft(l, " \t")
		switch {
		case len(l) == 0:
		case bytes.HasPrefix(l, []byte("#separator ")) || bytes.HasPrefix(l, []byte("#fields")):
			return 100
		case l[0] == '{' && zeekJSON(l, named):
			ok++
		default:
			bad++
		}
	}
	if ok == 0 {
		return 0
	}
	return 5 + 90*ok/(ok+bad) // 95 when every line is a Zeek record
}

// zeekJSON reports whether a JSON line has the keys of a Zeek record: _path,
// or ts and a connection or file id (uid, id.orig_h, a nested id, fuid), or
// just ts in a file whose name is a Zeek log's. A line with event_type is
// Suricata's.
func zeekJSON(line []byte, named bool) bool {
	var ts, id, path bool
	it := jsonscan.Record(line)
	for it.Next() {
		switch string(it.Key()) {
		case "ts":
			ts = true
		case "uid", "id.orig_h", "fuid":
			id = true
		case "id":
			id = id || it.Value().Kind == jsonscan.Object
		case "_path":
			path = true
		case "event_type":
			return false
		}
	}
	if it.Err() != nil {
		return false
	}
	return path || (ts && (id || named))
}
