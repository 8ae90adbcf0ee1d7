package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/detect/category"
	"github.com/mamori-soc/mamori/detect/composite"
	"github.com/mamori-soc/mamori/detect/geo"
	"github.com/mamori-soc/mamori/detect/intel"
	"github.com/mamori-soc/mamori/detect/matching"
	"github.com/mamori-soc/mamori/detect/normal"
	"github.com/mamori-soc/mamori/detect/statistical"
	"github.com/mamori-soc/mamori/store"
)

// Factories returns every rule implementation: the matching, normal-
// business, statistical and composite families.
func Factories() []detect.Factory {
	var fs []detect.Factory
	fs = append(fs, matching.Factories()...)
	fs = append(fs, normal.Factories()...)
	fs = append(fs, statistical.Factories()...)
	fs = append(fs, composite.Factories()...)
	return fs
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// loadOptional opens the optional databases and lists the configuration
// names: IOC lists, GeoIP, site categories. Rules that need one that is
// not configured say so in `mamori rules`; one that is configured but
// cannot be read is an error (a typo must not silently switch a rule off).
func (a *App) loadOptional() error {
	if len(a.Config.IOC) > 0 {
		set, err := intel.Load(a.Config.IOC...)
		if err != nil {
			return fmt.Errorf("ioc: %w", err)
		}
		for _, p := range set.Problems() {
			a.Log.Warn("IOC list problem", "list", p.List, "reason", p.Reason)
		}
		a.Env.Intel = set
		a.Intel = set
	}
	if len(a.Config.DDNS) > 0 {
		zones, problems, err := intel.LoadZones(a.Config.DDNS...)
		if err != nil {
			return fmt.Errorf("ddns: %w", err)
		}
		for _, p := range problems {
			a.Log.Warn("dynamic-DNS list problem", "list", p.List, "reason", p.Reason)
		}
		a.Env.Zones = map[string]*catalog.DomainSet{catalog.ListDynamicDNS: zones}
	}
	if p := a.Config.GeoIP; p != "" {
		db, err := geo.Open(p)
		if err != nil {
			return fmt.Errorf("geoip: %w", err)
		}
		a.Env.Geo = db
		a.closers = append(a.closers, db.Close)
	}
	if p := a.Config.Categories; p != "" {
		l, err := category.Load(p)
		if err != nil {
			return fmt.Errorf("categories: %w", err)
		}
		a.Env.Categories = l
	}
	return nil
}

// RuleStates describes every detection rule as `mamori rules` lists it:
// active, disabled (and why) or learning, with the learning progress kept
// in the store cfg.DB (or opts.DB) names. It only reads: it never creates
// a store. A store a running mamori holds is read through held, when
// given (the running mamori's Reader; nil when it cannot be asked, with
// why). Without a store (or one it cannot read) the learning rules show
// no progress, and note says why.
func RuleStates(cfg *config.Config, opts Options, held func(*store.LockedError) (Reader, error)) (states []detect.RuleState, note string, err error) {
	opts.ReadOnly = true
	a, _, err := prepare(cfg, opts)
	if err != nil {
		return nil, "", err
	}
	defer func() {
		for _, c := range a.closers {
			_ = c()
		}
	}()
	var st detect.Store // nil: nothing learned to show
	switch {
	case !store.Exists(a.Config.DB):
		note = fmt.Sprintf("no store at %s yet: learning progress shows once logs are read", a.Config.DB)
	default:
		s, err := store.Open(a.Config.DB, store.Options{ReadOnly: true, Logger: a.Log})
		var locked *store.LockedError
		if errors.As(err, &locked) && held != nil {
			r, herr := held(locked)
			if herr != nil {
				note = fmt.Sprintf("learning progress not shown: %v", herr)
				break
			}
			st = readOnlyEngineStore{r}
			break
		}
		if err != nil {
			note = fmt.Sprintf("learning progress not shown: %v", err)
			break
		}
		defer func() { _ = s.Close() }() // read-only: closing loses nothing
		st = s
	}
	eng, err := detect.New(detect.Options{
		Factories: Factories(), Env: a.Env, Rules: a.Config.Rules,
		Learning: time.Duration(a.Config.Baseline.Learning), Store: st, Log: a.Log,
	})
	if err != nil {
		return nil, "", fmt.Errorf("detection rules: %w", err)
	}
	defer eng.Close()
	return eng.States(), note, nil
}

// readOnlyEngineStore is a Reader as the engine's store: what it reads
// (baselines, its state, alerts) and no writes.
type readOnlyEngineStore struct{ Reader }

func (readOnlyEngineStore) PutAlerts([]alert.Alert) error { return store.ErrReadOnly }
