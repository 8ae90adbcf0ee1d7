package zeek

import (
	"bytes"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mamori-soc/mamori/ingest/internal/jsonscan"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// field is a Zeek column mamori reads. TSV headers and JSON keys are mapped
// to fields once by name; a column of the same name means the same field in
// every log type, and the log type's mapping decides what it becomes.
type field uint8

const (
	fNone field = iota
	fTS
	fPath // _path (JSON)
	fNodeName
	fPeer      // weird: the Zeek node that saw it
	fPeerDescr // notice
	fOrigH
	fOrigP
	fRespH
	fRespP
	fProto
	fService
	fDuration
	fOrigBytes
	fRespBytes
	fConnState
	fTransID
	fQuery
	fQTypeName
	fRCodeName
	fAnswers
	fMethod
	fHost
	fURI
	fUserAgent
	fStatusCode
	fRequestBodyLen
	fResponseBodyLen
	fRespMimeTypes
	fRespFilenames
	fFuid
	fTxHosts
	fRxHosts
	fIsOrig
	fSource
	fMimeType
	fFilename
	fSeenBytes
	fTotalBytes
	fMD5
	fSHA1
	fSHA256
	fVersion
	fCipher
	fServerName
	fAction
	fPathCol // "path": smb_files, smb_mapping
	fName
	fSize
	fShareType
	fNamedPipe
	fEndpoint
	fOperation
	fNote
	fMsg
	fSub
	fSrc
	fDst
	fP
	fAddl
	fAuthSuccess
	fClient
	fUsername
	fDomainname
	fSuccess
	fRequestType
	fErrorMsg
	fPercentLost
	fGaps
	nFields
)

// fieldByName maps a column name (TSV #fields, flat JSON key) to a field.
func fieldByName(name []byte) field {
	switch string(name) {
	case "ts":
		return fTS
	case "_path":
		return fPath
	case "_node_name":
		return fNodeName
	case "peer":
		return fPeer
	case "peer_descr":
		return fPeerDescr
	case "id.orig_h":
		return fOrigH
	case "id.orig_p":
		return fOrigP
	case "id.resp_h":
		return fRespH
	case "id.resp_p":
		return fRespP
	case "proto":
		return fProto
	case "service":
		return fService
	case "duration":
		return fDuration
	case "orig_bytes":
		return fOrigBytes
	case "resp_bytes":
		return fRespBytes
	case "conn_state":
		return fConnState
	case "trans_id":
		return fTransID
	case "query":
		return fQuery
	case "qtype_name":
		return fQTypeName
	case "rcode_name":
		return fRCodeName
	case "answers":
		return fAnswers
	case "method":
		return fMethod
	case "host":
		return fHost
	case "uri":
		return fURI
	case "user_agent":
		return fUserAgent
	case "status_code":
		return fStatusCode
	case "request_body_len":
		return fRequestBodyLen
	case "response_body_len":
		return fResponseBodyLen
	case "resp_mime_types":
		return fRespMimeTypes
	case "resp_filenames":
		return fRespFilenames
	case "fuid":
		return fFuid
	case "tx_hosts":
		return fTxHosts
	case "rx_hosts":
		return fRxHosts
	case "is_orig":
		return fIsOrig
	case "source":
		return fSource
	case "mime_type":
		return fMimeType
	case "filename":
		return fFilename
	case "seen_bytes":
		return fSeenBytes
	case "total_bytes":
		return fTotalBytes
	case "md5":
		return fMD5
	case "sha1":
		return fSHA1
	case "sha256":
		return fSHA256
	case "version":
		return fVersion
	case "cipher":
		return fCipher
	case "server_name":
		return fServerName
	case "action":
		return fAction
	case "path":
		return fPathCol
	case "name":
		return fName
	case "size":
		return fSize
	case "share_type":
		return fShareType
	case "named_pipe":
		return fNamedPipe
	case "endpoint":
		return fEndpoint
	case "operation":
		return fOperation
	case "note":
		return fNote
	case "msg":
		return fMsg
	case "sub":
		return fSub
	case "src":
		return fSrc
	case "dst":
		return fDst
	case "p":
		return fP
	case "addl":
		return fAddl
	case "auth_success":
		return fAuthSuccess
	case "client":
		return fClient
	case "username":
		return fUsername
	case "domainname":
		return fDomainname
	case "success":
		return fSuccess
	case "request_type":
		return fRequestType
	case "error_msg":
		return fErrorMsg
	case "percent_lost":
		return fPercentLost
	case "gaps":
		return fGaps
	}
	return fNone
}

// idField maps the members of a nested "id" object ({"id":{"orig_h":...}}).
func idField(name []byte) field {
	switch string(name) {
	case "orig_h":
		return fOrigH
	case "orig_p":
		return fOrigP
	case "resp_h":
		return fRespH
	case "resp_p":
		return fRespP
	}
	return fNone
}

// fieldNames gives each field's column name, for reject details.
var fieldNames = func() [nFields]string {
	var names [nFields]string
	for _, n := range []string{
		"ts", "_path", "_node_name", "peer", "peer_descr", "id.orig_h", "id.orig_p",
		"id.resp_h", "id.resp_p", "proto", "service", "duration", "orig_bytes",
		"resp_bytes", "conn_state", "trans_id", "query", "qtype_name", "rcode_name",
		"answers", "method", "host", "uri", "user_agent", "status_code",
		"request_body_len", "response_body_len", "resp_mime_types", "resp_filenames",
		"fuid", "tx_hosts", "rx_hosts", "is_orig", "source", "mime_type", "filename",
		"seen_bytes", "total_bytes", "md5", "sha1", "sha256", "version", "cipher",
		"server_name", "action", "path", "name", "size", "share_type", "named_pipe",
		"endpoint", "operation", "note", "msg", "sub", "src", "dst", "p", "addl",
		"auth_success", "client", "username", "domainname", "success",
		"request_type", "error_msg", "percent_lost", "gaps",
	} {
		names[fieldByName([]byte(n))] = n
	}
	return names
}()

func (f field) String() string { return fieldNames[f] }

// record holds one line's values by field, from either TSV or JSON. A TSV
// value is the raw column (nil when unset, empty for "(empty)"); a JSON value
// is the member's jsonscan.Value (Kind Invalid when absent or null).
type record struct {
	json bool
	tsv  [nFields][]byte
	js   [nFields]jsonscan.Value
	sets *tsvHeader // the TSV escapes in force (set separator)
}

func (r *record) reset(json bool) {
	r.json = json
	if json {
		r.js = [nFields]jsonscan.Value{}
	} else {
		r.tsv = [nFields][]byte{}
	}
}

// has reports whether the field is present with a value.
func (r *record) has(f field) bool {
	if r.json {
		k := r.js[f].Kind
		return k != jsonscan.Invalid && k != jsonscan.Null
	}
	return r.tsv[f] != nil
}

// raw returns the field's bytes when they can be used without decoding: a
// TSV column without escapes or a JSON string without escapes. ok is false
// when the field is absent, needs decoding or is not a string.
func (r *record) raw(f field) (b []byte, ok bool) {
	if r.json {
		v := r.js[f]
		if v.Kind != jsonscan.String {
			return nil, false
		}
		b = v.Raw()
		return b, bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b)
	}
	b = r.tsv[f]
	return b, b != nil && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b)
}

