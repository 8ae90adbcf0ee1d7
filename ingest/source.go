package ingest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/store"
)

// sourceFollower follows the files one source names: every file content
// they hold, known by the file's identity and head (see Follower).
type sourceFollower struct {
	f       *Follower
	opt     Options
	pattern string // absolute
	glob    bool
	prefix  string // of its records' keys

	recs   []*record                // every content known, current or retired
	byID   map[fileIdentity]*record // the current content of each file
	tracks []*track                 // the files open for reading
	scanNo int                      // scans so far
	last   time.Time                // of the last scan
	put    bool                     // the last scan left a file for later
	dirty  bool                     // a directory changed since
	key    int64                    // the last key's sequence number
	wake   chan struct{}            // directory notifications
	dirs   map[string]bool          // the directories watched
}

// names says whether path is one of the source's names.
func (s *sourceFollower) names(path string) bool {
	if !s.glob {
		return path == s.pattern
	}
	ok, _ := filepath.Match(s.pattern, path)
	return ok
}

// load takes the source's records from the ones saved. Records written
// before they had keys (one per path) become records of the identity they
// name, and are forgotten once saved again under a key.
func (s *sourceFollower) load(saved []store.Offset) {
	s.prefix = "follow\x00" + s.pattern + "\x00"
	s.byID = map[fileIdentity]*record{}
	now := time.Now()
	var legacy []*store.Offset
	for i := range saved {
		o := &saved[i]
		switch {
		case strings.HasPrefix(o.Key, s.prefix):
			s.recs = append(s.recs, recordOf(o, now))
		case o.Key == "" && s.names(o.Path):
			legacy = append(legacy, o)
		}
	}
	// The newest record of a file is its current content; older ones were
	// truncated or replaced, and only their heads still count.
	sort.SliceStable(s.recs, func(i, j int) bool { return s.recs[i].updated.Before(s.recs[j].updated) })
	for _, r := range s.recs {
		if cur := s.byID[r.id]; cur != nil {
			cur.retired = true
		}
		s.byID[r.id] = r
	}
	for _, r := range s.recs {
		if r.retired {
			r.located = -1 // dealt with by the run that retired it
		}
	}
	for _, o := range legacy {
		id := fileIdentity{o.Dev, o.Inode}
		if s.byID[id] != nil {
			continue // already saved under a key
		}
		r := recordOf(o, now)
		r.key, r.legacy = s.newKey(id), o.Path
		s.recs = append(s.recs, r)
		s.byID[id] = r
	}
}

// newKey names a new record of the file id.
func (s *sourceFollower) newKey(id fileIdentity) string {
	n := time.Now().UnixNano()
	if n <= s.key {
		n = s.key + 1
	}
	s.key = n
	return fmt.Sprintf("%s%d:%d:%x", s.prefix, id.dev, id.ino, n)
}

// newRecord starts the record of new content in the file id.
func (s *sourceFollower) newRecord(id fileIdentity, ref, name string) *record {
	now := time.Now()
	r := &record{key: s.newKey(id), ref: ref, name: name, id: id, seen: now, updated: now, located: s.scanNo}
	if old := s.byID[id]; old != nil { // a file gone whose inode is reused
		old.retired = true
	}
	s.recs = append(s.recs, r)
	s.byID[id] = r
	return r
}

// save hands r, in the file called name, to the pipeline to be saved.
func (s *sourceFollower) save(ctx context.Context, r *record, name string) error {
	b := Batch{Offset: r.offsetOf(name, time.Now())}
	if r.legacy != "" {
		b.Forget, r.legacy = []string{r.legacy}, ""
	}
	return s.f.Pipeline.Send(ctx, b)
}

// run follows the source until ctx ends. caughtUp is called after the
// first pass that read every file to its end.
func (s *sourceFollower) run(ctx context.Context, caughtUp func()) error {
	defer caughtUp()
	if !s.glob {
		s.f.Pipeline.stats.source(s.pattern) // listed from the start, even before it exists
	}
	s.wake = make(chan struct{}, 1)
	s.dirs = map[string]bool{}
	defer func() {
		for _, t := range slices.Clone(s.tracks) {
			s.close(t)
		}
		for d := range s.dirs {
			s.f.watch.unsubscribe(d, s.wake)
		}
	}()
	poll := time.NewTicker(s.f.Poll)
	defer poll.Stop()
	for {
		now := time.Now()
		if s.scanNo == 0 || !s.glob || now.Sub(s.last) >= s.f.Rescan || (s.dirty && now.Sub(s.last) >= s.f.Poll) {
			if err := s.scan(ctx, now); err != nil {
				return contextErr(ctx, err)
			}
		}
		more, err := s.pass(ctx, now)
		if err != nil {
			return contextErr(ctx, err)
		}
		s.f.passes.Add(1)
		if !more && s.quiet() {
			s.f.settled.Store(s.last.UnixNano())
		}
		if more {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		caughtUp()
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
			s.dirty = true
		case <-poll.C:
		}
	}
}

