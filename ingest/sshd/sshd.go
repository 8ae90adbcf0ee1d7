// Package sshd reads OpenSSH's authentication messages from syslog or
// journal text (auth.log, /var/log/secure, journalctl -u ssh).
//
// Any header parse.ParseSyslog reads is accepted; the program must be sshd,
// sshd-session or sshd-auth (OpenSSH 9.8+ split the daemon), or the
// sshd(pam_unix) of old Linux PAM. Each recognised message becomes one
// event of Kind auth, Service "ssh", with Observer the syslog host, SrcIP
// and SrcPort the client, User the account tried and Label one of:
//
//	accepted           Accepted password for alice from 192.0.2.1 port 50022 ssh2
//	                   (also publickey, keyboard-interactive, gssapi-with-mic...)
//	failed             Failed password for [invalid user ]bob from 192.0.2.1 port 50022 ssh2
//	invalid-user       Invalid user bob from 192.0.2.1 [port 50022]
//	not-allowed        User root from 192.0.2.1 not allowed because not listed in AllowUsers
//	                   ROOT LOGIN REFUSED FROM 192.0.2.1
//	max-attempts       error: maximum authentication attempts exceeded for root from 192.0.2.1 port 50022 ssh2 [preauth]
//	                   Disconnecting [invalid|authenticating] user bob 192.0.2.1 port 50022: Too many authentication failures
//	                   Disconnecting: Too many authentication failures [for root]
//	pam-failure        pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.1  user=root
//	                   error: PAM: Authentication failure for root from 192.0.2.1
//	disconnect         Disconnected from user bob 192.0.2.1 port 50022
//	                   Received disconnect from 192.0.2.1 port 50022:11: disconnected by user
//	closed             Connection closed by 192.0.2.1 port 50022
//	preauth-disconnect the same two, before authentication ([preauth]):
//	                   Disconnected from [invalid user|authenticating user] bob 192.0.2.1 port 50022 [preauth]
//	                   Received disconnect from 192.0.2.1 port 50022:11: Bye Bye [preauth]
//	preauth-closed     Connection closed by [authenticating user|invalid user] bob 192.0.2.1 port 50022 [preauth]
//	                   Connection reset by 192.0.2.1 port 50022 [preauth]
//	no-identification  Did not receive identification string from 192.0.2.1 [port 50022]
//	negotiation-failed Unable to negotiate with 192.0.2.1 port 50022: no matching key exchange method found. Their offer: ...
//	bad-protocol       Bad protocol version identification 'GET / HTTP/1.1' from 192.0.2.1 port 50022
//	                   Protocol major versions differ for 192.0.2.1 port 50022: SSH-2.0-OpenSSH_8.4 vs. SSH-1.5-Nmap
//	                   banner exchange: Connection from 192.0.2.1 port 50022: invalid format
//	                   ssh_dispatch_run_fatal: Connection from 192.0.2.1 port 50022: message authentication code incorrect [preauth]
//	                   Magic value check failed (4289475479) on obfuscated handshake from 192.0.2.1 port 50022
//	timeout            fatal: Timeout before authentication for 192.0.2.1 port 50022
//	refused-connect    refused connect from scanner.example (192.0.2.1)      (TCP wrappers)
//	break-in-attempt   reverse mapping checking getaddrinfo for x.example [192.0.2.1] failed - POSSIBLE BREAK-IN ATTEMPT!
//	                   Address 192.0.2.1 maps to x.example, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!
//
// Outcome is success for accepted, failure for failed, invalid-user,
// not-allowed, max-attempts and pam-failure, and unset for the others. The
// pre-authentication labels (preauth-*, no-identification,
// negotiation-failed, bad-protocol, timeout, refused-connect) are the
// connections fail2ban's sshd filter counts in its ddos, extra and
// aggressive modes: no login was tried, but scanners and bots guessing
// against servers without passwords make them by the hundred.
//
// rsyslog's "message repeated 5 times: [ Failed password for ...]" becomes
// one event with the inner message's label and Repeat set to the count.
// When sshd names the client by host name
// (UseDNS yes, PAM's rhost=) instead of address, SrcIP is unset and Message
// holds the name. Other sshd messages and other programs are parse.ErrSkip.
//
// User names are attacker-controlled and may contain " from 1.2.3.4 port
// 22": the client address is the last one in the message that is followed
// by what OpenSSH writes after it, so an injected address in the user name
// is never taken for the client. Invalid UTF-8 is kept, replaced by U+FFFD.
package sshd

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// Format is the sshd log format.
var Format = parse.Format{
	Name:     "sshd",
	ZoneLess: true,
	Title:    "OpenSSH sshd authentication messages (auth.log, secure, journal text)",
	Example:  "Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502",
	Sniff: func(_ string, lines [][]byte) int {
		return parse.SniffByDecoding(New, lines)
	},
	New: New,
}

