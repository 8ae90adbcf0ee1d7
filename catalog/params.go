package catalog

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// ParamKind is the type of a value a containment measure needs.
type ParamKind string

// The parameter kinds.
const (
	ParamIP       ParamKind = "ip"       // an IPv4 or IPv6 address
	ParamCIDR     ParamKind = "cidr"     // an address prefix: 192.0.2.0/24
	ParamDomain   ParamKind = "domain"   // a DNS name: a host name or a zone
	ParamURL      ParamKind = "url"      // an absolute http, https or ftp URL
	ParamPort     ParamKind = "port"     // a TCP/UDP port, 1–65535
	ParamProtocol ParamKind = "protocol" // an IP protocol name: tcp, udp, icmp, ...
	ParamUser     ParamKind = "user"     // an account name: alice, CORP\alice, alice@corp.example
	ParamHost     ParamKind = "host"     // an endpoint: its host name, or its address when no name is known
	ParamSegment  ParamKind = "segment"  // a segment as the gateway knows it: interface or VLAN name
	ParamService  ParamKind = "service"  // a service by its unit or program name: postfix, smbd
)

// ParamKindInfo names and explains a ParamKind.
type ParamKindInfo struct {
	Kind        ParamKind `yaml:"kind"`
	Name        Text      `yaml:"name"`
	Description Text      `yaml:"description"`
}

var paramKinds = []ParamKind{
	ParamIP, ParamCIDR, ParamDomain, ParamURL, ParamPort, ParamProtocol,
	ParamUser, ParamHost, ParamSegment, ParamService,
}

// protocols are the IP protocol names ParamProtocol accepts: the ones
// nftables' "meta l4proto" knows that matter on an office network.
var protocols = []string{"tcp", "udp", "icmp", "icmpv6", "sctp", "gre", "esp", "ah", "udplite", "dccp"}

var (
	segmentRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,14}$`)
	serviceRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:._@-]{0,254}$`)
)

// Check reports whether value is a valid value of the kind. Values reach
// commands and configuration files, so Check is strict: no white space, no
// control characters, nothing that starts with "-" (it would be read as an
// option).
func (k ParamKind) Check(value string) error {
	if value == "" {
		return errors.New("empty")
	}
	if strings.HasPrefix(value, "-") {
		return fmt.Errorf("%q starts with '-'", value)
	}
	for _, r := range value {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("%q contains white space or a control character", value)
		}
	}
	switch k {
	case ParamIP:
		a, err := netip.ParseAddr(value)
		if err != nil {
			return fmt.Errorf("not an IP address: %w", err)
		}
		if a.Zone() != "" {
			return fmt.Errorf("%q has a zone", value)
		}
	case ParamCIDR:
		if _, err := netip.ParsePrefix(value); err != nil {
			return fmt.Errorf("not an address prefix: %w", err)
		}
	case ParamDomain:
		return checkDomain(value)
	case ParamURL:
		u, err := url.Parse(value)
		if err != nil {
			return fmt.Errorf("not a URL: %w", err)
		}
		if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ftp" {
			return fmt.Errorf("%q: scheme must be http, https or ftp", value)
		}
		if u.Hostname() == "" {
			return fmt.Errorf("%q has no host", value)
		}
	case ParamPort:
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q is not a port number (1–65535)", value)
		}
	case ParamProtocol:
		for _, p := range protocols {
			if strings.EqualFold(value, p) {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", value, strings.Join(protocols, ", "))
	case ParamUser:
		if len(value) > 256 {
			return errors.New("longer than 256 bytes")
		}
		for _, r := range value {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(`._-@\$`, r) {
				return fmt.Errorf("%q: %q is not allowed in an account name", value, r)
			}
		}
	case ParamHost:
		if _, err := netip.ParseAddr(value); err == nil {
			return nil
		}
		return checkDomain(value)
	case ParamSegment:
		if !segmentRE.MatchString(value) {
			return fmt.Errorf("%q is not an interface or VLAN name (letters, digits, . _ : @ -, at most 15)", value)
		}
	case ParamService:
		if !serviceRE.MatchString(value) {
			return fmt.Errorf("%q is not a service name (letters, digits, : . _ @ -)", value)
		}
	default:
		return fmt.Errorf("unknown parameter kind %q", string(k))
	}
	return nil
}