// pass reads what every open file has; more says one of them has more.
func (s *sourceFollower) pass(ctx context.Context, now time.Time) (more bool, err error) {
	for _, t := range slices.Clone(s.tracks) {
		if t.closed {
			continue
		}
		t.rec.seen = now
		if !t.gz {
			if err := s.check(ctx, t, now); err != nil {
				return false, err
			}
			if t.closed {
				continue
			}
		}
		m, err := s.read(ctx, t)
		if err != nil {
			return false, err
		}
		if t.closed {
			continue
		}
		if m {
			more = true
			continue
		}
		if err := s.settle(ctx, t, now); err != nil {
			return false, err
		}
	}
	return more, nil
}

// quiet says whether nothing is pending but following the files under
// the names (see Follower.settled).
func (s *sourceFollower) quiet() bool {
	if s.put {
		return false
	}
	for _, t := range s.tracks {
		if t.gz || !t.atName {
			return false
		}
	}
	return true
}

// found is a file met under a name.
type found struct {
	name string
	fi   os.FileInfo
	id   fileIdentity
}

// scan looks at the files the source names now: a file already open is
// noted under its (maybe new) name; a known file is read on from where it
// was; any other is new content, or the copy or compressed form of
// content known. The first scan also looks for the content the last run
// was reading that is under none of the names any more.
func (s *sourceFollower) scan(ctx context.Context, now time.Time) error {
	s.scanNo++
	s.last, s.dirty, s.put = now, false, false
	names := []string{s.pattern}
	if s.glob {
		names, _ = filepath.Glob(s.pattern) // the pattern was checked by Run
	}
	for _, t := range s.tracks {
		t.atName = false
	}
	var known, unknown []found
	for _, n := range names {
		fi, err := os.Stat(n)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		id := identityOf(fi)
		r := s.byID[id]
		switch {
		case r != nil && r.track != nil:
			r.track.atName, r.track.name = true, n
			r.name, r.seen, r.located = n, now, s.scanNo
		case r != nil:
			known = append(known, found{n, fi, id})
		default:
			unknown = append(unknown, found{n, fi, id})
		}
	}
	// Known files first: a compressed copy of one must see how far it
	// was read.
	for _, k := range known {
		if err := s.placeKnown(ctx, k, now, true); err != nil {
			return err
		}
	}
	for _, u := range unknown {
		if err := s.placeNew(ctx, u, now, true); err != nil {
			return err
		}
	}
	if !s.glob && len(known)+len(unknown) == 0 && len(s.tracks) == 0 {
		s.f.Pipeline.stats.source(s.pattern).setState(StateWaiting, "the file does not exist (yet)")
	}
	if s.scanNo == 1 {
		if err := s.catchUp(ctx, now); err != nil {
			return err
		}
	}
	if err := s.forget(ctx, now); err != nil {
		return err
	}
	s.watchDirs()
	return nil
}

// placeKnown reads on a known file (not open) found as k: from where it
// was read, or, if it was truncated or holds other content, from where it
// was cut or from its start.
func (s *sourceFollower) placeKnown(ctx context.Context, k found, now time.Time, atName bool) error {
	r := s.byID[k.id]
	r.name, r.seen, r.located = k.name, now, s.scanNo
	if r.skip != "" || r.unchanged(k.fi) {
		return nil // not a log; or nothing new
	}
	f, err := os.Open(k.name)
	if err != nil {
		return nil // gone meanwhile: the next scan sees
	}
	fi, err := f.Stat()
	if err != nil || identityOf(fi) != k.id {
		closeReadOnly(f)
		return nil
	}
	gz := isGzip(f)
	if r.legacy != "" {
		r.gz = gz // records of old runs did not say
	}
	// Other content under the inode (a file deleted, another created) is
	// an unknown file: maybe new, maybe a copy of content known.
	other := func() error {
		closeReadOnly(f)
		r.retired, r.located = true, 0
		delete(s.byID, k.id)
		return s.placeNew(ctx, found{k.name, fi, k.id}, now, atName)
	}
	if gz != r.gz {
		return other()
	}
	if gz && len(r.head) > 0 {
		raw, complete, err := readHead(f, true)
		if err != nil || relate(lineHead(raw, complete), r.head) == unrelated {
			return other()
		}
	}
	if gz {
		if r.done && fi.Size() == r.size {
			r.mod = fi.ModTime()
			closeReadOnly(f)
			return nil
		}
		if _, err := s.open(r, k.name, f, r.offset, atName); err != nil {
			s.f.Pipeline.stats.source(r.ref).setState(StateFailed, err.Error())
		}
		return nil
	}
	cur := fi.Size()
	at, cut, err := cutOf(f, r.head, r.size, r.offset, cur, nil)
	if err != nil {
		closeReadOnly(f)
		return nil
	}
	if cut && at == 0 {
		return other()
	}
	was := r.size
	r.size, r.mod = cur, fi.ModTime()
	t, err := s.open(r, k.name, f, r.offset, atName)
	if err != nil {
		s.f.Pipeline.stats.source(r.ref).setState(StateFailed, err.Error())
		return nil
	}
	if cut {
		t.lastSize = was // what was seen in it before
		return s.truncated(ctx, t, at, cur)
	}
	return nil
}