// New returns a decoder for one sshd log file.
func New(src parse.Source) parse.Decoder { return decoder{src: src} }

type decoder struct{ src parse.Source }

func (d decoder) Decode(line []byte, ev *event.Event) error {
	h, err := parse.ParseSyslog(line, d.src)
	if err != nil {
		return err
	}
	return DecodeMessage(&h, ev)
}

// IsProgram reports whether a syslog program name is OpenSSH's server.
func IsProgram(p string) bool {
	switch p {
	case "sshd", "sshd-session", "sshd-auth", "sshd(pam_unix)":
		return true
	}
	return false
}

// DecodeMessage decodes the message of a syslog line whose header is
// already parsed. It returns parse.ErrSkip for other programs and for sshd
// messages that are not about authentication.
func DecodeMessage(h *parse.Syslog, ev *event.Event) error {
	if !IsProgram(h.Program) {
		return parse.ErrSkip
	}
	msg := h.Message
	count := 0
	if rest, ok := strings.CutPrefix(msg, "message repeated "); ok {
		n, inner, ok := cutRepeat(rest)
		if !ok {
			return parse.Rejectf("bad repeat", "%.60q", msg)
		}
		count, msg = n, inner
	}
	if !decode(msg, h.Program, ev) {
		*ev = event.Event{}
		return parse.ErrSkip
	}
	ev.Time = h.Time
	ev.Format = Format.Name
	ev.Kind = event.KindAuth
	ev.Service = "ssh"
	ev.Observer = h.Host
	switch ev.Label {
	case "accepted":
		ev.Outcome = event.OutcomeSuccess
	case "failed", "invalid-user", "not-allowed", "max-attempts", "pam-failure":
		ev.Outcome = event.OutcomeFailure
	}
	if count > 0 {
		ev.Repeat = count
	}
	return nil
}

// cutRepeat reads "5 times: [ inner]".
func cutRepeat(s string) (int, string, bool) {
	num, rest, ok := strings.Cut(s, " times: [")
	if !ok || !isDigits(num) || len(num) > 9 || !strings.HasSuffix(rest, "]") {
		return 0, "", false
	}
	n, _ := strconv.Atoi(num)
	return n, strings.TrimPrefix(rest[:len(rest)-1], " "), true
}

