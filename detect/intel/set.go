package intel

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mamori-soc/mamori/detect"
)

// Set is a loaded collection of IOC lists. It implements detect.Intel and
// is safe for concurrent use: lookups read one immutable generation, which
// Reload replaces whole.
type Set struct {
	roots []string

	mu     sync.Mutex       // serialises Reload
	stamps map[string]stamp // the files the current generation was read from
	failed atomic.Pointer[Problem]

	cur atomic.Pointer[generation]
}

var _ detect.Intel = (*Set)(nil)

// generation is one load of every list.
type generation struct {
	x        *index
	lists    []listInfo
	problems []Problem
}

type listInfo struct {
	name       string
	indicators int
}

// stamp is what tells a file changed.
type stamp struct {
	size int64
	mod  time.Time
}

// Load reads the lists in paths: files, and folders walked recursively.
// It fails when a path does not exist or nothing under it is a list file;
// lines that are not indicators and unreadable files are only reported
// (Problems).
func Load(paths ...string) (*Set, error) {
	if len(paths) == 0 {
		return nil, errors.New("intel: no IOC list given")
	}
	s := &Set{roots: slices.Clone(paths)}
	var err error
	for range 3 { // a file changing while it is read is read again
		var g *generation
		var stamps map[string]stamp
		g, stamps, err = s.build()
		if err == nil {
			s.cur.Store(g)
			s.stamps = stamps
			return s, nil
		}
		if !errors.Is(err, errChanged) {
			break
		}
	}
	return nil, err
}

// errChanged says a file changed while it was read.
var errChanged = errors.New("changed while it was read")

// build reads every list into a new generation.
func (s *Set) build() (*generation, map[string]stamp, error) {
	files, err := discover(s.roots)
	if err != nil {
		return nil, nil, err
	}
	g := &generation{x: newIndex()}
	stamps := make(map[string]stamp, len(files))
	for _, f := range files {
		r := &listReader{x: g.x, list: f.name, kind: KindOf(f.name)}
		st, err := readFile(f.path, r)
		switch {
		case errors.Is(err, errChanged):
			return nil, nil, fmt.Errorf("intel: %s: %w", f.path, err)
		case err != nil:
			r.problems = append(r.problems, Problem{List: f.name, Reason: "cannot read: " + err.Error()})
		case r.added == 0 && len(r.problems) > 0:
			r.problems = append(r.problems, Problem{List: f.name, Reason: "no indicators (not an IOC list?)"})
		}
		stamps[f.path] = st
		g.lists = append(g.lists, listInfo{f.name, r.added})
		g.problems = append(g.problems, r.problems...)
	}
	return g, stamps, nil
}

// readFile reads one list and returns the stamp it was read at.
func readFile(path string, r *listReader) (stamp, error) {
	f, err := os.Open(path)
	if err != nil {
		return stamp{}, err
	}
	defer func() { _ = f.Close() }() // only read: a failed close loses nothing
	fi, err := f.Stat()
	if err != nil {
		return stamp{}, err
	}
	before := stamp{fi.Size(), fi.ModTime()}
	if err := r.read(f); err != nil {
		return before, err
	}
	after, err := os.Stat(path)
	if err == nil && (after.Size() != before.size || !after.ModTime().Equal(before.mod)) {
		return before, errChanged
	}
	return before, nil
}

// listFile is a list file found under the roots, with its display name.
type listFile struct{ path, name string }

// discover lists the files under the roots, in a fixed order.
func discover(roots []string) ([]listFile, error) {
	var files []listFile
	seen := map[string]bool{}
	for _, root := range roots {
		fi, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("intel: %w", err)
		}
		if !fi.IsDir() {
			if !seen[root] {
				seen[root] = true
				files = append(files, listFile{root, filepath.Base(root)})
			}
			continue
		}
		parent := filepath.Dir(filepath.Clean(root))
		n := len(files)
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // an unreadable folder: what can be read still is
			}
			hidden := p != root && strings.HasPrefix(d.Name(), ".")
			if d.IsDir() {
				if hidden {
					return filepath.SkipDir
				}
				return nil
			}
			if hidden || !d.Type().IsRegular() || !isListName(d.Name()) || seen[p] {
				return nil
			}
			seen[p] = true
			name, err := filepath.Rel(parent, p)
			if err != nil {
				name = p
			}
			files = append(files, listFile{p, filepath.ToSlash(name)})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("intel: %s: %w", root, err)
		}
		if len(files) == n {
			return nil, fmt.Errorf("intel: %s: no list files in the folder", root)
		}
	}
	return files, nil
}

