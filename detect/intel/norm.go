package intel

import (
	"strings"
)

// maxName is the longest DNS name (RFC 1035) without the trailing dot.
const maxName = 253

// normalName lower-cases a DNS name and drops one trailing dot. It
// allocates only when the name has upper-case letters.
func normalName(name string) string {
	name = strings.TrimSuffix(name, ".")
	if hasUpper(name) {
		return strings.ToLower(name)
	}
	return name
}

// hasUpper reports whether s has a byte that lower-casing could change
// (ASCII upper case, or any non-ASCII byte).
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// appendLower appends s with ASCII letters lower-cased.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// urlParts are the parts of a URL that indicators are compared by.
type urlParts struct {
	host     string // as written: case is folded when keys are made; default port dropped
	path     string // "" or "/..." without trailing slash
	query    string
	hasQuery bool
}

// splitURL takes a URL apart: an absolute URL with any scheme, one without
// scheme ("evil.example/gate.php", as lists write them), an authority alone
// ("evil.example:443", a CONNECT target) or a path alone ("/a/b?c"). The
// fragment, user information and the ports 80 and 443 are dropped; so is a
// trailing slash of the path. It does not allocate.
func splitURL(s string) (urlParts, bool) {
	var u urlParts
	s = strings.TrimSpace(s)
	if s == "" {
		return u, false
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "://"); i >= 0 && i < 16 {
		s = s[i+3:]
	} else {
		s = strings.TrimPrefix(s, "//") // scheme-relative
	}
	rest := s
	if !strings.HasPrefix(s, "/") {
		end := strings.IndexAny(s, "/?")
		if end < 0 {
			end = len(s)
		}
		auth := s[:end]
		rest = s[end:]
		if i := strings.LastIndexByte(auth, '@'); i >= 0 {
			auth = auth[i+1:]
		}
		auth = strings.TrimSuffix(auth, ".")
		for _, p := range [...]string{":80", ":443"} {
			if h, ok := strings.CutSuffix(auth, p); ok && !strings.HasSuffix(h, ":") && (strings.HasPrefix(h, "[") == strings.HasSuffix(h, "]")) {
				auth = h
				break
			}
		}
		u.host = strings.TrimSuffix(auth, ".")
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	u.path = strings.TrimRight(path, "/")
	u.query, u.hasQuery = query, hasQuery
	return u, u.host != "" || u.path != "" || u.hasQuery
}

// isHex reports whether s is all hexadecimal digits.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return s != ""
}

// validDomain checks a lower-case DNS name: at least two labels of
// letters, digits, hyphens and underscores (or any non-ASCII byte, for
// internationalised names), each at most 63 bytes.
func validDomain(name string) bool {
	if name == "" || len(name) > maxName || !strings.Contains(name, ".") {
		return false
	}
	label := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c >= 0x80:
		default:
			return false
		}
		if label++; label > 63 {
			return false
		}
	}
	return label > 0
}
