package intel

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/detect"
)

// maxListSize bounds what is read of one list file, so that a wrong path
// (a disk image, a log) cannot exhaust memory.
const maxListSize = 512 << 20

// maxLine is the longest line read as an indicator; longer lines are
// counted as bad and skipped.
const maxLine = 8 << 10

// Problem is something wrong with a list: lines that are not indicators
// (counted per reason, with the first one as an example) or a file that
// could not be read.
type Problem struct {
	List    string // the file, named as in detect.Hit.List
	Reason  string // "not an indicator", "unsupported type Intel::EMAIL", "cannot read: ..."
	Lines   int    // lines with this problem; 0 for a problem with the whole file
	Line    int    // the first such line's number
	Example string // the first such line, clipped
}

// String writes the problem as one line for a log or `mamori rules`.
func (p Problem) String() string {
	if p.Lines == 0 {
		return p.List + ": " + p.Reason
	}
	return fmt.Sprintf("%s: %s: %s (first: line %d %q)", p.List, p.Reason, plural(p.Lines, "line"), p.Line, p.Example)
}

func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// listReader reads one file into an index, counting what it adds and what
// it cannot read.
type listReader struct {
	x        *index
	list     string          // name for hits and problems
	kind     detect.ListKind // what its entries are (KindOf its name)
	added    int
	problems []Problem
	byReason map[string]int // reason → position in problems
}

func (r *listReader) bad(reason string, line int, text string) {
	if r.byReason == nil {
		r.byReason = map[string]int{}
	}
	if i, ok := r.byReason[reason]; ok {
		r.problems[i].Lines++
		return
	}
	r.byReason[reason] = len(r.problems)
	r.problems = append(r.problems, Problem{List: r.list, Reason: reason, Lines: 1, Line: line, Example: clip(text, 80)})
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(c byte) bool { return c&0xc0 != 0x80 }

// read reads a list from r, recognising its format by content.
func (r *listReader) read(in io.Reader) error {
	br := bufio.NewReaderSize(io.LimitReader(in, maxListSize), 64<<10)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		// Close only repeats the decompressor's error, which the reads
		// have already returned.
		defer func() { _ = zr.Close() }()
		br = bufio.NewReaderSize(io.LimitReader(zr, maxListSize), 64<<10)
	}
	head, _ := br.Peek(4096)
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")):
		return r.readMISP(br)
	case isZeekIntel(trimmed):
		return r.readZeek(br)
	}
	return r.readText(br)
}

// isZeekIntel reports whether a file starts like a Zeek intel file: a
// #fields header (maybe after #separator and friends) naming the
// indicator and its type.
func isZeekIntel(head []byte) bool {
	for len(head) > 0 && head[0] == '#' {
		line, rest, _ := bytes.Cut(head, []byte("\n"))
		if bytes.HasPrefix(line, []byte("#fields")) {
			return bytes.Contains(line, []byte("indicator")) && bytes.Contains(line, []byte("indicator_type"))
		}
		head = bytes.TrimLeft(rest, "\r\n")
	}
	return false
}

