// Package eval measures mamori's detection on real third-party data sets:
// the scorecard that `make eval` prints and EVALUATION.md keeps.
//
// Each data set is described by a file in eval/sets/ (see Set): where its
// files are, the settings its owner would give mamori, and its truths —
// the attacks its documentation describes, each with the sentence it comes
// from — and the benign behaviour the documentation names (hard negatives).
// Truths are written from the documentation only, never from what mamori
// reports: the scorecard measures mamori, it is not tuned to it.
//
// Run scans a set through the same code path as `mamori scan` (app.Open,
// App.Scan, App.Alerts) in a temporary store and classifies every alert
// the analyst would see, in the order they would see it.
package eval

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mamori-soc/mamori/catalog"
)

// Set describes one data set. Paths are relative to the repository root;
// those under ../shared/ are the project's development data, absent from
// a fresh clone.
type Set struct {
	// Name is the file's base name without .yaml.
	Name  string `yaml:"name"`
	Title string `yaml:"title"`
	// Origin names where the data comes from (repository and commit).
	Origin string `yaml:"origin"`
	// Unsupported, when set, says why mamori cannot read the data yet: the
	// set is listed with its truths but not scanned.
	Unsupported string `yaml:"unsupported"`
	// Locations are alternative copies of the data, best first (the full
	// data set, then a slice under testdata/): the first whose paths all
	// exist is scanned.
	Locations []Location `yaml:"locations"`
	Settings  Settings   `yaml:"settings"`
	Truths    []Truth    `yaml:"truths"`
	// Benign are hard negatives: behaviour the documentation names as
	// benign. Any alert about one is a false positive, whatever its rule
	// and severity.
	Benign []Benign `yaml:"benign"`
}

// Location is one copy of a data set's files.
type Location struct {
	Name  string   `yaml:"name"`
	Paths []string `yaml:"paths"`
	// Note says how this copy differs from the full data set.
	Note string `yaml:"note"`
}

// Settings are what the data set's owner would configure.
type Settings struct {
	// InternalNetworks replace mamori's default (RFC 1918 and the like).
	InternalNetworks []string `yaml:"internal_networks"`
	// Timezone of the office, for timestamps without a zone and working hours.
	Timezone string `yaml:"timezone"`
	// Year of timestamps that carry none (classic syslog).
	Year int `yaml:"year"`
	// IOC lists; each entry is one list, given as alternative paths (the
	// full list, then a slice under testdata/): the first present is used.
	IOC []Alternatives `yaml:"ioc"`
	// Assets is an inventory in mamori's YAML inventory format (ip or
	// cidr, host, segment, role, owner).
	Assets []map[string]string `yaml:"assets"`
}

// Alternatives are paths of which the first present is used; YAML gives
// one path or a list.
type Alternatives []string

// UnmarshalYAML reads a single path or a list of paths.
func (a *Alternatives) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*a = Alternatives{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*a = l
	return nil
}

// Truth is one documented attack.
type Truth struct {
	// ID is short and unique in the set (it names the truth in reports).
	ID string `yaml:"id"`
	// What the attack is, in a few words.
	What string `yaml:"what"`
	// Endpoints and Peers are the two sides of the attack: addresses or
	// host names ("*.example.com" for any name under a domain, CIDRs for
	// networks). Which side is which does not matter to matching; see
	// Truth.Matches.
	Endpoints []string `yaml:"endpoints"`
	Peers     []string `yaml:"peers"`
	// Rules that count as finding it: rule ids (M-PSEXEC) or families
	// (S-*). Composite alerts (C-*) about the truth's hosts always count.
	Rules []string `yaml:"rules"`
	// About, when set, requires the alert's title, summary or key to
	// contain one of these (case-insensitive): an IDS signature's name.
	About []string `yaml:"about"`
	// From and To bound when it happened, when the documentation says.
	From time.Time `yaml:"from"`
	To   time.Time `yaml:"to"`
	// Optional truths are hostile behaviour the documentation names
	// without calling it an attack to be found (a fixture's failure
	// sources): alerts about them are true, missing them is no miss.
	Optional bool   `yaml:"optional"`
	Source   Source `yaml:"source"`
}

// Benign is documented benign behaviour.
type Benign struct {
	What string `yaml:"what"`
	// Endpoints, when set, limit it to these machines; Peers are the
	// destinations (at least one is required).
	Endpoints []string `yaml:"endpoints"`
	Peers     []string `yaml:"peers"`
	Source    Source   `yaml:"source"`
}

