// Package suricata parses Suricata's EVE JSON output (eve.json) into mamori
// events.
//
// Every line is one JSON object with a common section — timestamp
// ("2021-06-07T03:55:59.123456+0200"; a time without a zone is read in the
// source's zone), event_type, src_ip, src_port, dest_ip, dest_port, proto,
// app_proto, host (the sensor, which becomes Event.Observer) — and an object
// named after the event type. Event.Format is "suricata.<event_type>".
//
// Event types mapped to events:
//
//   - alert: an IDS alert (signature, id, severity, category, the
//     allowed/blocked action, CVE ids and reference URLs from the rule's
//     metadata, signature text and rule text), with the HTTP or TLS
//     context it carries;
//   - flow: a connection (bytes each way, duration, state); its time is the
//     flow's start, as for a Zeek conn record;
//   - dns: the per-record layout of EVE DNS version 1 ("type":"query" and one
//     event per answer record) and the grouped answers of versions 2 and 3;
//   - http, tls, fileinfo (with the HTTP context of the file's transfer);
//   - smb and dcerpc: SMB commands, and DCE/RPC calls named by interface and
//     operation (svcctl CreateServiceW), so that remote service creation
//     reads the same as in Zeek's dce_rpc.log;
//   - anomaly: a protocol or decoder anomaly.
//
// Other event types (stats, netflow, ssh, smtp, ...) are skipped.
//
// Every event has Time, SrcIP/SrcPort, DstIP/DstPort, Transport (proto,
// lowercased), Service (app_proto, except "failed") and Observer (host).
// Per event type:
//
//	alert     IDS         Signature SignatureID Severity Label=category
//	                      Action=action Refs; Domain URL Method UserAgent
//	                      Status from an http context, Domain from a tls one
//	flow      Connection  BytesOut=bytes_toserver BytesIn=bytes_toclient
//	                      Duration=end-start Label=state Time=start;
//	                      Label="rejected" for a TCP flow whose server
//	                      answered only with resets (tcp.tcp_flags_tc has
//	                      RST and no SYN: the connection was refused)
//	dns       DNS         Query=rrname QType=rrtype RCode=rcode Answers (rdata)
//	http      HTTP        Domain=hostname URL (http://hostname[:port]/url)
//	                      Method Status UserAgent ContentType BytesIn=length
//	tls       TLS         Domain=sni Label=version
//	fileinfo  File        FileName FileHash (sha256>sha1>md5) FileSize=size
//	                      ContentType (mimetype, else magic); Domain URL Method
//	                      from the http context
//	smb       SMB         Method=command FileName=filename Label=share
//	                      User=ntlmssp domain\user; with a dcerpc object: RPC
//	dcerpc    RPC         Service=interface Method=operation (or the PDU type)
//	anomaly   Notice      Label=event Message=type (layer)
//
// Invalid UTF-8 in strings is replaced by U+FFFD, never rejected: the line is
// attacker-controlled and an odd byte in a URL must not hide the request.
// The untouched line stays in Event.Raw.
package suricata

