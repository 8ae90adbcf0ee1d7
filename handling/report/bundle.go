package report

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/store"
)

// DefaultWindow is how much context around each alert a bundle exports
// when none is configured (config.EvidenceWindow).
const DefaultWindow = 10 * time.Minute

// BundleFormat is the version of the bundle layout in the manifest.
const BundleFormat = 1

// Timeliner reads an endpoint's events; *store.Store satisfies it.
type Timeliner interface {
	Timeline(ctx context.Context, ep store.Endpoint, q store.Query) (store.Page, error)
}

// BundleOptions tune Bundle.
type BundleOptions struct {
	// Window is the context exported before and after each alert's
	// first and last sighting and each of its evidence lines; zero means
	// DefaultWindow.
	Window time.Duration
	// Now is the export time; zero means time.Now().
	Now time.Time
	// Who exports; "" means the OS user.
	Who string
	// Version is mamori's version, Store the store directory, for the
	// manifest.
	Version string
	Store   string
}

// Manifest describes a bundle: manifest.json in the archive. Field names
// are stable.
type Manifest struct {
	Format     int          `json:"format"`
	Incident   string       `json:"incident"`
	Title      string       `json:"title"`
	ExportedAt time.Time    `json:"exported_at"`
	ExportedBy string       `json:"exported_by"`
	Version    string       `json:"mamori_version"`
	Store      string       `json:"store"`
	Window     string       `json:"evidence_window"`
	Windows    []Window     `json:"query_windows"`
	Alerts     []string     `json:"alerts"`
	Counts     Counts       `json:"counts"`
	Files      []BundleFile `json:"files"`
}