// Source is where a truth comes from: a file (a path in the repository or
// under ../shared, or a URL of an upstream file at a commit) and the
// sentence quoted from it.
type Source struct {
	File  string `yaml:"file"`
	Quote string `yaml:"quote"`
	// Note adds how the quote was read (which host a sentence means).
	Note string `yaml:"note"`
}

// Load reads the set in file.
func Load(file string) (*Set, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("eval set: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a misspelt key must not silently drop a truth
	s := &Set{}
	if err := dec.Decode(s); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("eval set %s: %w", file, err)
	}
	if want := strings.TrimSuffix(filepath.Base(file), ".yaml"); s.Name != want {
		return nil, fmt.Errorf("eval set %s: name %q, want %q (the file's name)", file, s.Name, want)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("eval set %s: %w", file, err)
	}
	return s, nil
}

// LoadDir reads every *.yaml set in dir, sorted by name.
func LoadDir(dir string) ([]*Set, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("eval: no sets (*.yaml) in %s", dir)
	}
	slices.Sort(files)
	sets := make([]*Set, 0, len(files))
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	return sets, nil
}

func (s *Set) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Title == "" || s.Origin == "" {
		bad("title and origin are required")
	}
	if len(s.Locations) == 0 {
		bad("no locations")
	}
	for i, l := range s.Locations {
		if l.Name == "" || len(l.Paths) == 0 {
			bad("locations[%d]: name and paths are required", i)
		}
	}
	seen := map[string]bool{}
	for i, t := range s.Truths {
		switch {
		case t.ID == "" || t.What == "":
			bad("truths[%d]: id and what are required", i)
		case seen[t.ID]:
			bad("truths[%d]: id %q used twice", i, t.ID)
		}
		seen[t.ID] = true
		if len(t.Endpoints)+len(t.Peers) == 0 {
			bad("truth %s: no endpoints or peers", t.ID)
		}
		if len(t.Rules) == 0 {
			bad("truth %s: no rules", t.ID)
		}
		if !t.From.IsZero() && !t.To.IsZero() && t.To.Before(t.From) {
			bad("truth %s: to before from", t.ID)
		}
		if t.Source.File == "" || t.Source.Quote == "" {
			bad("truth %s: source file and quote are required", t.ID)
		}
		for _, p := range slices.Concat(t.Endpoints, t.Peers) {
			if _, err := parsePattern(p); err != nil {
				bad("truth %s: %v", t.ID, err)
			}
		}
	}
	for i, b := range s.Benign {
		if b.What == "" || len(b.Peers) == 0 {
			bad("benign[%d]: what and peers are required", i)
		}
		if b.Source.File == "" || b.Source.Quote == "" {
			bad("benign[%d]: source file and quote are required", i)
		}
		for _, p := range slices.Concat(b.Endpoints, b.Peers) {
			if _, err := parsePattern(p); err != nil {
				bad("benign[%d]: %v", i, err)
			}
		}
	}
	return errors.Join(errs...)
}

// CheckRules reports rules and families the set names that the catalog
// does not have (a renamed rule must not silently make a truth unfindable).
func (s *Set) CheckRules(cat *catalog.Catalog) error {
	var errs []error
	for _, t := range s.Truths {
		for _, r := range t.Rules {
			if !ruleExists(cat, r) {
				errs = append(errs, fmt.Errorf("eval set %s: truth %s: no rule or rule family %q in the catalog", s.Name, t.ID, r))
			}
		}
	}
	return errors.Join(errs...)
}

func ruleExists(cat *catalog.Catalog, pattern string) bool {
	if fam, ok := strings.CutSuffix(pattern, "*"); ok {
		if !strings.HasSuffix(fam, "-") || len(fam) < 2 {
			return false // only whole families: "S-*"
		}
		return slices.ContainsFunc(cat.Rules(), func(r catalog.Rule) bool { return strings.HasPrefix(r.ID, fam) })
	}
	_, ok := cat.Rule(pattern)
	return ok
}

// sharedPrefix starts the paths of the project's development data, which
// a fresh clone does not have.
const sharedPrefix = "../shared/"

// Shared reports whether a path is under ../shared (may be absent).
func Shared(path string) bool { return strings.HasPrefix(path, sharedPrefix) }
