package intel

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/mamori-soc/mamori/detect"
)

// index is one immutable generation of loaded indicators. Maps hold
// 1-based positions in hits (0: none), so a hit is stored once however
// many keys refer to it.
type index struct {
	hits []detect.Hit

	// domains maps a lower-case name without trailing dot to the entries
	// for exactly that name and for it and its subdomains.
	domains map[string]domainRef

	addrs    map[netip.Addr]int32
	addrPort map[netip.AddrPort]int32
	prefixes map[netip.Prefix]int32
	bits4    []int // prefix lengths present, longest first
	bits6    []int

	// urls maps host+path (host lower-case, default port dropped, path
	// without trailing slash) to entries matching that path with any
	// query; urlQuery holds entries that also give a query, matched as a
	// prefix of the request's query.
	urls     map[string]int32
	urlQuery map[string][]queryRef
	// paths and pathQuery are the same for entries that give a path alone.
	paths     map[string]int32
	pathQuery map[string][]queryRef

	hashes map[string]int32 // lower-case hex

	// substrings match any domain or URL containing them (MISP
	// "substring" lists): a loop, so kept apart and usually empty.
	substrings []substringRef
}

type domainRef struct{ exact, sub int32 }

type queryRef struct {
	prefix string
	hit    int32
}

type substringRef struct {
	s   string
	hit int32
}

func newIndex() *index {
	return &index{
		domains:   map[string]domainRef{},
		addrs:     map[netip.Addr]int32{},
		addrPort:  map[netip.AddrPort]int32{},
		prefixes:  map[netip.Prefix]int32{},
		urls:      map[string]int32{},
		urlQuery:  map[string][]queryRef{},
		paths:     map[string]int32{},
		pathQuery: map[string][]queryRef{},
		hashes:    map[string]int32{},
	}
}

// hit stores h and returns its reference.
func (x *index) hit(h detect.Hit) int32 {
	x.hits = append(x.hits, h)
	return int32(len(x.hits))
}

// The add methods keep the first entry of an indicator: lists are read in
// a fixed order, so the same files always give the same hits. They report
// whether the indicator was new.

func (x *index) addDomain(name string, sub bool, h detect.Hit) bool {
	ref := x.domains[name]
	switch {
	case sub && ref.sub == 0:
		ref.sub = x.hit(h)
	case !sub && ref.exact == 0:
		ref.exact = x.hit(h)
	default:
		return false
	}
	x.domains[name] = ref
	return true
}

func (x *index) addAddr(a netip.Addr, h detect.Hit) bool {
	if _, ok := x.addrs[a]; ok {
		return false
	}
	x.addrs[a] = x.hit(h)
	return true
}

func (x *index) addAddrPort(ap netip.AddrPort, h detect.Hit) bool {
	if _, ok := x.addrPort[ap]; ok {
		return false
	}
	x.addrPort[ap] = x.hit(h)
	return true
}

func (x *index) addPrefix(p netip.Prefix, h detect.Hit) bool {
	p = p.Masked()
	if p.IsSingleIP() {
		return x.addAddr(p.Addr(), h)
	}
	if _, ok := x.prefixes[p]; ok {
		return false
	}
	x.prefixes[p] = x.hit(h)
	bits := &x.bits4
	if p.Addr().Is6() {
		bits = &x.bits6
	}
	if !slices.Contains(*bits, p.Bits()) {
		*bits = append(*bits, p.Bits())
		slices.SortFunc(*bits, func(a, b int) int { return b - a })
	}
	return true
}

func (x *index) addURL(key, query string, hasQuery bool, h detect.Hit) bool {
	return addKeyed(x.urls, x.urlQuery, key, query, hasQuery, x, h)
}

func (x *index) addPath(path, query string, hasQuery bool, h detect.Hit) bool {
	return addKeyed(x.paths, x.pathQuery, path, query, hasQuery, x, h)
}

func addKeyed(plain map[string]int32, withQuery map[string][]queryRef, key, query string, hasQuery bool, x *index, h detect.Hit) bool {
	if !hasQuery {
		if _, ok := plain[key]; ok {
			return false
		}
		plain[key] = x.hit(h)
		return true
	}
	for _, q := range withQuery[key] {
		if q.prefix == query {
			return false
		}
	}
	withQuery[key] = append(withQuery[key], queryRef{query, x.hit(h)})
	return true
}

func (x *index) addHash(hex string, h detect.Hit) bool {
	if _, ok := x.hashes[hex]; ok {
		return false
	}
	x.hashes[hex] = x.hit(h)
	return true
}