// isListName says whether a file found in a folder may be a list: not a
// licence, read-me or similar, and of a text-like extension.
func isListName(name string) bool {
	lower := strings.ToLower(name)
	for _, p := range []string{"license", "licence", "copying", "readme", "notice", "attribution", "changelog", "authors"} {
		if strings.HasPrefix(lower, p) {
			return false
		}
	}
	ext := filepath.Ext(strings.TrimSuffix(lower, ".gz"))
	switch ext {
	case "", ".txt", ".list", ".lst", ".dat", ".intel", ".json", ".ioc", ".iocs", ".domains", ".ips", ".hosts":
		return true
	}
	return false
}

// Reload rereads the lists if any file changed, appeared or disappeared,
// and reports whether it did. A failed reload (a root gone, a file changing
// while read) keeps the current lists; the failure shows in Problems until
// a reload succeeds.
func (s *Set) Reload() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed, err := s.changed()
	if err == nil && !changed {
		s.failed.Store(nil)
		return false, nil
	}
	var g *generation
	var stamps map[string]stamp
	if err == nil {
		g, stamps, err = s.build()
	}
	if err != nil {
		s.failed.Store(&Problem{List: strings.Join(s.roots, ", "), Reason: "reload failed, keeping the lists loaded before: " + err.Error()})
		return false, err
	}
	s.cur.Store(g)
	s.stamps = stamps
	s.failed.Store(nil)
	return true, nil
}

// changed compares the files under the roots with those last read.
func (s *Set) changed() (bool, error) {
	files, err := discover(s.roots)
	if err != nil {
		return false, err
	}
	if len(files) != len(s.stamps) {
		return true, nil
	}
	for _, f := range files {
		old, ok := s.stamps[f.path]
		if !ok {
			return true, nil
		}
		fi, err := os.Stat(f.path)
		if err != nil || fi.Size() != old.size || !fi.ModTime().Equal(old.mod) {
			return true, nil
		}
	}
	return false, nil
}

// Watch reloads the lists every interval (a minute when zero) until ctx
// ends, so that an updated feed takes effect without a restart. It
// returns nil when ctx ends; reload failures show in Problems.
func (s *Set) Watch(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			_, _ = s.Reload()
		}
	}
}

// Problems returns what could not be read: bad lines per list and reason,
// unreadable files, and a failed reload.
func (s *Set) Problems() []Problem {
	ps := slices.Clone(s.cur.Load().problems)
	if p := s.failed.Load(); p != nil {
		ps = append(ps, *p)
	}
	return ps
}

// Lists describes the loaded lists: "name (n indicators)".
func (s *Set) Lists() []string {
	g := s.cur.Load()
	out := make([]string, len(g.lists))
	for i, l := range g.lists {
		out[i] = fmt.Sprintf("%s (%s)", l.name, plural(l.indicators, "indicator"))
	}
	return out
}

// Len returns how many distinct indicators are loaded.
func (s *Set) Len() int { return s.cur.Load().x.size() }

// Domain reports whether a DNS name is listed, or is under a listed domain
// that covers its subdomains. Case and a trailing dot do not matter.
func (s *Set) Domain(name string) (detect.Hit, bool) { return s.cur.Load().x.domain(name) }

// IP reports whether an address is listed: with this port ("ip:port"
// entries match only their port; port 0 matches none of them), alone, or
// inside a listed network.
func (s *Set) IP(a netip.Addr, port uint16) (detect.Hit, bool) { return s.cur.Load().x.ip(a, port) }

// URL reports whether a request URL is listed: by host and path (and query
// prefix, when the entry gives one), by a parent directory, or by its path
// alone for entries that give only a path.
func (s *Set) URL(url string) (detect.Hit, bool) { return s.cur.Load().x.url(url) }

// Hash reports whether an MD5, SHA-1 or SHA-256 hex digest is listed.
func (s *Set) Hash(hex string) (detect.Hit, bool) { return s.cur.Load().x.hash(hex) }
