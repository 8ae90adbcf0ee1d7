// Package event defines the normalised event every log source is turned into.
//
// Field names follow the Elastic Common Schema where one exists, flattened:
// a Squid access line, a Zeek conn record and an sshd "Failed password" line
// all become one Event with the fields their source knows and the rest left
// empty. Times are always UTC.
package event

import (
	"net/netip"
	"strconv"
	"time"
)

// Kind says what an event records.
type Kind uint8

// The event kinds. The numbers are stored: append, never renumber.
const (
	KindUnknown    Kind = iota
	KindConnection      // a network flow or a firewall decision about one
	KindHTTP            // a web request (proxy or sensor)
	KindDNS             // a name lookup and its answer
	KindTLS             // a TLS handshake (server name, version)
	KindAuth            // a login attempt, its outcome and the user
	KindFile            // a file seen on the wire or written to a share
	KindSMB             // an SMB share mapping or file action
	KindRPC             // a DCE/RPC call (svcctl, atsvc, ...)
	KindIDS             //nolint:revive // an alert raised by an IDS (Suricata, Zeek notice); the name is that acronym, not a plural of ID
	KindNotice          // a protocol anomaly or sensor notice (Zeek weird)
)

var kindNames = [...]string{
	KindUnknown:    "unknown",
	KindConnection: "connection",
	KindHTTP:       "http",
	KindDNS:        "dns",
	KindTLS:        "tls",
	KindAuth:       "auth",
	KindFile:       "file",
	KindSMB:        "smb",
	KindRPC:        "rpc",
	KindIDS:        "ids",
	KindNotice:     "notice",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind returns the kind with the given name.
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), true
		}
	}
	return KindUnknown, false
}

// Kinds lists every kind, for menus and validation.
func Kinds() []Kind {
	ks := make([]Kind, 0, len(kindNames)-1)
	for i := 1; i < len(kindNames); i++ {
		ks = append(ks, Kind(i))
	}
	return ks
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Action is what a policy device (proxy, firewall) did with the traffic.
type Action uint8

// The actions. Stored: append, never renumber.
const (
	ActionNone  Action = iota // the source does not say
	ActionAllow               // let through
	ActionDeny                // blocked, dropped or rejected
)

func (a Action) String() string {
	switch a {
	case ActionAllow:
		return "allow"
	case ActionDeny:
		return "deny"
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Outcome is whether what the event records succeeded (a login, a lookup).
type Outcome uint8

// The outcomes. Stored: append, never renumber.
const (
	OutcomeNone Outcome = iota
	OutcomeSuccess
	OutcomeFailure
)

func (o Outcome) String() string {
	switch o {
	case OutcomeSuccess:
		return "success"
	case OutcomeFailure:
		return "failure"
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Ref points at the original line an event was parsed from, so that any
// alert can show and export its evidence as it was written.
type Ref struct {
	File   string `json:"file"`   // absolute path of the log file as read
	Offset int64  `json:"offset"` // byte offset of the line's first byte
	// Line is the line's number in the file, from 1; 0 when not known
	// (events stored before it was kept). Show it to people: an offset
	// reads like a line number and is not one.
	Line int64 `json:"line,omitempty"`
}

// Place says where a line is in its file, for people: "line 5123", or
// "byte 2310263" when its number (line) is not known. A bare offset after
// a colon reads like a line number and is not one.
func Place(line, offset int64) string {
	if line > 0 {
		return "line " + strconv.FormatInt(line, 10)
	}
	return "byte " + strconv.FormatInt(offset, 10)
}

// Event is one normalised log record.
//
// Direction: Src is the side that opened the connection or sent the request
// (for a proxy line, the client), Dst the side it went to. BytesOut counts
// what Src sent, BytesIn what it received.
type Event struct {
	Time   time.Time `json:"time"`
	Format string    `json:"format"` // source format name, e.g. "squid", "zeek-conn"
	Kind   Kind      `json:"kind"`

	// Endpoint is the organisation's own machine the event belongs to: the
	// source when it is internal, else the destination. Host is its name from
	// the asset inventory or the log itself. Either may be empty.
	Endpoint netip.Addr `json:"endpoint,omitzero"`
	Host     string     `json:"host,omitempty"`
	User     string     `json:"user,omitempty"`
	// Observer is the device that wrote the log line when the line says so:
	// the syslog host name of an sshd line, a Zeek sensor's node name.
	Observer string `json:"observer,omitempty"`

	SrcIP     netip.Addr `json:"src_ip,omitzero"`
	SrcPort   uint16     `json:"src_port,omitempty"`
	DstIP     netip.Addr `json:"dst_ip,omitzero"`
	DstPort   uint16     `json:"dst_port,omitempty"`
	Transport string     `json:"transport,omitempty"` // tcp, udp, icmp
	Service   string     `json:"service,omitempty"`   // application protocol or RPC interface: http, ssl, smb, svcctl

	Domain      string `json:"domain,omitempty"` // host name contacted (HTTP Host, CONNECT host, TLS SNI)
	URL         string `json:"url,omitempty"`
	Method      string `json:"method,omitempty"` // HTTP method, or RPC/SMB operation
	Status      int    `json:"status,omitempty"` // HTTP status
	UserAgent   string `json:"user_agent,omitempty"`
	ContentType string `json:"content_type,omitempty"`

	BytesIn  int64         `json:"bytes_in,omitempty"`
	BytesOut int64         `json:"bytes_out,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`

	Query   string   `json:"dns_query,omitempty"`
	QType   string   `json:"dns_type,omitempty"`
	RCode   string   `json:"dns_rcode,omitempty"` // NOERROR, NXDOMAIN, ...
	Answers []string `json:"dns_answers,omitempty"`

	FileName string `json:"file_name,omitempty"` // name or share path of a transferred file
	FileHash string `json:"file_hash,omitempty"` // hex digest, strongest the source gives (sha256 > sha1 > md5)
	FileSize int64  `json:"file_size,omitempty"`

	Action  Action  `json:"action,omitzero"`
	Outcome Outcome `json:"outcome,omitzero"`
	// Label is the source's own verdict or category: the netfilter log
	// prefix, the Squid result code, the Zeek conn_state or notice name.
	Label string `json:"label,omitempty"`
	// Signature, SignatureID, Severity and Refs describe an IDS alert.
	Signature   string   `json:"signature,omitempty"`
	SignatureID int64    `json:"signature_id,omitempty"`
	Severity    int      `json:"ids_severity,omitempty"`
	Refs        []string `json:"refs,omitempty"` // CVE ids and URLs given by the IDS rule
	Message     string   `json:"message,omitempty"`
	// Repeat is how many times the source says the record happened when it
	// folded repeats into one line (rsyslog's "message repeated 5 times");
	// 0 means once. Use Times to read it.
	Repeat int `json:"repeat,omitempty"`

	Ref Ref    `json:"ref"`
	Raw string `json:"raw,omitempty"` // the original line, for evidence
}

// Times returns how many times the event happened: Repeat, at least 1.
func (e *Event) Times() int { return max(e.Repeat, 1) }

// Peer returns the address on the other side from the endpoint.
func (e *Event) Peer() netip.Addr {
	if e.Endpoint.IsValid() && e.Endpoint == e.SrcIP {
		return e.DstIP
	}
	return e.SrcIP
}

// EndpointID names the endpoint for indexes and the UI: its address when
// known, else its host name, else "".
func (e *Event) EndpointID() string {
	if e.Endpoint.IsValid() {
		return e.Endpoint.String()
	}
	return e.Host
}