func checkDomain(value string) error {
	name := strings.TrimSuffix(value, ".")
	if len(name) == 0 || len(name) > 253 {
		return fmt.Errorf("%q is not a DNS name: length", value)
	}
	for l := range strings.SplitSeq(name, ".") {
		if !validLabel(l) {
			return fmt.Errorf("%q is not a DNS name: bad label %q", value, l)
		}
	}
	return nil
}

// validLabel reports whether l is a DNS label as host names use them:
// 1–63 letters, digits, hyphens and underscores, no hyphen at either end.
func validLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		if !labelByte(l[i]) {
			return false
		}
	}
	return true
}

// labelByte reports whether c may appear in a host name's label.
func labelByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// Command is one command of an actuator example: an argument vector (no
// shell) and optionally text for its standard input. Both may hold
// placeholders {{name}} naming the measure's parameters.
type Command struct {
	Argv  []string `yaml:"argv"`
	Stdin string   `yaml:"stdin"`
}

var placeholderRE = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

// placeholders returns the names of the placeholders in s, and an error
// for braces that do not form one.
func placeholders(s string) ([]string, error) {
	var names []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		names = append(names, m[1])
	}
	if rest := placeholderRE.ReplaceAllString(s, ""); strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return names, fmt.Errorf("unbalanced placeholder braces in %q", s)
	}
	return names, nil
}

// Expand returns the measure's actuator commands with the placeholders
// replaced by values (parameter name to value). Every value is checked
// against its parameter's kind first; a required parameter without a value
// is an error, and so is a command that uses an optional parameter left
// empty. Expand does not run anything.
func (m *Measure) Expand(values map[string]string) ([]Command, error) {
	if m.Actuator == nil {
		return nil, fmt.Errorf("measure %s has no actuator example", m.ID)
	}
	if err := m.checkValues(values); err != nil {
		return nil, err
	}
	return expand(m.ID, m.Actuator.Commands, values)
}

// ExpandUndo is Expand for the actuator's undo commands.
func (m *Measure) ExpandUndo(values map[string]string) ([]Command, error) {
	if m.Actuator == nil || len(m.Actuator.Undo) == 0 {
		return nil, fmt.Errorf("measure %s has no undo example", m.ID)
	}
	if err := m.checkValues(values); err != nil {
		return nil, err
	}
	return expand(m.ID, m.Actuator.Undo, values)
}

func (m *Measure) checkValues(values map[string]string) error {
	for _, p := range m.Params {
		v, ok := values[p.Name]
		if !ok || v == "" {
			if p.Required {
				return fmt.Errorf("measure %s: parameter %s (%s) is required", m.ID, p.Name, p.Kind)
			}
			continue
		}
		if err := p.Kind.Check(v); err != nil {
			return fmt.Errorf("measure %s: parameter %s: %w", m.ID, p.Name, err)
		}
	}
	for name := range values {
		if m.param(name) == nil {
			return fmt.Errorf("measure %s has no parameter %s", m.ID, name)
		}
	}
	return nil
}

func (m *Measure) param(name string) *Param {
	for i := range m.Params {
		if m.Params[i].Name == name {
			return &m.Params[i]
		}
	}
	return nil
}

func expand(id string, cmds []Command, values map[string]string) ([]Command, error) {
	var missing error
	sub := func(s string) string {
		return placeholderRE.ReplaceAllStringFunc(s, func(ph string) string {
			name := ph[2 : len(ph)-2]
			v := values[name]
			if v == "" && missing == nil {
				missing = fmt.Errorf("measure %s: the command needs parameter %s", id, name)
			}
			return v
		})
	}
	out := make([]Command, len(cmds))
	for i, c := range cmds {
		argv := make([]string, len(c.Argv))
		for j, a := range c.Argv {
			argv[j] = sub(a)
		}
		out[i] = Command{Argv: argv, Stdin: sub(c.Stdin)}
	}
	if missing != nil {
		return nil, missing
	}
	return out, nil
}