// str returns a string field decoded, "" when absent. Invalid UTF-8 is
// replaced by U+FFFD (see the package comment).
func (r *record) str(f field) string {
	if b, ok := r.raw(f); ok {
		return string(b)
	}
	if r.json {
		return r.js[f].Text()
	}
	if r.tsv[f] == nil {
		return ""
	}
	return unescape(r.tsv[f])
}

// list returns a set or vector field's elements, decoded.
func (r *record) list(f field) []string {
	if r.json {
		it := r.js[f].Elements()
		var out []string
		for it.Next() {
			if v := it.Value(); v.Kind == jsonscan.String {
				out = append(out, v.Text())
			} else if v.Kind == jsonscan.Number {
				out = append(out, string(v.Raw()))
			}
		}
		return out
	}
	b := r.tsv[f]
	if len(b) == 0 {
		return nil
	}
	sep := r.sets.setSep
	n := bytes.Count(b, sep) + 1
	out := make([]string, 0, n)
	for {
		i := bytes.Index(b, sep)
		if i < 0 {
			return append(out, unescape(b))
		}
		out = append(out, unescape(b[:i]))
		b = b[i+len(sep):]
	}
}

// first returns the first element of a set or vector field, or "".
func (r *record) first(f field) string {
	if r.json {
		it := r.js[f].Elements()
		if it.Next() {
			return it.Value().Text()
		}
		return ""
	}
	b := r.tsv[f]
	if i := bytes.Index(b, r.sets.setSep); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return ""
	}
	return unescape(b)
}

// number returns the text of a numeric field, or a reject when the field is
// present but not a number.
func (r *record) number(f field) ([]byte, bool, error) {
	if r.json {
		v := r.js[f]
		switch v.Kind {
		case jsonscan.Invalid, jsonscan.Null:
			return nil, false, nil
		case jsonscan.Number:
			return v.Raw(), true, nil
		}
		return nil, false, parse.Rejectf("wrong type", "%s is a JSON %s, want a number", f, v.Kind)
	}
	b := r.tsv[f]
	return b, b != nil, nil
}

// count returns a non-negative integer field (count, port-less numbers).
func (r *record) count(f field) (int64, error) {
	b, ok, err := r.number(f)
	if !ok || err != nil {
		return 0, err
	}
	n, ok := parseUint(b)
	if !ok {
		return 0, parse.Rejectf("bad number", "%s %q", f, clip(b))
	}
	return n, nil
}

