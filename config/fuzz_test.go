package config

import (
	"strings"
	"testing"
)

// FuzzParse reads arbitrary bytes as a configuration: nothing panics, and
// a configuration that parses is valid and complete: Validate passes, the
// defaults are filled, every source has a path and a zone, and its
// internal networks parse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		Example,
		"",
		"db: store\nretention: 90d\ntimezone: Asia/Tokyo\ninternal_networks: [10.0.0.0/8]\nassets: assets.csv\n",
		"sources:\n  - path: logs/access.log\n    format: squid\n  - path: /var/log/syslog\n    timezone: UTC\n    year: 2025\n",
		"rules:\n  S-BEACON:\n    enabled: false\n    params: {min_connections: 30}\n    allow: [{destination: \"*.windowsupdate.com\", reason: updates}]\n",
		"allow:\n  - {endpoint: 10.0.30.5, reason: admin PC}\n",
		"actuators:\n  endpoint.block-ip: {argv: [nft, add, element, inet, mamori, blocked, \"{ {{ip}} }\"], timeout: 10s}\n",
		"actuators:\n  segment.block-url:\n    argv: [sh, -c, 'gw \"$1\"', sh, \"{{url}}\"]\n    allow_interpreter: true\n    env: {GW_KEY: \"{{secret:gw}}\"}\n    secrets: {gw: {file: gw.key}}\n",
		"timezone: +09:00\n", "timezone: UTC+9\n", "timezone: Mars/Olympus\n", "retention: forever\n", "retention: -1d\n",
		"baseline: {learning: 48h}\nui: {theme: light, lang: ja}\nevidence_window: 10m\n",
		"sourcse:\n  - path: /x\n", "internal_networks: [10.0.0.0/40]\n", "sources: [{year: 99999}]\n",
		"db: &a x\nlog_file: *a\n", "- 1\n- 2\n", "{", "\t", "db: !!binary aGVsbG8=\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
		if c.DB == "" || c.LogFile == "" || c.Retention == 0 || len(c.InternalNetworks) == 0 || c.Baseline.Learning == 0 || c.EvidenceWindow == 0 {
			t.Fatalf("defaults not filled: %+v", c)
		}
		if c.Networks().String() == "" {
			t.Fatalf("internal networks %q do not parse", c.InternalNetworks)
		}
		for _, s := range c.Sources {
			if strings.TrimSpace(s.Path) == "" || c.Location(s) == nil {
				t.Fatalf("source %+v", s)
			}
		}
		for id, a := range c.Actuators {
			if len(a.Argv) == 0 {
				t.Fatalf("actuator %s without argv", id)
			}
		}
	})
}