// decode fills ev from an sshd message; false means not an auth message.
func decode(msg, prog string, ev *event.Event) bool {
	msg = strings.TrimRight(msg, " ")
	msg, preauth := strings.CutSuffix(msg, " [preauth]")
	if ok, known := preauthFailure(msg, ev); known {
		return ok
	}
	switch {
	case strings.HasPrefix(msg, "Accepted "):
		ev.Label = "accepted"
		return authAttempt(msg[len("Accepted "):], ev)
	case strings.HasPrefix(msg, "Failed "):
		ev.Label = "failed"
		return authAttempt(msg[len("Failed "):], ev)
	case strings.HasPrefix(msg, "Invalid user "):
		ev.Label = "invalid-user"
		user, addr, port, ok := cutClient(msg[len("Invalid user "):])
		if !ok {
			return false
		}
		ev.User = user
		setClient(ev, addr)
		ev.SrcPort = port
		return true
	case strings.HasPrefix(msg, "error: maximum authentication attempts exceeded for "):
		ev.Label = "max-attempts"
		return forUser(msg[len("error: maximum authentication attempts exceeded for "):], ev)
	case strings.HasPrefix(msg, "Disconnecting: Too many authentication failures"):
		ev.Label = "max-attempts"
		ev.User = strings.TrimPrefix(msg[len("Disconnecting: Too many authentication failures"):], " for ")
		return true
	case strings.HasPrefix(msg, "Disconnecting "):
		head, reason, ok := strings.Cut(msg[len("Disconnecting "):], ": ")
		if !ok || !strings.HasPrefix(reason, "Too many authentication failures") {
			return false
		}
		ev.Label = "max-attempts"
		return userAddrPort(head, ev)
	case strings.HasPrefix(msg, "Disconnected from "):
		ev.Label = pre(preauth, "disconnect")
		return userAddrPort(msg[len("Disconnected from "):], ev)
	case strings.HasPrefix(msg, "Connection closed by "):
		ev.Label = pre(preauth, "closed")
		return userAddrPort(msg[len("Connection closed by "):], ev)
	case strings.HasPrefix(msg, "Connection reset by "):
		ev.Label = pre(preauth, "closed")
		return userAddrPort(msg[len("Connection reset by "):], ev)
	case strings.HasPrefix(msg, "Received disconnect from "), strings.HasPrefix(msg, "error: Received disconnect from "):
		ev.Label = pre(preauth, "disconnect")
		_, rest, _ := strings.Cut(msg, "Received disconnect from ")
		return receivedDisconnect(rest, ev)
	case strings.HasPrefix(msg, "pam_unix(sshd:auth): authentication failure; "):
		ev.Label = "pam-failure"
		return pamFailure(msg[len("pam_unix(sshd:auth): authentication failure; "):], ev)
	case prog == "sshd(pam_unix)" && strings.HasPrefix(msg, "authentication failure; "):
		ev.Label = "pam-failure"
		return pamFailure(msg[len("authentication failure; "):], ev)
	case strings.HasPrefix(msg, "error: PAM: "):
		rest := msg[len("error: PAM: "):]
		for _, p := range [...]string{"Authentication failure for ", "authentication failure for ", "Authentication error for ", "authentication error for "} {
			if r, ok := strings.CutPrefix(rest, p); ok {
				ev.Label = "pam-failure"
				return pamFor(r, ev)
			}
		}
		return false
	case strings.HasPrefix(msg, "Did not receive identification string from "):
		ev.Label = "no-identification"
		return addrPort(msg[len("Did not receive identification string from "):], ev)
	case strings.HasSuffix(msg, "POSSIBLE BREAK-IN ATTEMPT!") || strings.HasSuffix(msg, "POSSIBLE BREAK-IN ATTEMPT"):
		ev.Label = "break-in-attempt"
		return breakIn(msg, ev)
	case strings.HasPrefix(msg, "User ") && strings.Contains(msg, " not allowed because "):
		ev.Label = "not-allowed"
		head, _, _ := strings.Cut(msg[len("User "):], " not allowed because ")
		user, addr, port, ok := cutClient(head)
		if !ok { // "User root not allowed because account is locked": no client
			return false
		}
		ev.User = user
		setClient(ev, addr)
		ev.SrcPort = port
		return true
	case strings.HasPrefix(msg, "ROOT LOGIN REFUSED FROM "):
		ev.Label = "not-allowed"
		ev.User = "root"
		return addrPort(msg[len("ROOT LOGIN REFUSED FROM "):], ev)
	}
	return false
}

// pre names a connection's end before authentication "preauth-…".
func pre(preauth bool, label string) string {
	if preauth {
		return "preauth-" + label
	}
	return label
}

