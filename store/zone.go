package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// zoneFile, beside Badger's files in the store's directory, names the
// office time zone the store was filled in. It is a plain file rather than
// a record so that it can be read before the store is opened: the zone
// mamori shows times in must be set before anything runs.
const zoneFile = "mamori-timezone"

// Zone returns the office time zone recorded in the store directory dir,
// or "" when none is.
func Zone(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, zoneFile))
	if err != nil || len(b) > 64 {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// RecordZone records zone as the store's office time zone, so that a
// review of the store elsewhere (another machine, no configuration) shows
// times in the office's zone, as its alert summaries are written.
func (s *Store) RecordZone(zone string) error {
	if zone == "" || s.opts.ReadOnly || Zone(s.dir) == zone {
		return nil
	}
	if err := os.WriteFile(filepath.Join(s.dir, zoneFile), []byte(zone+"\n"), 0o600); err != nil {
		return fmt.Errorf("store: record the time zone: %w", err)
	}
	return nil
}
