package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"golang.org/x/sync/errgroup"

	"github.com/mamori-soc/mamori/store"
)

// FollowSource is one configured source: a path or a glob, and how to read
// it.
type FollowSource struct {
	Pattern string
	Options Options
}

// FollowOffsets is the part of the store a Follower keeps its place in.
type FollowOffsets interface {
	Offsets
	Offsets() ([]store.Offset, error)
}

// Follower follows log files as they grow, across rotation, truncation,
// deletion and re-creation, and remembers in the store how far it read each
// one so that a restart (even after kill -9) neither loses nor duplicates a
// line.
//
// Why not a tail library: following by name is easy; knowing, for every
// line, which file it came from and where, is what makes restarts exact.
//
// A source's path or glob only names files; what the follower reads is a
// file's content, known by the file's identity (device and inode) and by
// its first bytes (its head). A file renamed by a rotation is the same
// content under a new name: it is read on from where it was, never again
// from the start, and its events keep the name it was first read under
// (event.Ref.File), so that reading it again after a crash lands on the
// same event keys. A copy (copytruncate) or a compressed form (.gz) of
// content already read is recognised by its head and only its unread rest
// is read. After a rename the old file is read until its writer has been
// silent for RotateWait; after a truncation the file is read on from
// where it was cut, never from the middle of a line; a file deleted and
// re-created is picked up when it reappears. On start, the content the
// last run was reading is looked for beside its old name (renamed or
// compressed while mamori was stopped) and its unread rest read first.
type Follower struct {
	Pipeline *Pipeline
	Offsets  FollowOffsets
	Log      *slog.Logger
	// RotateWait is how long a rotated-away file must stay silent before
	// the follower stops reading it; zero means 1s.
	RotateWait time.Duration
	// Poll is the interval at which files are checked even without a
	// change notification; zero means 250ms.
	Poll time.Duration
	// Rescan is how often globs are expanded again without a change
	// notification; zero means 2s.
	Rescan time.Duration
	// FromEnd starts files never seen before that are there when Run
	// begins at their end instead of their beginning (files that appear
	// later are read from their beginning: they are new lines).
	FromEnd bool

	watch *dirWatch

	initOnce sync.Once
	initial  sync.WaitGroup // the sources, until their files present at the start are read
	caught   chan struct{}

	// For tests to wait on: passes counts passes over a source's files;
	// settled is when (unix ns) the last scan began after which a pass
	// found nothing pending: no file waiting to be recognised as a copy,
	// none rotated away still being read, no compressed file being read.
	passes  atomic.Int64
	settled atomic.Int64
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
	srcs := make([]*sourceFollower, len(sources))
	for i, src := range sources {
		pattern, err := filepath.Abs(src.Pattern)
		if err != nil {
			return fmt.Errorf("source %s: %w", src.Pattern, err)
		}
		if _, err := filepath.Match(pattern, ""); err != nil {
			return fmt.Errorf("source %s: %w", src.Pattern, err)
		}
		srcs[i] = &sourceFollower{f: f, opt: src.Options, pattern: pattern, glob: isGlob(src.Pattern)}
	}
	var saved []store.Offset
	if f.Offsets != nil {
		var err error
		if saved, err = f.Offsets.Offsets(); err != nil {
			return fmt.Errorf("follow: %w", err)
		}
	}
	w, err := newDirWatch(f.Log)
	if err != nil {
		f.Log.Warn("file notifications unavailable; polling", "err", err)
	}
	f.watch = w
	defer f.watch.close()

	g, ctx := errgroup.WithContext(ctx)
	for _, s := range srcs {
		s.load(saved)
		f.initial.Add(1)
		caughtUp := onceDone(&f.initial)
		g.Go(func() error { return s.run(ctx, caughtUp) })
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

// fileIdentity is a file's device and inode.
type fileIdentity struct{ dev, ino uint64 }

func identityOf(fi os.FileInfo) fileIdentity {
	d, i := fileID(fi)
	return fileIdentity{d, i}
}

// deleted says whether the file has no name left (it is only open).
func deleted(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}

func addCount(m map[string]int64, k string) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	m[k]++
	return m
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

// subscribe makes changes in dir wake c (a channel of capacity 1).
func (d *dirWatch) subscribe(dir string, c chan struct{}) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.subs[dir]) == 0 {
		if err := d.w.Add(dir); err != nil {
			d.log.Debug("cannot watch directory; polling", "dir", dir, "err", err)
		}
	}
	d.subs[dir] = append(d.subs[dir], c)
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

// contextErr is the error a follower stops with: nil when ctx ended.
func contextErr(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return nil
	}
	return err
}

// readAt reads up to n bytes of f at off.
func readAt(f *os.File, off int64, n int) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	b := make([]byte, n)
	m, err := f.ReadAt(b, off)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return b[:m], err
}