// preauthFailure decodes the messages of a connection that failed before
// any login was tried (see the package comment); known is false for other
// messages. sshd writes some with "error: " or "fatal: " before them.
func preauthFailure(msg string, ev *event.Event) (ok, known bool) {
	m := strings.TrimPrefix(strings.TrimPrefix(msg, "error: "), "fatal: ")
	switch {
	case strings.HasPrefix(m, "Unable to negotiate with "):
		ev.Label = "negotiation-failed"
		head, _, _ := strings.Cut(m[len("Unable to negotiate with "):], ": ")
		return addrPort(head, ev), true
	case strings.HasPrefix(m, "Bad protocol version identification "):
		// The identification is the client's and may hold " from ": the
		// address is after the last one.
		ev.Label = "bad-protocol"
		i := strings.LastIndex(m, " from ")
		return i >= 0 && addrPort(m[i+len(" from "):], ev), true
	case strings.HasPrefix(m, "Protocol major versions differ for "):
		ev.Label = "bad-protocol"
		head, _, _ := strings.Cut(m[len("Protocol major versions differ for "):], ": ")
		return addrPort(head, ev), true
	case strings.HasPrefix(m, "banner exchange: Connection from "), strings.HasPrefix(m, "ssh_dispatch_run_fatal: Connection from "):
		ev.Label = "bad-protocol"
		_, rest, _ := strings.Cut(m, "Connection from ")
		if strings.HasPrefix(rest, "user ") || strings.HasPrefix(rest, "authenticating user ") || strings.HasPrefix(rest, "invalid user ") {
			return false, false // a session's end, or a login's: not a protocol failure
		}
		head, _, _ := strings.Cut(rest, ": ")
		return addrPort(head, ev), true
	case strings.HasPrefix(m, "Magic value check failed ") && strings.Contains(m, " on obfuscated handshake from "):
		ev.Label = "bad-protocol"
		i := strings.LastIndex(m, " from ")
		return addrPort(m[i+len(" from "):], ev), true
	case strings.HasPrefix(m, "Timeout before authentication for "):
		ev.Label = "timeout"
		return addrPort(m[len("Timeout before authentication for "):], ev), true
	case strings.HasPrefix(m, "refused connect from "):
		// "refused connect from NAME (ADDR)": the address in parentheses,
		// "::ffff:" mapped or not; the name is the client's to choose.
		ev.Label = "refused-connect"
		i, j := strings.LastIndexByte(m, '('), strings.LastIndexByte(m, ')')
		return i >= 0 && j == len(m)-1 && setAddr(ev, m[i+1:j]), true
	}
	return false, false
}

// authAttempt reads "METHOD for [invalid user ]USER from ADDR port N ssh2[: INFO]".
func authAttempt(s string, ev *event.Event) bool {
	method, rest, ok := strings.Cut(s, " for ")
	if !ok || method == "" || strings.IndexByte(method, ' ') >= 0 {
		return false
	}
	return forUser(rest, ev)
}

// forUser reads "[invalid user ]USER from ADDR port N ssh2[: INFO]".
func forUser(s string, ev *event.Event) bool {
	s = strings.TrimPrefix(s, "invalid user ")
	user, addr, port, ok := lastClient(s)
	if !ok {
		return false
	}
	if user == "<invalid username>" { // macOS writes this for unknown users
		user = ""
	}
	ev.User = user
	setClient(ev, addr)
	ev.SrcPort = port
	return true
}

// lastClient finds, in "USER from ADDR port N ssh2[: INFO]", the last
// " from " that is followed by an address and what OpenSSH writes after
// one. Addresses with a port win over those without, so an SSH-1 "ruser"
// suffix ("ssh1: ruser from 1.2.3.4") is not taken for the client.
func lastClient(s string) (user, addr string, port uint16, ok bool) {
	best, bestPort := -1, false
	for i := 0; i <= len(s); {
		var at int
		if i == 0 && strings.HasPrefix(s, "from ") {
			at = 0
		} else {
			k := strings.Index(s[i:], " from ")
			if k < 0 {
				break
			}
			at = i + k + 1
		}
		a, p, hasPort, valid := endpoint(s[at+len("from "):])
		if valid && (hasPort || !bestPort) {
			best, bestPort = at, hasPort
			addr, port = a, p
		}
		i = at + 1
	}
	if best < 0 {
		return "", "", 0, false
	}
	user = s[:best]
	user = strings.TrimSuffix(user, " ")
	return user, addr, port, true
}

// endpoint reads "ADDR[ port N[ sshX][: ...]]" up to the end of s.
func endpoint(s string) (addr string, port uint16, hasPort, ok bool) {
	addr, rest, found := strings.Cut(s, " ")
	if addr == "" {
		return "", 0, false, false
	}
	if !found {
		return addr, 0, false, true
	}
	rest, found = strings.CutPrefix(rest, "port ")
	if !found {
		return "", 0, false, false
	}
	n := 0
	for n < len(rest) && n < 5 && isDigit(rest[n]) {
		n++
	}
	p, err := strconv.ParseUint(rest[:n], 10, 16)
	if n == 0 || err != nil {
		return "", 0, false, false
	}
	rest = rest[n:]
	if v, ok := strings.CutPrefix(rest, " ssh"); ok && len(v) > 0 && isDigit(v[0]) {
		rest = v[1:]
	}
	if rest != "" && !strings.HasPrefix(rest, ": ") {
		return "", 0, false, false
	}
	return addr, uint16(p), true, true
}