// port returns a port field.
func (r *record) port(f field) (uint16, error) {
	b, ok, err := r.number(f)
	if !ok || err != nil {
		return 0, err
	}
	n, ok := parseUint(b)
	if !ok || n > 65535 {
		return 0, parse.Rejectf("bad port", "%s %q", f, clip(b))
	}
	return uint16(n), nil
}

// interval returns an interval field (seconds with a fraction).
func (r *record) interval(f field) (time.Duration, error) {
	b, ok, err := r.number(f)
	if !ok || err != nil {
		return 0, err
	}
	sec, nsec, ok := parseSeconds(b)
	if !ok || sec > maxDurationSeconds {
		return 0, parse.Rejectf("bad number", "%s %q", f, clip(b))
	}
	return time.Duration(sec)*time.Second + time.Duration(nsec), nil
}

// maxDurationSeconds keeps durations well inside time.Duration (292 years).
const maxDurationSeconds = 100 * 365 * 24 * 3600

// addr returns an address field; a present but malformed address rejects
// the line.
func (r *record) addr(f field) (netip.Addr, error) {
	var b []byte
	if r.json {
		v := r.js[f]
		switch v.Kind {
		case jsonscan.Invalid, jsonscan.Null:
			return netip.Addr{}, nil
		case jsonscan.String:
			b = v.Raw()
		default:
			return netip.Addr{}, parse.Rejectf("wrong type", "%s is a JSON %s, want a string", f, v.Kind)
		}
	} else if b = r.tsv[f]; b == nil {
		return netip.Addr{}, nil
	}
	a, ok := parseAddr(b)
	if !ok {
		return netip.Addr{}, parse.Rejectf("bad address", "%s %q", f, clip(b))
	}
	return a, nil
}

// firstAddr returns the first address of a set[addr] field.
func (r *record) firstAddr(f field) (netip.Addr, error) {
	var b []byte
	if r.json {
		it := r.js[f].Elements()
		if !it.Next() {
			return netip.Addr{}, nil
		}
		v := it.Value()
		if v.Kind != jsonscan.String {
			return netip.Addr{}, parse.Rejectf("wrong type", "%s holds a JSON %s, want a string", f, v.Kind)
		}
		b = v.Raw()
	} else {
		b = r.tsv[f]
		if i := bytes.Index(b, r.sets.setSep); i >= 0 {
			b = b[:i]
		}
		if len(b) == 0 {
			return netip.Addr{}, nil
		}
	}
	a, ok := parseAddr(b)
	if !ok {
		return netip.Addr{}, parse.Rejectf("bad address", "%s %q", f, clip(b))
	}
	return a, nil
}

// boolean returns a bool field: T/F in TSV, true/false in JSON.
func (r *record) boolean(f field) (val, ok bool, err error) {
	if r.json {
		v := r.js[f]
		switch v.Kind {
		case jsonscan.Invalid, jsonscan.Null:
			return false, false, nil
		case jsonscan.Bool:
			b, _ := v.Bool()
			return b, true, nil
		}
		return false, false, parse.Rejectf("wrong type", "%s is a JSON %s, want a bool", f, v.Kind)
	}
	switch b := r.tsv[f]; {
	case b == nil:
		return false, false, nil
	case len(b) == 1 && b[0] == 'T':
		return true, true, nil
	case len(b) == 1 && b[0] == 'F':
		return false, true, nil
	default:
		return false, false, parse.Rejectf("bad bool", "%s %q", f, clip(b))
	}
}

// time returns the ts field: epoch seconds (TSV, JSON number) or an ISO 8601
// string (JSON written with JSON::TS_ISO8601).
func (r *record) time(f field) (time.Time, error) {
	var b []byte
	if r.json {
		v := r.js[f]
		switch v.Kind {
		case jsonscan.Invalid, jsonscan.Null:
			return time.Time{}, parse.Rejectf("missing timestamp", "no %s", f)
		case jsonscan.Number:
			b = v.Raw()
		case jsonscan.String:
			t, err := time.Parse(time.RFC3339Nano, v.Text())
			if err != nil {
				return time.Time{}, parse.Rejectf("bad timestamp", "%s %q", f, clip(v.Raw()))
			}
			return t.UTC(), nil
		default:
			return time.Time{}, parse.Rejectf("wrong type", "%s is a JSON %s", f, v.Kind)
		}
	} else if b = r.tsv[f]; b == nil {
		return time.Time{}, parse.Rejectf("missing timestamp", "%s unset", f)
	}
	sec, nsec, ok := parseSeconds(b)
	if !ok || sec < 0 || sec > maxSeconds {
		return time.Time{}, parse.Rejectf("bad timestamp", "%s %q", f, clip(b))
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// maxSeconds bounds the number in a ts field, far past any time that is
// stored, so that converting it cannot overflow. Which times are stored is
// decided for every format alike by ingest (parse.CheckTime).
const maxSeconds = 1 << 40

// clip shortens attacker-controlled bytes quoted in a reject detail.
func clip(b []byte) string {
	const max = 64
	if len(b) > max {
		return strings.ToValidUTF8(string(b[:max]), "\uFFFD") + "..."
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
