package normal

import "strings"

// maxAgent bounds how much of a user agent is looked at: the string is
// attacker-controlled and a family longer than this says nothing more.
const maxAgent = 300

// agentFamily reduces a user agent to its family by blanking what changes
// with every update: each run of digits (with the dots, underscores and
// further digits that follow it) becomes one '#', and identifiers of eight
// or more hex digits become '#'. So
//
//	Mozilla/5.0 (Windows NT 10.0; Win64; x64) ... Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80
//
// and the same browser a week later share the family
//
//	Mozilla/# (Windows NT #; Win#; x#) ... Chrome/# Safari/# Edg/#
//
// while "Mozilla/4.0 (compatible; MSIE 8.0; ...)", "rclone/v1.66.0" or a
// misspelt copy of a browser string are families of their own.
func agentFamily(ua string) string {
	ua = strings.TrimSpace(ua)
	if len(ua) > maxAgent {
		ua = ua[:maxAgent]
	}
	var b strings.Builder
	b.Grow(len(ua))
	space := false
	for i := 0; i < len(ua); {
		c := ua[i]
		if isAlnum(c) && (i == 0 || !isAlnum(ua[i-1])) {
			j := i
			for j < len(ua) && isAlnum(ua[j]) {
				j++
			}
			if j-i >= 8 && hexWithDigit(ua[i:j]) {
				b.WriteByte('#')
				i, space = j, false
				continue
			}
		}
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte('#')
			for i < len(ua) && (ua[i] >= '0' && ua[i] <= '9' || ua[i] == '.' && i+1 < len(ua) && ua[i+1] >= '0' && ua[i+1] <= '9' || ua[i] == '_') {
				i++
			}
			space = false
			continue
		case c == ' ' || c == '\t':
			if !space {
				b.WriteByte(' ')
			}
			space = true
		case c < ' ' || c == 0x7f:
			// control characters say nothing about the family
		default:
			b.WriteByte(c)
			space = false
		}
		i++
	}
	return strings.TrimSpace(b.String())
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func hexWithDigit(s string) bool {
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return digit
}

// product is one "Name/major" of a user agent.
type product struct {
	name  string
	major int
}

// products lists the "Name/major" tokens of a user agent (Chrome/124,
// Firefox/125, Edg/124), for the version-lag check. Names longer than 32
// bytes and absurd versions are ignored.
func products(ua string, fn func(product)) {
	if len(ua) > maxAgent {
		ua = ua[:maxAgent]
	}
	for i := 0; i < len(ua); i++ {
		if ua[i] != '/' || i == 0 {
			continue
		}
		s := i
		for s > 0 && (isAlnum(ua[s-1]) || ua[s-1] == '-' || ua[s-1] == '_') {
			s--
		}
		if s == i || i-s > 32 {
			continue
		}
		j, n := i+1, 0
		for j < len(ua) && ua[j] >= '0' && ua[j] <= '9' && j-i <= 6 {
			n = n*10 + int(ua[j]-'0')
			j++
		}
		if j == i+1 || j-i > 6 {
			continue
		}
		fn(product{name: ua[s:i], major: n})
	}
}
