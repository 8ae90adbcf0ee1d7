package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"golang.org/x/sync/errgroup"

	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/store"
)

// FollowSource is one configured source: a path or a glob, and how to read
// it.
type FollowSource struct {
	Pattern string
	Options Options
}

// Follower follows log files as they grow, across rotation, truncation,
// deletion and re-creation, and remembers in the store how far it read each
// one so that a restart (even after kill -9) neither loses nor duplicates a
// line.
//
// Why not a tail library: following by name is easy; knowing, for every
// line, which file it came from and where, is what makes restarts exact.
// This follower holds the file open itself, so it always knows the
// identity (device and inode) of what it reads: after a rename-rotation it
// keeps reading the old file until the writer has moved on (RotateWait of
// silence), then opens the new one from the start; after a copytruncate it
// starts again at zero; a file deleted and re-created is picked up when it
// reappears.
type Follower struct {
	Pipeline *Pipeline
	Offsets  Offsets
	Log      *slog.Logger
	// RotateWait is how long a rotated-away file must stay silent before
	// the follower moves on to the new file; zero means 1s.
	RotateWait time.Duration
	// Poll is the interval at which files are checked even without a
	// change notification; zero means 250ms.
	Poll time.Duration
	// Rescan is how often globs are expanded again; zero means 2s.
	Rescan time.Duration
	// FromEnd starts files never seen before at their end instead of their
	// beginning.
	FromEnd bool

	watch *dirWatch

	initOnce sync.Once
	initial  sync.WaitGroup // the files present at the start, until read to their end
	caught   chan struct{}
}

func (f *Follower) init() { f.caught = make(chan struct{}) }

// CaughtUp is closed once every file present when Run began has been read
// to its end (or found empty, missing or unreadable), and all of it handed
// to the pipeline. Live detection waits for it so that the history is
// replayed in time order before new lines arrive one by one.
func (f *Follower) CaughtUp() <-chan struct{} {
	f.initOnce.Do(f.init)
	return f.caught
}

// onceDone wraps wg.Done so that calling it more than once is harmless.
func onceDone(wg *sync.WaitGroup) func() {
	var once sync.Once
	return func() { once.Do(wg.Done) }
}

func (f *Follower) defaults() {
	if f.RotateWait <= 0 {
		f.RotateWait = time.Second
	}
	if f.Poll <= 0 {
		f.Poll = 250 * time.Millisecond
	}
	if f.Rescan <= 0 {
		f.Rescan = 2 * time.Second
	}
	if f.Log == nil {
		f.Log = slog.New(slog.DiscardHandler)
	}
}

