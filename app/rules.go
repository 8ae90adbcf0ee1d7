package app

import (
	"encoding/json"

	"github.com/mamori-soc/mamori/detect"
)

// Factories returns every rule implementation.
func Factories() []detect.Factory {
	var fs []detect.Factory
	return fs
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// loadOptional opens the optional databases and lists the configuration
// names: IOC lists, GeoIP, site categories. Rules that need one that is
// missing say so in `mamori rules`.
func (a *App) loadOptional() error {
	return nil
}
