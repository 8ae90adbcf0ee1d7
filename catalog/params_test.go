package catalog

import (
	"slices"
	"strings"
	"testing"
)

func TestParamKindCheck(t *testing.T) {
	tests := map[string]struct {
		kind  ParamKind
		value string
		ok    bool
	}{
		"ipv4":                {ParamIP, "203.0.113.5", true},
		"ipv6":                {ParamIP, "2001:db8::1", true},
		"ip with zone":        {ParamIP, "fe80::1%eth0", false},
		"ip injection":        {ParamIP, "1.2.3.4 } ; flush ruleset", false},
		"cidr":                {ParamCIDR, "192.168.10.0/24", true},
		"cidr without bits":   {ParamCIDR, "192.168.10.0", false},
		"domain":              {ParamDomain, "cdn-update.duckdns.org", true},
		"domain trailing dot": {ParamDomain, "duckdns.org.", true},
		"domain with slash":   {ParamDomain, "evil.com/#", false},
		"domain newline":      {ParamDomain, "evil.com\naddress=/#/1.2.3.4", false},
		"domain empty label":  {ParamDomain, "a..b", false},
		"domain option":       {ParamDomain, "-evil.com", false},
		"url":                 {ParamURL, "http://203.0.113.5/a/b.php?id=1", true},
		"url scheme":          {ParamURL, "javascript:alert(1)", false},
		"url no host":         {ParamURL, "http:///path", false},
		"url space":           {ParamURL, "http://a.example/ b", false},
		"port":                {ParamPort, "8443", true},
		"port zero":           {ParamPort, "0", false},
		"port too big":        {ParamPort, "65536", false},
		"port name":           {ParamPort, "https", false},
		"protocol":            {ParamProtocol, "udp", true},
		"protocol upper":      {ParamProtocol, "GRE", true},
		"protocol unknown":    {ParamProtocol, "smb", false},
		"user":                {ParamUser, "alice", true},
		"user domain":         {ParamUser, `CORP\alice`, true},
		"user upn":            {ParamUser, "alice@corp.example", true},
		"user machine":        {ParamUser, "PC01$", true},
		"user japanese":       {ParamUser, "山田", true},
		"user option":         {ParamUser, "--help", false},
		"user semicolon":      {ParamUser, "alice;reboot", false},
		"host name":           {ParamHost, "pc-01.corp.example", true},
		"host address":        {ParamHost, "192.168.1.20", true},
		"segment":             {ParamSegment, "vlan20", true},
		"segment too long":    {ParamSegment, "averyveryverylongif", false},
		"service":             {ParamService, "openvpn-server@office", true},
		"service slash":       {ParamService, "../etc/passwd", false},
		"empty":               {ParamHost, "", false},
		"unknown kind":        {ParamKind("colour"), "red", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.kind.Check(tc.value)
			if (err == nil) != tc.ok {
				t.Errorf("Check(%q) = %v, want ok=%v", tc.value, err, tc.ok)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	c := load(t)
	tests := map[string]struct {
		measure string
		values  map[string]string
		undo    bool
		want    []Command
		err     string
	}{
		"block endpoint": {
			measure: "endpoint.block-ip",
			values:  map[string]string{"ip": "192.168.1.20"},
			want:    []Command{{Argv: []string{"nft", "add", "element", "inet", "mamori", "isolated_ip", "{ 192.168.1.20 }"}}},
		},
		"undo": {
			measure: "endpoint.block-ip",
			values:  map[string]string{"ip": "192.168.1.20", "host": "pc-01"},
			undo:    true,
			want:    []Command{{Argv: []string{"nft", "delete", "element", "inet", "mamori", "isolated_ip", "{ 192.168.1.20 }"}}},
		},
		"pair": {
			measure: "endpoint.block-dest-ip",
			values:  map[string]string{"endpoint": "192.168.1.20", "ip": "203.0.113.5"},
			want:    []Command{{Argv: []string{"nft", "add", "element", "inet", "mamori", "ep_blocked_ip", "{ 192.168.1.20 . 203.0.113.5 }"}}},
		},
		"stdin": {
			measure: "segment.dns-nxdomain-host",
			values:  map[string]string{"domain": "cdn-update.duckdns.org"},
			want: []Command{
				{Argv: []string{"tee", "-a", "/etc/dnsmasq.d/mamori-block.conf"}, Stdin: "address=/cdn-update.duckdns.org/\n"},
				{Argv: []string{"systemctl", "restart", "dnsmasq"}},
			},
		},
		"required missing": {
			measure: "endpoint.block-dest-ip",
			values:  map[string]string{"ip": "203.0.113.5"},
			err:     "parameter endpoint (ip) is required",
		},
		"injection refused": {
			measure: "segment.dns-nxdomain-host",
			values:  map[string]string{"domain": "evil.com/\naddress=/#/"},
			err:     "parameter domain",
		},
		"unknown parameter": {
			measure: "endpoint.block-ip",
			values:  map[string]string{"ip": "192.168.1.20", "colour": "red"},
			err:     "has no parameter colour",
		},
		"no actuator": {
			measure: "account.warn",
			values:  map[string]string{"user": "alice"},
			err:     "no actuator",
		},
		"no undo": {
			measure: "account.delete",
			values:  map[string]string{"user": "alice"},
			undo:    true,
			err:     "no undo",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, ok := c.Measure(tc.measure)
			if !ok {
				t.Fatalf("no measure %s", tc.measure)
			}
			expand := m.Expand
			if tc.undo {
				expand = m.ExpandUndo
			}
			got, err := expand(tc.values)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tc.want, func(a, b Command) bool { return slices.Equal(a.Argv, b.Argv) && a.Stdin == b.Stdin }) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestActuatorsExpand expands every actuator example of the catalog with
// valid sample values, so that no template refers to something a real
// selection cannot fill.
func TestActuatorsExpand(t *testing.T) {
	sample := map[ParamKind]string{
		ParamIP: "192.0.2.10", ParamCIDR: "192.0.2.0/24", ParamDomain: "c2.example", ParamURL: "http://c2.example/a",
		ParamPort: "8443", ParamProtocol: "gre", ParamUser: "alice", ParamHost: "pc-01", ParamSegment: "vlan20",
		ParamService: "postfix",
	}
	for _, m := range load(t).Measures() {
		if m.Actuator == nil {
			continue
		}
		values := map[string]string{}
		for _, p := range m.Params {
			values[p.Name] = sample[p.Kind]
		}
		cmds, err := m.Expand(values)
		if err != nil {
			t.Errorf("%s: %v", m.ID, err)
		}
		for _, c := range cmds {
			for _, a := range append(slices.Clone(c.Argv), c.Stdin) {
				if strings.Contains(a, "{{") {
					t.Errorf("%s: placeholder left in %q", m.ID, a)
				}
			}
		}
		if len(m.Actuator.Undo) > 0 {
			if _, err := m.ExpandUndo(values); err != nil {
				t.Errorf("%s undo: %v", m.ID, err)
			}
		}
	}
}