// cutClient splits "USER from ADDR[ port N]" at its last " from ".
func cutClient(s string) (user, addr string, port uint16, ok bool) {
	s = strings.TrimSuffix(s, " ")
	if i := strings.LastIndex(s, " port "); i >= 0 {
		if p, err := strconv.ParseUint(s[i+6:], 10, 16); err == nil {
			s, port = s[:i], uint16(p)
		}
	}
	i := strings.LastIndex(s, " from ")
	switch {
	case i >= 0:
		return s[:i], s[i+6:], port, s[i+6:] != ""
	case strings.HasPrefix(s, "from "): // empty user: "Invalid user  from ..."
		return "", s[5:], port, len(s) > 5
	}
	return "", "", 0, false
}

// userAddrPort reads "[user U |invalid user U |authenticating user U ]ADDR[ port N]"
// from the right, so a user name with spaces cannot shift the address.
func userAddrPort(s string, ev *event.Event) bool {
	s = strings.TrimSuffix(s, " ")
	var port uint16
	if i := strings.LastIndex(s, " port "); i >= 0 {
		p, err := strconv.ParseUint(s[i+6:], 10, 16)
		if err != nil {
			return false
		}
		port, s = uint16(p), s[:i]
	}
	head, addr := "", s
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		head, addr = s[:i], s[i+1:]
	}
	if head != "" {
		var ok bool
		for _, p := range [...]string{"authenticating user ", "invalid user ", "user "} {
			if ev.User, ok = strings.CutPrefix(head, p); ok {
				break
			}
		}
		if !ok { // words OpenSSH never writes here
			return false
		}
	}
	if addr == "" {
		return false
	}
	setClient(ev, addr)
	ev.SrcPort = port
	return true
}

// receivedDisconnect reads "ADDR port N:11: reason" or "ADDR: 11: reason".
func receivedDisconnect(s string, ev *event.Event) bool {
	if i := strings.Index(s, " port "); i > 0 && strings.IndexByte(s[:i], ' ') < 0 {
		num, _, _ := strings.Cut(s[i+6:], ":")
		p, err := strconv.ParseUint(num, 10, 16)
		if err != nil {
			return false
		}
		setClient(ev, s[:i])
		ev.SrcPort = uint16(p)
		return true
	}
	i := strings.Index(s, ": ")
	if i <= 0 {
		return false
	}
	setClient(ev, s[:i])
	return true
}

// addrPort reads "ADDR[ port N]".
func addrPort(s string, ev *event.Event) bool {
	addr, rest, _ := strings.Cut(s, " ")
	if addr == "" {
		return false
	}
	if p, ok := strings.CutPrefix(rest, "port "); ok {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return false
		}
		ev.SrcPort = uint16(n)
	} else if rest != "" {
		return false
	}
	setClient(ev, addr)
	return true
}

// pamFailure reads PAM's "logname= uid=0 euid=0 tty=ssh ruser= rhost=ADDR  user=U".
func pamFailure(s string, ev *event.Event) bool {
	rhost := ""
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, " ")
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "rhost":
			rhost = v
		case "user":
			ev.User = v
		}
	}
	if rhost != "" {
		setClient(ev, rhost)
	}
	return true
}

// pamFor reads "USER from HOST[ via LOCAL]" of FreeBSD's and macOS' PAM errors.
func pamFor(s string, ev *event.Event) bool {
	s = strings.TrimSuffix(s, " ")
	if i := strings.LastIndex(s, " via "); i >= 0 {
		s = s[:i]
	}
	i := strings.LastIndex(s, " from ")
	if i < 0 {
		return false
	}
	ev.User = s[:i]
	setClient(ev, s[i+6:])
	return true
}

// breakIn reads the address out of sshd's two reverse-DNS warnings.
func breakIn(msg string, ev *event.Event) bool {
	if rest, ok := strings.CutPrefix(msg, "Address "); ok {
		addr, _, _ := strings.Cut(rest, " ")
		return setAddr(ev, addr)
	}
	i := strings.IndexByte(msg, '[')
	j := strings.IndexByte(msg, ']')
	if i < 0 || j < i {
		return false
	}
	return setAddr(ev, msg[i+1:j])
}

// setClient records the client: its address in SrcIP, or else its name in
// Message.
func setClient(ev *event.Event, s string) {
	if !setAddr(ev, s) {
		ev.Message = s
	}
}

func setAddr(ev *event.Event, s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	ev.SrcIP = a.Unmap()
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
