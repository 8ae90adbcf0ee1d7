package app

import (
	"encoding/json"
	"fmt"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/detect/category"
	"github.com/mamori-soc/mamori/detect/composite"
	"github.com/mamori-soc/mamori/detect/geo"
	"github.com/mamori-soc/mamori/detect/intel"
	"github.com/mamori-soc/mamori/detect/matching"
	"github.com/mamori-soc/mamori/detect/normal"
	"github.com/mamori-soc/mamori/detect/statistical"
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
