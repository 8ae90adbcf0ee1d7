// Package config reads mamori's YAML configuration file. Every field is
// optional; Default fills what a file leaves out. The reference with every
// key is in the README ("Configuration").
package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/internal/duration"
)

// Config is the whole configuration.
type Config struct {
	// DB is the store directory; default $XDG_DATA_HOME/mamori.
	DB string `yaml:"db"`
	// LogFile receives mamori's own log; default $XDG_STATE_HOME/mamori/mamori.log.
	LogFile string `yaml:"log_file"`
	// Retention is how long events are kept; default 180d. An event goes
	// once it is older than this by the clock and its day's events were
	// stored longer than this ago (imported evidence stays a retention
	// after its import).
	Retention duration.Duration `yaml:"retention"`
	// MaxFutureSkew is how far in the future a line may be dated before
	// its source notes it; default 24h.
	MaxFutureSkew duration.Duration `yaml:"max_future_skew"`
	// DiskReserve is the free space kept on the store's disk: ingest
	// pauses (live) or stops (batch) below it; default max(256MiB, 2 %
	// of the disk).
	DiskReserve Size `yaml:"disk_reserve"`
	// Timezone is the office's zone: timestamps that carry no zone (syslog)
	// are read in it, working hours are counted in it, and mamori shows
	// times in it; default local.
	Timezone string `yaml:"timezone"`
	// InternalNetworks are the organisation's own addresses; default
	// RFC 1918, 100.64.0.0/10 and fc00::/7.
	InternalNetworks []string `yaml:"internal_networks"`
	// Assets is an inventory file (CSV or YAML: ip or cidr, host, segment, role, owner).
	Assets string `yaml:"assets"`
	// Sources are the log files to follow.
	Sources []Source `yaml:"sources"`

	// IOC lists files or folders of indicator lists for the M-IOC-* rules.
	IOC []string `yaml:"ioc"`
	// GeoIP is a MaxMind-format country database for N-COUNTRY.
	GeoIP string `yaml:"geoip"`
	// Categories is a site-category list (domain<TAB>category) for N-CATEGORY.
	Categories string `yaml:"categories"`
	// DDNS adds dynamic-DNS provider zones (files of one zone per line) to
	// the list shipped with mamori.
	DDNS []string `yaml:"ddns"`

	Baseline Baseline                     `yaml:"baseline"`
	Rules    map[string]detect.RuleConfig `yaml:"rules"`
	// Allow hides matching alerts of every rule.
	Allow []detect.Allow `yaml:"allow"`

	// Actuators run containment measures, by measure id.
	Actuators map[string]containment.Actuator `yaml:"actuators"`
	// AuditFile mirrors the audit log as JSON lines; default one file per
	// store in the state directory (DefaultAuditFile).
	AuditFile string `yaml:"audit_file"`
	// EvidenceWindow is how much context around an incident's alerts an
	// evidence bundle exports; default 10m.
	EvidenceWindow duration.Duration `yaml:"evidence_window"`

	UI UI `yaml:"ui"`

	path string // where it was read from; "" for defaults
}

// Source is one log file, or a glob of them, to follow.
type Source struct {
	Path string `yaml:"path"`
	// Format forces a format (see `mamori formats`); empty detects it.
	Format string `yaml:"format"`
	// Timezone overrides the global timezone for this source.
	Timezone string `yaml:"timezone"`
	// Year fixes the year of timestamps without one instead of inferring it.
	Year int `yaml:"year"`
}

// Baseline configures how normal business is learned.
type Baseline struct {
	// Learning is the length of the learning window from the first event
	// seen; default 72h.
	Learning duration.Duration `yaml:"learning"`
}

// UI holds console preferences.
type UI struct {
	Theme string `yaml:"theme"`
	Lang  string `yaml:"lang"`
}

// Size is a number of bytes that reads units: "256MiB", "1GiB", "512MB".
type Size int64

// UnmarshalYAML implements yaml.Unmarshaler.
func (z *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*z = Size(v)
	return nil
}