// Window is one period of an endpoint's events that was exported.
type Window struct {
	Endpoint string    `json:"endpoint"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
}

// Counts sum up a bundle.
type Counts struct {
	Alerts       int `json:"alerts"`
	Endpoints    int `json:"endpoints"`
	Lines        int `json:"lines"`         // lines in the log files
	AlertLines   int `json:"alert_lines"`   // of them, evidence of an alert
	ContextLines int `json:"context_lines"` // of them, only in a window
	LogFiles     int `json:"log_files"`
}

// BundleFile is one file of the archive.
type BundleFile struct {
	Name   string    `json:"name"`             // path in the archive, under the bundle directory
	Source string    `json:"source,omitempty"` // the original log file
	Lines  int       `json:"lines,omitempty"`
	Bytes  int64     `json:"bytes"`
	SHA256 string    `json:"sha256"`
	First  time.Time `json:"first,omitzero"`
	Last   time.Time `json:"last,omitzero"`
}

// line is one original log line.
type line struct {
	time   time.Time
	offset int64
	raw    string
	alert  bool
}

// lineKey identifies a line as the store identifies its event: by time and
// store.EventID (file name, offset and the line's bytes). The offset alone
// is not enough: after a rotation the new file of the same name starts
// again at offset 0, so the old file's lines and the new one's share
// offsets, and keying by it kept one line of each pair.
type lineKey struct {
	ns int64
	id uint64
}

func keyOf(file string, l *line) lineKey {
	return lineKey{ns: l.time.UnixNano(), id: store.EventID(file, l.offset, l.raw)}
}

// Bundle writes the evidence of incident id to w as a tar.gz: the
// original lines behind the incident's alerts and every event of its
// endpoints within the window around each alert, one archive file per
// original log file name with the lines in time order byte for byte as
// stored (a rotated file's lines and its successor's go in the one file of
// their name, each line once, as the store keys events), plus
// incident.json, alerts.json, manifest.json and SHA256SUMS. It returns the
// manifest. (package export writes it to a file and records the export.)
func Bundle(ctx context.Context, im *incident.Manager, events Timeliner, id string, w io.Writer, opts BundleOptions) (Manifest, error) {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Who == "" {
		opts.Who = audit.CurrentUser()
	}
	inc, err := im.Get(ctx, id)
	if err != nil {
		return Manifest{}, err
	}
	alerts, err := im.Alerts(ctx, &inc)
	if err != nil {
		return Manifest{}, err
	}
	files := map[string]map[lineKey]*line{}
	add := func(file string, l line) {
		if file == "" || l.raw == "" {
			return
		}
		m := files[file]
		if m == nil {
			m = map[lineKey]*line{}
			files[file] = m
		}
		k := keyOf(file, &l)
		if have := m[k]; have != nil {
			have.alert = have.alert || l.alert
			return
		}
		m[k] = &l
	}
	for _, a := range alerts {
		for _, e := range a.Evidence {
			add(e.File, line{time: e.Time, offset: e.Offset, raw: e.Raw, alert: true})
		}
	}
	windows := evidenceWindows(&inc, alerts, opts.Window)
	for _, w := range windows {
		q := store.Query{From: w.From, To: w.To, Limit: 1000}
		for {
			p, err := events.Timeline(ctx, store.ParseEndpoint(w.Endpoint), q)
			if err != nil {
				return Manifest{}, fmt.Errorf("evidence: %w", err)
			}
			for _, it := range p.Items {
				ev := &it.Event
				add(ev.Ref.File, line{time: ev.Time, offset: ev.Ref.Offset, raw: ev.Raw})
			}
			if !p.More || len(p.Items) == 0 {
				break
			}
			last := p.Items[len(p.Items)-1].Key
			q.After = &last
		}
	}

	dir := inc.ID
	man := Manifest{
		Format: BundleFormat, Incident: inc.ID, Title: inc.Title, ExportedAt: opts.Now.UTC(), ExportedBy: opts.Who,
		Version: opts.Version, Store: opts.Store, Window: opts.Window.String(), Windows: windows,
		Counts: Counts{Alerts: len(alerts), Endpoints: len(inc.Endpoints), LogFiles: len(files)},
	}
	for _, a := range alerts {
		man.Alerts = append(man.Alerts, a.ID)
	}
	var entries []entry
	names := map[string]bool{}
	for _, src := range slices.Sorted(maps.Keys(files)) {
		ls := make([]*line, 0, len(files[src]))
		for _, l := range files[src] {
			ls = append(ls, l)
		}
		slices.SortFunc(ls, func(a, b *line) int {
			if c := a.time.Compare(b.time); c != 0 {
				return c
			}
			if c := cmp.Compare(a.offset, b.offset); c != 0 {
				return c
			}
			return strings.Compare(a.raw, b.raw)
		})
		var buf bytes.Buffer
		for _, l := range ls {
			buf.WriteString(l.raw)
			buf.WriteByte('\n')
			if l.alert {
				man.Counts.AlertLines++
			} else {
				man.Counts.ContextLines++
			}
		}
		man.Counts.Lines += len(ls)
		name := uniqueName(names, "logs/"+archivePath(src))
		e := entry{name: name, data: buf.Bytes()}
		entries = append(entries, e)
		man.Files = append(man.Files, BundleFile{Name: name, Source: src, Lines: len(ls), Bytes: int64(buf.Len()),
			SHA256: e.sum(), First: ls[0].time, Last: ls[len(ls)-1].time})
	}
	for _, doc := range []struct {
		name string
		v    any
	}{{"incident.json", &inc}, {"alerts.json", alerts}} {
		b, err := json.MarshalIndent(doc.v, "", "  ")
		if err != nil {
			return Manifest{}, fmt.Errorf("evidence: %w", err)
		}
		e := entry{name: doc.name, data: append(b, '\n')}
		entries = append(entries, e)
		man.Files = append(man.Files, BundleFile{Name: e.name, Bytes: int64(len(e.data)), SHA256: e.sum()})
	}
	mb, err := json.MarshalIndent(&man, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("evidence: %w", err)
	}
	entries = append([]entry{{name: "manifest.json", data: append(mb, '\n')}}, entries...)
	var sums bytes.Buffer
	for _, e := range entries {
		fmt.Fprintf(&sums, "%s  %s\n", e.sum(), e.name)
	}
	entries = append(entries, entry{name: "SHA256SUMS", data: sums.Bytes()})

	if err := writeArchive(w, dir, entries, opts.Now); err != nil {
		return Manifest{}, err
	}
	return man, nil
}

type entry struct {
	name string
	data []byte
}

func (e entry) sum() string {
	s := sha256.Sum256(e.data)
	return hex.EncodeToString(s[:])
}

// evidenceWindows returns, per endpoint, the merged periods of window
// before and after each alert's first and last sighting and each of its
// evidence lines.
func evidenceWindows(inc *incident.Incident, alerts []alert.Alert, w time.Duration) []Window {
	byEP := map[string][]Window{}
	for _, a := range alerts {
		ep := a.Endpoint
		if ep == "" {
			continue
		}
		ts := []time.Time{a.FirstSeen, a.LastSeen}
		for _, e := range a.Evidence {
			ts = append(ts, e.Time)
		}
		for _, t := range ts {
			if !t.IsZero() {
				byEP[ep] = append(byEP[ep], Window{Endpoint: ep, From: t.Add(-w).UTC(), To: t.Add(w).UTC()})
			}
		}
	}
	var out []Window
	for _, ep := range inc.Endpoints {
		ws := byEP[ep]
		slices.SortFunc(ws, func(a, b Window) int { return a.From.Compare(b.From) })
		for _, x := range ws {
			if n := len(out); n > 0 && out[n-1].Endpoint == ep && !x.From.After(out[n-1].To) {
				if x.To.After(out[n-1].To) {
					out[n-1].To = x.To
				}
				continue
			}
			out = append(out, x)
		}
	}
	return out
}

// archivePath turns a log file's path into a relative path safe to put
// in an archive: no leading slash or volume, no "." or ".." steps, no
// control characters.
func archivePath(p string) string {
	p = filepath.ToSlash(p)
	if v := filepath.VolumeName(p); v != "" {
		p = strings.TrimPrefix(p, v)
	}
	var parts []string
	for _, s := range strings.Split(p, "/") {
		switch s {
		case "", ".":
			continue
		case "..":
			s = "__"
		}
		s = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\\' {
				return '_'
			}
			return r
		}, s)
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "unnamed.log"
	}
	return path.Join(parts...)
}

func uniqueName(used map[string]bool, name string) string {
	n := name
	for i := 2; used[n]; i++ {
		n = fmt.Sprintf("%s~%d", name, i)
	}
	used[n] = true
	return n
}

// writeArchive writes the entries as dir/name in a tar.gz to w.
func writeArchive(w io.Writer, dir string, entries []entry, now time.Time) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	mtime := now.UTC().Truncate(time.Second)
	for _, e := range entries {
		hdr := &tar.Header{Name: dir + "/" + e.name, Mode: 0o644, Size: int64(len(e.data)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("evidence: %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return fmt.Errorf("evidence: %s: %w", e.name, err)
		}
	}
	if err := errors.Join(tw.Close(), gz.Close()); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}