// lines calls fn for every line of br, numbered from 1, without its line
// ending. Lines longer than maxLine are reported as bad instead.
func (r *listReader) lines(br *bufio.Reader, fn func(n int, line string)) error {
	for n := 1; ; n++ {
		b, err := br.ReadSlice('\n')
		long := false
		for errors.Is(err, bufio.ErrBufferFull) {
			long = true
			_, err = br.ReadSlice('\n')
		}
		if len(b) > 0 || err == nil {
			switch {
			case long || len(b) > maxLine:
				r.bad("line too long", n, string(b[:min(len(b), 80)]))
			default:
				fn(n, strings.TrimRight(string(b), "\r\n"))
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readText reads a maltrail-style trail: one indicator per line.
func (r *listReader) readText(br *bufio.Reader) error {
	var block string   // the "# Reference:" block the following entries belong to
	var blockFirst int // how many references the block has
	inReferences := false
	return r.lines(br, func(n int, line string) {
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		s := strings.TrimSpace(line)
		if s == "" {
			return
		}
		if s[0] == '#' {
			text := strings.TrimSpace(strings.TrimLeft(s, "#"))
			if !strings.HasPrefix(strings.ToLower(text), "reference:") {
				return
			}
			if !inReferences {
				block, blockFirst, inReferences = text, 0, true
			}
			blockFirst++
			return
		}
		if inReferences {
			inReferences = false
			if blockFirst > 1 {
				block += " (and " + plural(blockFirst-1, "more reference") + ")"
			}
		}
		ind, comment := s, block
		if i := commentStart(s); i >= 0 {
			ind = strings.TrimSpace(s[:i])
			if c := strings.TrimSpace(strings.TrimLeft(s[i:], "#")); c != "" {
				comment = c
			}
		}
		if strings.ContainsAny(ind, " \t") {
			r.bad("more than one field (not an indicator list?)", n, s)
			return
		}
		r.add(ind, comment, textDomains, n, s)
	})
}

// commentStart finds a " #" or "\t#" comment after an indicator ("#" in a
// URL, its fragment, is not one).
func commentStart(s string) int {
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return i
		}
	}
	return -1
}

// domainRule says how a list's domain entries match.
type domainRule uint8

const (
	textDomains  domainRule = iota // the name and its subdomains (maltrail, MISP hostname)
	exactDomains                   // the name only (Zeek Intel::DOMAIN, MISP string)
)

// add classifies one indicator and indexes it.
func (r *listReader) add(ind, comment string, rule domainRule, n int, line string) {
	h := detect.Hit{Indicator: ind, List: r.list, Comment: comment, Kind: r.kind}
	reason := r.classify(ind, rule, h)
	if reason != "" {
		r.bad(reason, n, line)
	}
}

// classify indexes ind by what it looks like and returns "" or why it is
// not an indicator. Duplicates are not problems.
func (r *listReader) classify(ind string, rule domainRule, h detect.Hit) string {
	if ind == "" {
		return "empty indicator"
	}
	switch {
	case strings.Contains(ind, "://") || strings.HasPrefix(ind, "/"):
		return r.addURL(ind, rule, h)
	case (len(ind) == 32 || len(ind) == 40 || len(ind) == 64) && isHex(ind):
		r.count(r.x.addHash(strings.ToLower(ind), h))
		return ""
	}
	if ap, err := netip.ParseAddrPort(ind); err == nil {
		if ap.Port() == 0 {
			r.count(r.x.addAddr(ap.Addr().Unmap(), h))
		} else {
			r.count(r.x.addAddrPort(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), h))
		}
		return ""
	}
	if a, err := netip.ParseAddr(ind); err == nil {
		r.count(r.x.addAddr(a.Unmap(), h))
		return ""
	}
	if strings.Contains(ind, "/") {
		if p, err := netip.ParsePrefix(ind); err == nil {
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			r.count(r.x.addPrefix(p, h))
			return ""
		}
		return r.addURL(ind, rule, h)
	}
	return r.addHost(ind, rule, h)
}

func (r *listReader) count(added bool) {
	if added {
		r.added++
	}
}

// addHost indexes a domain ("*.d" and ".d" cover subdomains in every
// list), or "domain:port", whose port is dropped: a name is specific
// enough.
func (r *listReader) addHost(s string, rule domainRule, h detect.Hit) string {
	sub := rule == textDomains
	for _, p := range [...]string{"*.", "."} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			s, sub = rest, true
			break
		}
	}
	s = normalName(s)
	if host, port, ok := strings.Cut(s, ":"); ok {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return "not an indicator"
		}
		s = host
	}
	if !validDomain(s) {
		return "not an indicator"
	}
	r.count(r.x.addDomain(s, sub, h))
	return ""
}

// addURL indexes a URL; one without a path stands for its host.
func (r *listReader) addURL(s string, rule domainRule, h detect.Hit) string {
	u, ok := splitURL(s)
	if !ok {
		return "not a URL"
	}
	if len(u.host)+len(u.path) > maxURL {
		return "URL too long"
	}
	if u.host == "" {
		if u.path == "" && u.query == "" {
			return "not a URL"
		}
		r.count(r.x.addPath(u.path, u.query, u.hasQuery, h))
		return ""
	}
	host := strings.ToLower(u.host)
	if u.path == "" && !u.hasQuery && !literalAddr(host) {
		if strings.HasPrefix(host, "[") {
			host = strings.Trim(host, "[]") // an IPv6 host with its port
		}
		return r.classifyHost(host, rule, h)
	}
	if strings.ContainsAny(host, " \t") {
		return "not a URL"
	}
	r.count(r.x.addURL(host+u.path, u.query, u.hasQuery, h))
	return ""
}

// literalAddr reports whether a URL's host is an address without a port
// ("203.0.113.5", "[2001:db8::1]"; the default ports are already
// dropped). A URL entry naming one stands for requests to that address by
// URL, not for every connection to it: an address serves every site
// hosted on it (a CDN's, a cloud front end's), and the list says only
// that this URL was seen. An address with another port is a listener
// specific enough to stand for itself.
func literalAddr(host string) bool {
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// classifyHost indexes the host of a URL without path: an address, an
// address and port, or a domain.
func (r *listReader) classifyHost(host string, rule domainRule, h detect.Hit) string {
	if ap, err := netip.ParseAddrPort(host); err == nil {
		r.count(r.x.addAddrPort(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), h))
		return ""
	}
	if a, err := netip.ParseAddr(host); err == nil {
		r.count(r.x.addAddr(a.Unmap(), h))
		return ""
	}
	return r.addHost(host, rule, h)
}

