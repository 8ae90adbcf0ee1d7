package eval

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/config"
)

// Status says whether a set was scanned.
type Status string

// The statuses of a set.
const (
	Scanned     Status = "scanned"
	Absent      Status = "not present"   // its files (or an IOC list it needs) are missing
	Unsupported Status = "not supported" // mamori cannot read its format yet
)

// Options are how sets are run.
type Options struct {
	// Root is the repository root: the sets' paths are relative to it.
	Root string
	// Location, when set, uses only the copies of that name ("testdata"),
	// to measure what a fresh clone without ../shared measures.
	Location string
	// Log receives mamori's own log; nil discards it.
	Log *slog.Logger
}

// Result is the scorecard of one set.
type Result struct {
	Set      string `json:"set"`
	Title    string `json:"title"`
	Status   Status `json:"status"`
	Reason   string `json:"reason,omitempty"`
	Location string `json:"location,omitempty"`
	// Events stored and lines rejected by the parsers; files skipped as
	// not a log mamori reads.
	Events       int64 `json:"events"`
	Rejected     int64 `json:"rejected"`
	SkippedFiles int   `json:"skipped_files"`
	// Found of Total documented attacks (optional truths not counted).
	Found  int           `json:"found"`
	Total  int           `json:"total"`
	Truths []TruthResult `json:"truths"`
	// Severity counts the alerts shown, by severity.
	Severity Counts `json:"alerts_by_severity"`
	// FalsePositives are alerts about benign behaviour, and alerts at
	// medium or above that match nothing documented.
	FalsePositives int `json:"false_positives"`
	// FirstTrue is the 1-based rank of the first alert that matches a
	// truth in the order mamori shows alerts; 0 for none.
	FirstTrue int      `json:"first_true_rank"`
	Alerts    []Scored `json:"alerts"`
	Elapsed   string   `json:"elapsed,omitempty"`
}

// TruthResult says whether a truth was found.
type TruthResult struct {
	ID       string `json:"id"`
	What     string `json:"what"`
	Optional bool   `json:"optional,omitempty"`
	// Rank of the first alert that matches it; 0 when missed.
	Rank int `json:"rank"`
}

// Counts are alerts by severity.
type Counts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

func (c *Counts) add(s alert.Severity) {
	switch s {
	case alert.Critical:
		c.Critical++
	case alert.High:
		c.High++
	case alert.Medium:
		c.Medium++
	case alert.Low:
		c.Low++
	default:
		c.Info++
	}
}

// Scored is one alert with its verdict.
type Scored struct {
	Rank          int            `json:"rank"`
	Severity      alert.Severity `json:"severity"`
	Rule          string         `json:"rule"`
	Endpoint      string         `json:"endpoint"`
	Host          string         `json:"host,omitempty"`
	Peer          string         `json:"peer,omitempty"`
	Summary       string         `json:"summary"`
	FirstSeen     time.Time      `json:"first_seen"`
	Class         Class          `json:"class"`
	Truths        []string       `json:"truths,omitempty"`
	Benign        string         `json:"benign,omitempty"`
	FalsePositive bool           `json:"false_positive"`
}

// Run scans the set as `mamori scan` would, in a temporary store, and
// scores the alerts. A set that cannot be scanned (files absent, format
// unsupported) is a result, not an error; errors are failures to scan.
func Run(ctx context.Context, s *Set, opts Options) (Result, error) {
	r := Result{Set: s.Name, Title: s.Title, Truths: make([]TruthResult, len(s.Truths)), Alerts: []Scored{}}
	for i, t := range s.Truths {
		r.Truths[i] = TruthResult{ID: t.ID, What: t.What, Optional: t.Optional}
		if !t.Optional {
			r.Total++
		}
	}
	if s.Unsupported != "" {
		r.Status, r.Reason = Unsupported, s.Unsupported
		return r, nil
	}
	loc, ok := s.locate(opts.Root, opts.Location)
	if !ok {
		r.Status, r.Reason = Absent, "skipped: not present"
		if opts.Location != "" {
			r.Reason = fmt.Sprintf("skipped: no %s copy present", opts.Location)
		}
		return r, nil
	}
	r.Location = loc.Name
	iocs, missing := resolveAll(opts.Root, s.Settings.IOC)
	if missing != "" {
		r.Status, r.Reason = Absent, "skipped: IOC list not present: "+missing
		return r, nil
	}
	start := time.Now()
	if err := r.scan(ctx, s, loc, iocs, opts); err != nil {
		return r, fmt.Errorf("eval set %s: %w", s.Name, err)
	}
	r.Status = Scanned
	r.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return r, nil
}