// placeNew starts reading an unknown file found as k: the rest of content
// already read when it is a copy or the compressed form of it, else the
// whole file (new content). A file whose first line is not complete yet,
// or that may be a copy still being written, is left for a later scan.
func (s *sourceFollower) placeNew(ctx context.Context, k found, now time.Time, atName bool) error {
	f, err := os.Open(k.name)
	if err != nil {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || identityOf(fi) != k.id {
		closeReadOnly(f)
		return nil
	}
	gz := isGzip(f)
	raw, complete, err := readHead(f, gz)
	if err != nil {
		closeReadOnly(f)
		r := s.newRecord(k.id, k.name, k.name)
		r.gz, r.skip = gz, err.Error()
		s.f.Pipeline.stats.source(k.name).setState(StateFailed, err.Error())
		return nil
	}
	h := lineHead(raw, complete)
	if len(h) == 0 {
		closeReadOnly(f)
		if gz && complete { // an empty compressed file
			r := s.newRecord(k.id, k.name, k.name)
			r.gz, r.done, r.size = true, true, fi.Size()
			return nil
		}
		s.put = s.put || gz || len(raw) > 0 // an empty file is nothing pending
		if atName && !gz {
			why := "no complete line yet"
			if len(raw) == 0 {
				why = "the file is empty"
			}
			s.f.Pipeline.stats.source(k.name).setState(StateWaiting, why)
		}
		return nil
	}
	// A copy, or the compressed form, of a file being read now: later,
	// when that is read (the head of what that file holds is compared,
	// not only of what was read of it).
	for _, t := range s.tracks {
		if relate(h, t.fileHead()) != unrelated {
			closeReadOnly(f)
			t.rec.seen, s.put = now, true
			return nil
		}
	}
	var best *record
	undecided := false
	for _, r := range s.recs {
		switch relate(h, r.head) {
		case continues:
			r.seen, r.located = now, s.scanNo
			if r.track != nil {
				undecided = true
			} else if best == nil || r.offset > best.offset {
				best = r
			}
		case prefix:
			r.seen, undecided = now, true
		}
	}
	if undecided {
		closeReadOnly(f)
		s.put = true
		return nil
	}
	// The record is saved before anything is read: whatever is stored of
	// the content afterwards, a restart recognises it by its head, under
	// any name, and gives its lines the same name again.
	var r *record
	at := int64(0)
	if best != nil {
		r = s.newRecord(k.id, best.ref, k.name)
		at = best.offset
		r.line = best.line
		if !gz && fi.Size() < at { // a copy made before the rest was read: at its end
			at, r.line = fi.Size(), 0
		}
		s.f.Log.Info("content already read found under another name: reading only its rest", "path", k.name, "of", best.ref, "from", at)
	} else {
		r = s.newRecord(k.id, k.name, k.name)
		if s.scanNo == 1 && s.f.FromEnd && atName && !gz {
			at = lastLineEnd(f, fi.Size())
		}
	}
	r.gz, r.head, r.offset, r.size, r.mod = gz, bytes.Clone(h), at, fi.Size(), fi.ModTime()
	if err := s.save(ctx, r, k.name); err != nil {
		closeReadOnly(f)
		return err
	}
	if _, err := s.open(r, k.name, f, at, atName); err != nil {
		s.f.Pipeline.stats.source(r.ref).setState(StateFailed, err.Error())
	}
	return nil
}

// catchUp looks, on start, for the content the last run was reading that
// none of the names holds any more: renamed beside its old name, or copied
// or compressed there by a rotation while mamori was stopped. What is
// found is read from where the last run stopped; what is not, with lines
// known to be unread, is reported lost.
func (s *sourceFollower) catchUp(ctx context.Context, now time.Time) error {
	dirs := map[string][]found{}
	filesIn := func(dir string) []found {
		if fs, ok := dirs[dir]; ok {
			return fs
		}
		ents, _ := os.ReadDir(dir)
		var fs []found
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			fi, err := os.Stat(p)
			if err == nil && fi.Mode().IsRegular() {
				fs = append(fs, found{p, fi, identityOf(fi)})
			}
		}
		dirs[dir] = fs
		return fs
	}
	for _, r := range slices.Clone(s.recs) {
		if r.located == s.scanNo || r.located < 0 || r.track != nil || r.skip != "" || r.done || r.offset == 0 {
			continue
		}
		var renamed, other *found
		for _, c := range filesIn(filepath.Dir(r.name)) {
			switch {
			case c.id == r.id && !r.retired:
				renamed = &c
			case !s.placed(c.id) && other == nil && !c.fi.ModTime().Before(r.updated.Add(-time.Minute)):
				if relate(headOfFile(c.name), r.head) == continues {
					other = &c
				}
			}
			if renamed != nil {
				break
			}
		}
		var err error
		switch {
		case renamed != nil:
			s.f.Log.Info("file renamed while stopped: reading its rest", "path", renamed.name, "of", r.ref, "from", r.offset)
			err = s.placeKnown(ctx, *renamed, now, false)
		case other != nil:
			err = s.placeNew(ctx, *other, now, false)
		case r.size > r.offset || r.name == r.ref:
			// Known unread, or the file that was being written: what it
			// got after the last run cannot be read.
			s.f.Log.Warn("rotated file not found: its unread rest is lost", "path", r.name, "of", r.ref, "read", r.offset, "size", r.size)
			ss := s.f.Pipeline.stats.source(r.ref)
			ss.mu.Lock()
			ss.s.Notes = addCount(ss.s.Notes, "rotated file not found (its unread rest is lost)")
			ss.mu.Unlock()
		default:
			s.f.Log.Info("file read to its end is gone", "path", r.name, "of", r.ref)
		}
		if err != nil {
			return err
		}
		if renamed == nil && other == nil { // looked for once: the next start does not again
			r.done = true
			if err := s.save(ctx, r, r.name); err != nil {
				return err
			}
		}
	}
	return nil
}

