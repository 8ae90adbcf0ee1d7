package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/ingest/skew"
	"github.com/mamori-soc/mamori/store"
)

// SourceReport is what a store holds of each source file, and where the
// sources disagree on the time zone.
type SourceReport struct {
	// Sources are the files the events came from, by path: format,
	// events, and the time range (FirstTime, LastTime) of their events.
	Sources []ingest.SourceStats `json:"sources"`
	// Zones are the time-zone disagreements between them (see ingest/skew).
	Zones []skew.Warning `json:"zone_warnings,omitempty"`
	// Partial says the report stopped at MaxReportEvents: the counts are
	// of that many events.
	Partial bool `json:"partial,omitempty"`
}

// MaxReportEvents bounds how many stored events a SourceReport reads.
const MaxReportEvents = 5_000_000

var errReportFull = errors.New("enough events read")

// SourcesReport reads the stored events once (at most MaxReportEvents) and
// reports, per source file, its format, events and their time range, and
// the time-zone disagreements between the sources: the same check a scan
// or the live console makes while reading, for a store filled earlier.
func (a *App) SourcesReport(ctx context.Context) (SourceReport, error) {
	zoneless := map[string]bool{}
	for _, f := range ingest.Formats() {
		zoneless[f.Name] = f.ZoneLess
	}
	loc := a.storedLoc()
	type source struct {
		st  ingest.SourceStats
		loc *time.Location
	}
	byPath := map[string]*source{}
	samples := map[string]*skew.Sample{}
	var n int
	err := a.rd.Events(ctx, time.Time{}, time.Time{}, func(s store.Stored) error {
		if n++; n > MaxReportEvents {
			return errReportFull
		}
		ev := &s.Event
		src := byPath[ev.Ref.File]
		if src == nil {
			format, _, _ := strings.Cut(ev.Format, ".") // "zeek.conn" is read by the format "zeek"
			src = &source{st: ingest.SourceStats{Path: ev.Ref.File, Format: format, State: ingest.StateStored}, loc: a.sourceLoc(ev.Ref.File, loc)}
			byPath[ev.Ref.File] = src
		}
		src.st.Events++
		if src.st.FirstTime.IsZero() || ev.Time.Before(src.st.FirstTime) {
			src.st.FirstTime = ev.Time
		}
		if ev.Time.After(src.st.LastTime) {
			src.st.LastTime = ev.Time
		}
		sm := samples[src.st.Format]
		if sm == nil {
			sm = skew.NewSample()
			samples[src.st.Format] = sm
		}
		sm.Add(ev)
		return nil
	})
	var rep SourceReport
	switch {
	case errors.Is(err, errReportFull):
		rep.Partial = true
	case err != nil:
		return SourceReport{}, err
	}
	groups := map[string]*skew.Group{}
	var files []skew.File
	for _, src := range byPath {
		if fi, err := os.Stat(src.st.Path); err == nil {
			src.st.ModTime, src.st.Size = fi.ModTime(), fi.Size()
		}
		rep.Sources = append(rep.Sources, src.st)
		f := src.st.Format
		g := groups[f]
		if g == nil {
			g = &skew.Group{Format: f, ZoneLess: zoneless[f], Location: src.loc, Sample: samples[f]}
			groups[f] = g
		}
		g.Files = append(g.Files, src.st.Path)
		files = append(files, skew.File{Path: src.st.Path, Format: f, ZoneLess: zoneless[f], Location: src.loc, Last: src.st.LastTime, Mod: src.st.ModTime})
	}
	sort.Slice(rep.Sources, func(i, j int) bool { return rep.Sources[i].Path < rep.Sources[j].Path })
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var gs []skew.Group
	for _, g := range groups {
		sort.Strings(g.Files)
		gs = append(gs, *g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].Format < gs[j].Format })
	rep.Zones = skew.Check(gs, files)
	return rep, nil
}

// storedLoc is the zone the stored zone-less times were read in: the
// office zone recorded in the store when it was filled (see
// store.RecordZone), else the machine's.
func (a *App) storedLoc() *time.Location {
	if z := store.Zone(a.StoreDir()); z != "" {
		if loc, err := config.ParseZone(z); err == nil {
			return loc
		}
	}
	return time.Local
}

// sourceLoc is the zone of a configured source's zone-less times, for the
// file path; def when no source names it or it has no zone of its own.
func (a *App) sourceLoc(path string, def *time.Location) *time.Location {
	for _, s := range a.Config.Sources {
		if s.Timezone == "" {
			continue
		}
		if ok, _ := matchSource(s.Path, path); ok {
			if loc, err := config.ParseZone(s.Timezone); err == nil {
				return loc
			}
		}
	}
	return def
}

// matchSource says whether a configured source path (a file or a glob)
// names path.
func matchSource(pattern, path string) (bool, error) {
	if pattern == path {
		return true, nil
	}
	return filepath.Match(pattern, path)
}