import (
	"bytes"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/internal/jsonscan"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// Format is Suricata's eve.json.
var Format = parse.Format{
	Name:  "suricata",
	Title: "Suricata EVE JSON (eve.json)",
	// suricata-slips eve-part1.json (GPL-2.0, StratosphereLinuxIPS).
	Example: `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":445348883402532,"event_type":"flow","src_ip":"192.168.1.132","src_port":1900,"dest_ip":"192.168.1.129","dest_port":44232,"proto":"UDP","app_proto":"failed","flow":{"pkts_toserver":12,"pkts_toclient":0,"bytes_toserver":4056,"bytes_toclient":0,"start":"2021-06-06T16:38:55.855844+0200","end":"2021-06-06T16:38:56.963027+0200","age":1,"state":"new","reason":"timeout","alerted":false},"host":"stratosphere.org"}`,
	Sniff:   sniff,
	New:     func(src parse.Source) parse.Decoder { return &decoder{loc: src.Loc()} },
}

// decoder reads one eve.json file.
type decoder struct {
	loc  *time.Location // for timestamps without a zone
	host string         // the last sensor name, reused while it repeats
	rec  record         // the line being decoded (kept here so it is not allocated per line)
}

// record holds the members of one EVE line that mamori reads.
type record struct {
	timestamp, eventType             jsonscan.Value
	srcIP, srcPort, destIP, destPort jsonscan.Value
	proto, appProto, host            jsonscan.Value
	// The event-type objects and the context objects alerts carry.
	alert, flow, dns, http, tls, fileinfo, smb, dcerpc, anomaly jsonscan.Value
	tcp                                                         jsonscan.Value // a flow's TCP flags
}

// eventType is an EVE event type mamori turns into events.
type eventType struct {
	format string
	kind   event.Kind
	fill   func(d *decoder, r *record, ev *event.Event) error
}

// eventTypes maps event_type to its mapping. Read-only.
var eventTypes = map[string]*eventType{
	"alert":    {"suricata.alert", event.KindIDS, fillAlert},
	"flow":     {"suricata.flow", event.KindConnection, fillFlow},
	"dns":      {"suricata.dns", event.KindDNS, fillDNS},
	"http":     {"suricata.http", event.KindHTTP, fillHTTP},
	"tls":      {"suricata.tls", event.KindTLS, fillTLS},
	"fileinfo": {"suricata.fileinfo", event.KindFile, fillFileinfo},
	"smb":      {"suricata.smb", event.KindSMB, fillSMB},
	"dcerpc":   {"suricata.dcerpc", event.KindRPC, fillDCERPC},
	"anomaly":  {"suricata.anomaly", event.KindNotice, fillAnomaly},
}

// Decode implements parse.Decoder.
func (d *decoder) Decode(line []byte, ev *event.Event) error {
	line = bytes.TrimLeft(line, " \t")
	if len(line) == 0 {
		return parse.ErrSkip
	}
	d.rec = record{}
	r := &d.rec
	it := jsonscan.Record(line)
	for it.Next() {
		v := it.Value()
		switch string(it.Key()) {
		case "timestamp":
			r.timestamp = v
		case "event_type":
			r.eventType = v
		case "src_ip":
			r.srcIP = v
		case "src_port":
			r.srcPort = v
		case "dest_ip":
			r.destIP = v
		case "dest_port":
			r.destPort = v
		case "proto":
			r.proto = v
		case "app_proto":
			r.appProto = v
		case "host":
			r.host = v
		case "alert":
			r.alert = v
		case "flow":
			r.flow = v
		case "dns":
			r.dns = v
		case "http":
			r.http = v
		case "tls":
			r.tls = v
		case "fileinfo":
			r.fileinfo = v
		case "smb":
			r.smb = v
		case "dcerpc":
			r.dcerpc = v
		case "anomaly":
			r.anomaly = v
		case "tcp":
			r.tcp = v
		}
	}
	if err := it.Err(); err != nil {
		if jsonscan.IsTruncated(err) {
			return parse.Rejectf("truncated line", "%v", err)
		}
		return parse.Rejectf("bad JSON", "%v", err)
	}
	if r.eventType.Kind != jsonscan.String {
		return parse.Rejectf("missing event_type", "no event_type string")
	}
	et := eventTypes[string(r.eventType.Bytes())]
	if et == nil {
		return parse.ErrSkip // stats, netflow and the protocols mamori does not read
	}
	ev.Format = et.format
	ev.Kind = et.kind
	if err := d.common(r, ev); err != nil {
		return err
	}
	return et.fill(d, r, ev)
}

// common sets the fields of the common section.
func (d *decoder) common(r *record, ev *event.Event) error {
	var err error
	if r.timestamp.Kind == jsonscan.Invalid || r.timestamp.Kind == jsonscan.Null {
		return parse.Rejectf("missing timestamp", "no timestamp")
	}
	if ev.Time, err = d.time(r.timestamp, "timestamp"); err != nil {
		return err
	}
	if ev.SrcIP, err = addr(r.srcIP, "src_ip"); err != nil {
		return err
	}
	if ev.DstIP, err = addr(r.destIP, "dest_ip"); err != nil {
		return err
	}
	if ev.SrcPort, err = port(r.srcPort, "src_port"); err != nil {
		return err
	}
	if ev.DstPort, err = port(r.destPort, "dest_port"); err != nil {
		return err
	}
	if ev.Transport, err = transport(r.proto); err != nil {
		return err
	}
	if ev.Service, err = appProto(r.appProto); err != nil {
		return err
	}
	switch r.host.Kind {
	case jsonscan.String:
		if !r.host.Equal(d.host) {
			d.host = r.host.Text()
		}
		ev.Observer = d.host
	case jsonscan.Invalid, jsonscan.Null:
	default:
		return wrongType("host", r.host, "a string")
	}
	return nil
}

// time reads an EVE timestamp.
func (d *decoder) time(v jsonscan.Value, name string) (time.Time, error) {
	if v.Kind != jsonscan.String {
		return time.Time{}, wrongType(name, v, "a string")
	}
	t, ok := parseTimestamp(v.Raw(), d.loc)
	if !ok {
		return time.Time{}, parse.Rejectf("bad timestamp", "%s %q", name, clip(v.Raw()))
	}
	return t, nil
}

// sniff rates a file: JSON lines with event_type and timestamp are
// near-certainly EVE.
func sniff(path string, lines [][]byte) int {
	ok, bad := 0, 0
	for _, l := range lines {
		l = bytes.TrimLeft(l, " \t")
		switch {
		case len(l) == 0:
		case l[0] == '{' && eveJSON(l):
			ok++
		default:
			bad++
		}
	}
	if ok == 0 {
		return 0
	}
	return 5 + 90*ok/(ok+bad) // 95 when every line is an EVE record
}

func eveJSON(line []byte) bool {
	var ts, et bool
	it := jsonscan.Record(line)
	for it.Next() {
		switch string(it.Key()) {
		case "timestamp":
			ts = it.Value().Kind == jsonscan.String
		case "event_type":
			et = it.Value().Kind == jsonscan.String
		}
	}
	return ts && et && it.Err() == nil
}