// Run follows every source until ctx ends. It returns nil on cancellation;
// a file that cannot be read is reported in its stats and retried, never
// fatal. A Follower runs once.
func (f *Follower) Run(ctx context.Context, sources []FollowSource) error {
	f.defaults()
	f.initOnce.Do(f.init)
	w, err := newDirWatch(f.Log)
	if err != nil {
		f.Log.Warn("file notifications unavailable; polling", "err", err)
	}
	f.watch = w
	defer f.watch.close()

	paths := make([]string, len(sources))
	for i, src := range sources {
		if paths[i], err = filepath.Abs(src.Pattern); err != nil {
			return fmt.Errorf("source %s: %w", src.Pattern, err)
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	for i, src := range sources {
		f.initial.Add(1)
		caughtUp := onceDone(&f.initial)
		if isGlob(src.Pattern) {
			g.Go(func() error { return f.runGlob(ctx, g, src, caughtUp) })
			continue
		}
		g.Go(func() error { return f.followFile(ctx, paths[i], src.Options, caughtUp) })
	}
	go func() {
		f.initial.Wait()
		close(f.caught)
	}()
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func isGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// runGlob starts a follower for every file matching the pattern, now and as
// they appear. Compressed matches are imported once (rotated archives).
// caughtUp is called once the files of the first expansion are.
func (f *Follower) runGlob(ctx context.Context, g *errgroup.Group, src FollowSource, caughtUp func()) error {
	defer caughtUp()
	pattern, err := filepath.Abs(src.Pattern)
	if err != nil {
		return err
	}
	started := map[string]bool{}
	first := true
	t := time.NewTicker(f.Rescan)
	defer t.Stop()
	for {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return fmt.Errorf("source %s: %w", src.Pattern, err)
		}
		for _, m := range matches {
			if started[m] {
				continue
			}
			if fi, err := os.Stat(m); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			started[m] = true
			done := func() {}
			if first {
				f.initial.Add(1)
				done = onceDone(&f.initial)
			}
			if strings.HasSuffix(m, ".gz") {
				g.Go(func() error {
					defer done()
					var prog progressTracker
					opt := ImportOptions{Options: src.Options, Resume: true}
					return ignoreCanceled(importFile(ctx, f.Pipeline, f.Offsets, m, &opt, &prog))
				})
				continue
			}
			g.Go(func() error { return f.followFile(ctx, m, src.Options, done) })
		}
		if first {
			first = false
			caughtUp()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// fileIdentity is a file's device and inode.
type fileIdentity struct{ dev, ino uint64 }

func identityOf(fi os.FileInfo) fileIdentity {
	d, i := fileID(fi)
	return fileIdentity{d, i}
}

// tailed is the file a follower currently reads.
type tailed struct {
	path string // the configured path (Ref.File of its events)
	f    *os.File
	id   fileIdentity
	br   *bufio.Reader
	lr   *lineReader
	fd   *fileDecoder
	// rotatedAt is when the path was seen to name another file; zero while
	// the file is still the one at the path.
	rotatedAt time.Time
	lastGrow  time.Time
}

// followFile follows one path until ctx ends. caughtUp is called once the
// file has been read to its end for the first time, or as soon as the
// follower has to wait for it.
func (f *Follower) followFile(ctx context.Context, path string, opt Options, caughtUp func()) error {
	defer caughtUp()
	ss := f.Pipeline.stats.source(path)
	wake := f.watch.subscribe(filepath.Dir(path))
	defer f.watch.unsubscribe(filepath.Dir(path), wake)
	poll := time.NewTicker(f.Poll)
	defer poll.Stop()
	wait := func() bool {
		caughtUp()
		select {
		case <-ctx.Done():
			return false
		case <-wake:
		case <-poll.C:
		}
		return true
	}

	// Work out the format from the first lines, waiting for the file to
	// exist and to have a line.
	var format parse.Format
	for {
		var err error
		format, err = opt.format(path)
		if err == nil {
			break
		}
		var se *SkipError
		switch {
		case errors.As(err, &se):
			ss.setState(StateSkipped, se.Reason)
			return nil
		case errors.Is(err, os.ErrNotExist):
			ss.setState(StateWaiting, "the file does not exist (yet)")
		case errors.Is(err, ErrEmpty):
			ss.setState(StateWaiting, "the file is empty")
		default:
			ss.setState(StateWaiting, err.Error())
		}
		if !wait() {
			return nil
		}
	}
	ss.setFormat(format.Name)

	t, err := f.resume(ctx, path, opt, format, ss, caughtUp)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		ss.setState(StateFailed, err.Error())
		f.Log.Error("following", "path", path, "err", err)
		return nil
	}
	defer func() {
		if t != nil && t.f != nil {
			closeReadOnly(t.f)
		}
	}()
	for {
		if err := f.readAvailable(ctx, t, ss); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			ss.setState(StateFailed, err.Error())
			f.Log.Error("reading", "path", path, "err", err)
			// Try to recover by reopening from the saved offset.
			closeReadOnly(t.f)
			t.f = nil
			if !wait() {
				return nil
			}
			if t, err = f.resume(ctx, path, opt, format, ss, caughtUp); err != nil {
				continue
			}
		}
		if err := f.checkRotation(t, opt, format, ss); err != nil {
			f.Log.Warn("checking rotation", "path", path, "err", err)
		}
		if !wait() {
			return nil
		}
	}
}

// resume opens path where the last run left it. If the file at path is no
// longer the one the saved offset belongs to, the old file is looked for
// beside it (a rotation while mamori was stopped) and its rest read first.
// waiting is called before it waits for the file to reappear.
func (f *Follower) resume(ctx context.Context, path string, opt Options, format parse.Format, ss *sourceStats, waiting func()) (*tailed, error) {
	var saved store.Offset
	var have bool
	if f.Offsets != nil {
		var err error
		if saved, have, err = f.Offsets.Offset(path); err != nil {
			return nil, err
		}
	}
	for {
		fh, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			ss.setState(StateWaiting, "the file does not exist (yet)")
			waiting()
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(f.Poll):
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		fi, err := fh.Stat()
		if err != nil {
			closeReadOnly(fh)
			return nil, err
		}
		id := identityOf(fi)
		start := int64(0)
		switch {
		case have && saved.Dev == id.dev && saved.Inode == id.ino && fi.Size() >= saved.Offset:
			start = saved.Offset
		case have && (saved.Dev != id.dev || saved.Inode != id.ino):
			if err := f.catchUpRotated(ctx, path, saved, opt, format, ss); err != nil {
				f.Log.Warn("reading the rest of a file rotated while stopped", "path", path, "err", err)
			}
		case !have && f.FromEnd:
			start = fi.Size()
		}
		t := &tailed{path: path, f: fh, id: id, lastGrow: time.Now()}
		if err := f.startAt(t, start, opt, format); err != nil {
			closeReadOnly(fh)
			return nil, err
		}
		return t, nil
	}
}

// startAt positions t at offset with a fresh decoder.
func (f *Follower) startAt(t *tailed, offset int64, opt Options, format parse.Format) error {
	if _, err := t.f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	src := parse.Source{Path: t.path, ModTime: time.Now(), Year: opt.Year, Location: opt.Location, Live: true}
	dec := format.New(src)
	if offset > 0 {
		if err := replayHeader(t.path, dec, opt.MaxLine); err != nil {
			return err
		}
	}
	t.fd = newFileDecoder(t.path, dec, &opt)
	t.fd.t.offset = offset
	t.br = bufio.NewReaderSize(t.f, 256<<10)
	t.lr = newLineReader(t.br, offset, opt.MaxLine, false)
	return nil
}

// readAvailable reads every complete line there is and sends the events.
func (f *Follower) readAvailable(ctx context.Context, t *tailed, ss *sourceStats) error {
	ss.setState(StateReading, "")
	read := false
	for {
		l, err := t.lr.next()
		if errors.Is(err, io.EOF) || errors.Is(err, errPartial) {
			if errors.Is(err, errPartial) {
				// Re-read the partial line from its start next time.
				if _, err := t.f.Seek(l.offset, io.SeekStart); err != nil {
					return err
				}
				t.br.Reset(t.f)
			}
			break
		}
		if err != nil {
			return err
		}
		read = true
		if err := t.fd.add(l); err != nil {
			var stop *errStopFile
			if errors.As(err, &stop) {
				ss.setState(StateSkipped, stop.reason)
				return f.send(ctx, t, ss)
			}
		}
		if t.fd.full() {
			if err := f.send(ctx, t, ss); err != nil {
				return err
			}
		}
	}
	if read {
		t.lastGrow = time.Now()
	}
	if err := f.send(ctx, t, ss); err != nil {
		return err
	}
	ss.setState(StateFollowing, "")
	return nil
}

// send hands what the decoder collected to the pipeline with a checkpoint.
func (f *Follower) send(ctx context.Context, t *tailed, ss *sourceStats) error {
	if len(t.fd.events) == 0 && t.fd.t.lines == 0 {
		return nil
	}
	if fi, err := t.f.Stat(); err == nil {
		t.fd.t.size = fi.Size()
	}
	evs, tl := t.fd.take()
	off := &store.Offset{Path: t.path, Dev: t.id.dev, Inode: t.id.ino, Offset: tl.offset, Size: tl.size, Updated: time.Now()}
	return f.Pipeline.Send(ctx, Batch{Events: evs, Offset: off, stats: ss, tally: tl})
}

// checkRotation notices when the path names another file (rotation by
// rename, or deletion and re-creation) or when the file shrank
// (copytruncate), and acts on it.
func (f *Follower) checkRotation(t *tailed, opt Options, format parse.Format, ss *sourceStats) error {
	cur, err := t.f.Stat()
	if err != nil {
		return err
	}
	if cur.Size() < t.lr.off {
		// Truncated in place: start again at the top.
		f.Log.Info("file truncated; reading from the start", "path", t.path)
		ss.mu.Lock()
		ss.s.Notes = addCount(ss.s.Notes, "file truncated (copytruncate)")
		ss.mu.Unlock()
		return f.startAt(t, 0, opt, format)
	}
	fi, err := os.Stat(t.path)
	if errors.Is(err, os.ErrNotExist) {
		if t.rotatedAt.IsZero() {
			t.rotatedAt = time.Now()
		}
		return nil // keep reading the old file; wait for a new one
	}
	if err != nil {
		return err
	}
	if identityOf(fi) == t.id {
		t.rotatedAt = time.Time{}
		return nil
	}
	if t.rotatedAt.IsZero() {
		t.rotatedAt = time.Now()
	}
	// The writer may still append to the old file for a moment: move on
	// only when it has been silent for RotateWait since the rotation.
	if time.Since(t.rotatedAt) < f.RotateWait || time.Since(t.lastGrow) < f.RotateWait {
		return nil
	}
	nf, err := os.Open(t.path)
	if err != nil {
		return nil // vanished again; retry next time
	}
	nfi, err := nf.Stat()
	if err != nil {
		closeReadOnly(nf)
		return err
	}
	f.Log.Info("file rotated; following the new file", "path", t.path)
	closeReadOnly(t.f)
	t.f, t.id, t.rotatedAt, t.lastGrow = nf, identityOf(nfi), time.Time{}, time.Now()
	return f.startAt(t, 0, opt, format)
}

func addCount(m map[string]int64, k string) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	m[k]++
	return m
}

// catchUpRotated reads, from the saved offset to its end, the file that the
// path named when mamori last ran, if it can still be found beside the path
// under another name.
func (f *Follower) catchUpRotated(ctx context.Context, path string, saved store.Offset, opt Options, format parse.Format, ss *sourceStats) error {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		old := filepath.Join(dir, e.Name())
		fi, err := os.Stat(old)
		if err != nil {
			continue
		}
		if id := identityOf(fi); id.dev != saved.Dev || id.ino != saved.Inode || fi.Size() < saved.Offset {
			continue
		}
		fh, err := os.Open(old)
		if err != nil {
			return err
		}
		defer closeReadOnly(fh)
		t := &tailed{path: path, f: fh, id: identityOf(fi)}
		if err := f.startAt(t, saved.Offset, opt, format); err != nil {
			return err
		}
		t.lr.noTail = true
		f.Log.Info("reading the rest of a file rotated while stopped", "path", path, "rotated", old, "from", saved.Offset)
		return f.readAvailable(ctx, t, ss)
	}
	return nil
}

// dirWatch fans file-system notifications out to the followers of each
// directory: one inotify instance for all of them. A nil *dirWatch works
// and never wakes anyone (the followers poll).
type dirWatch struct {
	w    *fsnotify.Watcher
	log  *slog.Logger
	mu   sync.Mutex
	subs map[string][]chan struct{}
	done chan struct{}
}

func newDirWatch(log *slog.Logger) (*dirWatch, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	d := &dirWatch{w: w, log: log, subs: map[string][]chan struct{}{}, done: make(chan struct{})}
	go d.loop()
	return d, nil
}

func (d *dirWatch) loop() {
	defer close(d.done)
	for {
		select {
		case ev, ok := <-d.w.Events:
			if !ok {
				return
			}
			d.mu.Lock()
			for _, c := range d.subs[filepath.Dir(ev.Name)] {
				select {
				case c <- struct{}{}:
				default:
				}
			}
			d.mu.Unlock()
		case err, ok := <-d.w.Errors:
			if !ok {
				return
			}
			d.log.Warn("file notifications", "err", err)
		}
	}
}

func (d *dirWatch) subscribe(dir string) chan struct{} {
	c := make(chan struct{}, 1)
	if d == nil {
		return c
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.subs[dir]) == 0 {
		if err := d.w.Add(dir); err != nil {
			d.log.Debug("cannot watch directory; polling", "dir", dir, "err", err)
		}
	}
	d.subs[dir] = append(d.subs[dir], c)
	return c
}

func (d *dirWatch) unsubscribe(dir string, c chan struct{}) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	subs := d.subs[dir]
	for i, s := range subs {
		if s == c {
			d.subs[dir] = append(subs[:i:i], subs[i+1:]...)
			break
		}
	}
	if len(d.subs[dir]) == 0 {
		delete(d.subs, dir)
		_ = d.w.Remove(dir)
	}
}

func (d *dirWatch) close() {
	if d == nil {
		return
	}
	_ = d.w.Close()
	<-d.done
}
