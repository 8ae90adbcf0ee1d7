package zeek

import (
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// logType is a Zeek log mamori turns into events.
type logType struct {
	format string // event.Event.Format: "zeek.conn"
	kind   event.Kind
	// fill sets the type's own fields; the common ones (time, addresses,
	// ports, observer) are already set.
	fill func(d *decoder, r *record, ev *event.Event) error
}

// logTypes are the Zeek logs mamori uses, by #path. Read-only.
var logTypes = map[string]*logType{
	"conn":        {"zeek.conn", event.KindConnection, fillConn},
	"dns":         {"zeek.dns", event.KindDNS, fillDNS},
	"http":        {"zeek.http", event.KindHTTP, fillHTTP},
	"files":       {"zeek.files", event.KindFile, fillFiles},
	"ssl":         {"zeek.ssl", event.KindTLS, fillSSL},
	"smb_files":   {"zeek.smb_files", event.KindSMB, fillSMBFiles},
	"smb_mapping": {"zeek.smb_mapping", event.KindSMB, fillSMBMapping},
	"dce_rpc":     {"zeek.dce_rpc", event.KindRPC, fillDCERPC},
	"notice":      {"zeek.notice", event.KindIDS, fillNotice},
	"weird":       {"zeek.weird", event.KindNotice, fillWeird},
	"ssh":         {"zeek.ssh", event.KindAuth, fillSSH},
	"ntlm":        {"zeek.ntlm", event.KindAuth, fillNTLM},
	"kerberos":    {"zeek.kerberos", event.KindAuth, fillKerberos},
	// capture_loss gives no events: its lines with loss are data-quality
	// notes of the source (parse.Note).
	"capture_loss": {"zeek.capture_loss", event.KindNotice, fillCaptureLoss},
}

// otherLogs are log paths Zeek and its common packages write that mamori
// does not use. They are recognised in file names so that such files are
// skipped as a whole. Read-only.
var otherLogs = map[string]bool{
	"analyzer": true, "analyzer_debug": true, "broker": true,
	"cluster": true, "config": true, "conn_long": true, "dhcp": true, "dnp3": true,
	"dpd": true, "ftp": true, "intel": true, "irc": true, "known_certs": true,
	"known_devices": true, "known_hosts": true, "known_modbus": true,
	"known_services": true, "ldap": true, "ldap_search": true, "loaded_scripts": true,
	"modbus": true, "mqtt_connect": true, "mqtt_publish": true, "mqtt_subscribe": true,
	"mysql": true, "netcontrol": true, "netcontrol_drop": true, "netcontrol_shunt": true,
	"notice_alarm": true, "ntp": true, "ocsp": true, "openflow": true,
	"packet_filter": true, "pe": true, "print": true, "quic": true, "radius": true,
	"rdp": true, "reporter": true, "rfb": true, "signatures": true, "sip": true,
	"smb_cmd": true, "smtp": true, "snmp": true, "socks": true, "software": true,
	"stats": true, "syslog": true, "telemetry": true, "traceroute": true,
	"tunnel": true, "unknown_protocols": true, "websocket": true, "weird_stats": true,
	"x509": true,
}

// resolvePath names the Zeek log type a #path, _path or file-name stem
// stands for: itself when it is a known log, else the known log it extends
// with a suffix (per-interface logs such as "http_eth0") or the
// json-streaming-logs package's prefix ("json_streaming_conn"). It returns
// "" when the name is no Zeek log type mamori knows.
func resolvePath(name string) string {
	name = strings.TrimPrefix(name, "json_streaming_")
	for {
		if logTypes[name] != nil || otherLogs[name] {
			return name
		}
		i := strings.LastIndexByte(name, '_')
		if i <= 0 {
			return ""
		}
		name = name[:i]
	}
}

// pathFromFile derives the log type from a file name: conn.log,
// conn.09:00:00-10:00:00.log.gz, conn.log.labeled, dns.json, http_eth0.log.
func pathFromFile(p string) string {
	base := filepath.Base(p)
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return resolvePath(base)
}

// inferType guesses the log type of a record that names none, from the
// fields it has; nil when it looks like no log mamori uses. Connection logs
// must have the connection's id; files, notice and weird need not.
func inferType(r *record) *logType {
	conn := r.has(fOrigH) && r.has(fRespH)
	switch {
	case conn && (r.has(fConnState) || (r.has(fOrigBytes) && r.has(fProto))):
		return logTypes["conn"]
	case conn && r.has(fQuery) && (r.has(fQTypeName) || r.has(fRCodeName) || r.has(fTransID)):
		return logTypes["dns"]
	case conn && r.has(fOperation) && (r.has(fEndpoint) || r.has(fNamedPipe)):
		return logTypes["dce_rpc"]
	case conn && r.has(fShareType):
		return logTypes["smb_mapping"]
	case conn && r.has(fAction) && r.has(fName):
		return logTypes["smb_files"]
	case conn && (r.has(fMethod) || r.has(fURI) || r.has(fStatusCode)):
		return logTypes["http"]
	case conn && (r.has(fServerName) || r.has(fCipher)):
		return logTypes["ssl"]
	case conn && r.has(fAuthSuccess):
		return logTypes["ssh"]
	case conn && r.has(fRequestType) && r.has(fClient):
		return logTypes["kerberos"]
	case conn && r.has(fUsername) && r.has(fDomainname):
		return logTypes["ntlm"]
	case r.has(fFuid) && (r.has(fTxHosts) || r.has(fSeenBytes) || r.has(fMimeType)):
		return logTypes["files"]
	case r.has(fNote) && r.has(fMsg):
		return logTypes["notice"]
	case r.has(fPercentLost) && r.has(fGaps):
		return logTypes["capture_loss"]
	case r.has(fName) && (r.has(fAddl) || r.has(fPeer)):
		return logTypes["weird"]
	}
	return nil
}

// common sets what every Zeek log has: ts, the connection 4-tuple and the
// node that wrote the line.
func (d *decoder) common(r *record, ev *event.Event) error {
	var err error
	if ev.Time, err = r.time(fTS); err != nil {
		return err
	}
	if ev.SrcIP, err = r.addr(fOrigH); err != nil {
		return err
	}
	if ev.SrcPort, err = r.port(fOrigP); err != nil {
		return err
	}
	if ev.DstIP, err = r.addr(fRespH); err != nil {
		return err
	}
	if ev.DstPort, err = r.port(fRespP); err != nil {
		return err
	}
	switch {
	case r.has(fNodeName):
		ev.Observer = d.observer.get(r, fNodeName)
	case r.has(fPeer):
		ev.Observer = d.observer.get(r, fPeer)
	case r.has(fPeerDescr):
		ev.Observer = d.observer.get(r, fPeerDescr)
	}
	return nil
}

func fillConn(d *decoder, r *record, ev *event.Event) error {
	var err error
	ev.Transport = d.proto.get(r, fProto)
	ev.Service = d.service.get(r, fService)
	ev.Label = d.label.get(r, fConnState)
	if ev.BytesOut, err = r.count(fOrigBytes); err != nil {
		return err
	}
	if ev.BytesIn, err = r.count(fRespBytes); err != nil {
		return err
	}
	ev.Duration, err = r.interval(fDuration)
	return err
}

func fillDNS(d *decoder, r *record, ev *event.Event) error {
	ev.Transport = d.proto.get(r, fProto)
	ev.Query = r.str(fQuery)
	ev.QType = d.qtype.get(r, fQTypeName)
	ev.RCode = d.label.get(r, fRCodeName)
	ev.Answers = r.list(fAnswers)
	return nil
}

func fillHTTP(d *decoder, r *record, ev *event.Event) error {
	var err error
	ev.Domain = r.str(fHost)
	ev.URL = parse.AbsoluteURL(ev.Domain, r.str(fURI), ev.DstIP, ev.DstPort)
	ev.Method = d.method.get(r, fMethod)
	ev.UserAgent = d.agent.get(r, fUserAgent)
	ev.ContentType = r.first(fRespMimeTypes)
	ev.FileName = r.first(fRespFilenames)
	status, err := r.count(fStatusCode)
	if err != nil {
		return err
	}
	ev.Status = int(status)
	if ev.BytesOut, err = r.count(fRequestBodyLen); err != nil {
		return err
	}
	ev.BytesIn, err = r.count(fResponseBodyLen)
	return err
}

func fillFiles(d *decoder, r *record, ev *event.Event) error {
	var err error
	ev.FileName = r.str(fFilename)
	ev.ContentType = r.str(fMimeType)
	ev.Service = strings.ToLower(r.str(fSource))
	switch {
	case r.has(fSHA256):
		ev.FileHash = r.str(fSHA256)
	case r.has(fSHA1):
		ev.FileHash = r.str(fSHA1)
	case r.has(fMD5):
		ev.FileHash = r.str(fMD5)
	}
	size := fTotalBytes
	if !r.has(fTotalBytes) {
		size = fSeenBytes
	}
	if ev.FileSize, err = r.count(size); err != nil {
		return err
	}
	// is_orig says whether the connection's originator sent the file: its
	// size then counts as bytes out of the originator (an upload, a mail
	// sent), else as bytes in (a download), as for a connection.
	isOrig, known, err := r.boolean(fIsOrig)
	if err != nil {
		return err
	}
	if known && isOrig {
		ev.BytesOut = ev.FileSize
	} else if known {
		ev.BytesIn = ev.FileSize
	}
	if ev.SrcIP.IsValid() || ev.DstIP.IsValid() {
		return nil // Zeek 5+: the connection's id.* fields
	}
	// Older Zeek: the hosts that sent and received the file; Src stays the
	// originator.
	tx, err := r.firstAddr(fTxHosts)
	if err != nil {
		return err
	}
	rx, err := r.firstAddr(fRxHosts)
	if err != nil {
		return err
	}
	if known && !isOrig {
		ev.SrcIP, ev.DstIP = rx, tx
	} else {
		ev.SrcIP, ev.DstIP = tx, rx
	}
	return nil
}

func fillSSL(d *decoder, r *record, ev *event.Event) error {
	ev.Domain = r.str(fServerName)
	ev.Label = d.label.get(r, fVersion)
	return nil
}

func fillSMBFiles(d *decoder, r *record, ev *event.Event) error {
	var err error
	share := r.str(fPathCol)
	ev.FileName = joinSMBPath(share, r.str(fName))
	ev.Method = d.method.get(r, fAction)
	ev.Label = share
	ev.FileSize, err = r.count(fSize)
	return err
}

// joinSMBPath joins a share path (\\host\ADMIN$) and a name inside it.
func joinSMBPath(share, name string) string {
	switch {
	case share == "":
		return name
	case name == "":
		return share
	case strings.HasSuffix(share, `\`) || strings.HasPrefix(name, `\`):
		return share + name
	}
	return share + `\` + name
}

func fillSMBMapping(d *decoder, r *record, ev *event.Event) error {
	ev.Method = "map"
	ev.Label = r.str(fPathCol)
	ev.Service = d.service.get(r, fShareType)
	return nil
}

func fillDCERPC(d *decoder, r *record, ev *event.Event) error {
	ev.Service = d.service.get(r, fEndpoint)
	ev.Method = d.method.get(r, fOperation)
	ev.Label = d.label.get(r, fNamedPipe)
	return nil
}

// Data-quality notes (parse.Note reasons): the sensor missed packets, so
// connections, lookups and files are missing from its logs.
const (
	noteCaptureLoss = "capture loss: the sensor missed packets, events are missing (Zeek capture_loss.log)"
	noteLossNotice  = "capture loss: the sensor reported too much loss or dropped packets (Zeek notice)"
)

// fillCaptureLoss reads a capture_loss.log line: a note when the interval
// lost packets, nothing otherwise.
func fillCaptureLoss(_ *decoder, r *record, _ *event.Event) error {
	s := r.str(fPercentLost)
	lost, err := strconv.ParseFloat(s, 64)
	if err != nil && s != "" {
		return parse.Rejectf("bad number", "percent_lost %.20q", s)
	}
	gaps, err := r.count(fGaps)
	if err != nil {
		return err
	}
	if lost > 0 || gaps > 0 {
		return parse.Notef(noteCaptureLoss)
	}
	return parse.ErrSkip
}

func fillNotice(d *decoder, r *record, ev *event.Event) error {
	var err error
	switch note := r.str(fNote); {
	case strings.HasPrefix(note, "CaptureLoss::"), note == "PacketFilter::Dropped_Packets":
		return parse.Notef(noteLossNotice)
	}
	ev.Signature = r.str(fNote)
	ev.Message = r.str(fMsg)
	ev.Transport = d.proto.get(r, fProto)
	// Notices about a host rather than a connection name it in src/dst/p.
	if !ev.SrcIP.IsValid() {
		if ev.SrcIP, err = r.addr(fSrc); err != nil {
			return err
		}
	}
	if !ev.DstIP.IsValid() {
		if ev.DstIP, err = r.addr(fDst); err != nil {
			return err
		}
	}
	if !ev.DstIP.IsValid() {
		// A guesser's notice (SSH::Password_Guessing) names only the
		// guesser; its victims are in sub: "Sampled servers: a, b, c".
		// The first is the notice's destination, so that the alert is
		// about a machine of the office.
		if rest, ok := strings.CutPrefix(r.str(fSub), "Sampled servers: "); ok {
			first, _, _ := strings.Cut(rest, ",")
			if a, perr := netip.ParseAddr(strings.TrimSpace(first)); perr == nil {
				ev.DstIP = a.Unmap()
			}
		}
	}
	if ev.DstPort == 0 {
		ev.DstPort, err = r.port(fP)
	}
	return err
}

func fillWeird(d *decoder, r *record, ev *event.Event) error {
	ev.Label = r.str(fName)
	ev.Message = r.str(fAddl)
	return nil
}

// outcome maps a bool field to an event outcome.
func outcome(r *record, f field) (event.Outcome, error) {
	ok, known, err := r.boolean(f)
	switch {
	case err != nil || !known:
		return event.OutcomeNone, err
	case ok:
		return event.OutcomeSuccess, nil
	}
	return event.OutcomeFailure, nil
}

func fillSSH(d *decoder, r *record, ev *event.Event) error {
	var err error
	ev.Service = "ssh"
	ev.UserAgent = d.agent.get(r, fClient)
	ev.Outcome, err = outcome(r, fAuthSuccess)
	return err
}

func fillNTLM(d *decoder, r *record, ev *event.Event) error {
	var err error
	ev.Service = "ntlm"
	ev.User = r.str(fUsername)
	if dom := r.str(fDomainname); dom != "" && ev.User != "" {
		ev.User = dom + `\` + ev.User
	}
	ev.Outcome, err = outcome(r, fSuccess)
	return err
}

func fillKerberos(d *decoder, r *record, ev *event.Event) error {
	var err error
	ev.Service = "kerberos"
	ev.User = r.str(fClient)
	ev.Method = d.method.get(r, fRequestType)
	ev.Label = r.str(fService) // the requested service principal, krbtgt/REALM
	ev.Message = r.str(fErrorMsg)
	ev.Outcome, err = outcome(r, fSuccess)
	return err
}