// placed says whether the file id holds content already found this scan
// (or is being read): a known identity alone says nothing, inodes are
// reused.
func (s *sourceFollower) placed(id fileIdentity) bool {
	r := s.byID[id]
	return r != nil && (r.located == s.scanNo || r.track != nil)
}

// headOfFile is the head of the content of the file at path, or nil.
func headOfFile(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer closeReadOnly(f)
	raw, complete, err := readHead(f, isGzip(f))
	if err != nil {
		return nil
	}
	return lineHead(raw, complete)
}

// forget drops the records of content not found for forgetAfter.
func (s *sourceFollower) forget(ctx context.Context, now time.Time) error {
	var names []string
	keep := s.recs[:0]
	for _, r := range s.recs {
		if r.track == nil && now.Sub(r.seen) > forgetAfter {
			names = append(names, r.key)
			if r.legacy != "" {
				names = append(names, r.legacy)
			}
			if s.byID[r.id] == r {
				delete(s.byID, r.id)
			}
			continue
		}
		keep = append(keep, r)
	}
	clear(s.recs[len(keep):])
	s.recs = keep
	if len(names) == 0 {
		return nil
	}
	s.f.Log.Info("forgetting files not seen for a while", "source", s.pattern, "records", len(names))
	return s.f.Pipeline.Send(ctx, Batch{Forget: names})
}

// watchDirs watches the source's directory and those of its open files.
func (s *sourceFollower) watchDirs() {
	want := map[string]bool{}
	if dir := filepath.Dir(s.pattern); !isGlob(dir) {
		want[dir] = true
	}
	for _, t := range s.tracks {
		want[filepath.Dir(t.name)] = true
	}
	for d := range want {
		if !s.dirs[d] {
			s.f.watch.subscribe(d, s.wake)
			s.dirs[d] = true
		}
	}
	for d := range s.dirs {
		if !want[d] {
			s.f.watch.unsubscribe(d, s.wake)
			delete(s.dirs, d)
		}
	}
}
