package suricata

import (
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/internal/jsonscan"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// members returns an iterator over an event-type object, or a reject when
// the member is not an object. An absent object yields nothing.
func members(v jsonscan.Value, name string) (jsonscan.Iter, error) {
	if v.Kind != jsonscan.Object && !absent(v) {
		return jsonscan.Iter{}, wrongType(name, v, "an object")
	}
	return v.Members(), nil
}

func fillAlert(d *decoder, r *record, ev *event.Event) error {
	it, err := members(r.alert, "alert")
	if err != nil {
		return err
	}
	var cves []string
	var rule string
	for it.Next() {
		v := it.Value()
		switch string(it.Key()) {
		case "action":
			switch {
			case v.Equal("allowed"):
				ev.Action = event.ActionAllow
			case v.Equal("blocked"):
				ev.Action = event.ActionDeny
			case v.Kind != jsonscan.String:
				return wrongType("alert.action", v, "a string")
			}
		case "signature_id":
			ev.SignatureID, err = integer(v, "alert.signature_id")
		case "signature":
			ev.Signature, err = str(v, "alert.signature")
		case "category":
			ev.Label, err = str(v, "alert.category")
		case "severity":
			var n int64
			n, err = integer(v, "alert.severity")
			ev.Severity = int(n)
		case "rule":
			rule, err = str(v, "alert.rule")
		case "metadata":
			cves = metadataCVEs(v)
		}
		if err != nil {
			return err
		}
	}
	ev.Refs = references(cves, ev.Signature, rule)
	if err := httpContext(r.http, ev, false); err != nil {
		return err
	}
	return tlsContext(r.tls, ev)
}

// metadataCVEs returns the "cve" entries of a rule's metadata
// ("cve":["CVE_2017_0144"] in ET Open rules).
func metadataCVEs(meta jsonscan.Value) []string {
	var out []string
	it := meta.Members()
	for it.Next() {
		if string(it.Key()) != "cve" {
			continue
		}
		vals := it.Value().Elements()
		for vals.Next() {
			if v := vals.Value(); v.Kind == jsonscan.String {
				out = append(out, v.Text())
			}
		}
	}
	return out
}

// references gathers an alert's CVE ids and reference URLs, in order and
// without repeats: the metadata's CVEs, CVE ids in the signature text
// ("... (CVE-2022-25237)"), and the rule's reference options when eve logs
// the rule text ("reference:cve,2017-0144; reference:url,example.com/a;").
func references(cves []string, signature, rule string) []string {
	var refs []string
	add := func(r string) {
		if r == "" {
			return
		}
		for _, have := range refs {
			if have == r {
				return
			}
		}
		refs = append(refs, r)
	}
	for _, c := range cves {
		add(normalizeCVE(c))
	}
	for _, c := range findCVEs(signature) {
		add(c)
	}
	for rest := rule; ; {
		i := strings.Index(rest, "reference:")
		if i < 0 {
			break
		}
		rest = rest[i+len("reference:"):]
		opt := rest
		if j := strings.IndexByte(opt, ';'); j >= 0 {
			opt = opt[:j]
		}
		kind, val, ok := strings.Cut(opt, ",")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(strings.TrimSpace(kind)) {
		case "cve":
			add(normalizeCVE("CVE-" + val))
		case "url":
			if !strings.Contains(val, "://") {
				val = "http://" + val // as Suricata's reference.config expands it
			}
			add(val)
		}
	}
	return refs
}

// findCVEs returns the CVE ids written in text, normalised.
func findCVEs(text string) []string {
	var out []string
	for i := 0; i+3 <= len(text); i++ {
		if !strings.EqualFold(text[i:i+3], "cve") || (i > 0 && isAlnum(text[i-1])) {
			continue
		}
		end := i + 3
		if end < len(text) && (text[end] == '-' || text[end] == '_') {
			end++
		}
		for end < len(text) && (isDigit(text[end]) || text[end] == '-' || text[end] == '_') {
			end++
		}
		if c := normalizeCVE(text[i:end]); c != "" {
			out = append(out, c)
			i = end - 1
		}
	}
	return out
}

// normalizeCVE returns "CVE-2017-0144" for "CVE-2017-0144", "CVE_2017_0144"
// or "cve-2017-0144", and "" for anything else.
func normalizeCVE(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 3 || !strings.EqualFold(s[:3], "cve") {
		return ""
	}
	s = strings.TrimLeft(s[3:], "-_")
	year, num, ok := strings.Cut(strings.ReplaceAll(s, "_", "-"), "-")
	num = strings.TrimRight(num, "-")
	if !ok || len(year) != 4 || len(num) < 4 || len(num) > 8 || !allDigits(year) || !allDigits(num) {
		return ""
	}
	return "CVE-" + year + "-" + num
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool {
	return isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'z'
}
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func fillFlow(d *decoder, r *record, ev *event.Event) error {
	it, err := members(r.flow, "flow")
	if err != nil {
		return err
	}
	var start, end jsonscan.Value
	for it.Next() {
		v := it.Value()
		switch string(it.Key()) {
		case "bytes_toserver":
			ev.BytesOut, err = count(v, "flow.bytes_toserver")
		case "bytes_toclient":
			ev.BytesIn, err = count(v, "flow.bytes_toclient")
		case "state":
			ev.Label, err = flowState(v)
		case "start":
			start = v
		case "end":
			end = v
		}
		if err != nil {
			return err
		}
	}
	if ev.Transport == "tcp" {
		refused, err := refusedTCP(r.tcp)
		if err != nil {
			return err
		}
		if refused {
			ev.Label = "rejected"
		}
	}
	if absent(start) {
		return nil
	}
	// A flow record's time is when the flow started, as for Zeek's conn.
	if ev.Time, err = d.time(start, "flow.start"); err != nil {
		return err
	}
	if absent(end) {
		return nil
	}
	t, err := d.time(end, "flow.end")
	if err != nil {
		return err
	}
	if dur := t.Sub(ev.Time); dur > 0 {
		ev.Duration = dur
	}
	return nil
}

// refusedTCP reports whether a flow's TCP flags (the "tcp" object EVE
// writes with each flow) say the server refused the connection: it sent
// resets and never a SYN, so no connection was established (Zeek's REJ).
// Flags are hex strings ("14" is RST|ACK); absent flags say nothing.
func refusedTCP(v jsonscan.Value) (bool, error) {
	if absent(v) {
		return false, nil
	}
	it, err := members(v, "tcp")
	if err != nil {
		return false, err
	}
	for it.Next() {
		if string(it.Key()) != "tcp_flags_tc" {
			continue
		}
		s, err := str(it.Value(), "tcp.tcp_flags_tc")
		if err != nil || s == "" {
			return false, err
		}
		f, perr := strconv.ParseUint(s, 16, 8)
		if perr != nil {
			return false, parse.Rejectf("bad TCP flags", "tcp.tcp_flags_tc %q", clip([]byte(s)))
		}
		const syn, rst = 0x02, 0x04
		return f&rst != 0 && f&syn == 0, nil
	}
	return false, nil
}

// flowState returns flow.state, without allocating for the usual ones.
func flowState(v jsonscan.Value) (string, error) {
	if v.Kind != jsonscan.String {
		return str(v, "flow.state")
	}
	for _, s := range [...]string{"new", "established", "closed", "bypassed"} {
		if v.Equal(s) {
			return s, nil
		}
	}
	return v.Text(), nil
}

func fillDNS(d *decoder, r *record, ev *event.Event) error {
	it, err := members(r.dns, "dns")
	if err != nil {
		return err
	}
	var grouped, queries jsonscan.Value
	detailed := false
	for it.Next() {
		v := it.Value()
		switch string(it.Key()) {
		case "rrname":
			ev.Query, err = str(v, "dns.rrname")
		case "rrtype":
			ev.QType, err = str(v, "dns.rrtype")
		case "rcode":
			ev.RCode, err = str(v, "dns.rcode")
		case "rdata": // version 1: one event per answer record
			var rdata string
			if rdata, err = str(v, "dns.rdata"); rdata != "" {
				ev.Answers = append(ev.Answers, rdata)
			}
		case "answers": // versions 2 and 3, "detailed"
			detailed = true
			as := v.Elements()
			for as.Next() {
				ans := as.Value().Members()
				for ans.Next() {
					if rd := ans.Value(); string(ans.Key()) == "rdata" && rd.Kind == jsonscan.String {
						ev.Answers = append(ev.Answers, rd.Text())
					}
				}
			}
		case "grouped": // versions 2 and 3, "grouped"
			grouped = v
		case "queries": // version 3
			queries = v
		}
		if err != nil {
			return err
		}
	}
	if !detailed {
		types := grouped.Members()
		for types.Next() {
			vals := types.Value().Elements()
			for vals.Next() {
				if rd := vals.Value(); rd.Kind == jsonscan.String {
					ev.Answers = append(ev.Answers, rd.Text())
				}
			}
		}
	}
	if ev.Query == "" {
		qs := queries.Elements()
		if qs.Next() {
			q := qs.Value().Members()
			for q.Next() {
				switch string(q.Key()) {
				case "rrname":
					ev.Query = q.Value().Text()
				case "rrtype":
					ev.QType = q.Value().Text()
				}
			}
		}
	}
	return nil
}

func fillHTTP(d *decoder, r *record, ev *event.Event) error {
	if !absent(r.http) && r.http.Kind != jsonscan.Object {
		return wrongType("http", r.http, "an object")
	}
	return httpContext(r.http, ev, true)
}

// httpContext reads an http object: the event's own (full) or the context
// of an alert or a file, which does not say how much the response carried.
func httpContext(v jsonscan.Value, ev *event.Event, full bool) error {
	if v.Kind != jsonscan.Object {
		return nil
	}
	var host, url string
	var port uint16
	var err error
	it := v.Members()
	for it.Next() {
		m := it.Value()
		switch string(it.Key()) {
		case "hostname":
			host, err = str(m, "http.hostname")
		case "http_port":
			port, err = httpPort(m)
		case "url":
			url, err = str(m, "http.url")
		case "http_method":
			ev.Method, err = str(m, "http.http_method")
		case "http_user_agent":
			ev.UserAgent, err = str(m, "http.http_user_agent")
		case "status":
			ev.Status, err = httpStatus(m)
		case "http_content_type":
			if ev.ContentType == "" {
				ev.ContentType, err = str(m, "http.http_content_type")
			}
		case "length":
			if full {
				ev.BytesIn, err = count(m, "http.length")
			}
		}
		if err != nil {
			return err
		}
	}
	if port == 0 {
		port = ev.DstPort
	}
	ev.Domain = host
	ev.URL = parse.AbsoluteURL(host, url, ev.DstIP, port)
	return nil
}

func httpPort(v jsonscan.Value) (uint16, error) {
	return port(v, "http.http_port")
}

// httpStatus reads status, a number or (in older versions) a string.
func httpStatus(v jsonscan.Value) (int, error) {
	if v.Kind == jsonscan.String {
		n, err := strconv.Atoi(string(v.Raw()))
		if err != nil || n < 0 || n > 999 {
			return 0, parse.Rejectf("bad number", "http.status %q", clip(v.Raw()))
		}
		return n, nil
	}
	n, err := integer(v, "http.status")
	if err == nil && (n < 0 || n > 999) {
		return 0, parse.Rejectf("bad number", "http.status %d", n)
	}
	return int(n), err
}

func fillTLS(d *decoder, r *record, ev *event.Event) error {
	it, err := members(r.tls, "tls")
	if err != nil {
		return err
	}
	for it.Next() {
		v := it.Value()
		switch string(it.Key()) {
		case "sni":
			ev.Domain, err = str(v, "tls.sni")
		case "version":
			ev.Label, err = str(v, "tls.version")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// tlsContext takes the server name of an alert's TLS context.
func tlsContext(v jsonscan.Value, ev *event.Event) error {
	it := v.Members()
	for it.Next() {
		if string(it.Key()) == "sni" && ev.Domain == "" {
			var err error
			if ev.Domain, err = str(it.Value(), "tls.sni"); err != nil {
				return err
			}
		}
	}
	return nil
}

func fillFileinfo(d *decoder, r *record, ev *event.Event) error {
	it, err := members(r.fileinfo, "fileinfo")
	if err != nil {
		return err
	}
	var sha256, sha1, md5, mimetype, magic string
	for it.Next() {
		v := it.Value()
		switch string(it.Key()) {
		case "filename":
			ev.FileName, err = str(v, "fileinfo.filename")
		case "size":
			ev.FileSize, err = count(v, "fileinfo.size")
		case "sha256":
			sha256, err = str(v, "fileinfo.sha256")
		case "sha1":
			sha1, err = str(v, "fileinfo.sha1")
		case "md5":
			md5, err = str(v, "fileinfo.md5")
		case "mimetype":
			mimetype, err = str(v, "fileinfo.mimetype")
		case "magic":
			magic, err = str(v, "fileinfo.magic")
		}
		if err != nil {
			return err
		}
	}
	ev.FileHash = firstOf(sha256, sha1, md5)
	ev.ContentType = firstOf(mimetype, magic)
	return httpContext(r.http, ev, false)
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func fillSMB(d *decoder, r *record, ev *event.Event) error {
	it, err := members(r.smb, "smb")
	if err != nil {
		return err
	}
	var share, pipe string
	var dce jsonscan.Value
	for it.Next() {
		v := it.Value()
		switch string(it.Key()) {
		case "command":
			ev.Method, err = str(v, "smb.command")
		case "filename":
			ev.FileName, err = str(v, "smb.filename")
		case "share":
			share, err = str(v, "smb.share")
		case "named_pipe":
			pipe, err = str(v, "smb.named_pipe")
		case "ntlmssp":
			ev.User, err = ntlmUser(v)
		case "dcerpc":
			dce = v
		}
		if err != nil {
			return err
		}
	}
	ev.Label = firstOf(share, pipe)
	if absent(dce) {
		return nil
	}
	return rpcCall(dce, ev)
}

// ntlmUser returns DOMAIN\user from an ntlmssp object.
func ntlmUser(v jsonscan.Value) (string, error) {
	var user, domain string
	var err error
	it := v.Members()
	for it.Next() {
		switch string(it.Key()) {
		case "user":
			user, err = str(it.Value(), "smb.ntlmssp.user")
		case "domain":
			domain, err = str(it.Value(), "smb.ntlmssp.domain")
		}
		if err != nil {
			return "", err
		}
	}
	if domain != "" && user != "" {
		return domain + `\` + user, nil
	}
	return user, nil
}

func fillDCERPC(d *decoder, r *record, ev *event.Event) error {
	if r.dcerpc.Kind != jsonscan.Object {
		if absent(r.dcerpc) {
			return nil
		}
		return wrongType("dcerpc", r.dcerpc, "an object")
	}
	return rpcCall(r.dcerpc, ev)
}

func fillAnomaly(d *decoder, r *record, ev *event.Event) error {
	it, err := members(r.anomaly, "anomaly")
	if err != nil {
		return err
	}
	var typ, layer string
	var code int64
	for it.Next() {
		v := it.Value()
		switch string(it.Key()) {
		case "event":
			ev.Label, err = str(v, "anomaly.event")
		case "type":
			typ, err = str(v, "anomaly.type")
		case "layer":
			layer, err = str(v, "anomaly.layer")
		case "code":
			code, err = integer(v, "anomaly.code")
		}
		if err != nil {
			return err
		}
	}
	ev.Message = typ
	switch {
	case layer != "":
		ev.Message += " (" + layer + ")"
	case code != 0:
		ev.Message += " (code " + strconv.FormatInt(code, 10) + ")"
	}
	return nil
}