// readZeek reads a Zeek intel framework file.
func (r *listReader) readZeek(br *bufio.Reader) error {
	sep := "\t"
	cols := map[string]int{}
	return r.lines(br, func(n int, line string) {
		if line == "" {
			return
		}
		if line[0] == '#' {
			switch {
			case strings.HasPrefix(line, "#separator"):
				if v := strings.TrimSpace(strings.TrimPrefix(line, "#separator")); v != "" {
					if s, err := strconv.Unquote(`"` + v + `"`); err == nil && s != "" {
						sep = s
					}
				}
			case strings.HasPrefix(line, "#fields"):
				clear(cols)
				var names []string
				if rest, ok := strings.CutPrefix(line, "#fields"+sep); ok {
					names = strings.Split(rest, sep)
				} else {
					names = strings.Fields(strings.TrimPrefix(line, "#fields"))
				}
				for i, f := range names {
					cols[strings.TrimSpace(f)] = i
				}
			}
			return
		}
		fields := strings.Split(line, sep)
		get := func(name string) string {
			i, ok := cols[name]
			if !ok || i >= len(fields) {
				return ""
			}
			if v := strings.TrimSpace(fields[i]); v != "-" && v != "(empty)" {
				return v
			}
			return ""
		}
		ind, typ := get("indicator"), get("indicator_type")
		if ind == "" || typ == "" {
			r.bad("no indicator or type", n, line)
			return
		}
		comment := get("meta.desc")
		if src := get("meta.source"); src != "" {
			if comment != "" {
				comment = src + ": " + comment
			} else {
				comment = src
			}
		}
		h := detect.Hit{Indicator: ind, List: r.list, Comment: comment, Kind: r.kind}
		var reason string
		switch typ {
		case "Intel::ADDR":
			a, err := netip.ParseAddr(ind)
			if err != nil {
				reason = "not an address"
				break
			}
			r.count(r.x.addAddr(a.Unmap(), h))
		case "Intel::SUBNET":
			p, err := netip.ParsePrefix(ind)
			if err != nil {
				reason = "not a network"
				break
			}
			r.count(r.x.addPrefix(p, h))
		case "Intel::DOMAIN":
			reason = r.addHost(ind, exactDomains, h)
		case "Intel::URL":
			reason = r.addURL(ind, exactDomains, h)
		case "Intel::FILE_HASH":
			if !isHex(ind) || (len(ind) != 32 && len(ind) != 40 && len(ind) != 64) {
				reason = "not an MD5, SHA-1 or SHA-256 hash"
				break
			}
			r.count(r.x.addHash(strings.ToLower(ind), h))
		default:
			reason = "unsupported type " + clip(typ, 40)
		}
		if reason != "" {
			r.bad(reason, n, line)
		}
	})
}

// mispList is a MISP warning list.
type mispList struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Type        string   `json:"type"`
	List        []string `json:"list"`
}

// readMISP reads a MISP warning list.
func (r *listReader) readMISP(br *bufio.Reader) error {
	var l mispList
	if err := json.NewDecoder(br).Decode(&l); err != nil {
		return fmt.Errorf("not a MISP warning list: %w", err)
	}
	if l.List == nil {
		return errors.New(`not a MISP warning list: no "list"`)
	}
	comment := l.Name
	for i, v := range l.List {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		h := detect.Hit{Indicator: v, List: r.list, Comment: comment, Kind: r.kind}
		var reason string
		switch l.Type {
		case "hostname":
			if a, err := netip.ParseAddr(v); err == nil {
				r.count(r.x.addAddr(a.Unmap(), h))
				break
			}
			reason = r.addHost(v, textDomains, h)
		case "string", "":
			reason = r.classify(v, exactDomains, h)
		case "cidr":
			if p, err := netip.ParsePrefix(v); err == nil {
				r.count(r.x.addPrefix(p, h))
			} else if a, err := netip.ParseAddr(v); err == nil {
				r.count(r.x.addAddr(a.Unmap(), h))
			} else {
				reason = "not an address or network"
			}
		case "substring":
			r.count(r.x.addSubstring(strings.ToLower(v), h))
		default:
			r.problems = append(r.problems, Problem{List: r.list, Reason: "unsupported MISP list type " + strconv.Quote(clip(l.Type, 20))})
			return nil
		}
		if reason != "" {
			r.bad(reason, i+1, v)
		}
	}
	return nil
}