// ParseSize reads a size: bytes, or a number with a unit (B, KB, MB, GB,
// KiB, MiB, GiB; K, M, G are binary).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.ToUpper(strings.TrimSpace(s[i:]))
	units := map[string]float64{"": 1, "B": 1, "K": 1 << 10, "KB": 1e3, "KIB": 1 << 10, "M": 1 << 20, "MB": 1e6, "MIB": 1 << 20,
		"G": 1 << 30, "GB": 1e9, "GIB": 1 << 30}
	v, err := strconv.ParseFloat(num, 64)
	mult, ok := units[unit]
	if err != nil || !ok || v*mult > 1<<62 {
		return 0, fmt.Errorf("bad size %q (use e.g. 256MiB, 2GiB)", s)
	}
	return int64(v * mult), nil
}

// Default returns the configuration used when there is no file.
func Default() *Config {
	c := &Config{}
	c.fill()
	return c
}

func (c *Config) fill() {
	if c.DB == "" {
		c.DB = filepath.Join(xdg("XDG_DATA_HOME", ".local/share"), "mamori")
	}
	if c.LogFile == "" {
		c.LogFile = filepath.Join(xdg("XDG_STATE_HOME", ".local/state"), "mamori", "mamori.log")
	}
	if c.Retention == 0 {
		c.Retention = duration.Duration(180 * 24 * time.Hour)
	}
	if c.MaxFutureSkew == 0 {
		c.MaxFutureSkew = duration.Duration(24 * time.Hour)
	}
	if len(c.InternalNetworks) == 0 {
		c.InternalNetworks = append([]string(nil), asset.DefaultInternal...)
	}
	if c.Baseline.Learning == 0 {
		c.Baseline.Learning = duration.Duration(72 * time.Hour)
	}
	if c.EvidenceWindow == 0 {
		c.EvidenceWindow = duration.Duration(10 * time.Minute)
	}
}

// DefaultAuditFile is the audit mirror of the store in db when the
// configuration names none: one file per store,
// $XDG_STATE_HOME/mamori/audit/NAME-HASH.jsonl, NAME the store
// directory's name and HASH the first 12 hex digits of the SHA-256 of its
// absolute path. Each store's sequence numbers are then alone in their
// file; the mirror outlives the store's directory (the copy to read when
// the store is damaged or deleted), is kept out of the directory Badger
// and the retention manage, and does not move with --log-file. A store
// moved to another path starts a new mirror.
func DefaultAuditFile(db string) string {
	abs, err := filepath.Abs(db)
	if err != nil {
		abs = filepath.Clean(db)
	}
	sum := sha256.Sum256([]byte(abs))
	name := strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '-' || r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return '_'
	}, filepath.Base(abs))
	if len(name) > 40 {
		name = name[:40]
	}
	return filepath.Join(xdg("XDG_STATE_HOME", ".local/state"), "mamori", "audit", name+"-"+hex.EncodeToString(sum[:6])+".jsonl")
}

func xdg(env, fallback string) string {
	if v := os.Getenv(env); v != "" && filepath.IsAbs(v) {
		return v
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, fallback)
}

// DefaultPath is where the config file is looked for:
// $XDG_CONFIG_HOME/mamori/config.yaml.
func DefaultPath() string {
	return filepath.Join(xdg("XDG_CONFIG_HOME", ".config"), "mamori", "config.yaml")
}

// ErrNotFound is returned by Load when the file does not exist.
var ErrNotFound = errors.New("no configuration file")

// Load reads and validates the file at path. Unknown keys are errors (a
// typo must not silently disable a source). Relative paths in the file are
// resolved against the file's directory.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNotFound, path)
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.path = path
	c.resolve(filepath.Dir(path))
	return c, nil
}

