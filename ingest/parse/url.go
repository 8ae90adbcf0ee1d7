package parse

import (
	"net/netip"
	"strconv"
	"strings"
)

// AbsoluteURL turns an origin-form request target ("/a?b") that a sensor
// logged (Zeek http.log, Suricata's http event) into an absolute URL, as a
// proxy would log it: from the Host header (sensors log it without the
// port) or else the server address, with the server port when it is not
// 80. Absolute-form and authority-form (CONNECT) targets are kept as they
// are.
func AbsoluteURL(host, uri string, dst netip.Addr, port uint16) string {
	if !strings.HasPrefix(uri, "/") {
		return uri
	}
	if host == "" {
		if !dst.IsValid() {
			return uri
		}
		host = dst.String()
		if dst.Is6() {
			host = "[" + host + "]"
		}
	}
	if port != 0 && port != 80 && !strings.Contains(host, ":") {
		return "http://" + host + ":" + strconv.Itoa(int(port)) + uri
	}
	return "http://" + host + uri
}
