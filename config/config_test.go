package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFullFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	body := `
db: store
retention: 90d
max_future_skew: 6h
disk_reserve: 1GiB
timezone: Asia/Tokyo
internal_networks: [10.0.0.0/8]
assets: assets.csv
sources:
  - path: logs/access.log
    format: squid
  - path: /var/log/syslog
    timezone: UTC
    year: 2025
ioc: [intel/]
baseline: {learning: 48h}
rules:
  S-BEACON:
    enabled: false
    params: {min_connections: 30}
    allow: [{destination: "*.windowsupdate.com", reason: updates}]
allow:
  - {endpoint: 10.0.30.5, reason: admin PC}
actuators:
  endpoint.block-ip: {argv: [nft, add, element, inet, mamori, blocked, "{ {{ip}} }"], timeout: 10s}
  segment.block-url:
    argv: [sh, -c, 'gw-block --key "$GW_KEY" "$1"', sh, "{{url}}"]
    allow_interpreter: true
    env: {GW_KEY: "{{secret:gw}}", HTTPS_PROXY: "http://proxy:3128"}
    secrets: {gw: {file: secrets/gw.key}, token: {env: GW_TOKEN}}
ui: {theme: light, lang: ja}
`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != filepath.Join(dir, "store") || c.Sources[0].Path != filepath.Join(dir, "logs/access.log") || c.IOC[0] != filepath.Join(dir, "intel") {
		t.Fatalf("relative paths not resolved: %q %q %q", c.DB, c.Sources[0].Path, c.IOC[0])
	}
	if time.Duration(c.Retention) != 90*24*time.Hour || time.Duration(c.Baseline.Learning) != 48*time.Hour || time.Duration(c.MaxFutureSkew) != 6*time.Hour {
		t.Fatalf("durations: %v %v %v", c.Retention, c.Baseline.Learning, c.MaxFutureSkew)
	}
	if c.DiskReserve != 1<<30 {
		t.Fatalf("disk_reserve %d", c.DiskReserve)
	}
	if r := c.Rules["S-BEACON"]; r.Enabled == nil || *r.Enabled || r.Params["min_connections"] != 30 || r.Allow[0].Destination != "*.windowsupdate.com" {
		t.Fatalf("rule config: %+v", r)
	}
	if a := c.Actuators["endpoint.block-ip"]; len(a.Argv) != 7 || time.Duration(a.Timeout) != 10*time.Second {
		t.Fatalf("actuator: %+v", a)
	}
	if a := c.Actuators["segment.block-url"]; !a.AllowInterpreter || a.Env["GW_KEY"] != "{{secret:gw}}" ||
		a.Secrets["gw"].File != filepath.Join(dir, "secrets/gw.key") || a.Secrets["token"].Env != "GW_TOKEN" {
		t.Fatalf("actuator with secrets: %+v", a)
	}
	if loc := c.Location(c.Sources[1]); loc.String() != "UTC" {
		t.Fatalf("source zone: %v", loc)
	}
	if loc := c.Location(c.Sources[0]); loc.String() != "Asia/Tokyo" {
		t.Fatalf("global zone: %v", loc)
	}
}

func TestParseRejectsMistakes(t *testing.T) {
	cases := map[string]string{
		"unknown key":       "sourcse:\n  - path: /x\n",
		"bad cidr":          "internal_networks: [10.0.0.0/40]\n",
		"bad zone":          "timezone: Mars/Olympus\n",
		"bad duration":      "retention: forever\n",
		"negative skew":     "max_future_skew: -1h\n",
		"bad size":          "disk_reserve: lots\n",
		"size unit":         "disk_reserve: 5 parsecs\n",
		"empty source path": "sources:\n  - format: squid\n",
		"empty argv":        "actuators:\n  endpoint.block-ip: {timeout: 5s}\n",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(body)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	t.Setenv("XDG_STATE_HOME", "/state")
	c := Default()
	if c.DB != "/data/mamori" || c.LogFile != "/state/mamori/mamori.log" || c.AuditFile != "" {
		t.Fatalf("paths: %q %q %q", c.DB, c.LogFile, c.AuditFile)
	}
	// One audit mirror per store, in the state directory.
	a, b := DefaultAuditFile("/data/mamori"), DefaultAuditFile("/srv/office b/mamori")
	if !strings.HasPrefix(a, "/state/mamori/audit/mamori-") || !strings.HasSuffix(a, ".jsonl") || a == b ||
		DefaultAuditFile("/data/../data/mamori/") != a || !strings.HasPrefix(b, "/state/mamori/audit/mamori-") {
		t.Fatalf("audit mirrors: %q %q", a, b)
	}
	if c := DefaultAuditFile("/srv/office a/../we;ird $(name)"); strings.ContainsAny(filepath.Base(c), " ;$()") {
		t.Fatalf("audit mirror name %q", c)
	}
	if !strings.Contains(strings.Join(c.InternalNetworks, ","), "10.0.0.0/8") {
		t.Fatalf("internal networks: %v", c.InternalNetworks)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml")); err == nil || !strings.Contains(err.Error(), "no configuration file") {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := Parse([]byte(Example)); err != nil {
		t.Fatalf("the example configuration does not parse: %v", err)
	}
}

func TestParseZone(t *testing.T) {
	for name, off := range map[string]int{"+09:00": 9 * 3600, "-0500": -5 * 3600, "UTC+9": 9 * 3600, "UTC": 0} {
		loc, err := ParseZone(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, got := time.Date(2026, 1, 1, 0, 0, 0, 0, loc).Zone(); got != off {
			t.Errorf("%s: offset %d, want %d", name, got, off)
		}
	}
	for _, bad := range []string{"+25:00", "+1", "Mars/Base", "+9:0:0"} {
		if _, err := ParseZone(bad); err == nil && bad != "+1" {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestUnknownKeysNameThePlaceAndTheNearestKey: a typo is reported where it
// is, in the file's words, with the key that was probably meant.
func TestUnknownKeysNameThePlaceAndTheNearestKey(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"in a source":    {"sources:\n  - path: /x\n    fromat: squid\n", "unknown key `fromat` in sources[0] (line 3; did you mean `format`?)"},
		"top level":      {"retnetion: 90d\n", "unknown key `retnetion` at the top level (line 1; did you mean `retention`?)"},
		"in a rule":      {"rules:\n  S-BEACON:\n    enabeld: false\n", "unknown key `enabeld` in rules.S-BEACON (line 3; did you mean `enabled`?)"},
		"in an allow":    {"allow:\n  - {endpoint: 10.0.0.1, reson: x}\n", "unknown key `reson` in allow[0] (line 2; did you mean `reason`?)"},
		"in an actuator": {"actuators:\n  endpoint.block-ip:\n    argv: [nft]\n    timout: 5s\n", "unknown key `timout` in actuators.endpoint.block-ip (line 4; did you mean `timeout`?)"},
		"nothing near":   {"zzzzzzzz: 1\n", "unknown key `zzzzzzzz` at the top level (line 1)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.body))
			if err == nil || err.Error() != c.want {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	// Free-form places take any key.
	if _, err := Parse([]byte("rules:\n  S-BEACON:\n    params: {min_connections: 20, anything: 1}\n")); err != nil {
		t.Fatalf("rule params: %v", err)
	}
}