// Parse reads a configuration from YAML bytes.
func Parse(b []byte) (*Config, error) {
	c := &Config{}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if errs := checkKeys(&doc, reflect.TypeFor[Config]()); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	c.fill()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Path returns the file the configuration came from, or "".
func (c *Config) Path() string { return c.path }

func (c *Config) resolve(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		if strings.HasPrefix(p, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				return filepath.Join(home, p[2:])
			}
		}
		return filepath.Join(dir, p)
	}
	c.DB, c.LogFile, c.AuditFile = abs(c.DB), abs(c.LogFile), abs(c.AuditFile)
	c.Assets, c.GeoIP, c.Categories = abs(c.Assets), abs(c.GeoIP), abs(c.Categories)
	for i := range c.Sources {
		c.Sources[i].Path = abs(c.Sources[i].Path)
	}
	for i := range c.IOC {
		c.IOC[i] = abs(c.IOC[i])
	}
	for i := range c.DDNS {
		c.DDNS[i] = abs(c.DDNS[i])
	}
	for id, a := range c.Actuators {
		for name, sc := range a.Secrets {
			sc.File = abs(sc.File)
			a.Secrets[name] = sc
		}
		c.Actuators[id] = a
	}
}

// Validate checks values the YAML types cannot.
func (c *Config) Validate() error {
	var errs []error
	if _, err := asset.ParseNetworks(c.InternalNetworks); err != nil {
		errs = append(errs, err)
	}
	if c.Timezone != "" {
		if _, err := ParseZone(c.Timezone); err != nil {
			errs = append(errs, fmt.Errorf("timezone %q: %w", c.Timezone, err))
		}
	}
	for i, s := range c.Sources {
		if strings.TrimSpace(s.Path) == "" {
			errs = append(errs, fmt.Errorf("sources[%d]: path is empty", i))
		}
		if s.Timezone != "" {
			if _, err := ParseZone(s.Timezone); err != nil {
				errs = append(errs, fmt.Errorf("sources[%d] timezone %q: %w", i, s.Timezone, err))
			}
		}
		if s.Year != 0 && (s.Year < 1970 || s.Year > 9999) {
			errs = append(errs, fmt.Errorf("sources[%d]: year %d out of range", i, s.Year))
		}
	}
	for id, a := range c.Actuators {
		if len(a.Argv) == 0 {
			errs = append(errs, fmt.Errorf("actuators.%s: argv is empty", id))
		}
	}
	if c.Retention < 0 {
		errs = append(errs, errors.New("retention must not be negative"))
	}
	if c.MaxFutureSkew < 0 {
		errs = append(errs, errors.New("max_future_skew must not be negative"))
	}
	return errors.Join(errs...)
}

// Location returns the zone for zone-less timestamps of a source.
func (c *Config) Location(s Source) *time.Location {
	name := s.Timezone
	if name == "" {
		name = c.Timezone
	}
	if name == "" {
		return time.Local
	}
	loc, err := ParseZone(name)
	if err != nil {
		return time.Local // Validate reported it
	}
	return loc
}

// ParseZone reads a time zone: an IANA name ("Asia/Tokyo", "UTC",
// "Local") or a fixed offset ("+09:00", "-0500", "UTC+9").
func ParseZone(name string) (*time.Location, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(name, "UTC"), "GMT")
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign := 1
		if s[0] == '-' {
			sign = -1
		}
		digits := strings.ReplaceAll(s[1:], ":", "")
		var h, m int
		switch len(digits) {
		case 1, 2:
			h, _ = strconv.Atoi(digits)
		case 4:
			h, _ = strconv.Atoi(digits[:2])
			m, _ = strconv.Atoi(digits[2:])
		default:
			return nil, fmt.Errorf("bad offset %q (use +09:00)", name)
		}
		if h > 14 || m > 59 {
			return nil, fmt.Errorf("bad offset %q", name)
		}
		return time.FixedZone(name, sign*(h*3600+m*60)), nil
	}
	return time.LoadLocation(name)
}

// Networks returns the internal networks.
func (c *Config) Networks() asset.Networks {
	n, _ := asset.ParseNetworks(c.InternalNetworks) // validated
	return n
}

// Example is a commented configuration shown to a user without one.
const Example = `# ~/.config/mamori/config.yaml
sources:
  - path: /var/log/squid/access.log          # format detected from the content
  - path: /var/log/syslog                     # sshd, netfilter, dnsmasq lines
  - path: /opt/zeek/logs/current/*.log        # globs are followed as files appear
    format: zeek
internal_networks: [10.0.0.0/8, 192.168.0.0/16]
assets: /etc/mamori/assets.csv                # ip,host,segment,role,owner
timezone: Asia/Tokyo
retention: 180d
`
