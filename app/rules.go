package app

import (
	"encoding/json"
	"fmt"

	"github.com/mamori-soc/mamori/category"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/detect/statistical"
	"github.com/mamori-soc/mamori/geo"
)

// Factories returns every rule implementation.
func Factories() []detect.Factory {
	var fs []detect.Factory
	fs = append(fs, statistical.Factories()...)
	return fs
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// loadOptional opens the optional databases and lists the configuration
// names: IOC lists, GeoIP, site categories. Rules that need one that is
// not configured say so in `mamori rules`; one that is configured but
// cannot be read is an error (a typo must not silently switch a rule off).
func (a *App) loadOptional() error {
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