func (x *index) addSubstring(s string, h detect.Hit) bool {
	for _, have := range x.substrings {
		if have.s == s {
			return false
		}
	}
	x.substrings = append(x.substrings, substringRef{s, x.hit(h)})
	return true
}

func (x *index) get(ref int32) (detect.Hit, bool) {
	if ref <= 0 || int(ref) > len(x.hits) {
		return detect.Hit{}, false
	}
	return x.hits[ref-1], true
}

// domain matches a name: the name itself, then each parent domain for
// entries covering subdomains.
func (x *index) domain(name string) (detect.Hit, bool) {
	name = normalName(name)
	if name == "" || len(name) > maxName {
		return detect.Hit{}, false
	}
	if len(x.domains) > 0 {
		for s, first := name, true; ; first = false {
			if ref, ok := x.domains[s]; ok {
				if first && ref.exact != 0 {
					return x.get(ref.exact)
				}
				if ref.sub != 0 {
					return x.get(ref.sub)
				}
			}
			i := strings.IndexByte(s, '.')
			if i < 0 {
				break
			}
			s = s[i+1:]
		}
	}
	return x.substring(name)
}

func (x *index) substring(s string) (detect.Hit, bool) {
	for _, sub := range x.substrings {
		if strings.Contains(s, sub.s) {
			return x.get(sub.hit)
		}
	}
	return detect.Hit{}, false
}

// ip matches an address: with its port, alone, then in the listed
// networks from the most specific.
func (x *index) ip(a netip.Addr, port uint16) (detect.Hit, bool) {
	if !a.IsValid() {
		return detect.Hit{}, false
	}
	a = a.Unmap()
	if port != 0 && len(x.addrPort) > 0 {
		if ref, ok := x.addrPort[netip.AddrPortFrom(a, port)]; ok {
			return x.get(ref)
		}
	}
	if ref, ok := x.addrs[a]; ok {
		return x.get(ref)
	}
	bits := x.bits4
	if a.Is6() {
		bits = x.bits6
	}
	for _, b := range bits {
		p, err := a.Prefix(b)
		if err != nil {
			continue
		}
		if ref, ok := x.prefixes[p]; ok {
			return x.get(ref)
		}
	}
	return detect.Hit{}, false
}

// maxURL bounds the host and path a URL lookup considers; longer ones are
// cut (a listed URL is never that long).
const maxURL = 2048

// url matches a request URL: the URL entries for its host and path (with a
// query prefix when the entry has one), then for each parent directory, then
// the path-alone entries, then substrings.
func (x *index) url(raw string) (detect.Hit, bool) {
	u, ok := splitURL(raw)
	if !ok {
		return detect.Hit{}, false
	}
	if len(x.urls) > 0 || len(x.urlQuery) > 0 {
		if u.host != "" && len(u.host)+len(u.path) <= maxURL {
			var buf [maxURL]byte
			key := appendLower(buf[:0], u.host)
			hostLen := len(key)
			key = append(key, u.path...)
			if qs := x.urlQuery[string(key)]; len(qs) > 0 && u.hasQuery {
				for _, q := range qs {
					if strings.HasPrefix(u.query, q.prefix) {
						return x.get(q.hit)
					}
				}
			}
			for n := len(key); n >= hostLen; {
				if ref, ok := x.urls[string(key[:n])]; ok {
					return x.get(ref)
				}
				i := lastSlash(key[hostLen:n])
				if i < 0 {
					break
				}
				n = hostLen + i
			}
		}
	}
	if u.hasQuery && len(x.pathQuery) > 0 {
		for _, q := range x.pathQuery[u.path] {
			if strings.HasPrefix(u.query, q.prefix) {
				return x.get(q.hit)
			}
		}
	}
	if u.path != "" {
		if ref, ok := x.paths[u.path]; ok {
			return x.get(ref)
		}
	}
	if len(x.substrings) > 0 {
		return x.substring(raw)
	}
	return detect.Hit{}, false
}

func lastSlash(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' {
			return i
		}
	}
	return -1
}

func (x *index) hash(hex string) (detect.Hit, bool) {
	switch len(hex) {
	case 32, 40, 64:
	default:
		return detect.Hit{}, false
	}
	if hasUpper(hex) {
		hex = strings.ToLower(hex)
	}
	if ref, ok := x.hashes[hex]; ok {
		return x.get(ref)
	}
	return detect.Hit{}, false
}

// size is how many indicators the index holds.
func (x *index) size() int { return len(x.hits) }