// scan runs mamori over the location's files and scores the alerts.
func (r *Result) scan(ctx context.Context, s *Set, loc Location, iocs []string, opts Options) (err error) {
	tmp, err := os.MkdirTemp("", "mamori-eval-")
	if err != nil {
		return err
	}
	defer func() {
		if rerr := os.RemoveAll(tmp); rerr != nil && err == nil {
			err = fmt.Errorf("remove temporary store: %w", rerr)
		}
	}()
	// The settings are the set's alone: the user's configuration file is
	// not read, so the scorecard is the same on every machine.
	cfg := config.Default()
	cfg.DB = filepath.Join(tmp, "db")
	cfg.LogFile = filepath.Join(tmp, "mamori.log")
	cfg.AuditFile = filepath.Join(tmp, "audit.jsonl")
	if len(s.Settings.InternalNetworks) > 0 {
		cfg.InternalNetworks = s.Settings.InternalNetworks
	}
	cfg.Timezone = s.Settings.Timezone
	cfg.IOC = iocs
	if len(s.Settings.Assets) > 0 {
		b, err := yaml.Marshal(s.Settings.Assets)
		if err != nil {
			return err
		}
		cfg.Assets = filepath.Join(tmp, "assets.yaml")
		if err := os.WriteFile(cfg.Assets, b, 0o600); err != nil {
			return err
		}
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a, err := app.Open(cfg, app.Options{Year: s.Settings.Year, Log: log})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := a.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	paths := make([]string, len(loc.Paths))
	for i, p := range loc.Paths {
		paths[i] = filepath.Join(opts.Root, p)
	}
	sum, err := a.Scan(ctx, paths, nil)
	if err != nil {
		return err
	}
	r.Events, r.Rejected, r.SkippedFiles = sum.Events, sum.Rejected, len(sum.Skipped)
	// What `mamori scan` and `mamori alerts` show, in their order.
	as, err := a.Alerts(false)
	if err != nil {
		return err
	}
	r.score(s, as)
	return nil
}

// score classifies the alerts, given in the order mamori shows them.
func (r *Result) score(s *Set, as []alert.Alert) {
	rank := map[string]*TruthResult{}
	for i := range r.Truths {
		rank[r.Truths[i].ID] = &r.Truths[i]
	}
	for i := range as {
		a := &as[i]
		v := s.Classify(a)
		sc := Scored{
			Rank: i + 1, Severity: a.Severity, Rule: a.Rule, Endpoint: a.Endpoint, Host: a.Host, Peer: a.Peer,
			Summary: a.Summary, FirstSeen: a.FirstSeen, Class: v.Class, Truths: v.Truths, Benign: v.Benign,
			FalsePositive: v.FalsePositive(a.Severity),
		}
		r.Alerts = append(r.Alerts, sc)
		r.Severity.add(a.Severity)
		if sc.FalsePositive {
			r.FalsePositives++
		}
		if v.Class != True {
			continue
		}
		if r.FirstTrue == 0 {
			r.FirstTrue = sc.Rank
		}
		for _, id := range v.Truths {
			if t := rank[id]; t.Rank == 0 {
				t.Rank = sc.Rank
				if !t.Optional {
					r.Found++
				}
			}
		}
	}
}

// locate returns the first copy of the data whose paths all exist (only
// those named name, when given).
func (s *Set) locate(root, name string) (Location, bool) {
	for _, l := range s.Locations {
		if name != "" && l.Name != name {
			continue
		}
		if allExist(root, l.Paths) {
			return l, true
		}
	}
	return Location{}, false
}

func allExist(root string, paths []string) bool {
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			return false
		}
	}
	return true
}

// resolveAll picks the first present path of each list; missing names the
// first list none of whose paths is present.
func resolveAll(root string, lists []Alternatives) (paths []string, missing string) {
	for _, alts := range lists {
		found := ""
		for _, p := range alts {
			if _, err := os.Stat(filepath.Join(root, p)); err == nil {
				found = filepath.Join(root, p)
				break
			}
		}
		if found == "" {
			return nil, fmt.Sprint([]string(alts))
		}
		paths = append(paths, found)
	}
	return paths, ""
}
