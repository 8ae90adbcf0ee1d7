// Package store keeps events, alerts, incidents, baselines, source offsets
// and the audit log in an embedded Badger database. See keys.go for the key
// layout.
//
// Each record family has one writer; everyone else asks that writer and
// nobody reconciles after the fact:
//
//	events, endpoint summaries, offsets  the ingest pipeline (ingest.Pipeline)
//	alerts, baselines, engine state      the detection engine (detect.Engine),
//	                                     acknowledgements included
//	incidents (and which alerts each     incident handling (incident.Manager);
//	holds, checklist, findings)          an alert's Incident is filled in
//	                                     from them when alerts are shown
//	audit records                        the audit log (audit.Log)
//	allow-list entries                   the application (app.Console.Allow)
//	metadata (office zone)               the application (app.Open)
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// DefaultRetention is how long events are kept: the rescue-team report asks
// for at least three to six months of logs.
const DefaultRetention = 180 * 24 * time.Hour

// Options tune a store.
type Options struct {
	// Retention is how much history is kept: an event is pruned once it
	// is older than this by the wall clock and its day's events were last
	// stored longer than this ago (see Prune); zero means
	// DefaultRetention, a negative value keeps events forever.
	Retention time.Duration
	// ReadOnly opens the store for reading only; several read-only
	// processes may share a store, but not with a writer.
	ReadOnly bool
	// IsInternal reports whether an address is one of the organisation's
	// own. An event is indexed under its endpoint and, when the other side
	// is internal too, under that side as well, so both timelines show it.
	IsInternal func(netip.Addr) bool
	// Logger receives Badger's own messages (never the terminal). Nil
	// discards them.
	Logger *slog.Logger
	// CacheMB bounds Badger's block and index caches; zero means 48 MB.
	CacheMB int
	// SyncWrites makes every write durable before it returns (slower; a
	// crash of the process never loses acknowledged writes either way).
	SyncWrites bool
	// DiskReserve is the free space kept on the store's filesystem.
	// Badger writes through memory-mapped files and dies of SIGBUS on a
	// full disk, so the store stops first: events are not written below
	// the reserve (ErrDiskFull), other writes and opening for writing
	// stop below a quarter of it. Zero means max(256 MiB, 2 % of the
	// filesystem); a negative value keeps no reserve.
	DiskReserve int64
	// Now is the wall clock that retention is counted on; nil means
	// time.Now.
	Now func() time.Time
}

// Store is an open mamori store. Its methods are safe for concurrent use.
type Store struct {
	db    *badger.DB
	dir   string
	opts  Options
	audit *auditLog

	sizeMu sync.Mutex
	size   int64
	sizeAt time.Time

	reserve   int64 // free space kept, in bytes (0: none)
	recovered bool  // a read-only open replayed a crashed store's log first

	storedMu sync.Mutex
	stored   map[int32]int64 // day → when its events were last stored (unix seconds)

	index    *index // timeline postings not yet written (index.go)
	migrated int    // events converted from the older format by Open

	// gate keeps Close from pulling the database out from under a read or
	// write in flight (a console query still running when the user quits):
	// they hold it shared, Close exclusively; after Close they get
	// ErrClosed instead of touching unmapped memory.
	gate      sync.RWMutex
	closed    bool
	closeOnce sync.Once
}

// ErrClosed is returned by calls on a closed store.
var ErrClosed = errors.New("store is closed")

func (s *Store) view(fn func(*badger.Txn) error) error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return s.db.View(fn)
}

func (s *Store) sync() error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return s.db.Sync()
}

func (s *Store) update(fn func(*badger.Txn) error) error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.checkSpace(0, s.floor()); err != nil {
		return err
	}
	return s.db.Update(fn)
}

func (s *Store) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// ErrDiskFull is returned (wrapped) when a write fails or is refused for
// lack of space (see Options.DiskReserve).
var ErrDiskFull = errors.New("disk full")

// ErrReadOnly is returned by writes to a store opened read-only.
var ErrReadOnly = errors.New("store is open read-only")

// LockedError reports that another process holds the store.
type LockedError struct {
	Dir string
	PID int // 0 when unknown
}

func (e *LockedError) Error() string {
	who := "another mamori process"
	if e.PID > 0 {
		who = fmt.Sprintf("another mamori process (pid %d)", e.PID)
	}
	return fmt.Sprintf("the store %s is in use by %s; stop it, or give this one another --db directory", e.Dir, who)
}

// Open opens (creating if needed) the store in dir.
//
// Opened read-write, it makes the directory and its files private to the
// owner (a warning in the log says what it changed) and narrows the
// process's umask for good (see perm.go), and it refuses with ErrDiskFull
// when the disk is too full to write safely. Opened read-only, a store that
// was not closed cleanly (the process was killed) is first recovered: it
// is opened read-write just long enough for Badger to replay its log, when
// no other process holds it (Recovered then reports it).
func Open(dir string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if opts.Retention == 0 {
		opts.Retention = DefaultRetention
	}
	if opts.CacheMB <= 0 {
		opts.CacheMB = 48
	}
	warn := func(msg string, args ...any) {
		if opts.Logger != nil {
			opts.Logger.Warn(msg, append(args, "store", abs)...)
		}
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return nil, fmt.Errorf("store: create %s: %w", abs, err)
		}
		changed, err := secureDir(abs)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if len(changed) > 0 {
			warn("the store was readable by others; made it private to its owner", "changed", strings.Join(changed, ", "))
		}
	} else if _, err := os.Stat(filepath.Join(abs, "MANIFEST")); err != nil {
		return nil, fmt.Errorf("store: no mamori store in %s", abs)
	} else if mode, open := exposedDir(abs); open {
		warn(fmt.Sprintf("the store is readable by others (mode %04o): its files hold raw log lines; opening it read-write makes it private", mode))
	}
	s := &Store{dir: abs, opts: opts, index: newIndex()}
	if opts.DiskReserve > 0 {
		s.reserve = opts.DiskReserve
	} else if _, total, err := diskSpace(abs); err == nil && opts.DiskReserve == 0 {
		s.reserve = defaultReserve(total)
	}
	if !opts.ReadOnly {
		var full *diskFullError
		if err := s.checkSpace(0, s.floor()); errors.As(err, &full) {
			return nil, fmt.Errorf("store %s: cannot open it for writing (it can still be opened read-only): %w", abs, full)
		}
	}
	bo := badgerOptions(abs, opts)
	var db *badger.DB
	if opts.ReadOnly && hasMemtableLog(abs) {
		// Badger would refuse the read-only open, and its failed open
		// leaves its caches' goroutines running: recover first.
		db, err = s.recover(bo)
	} else {
		db, err = badger.Open(bo)
		if err != nil && opts.ReadOnly && truncateNeeded(err) {
			db, err = s.recover(bo)
		}
	}
	if err != nil {
		return nil, openError(abs, err)
	}
	s.db = db
	if err := s.checkFormat(); err != nil {
		_ = db.Close()
		var old *OldFormatError
		if errors.As(err, &old) { // names the store and what to do
			return nil, err
		}
		return nil, fmt.Errorf("store %s: %w", abs, err)
	}
	if err := s.loadJournal(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: read the timeline journal in %s: %w", abs, err)
	}
	if !opts.ReadOnly {
		if s.audit, err = openAuditLog(db); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("store: open audit log in %s: %w", abs, err)
		}
		if err := s.loadStored(); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("store: read the retention records in %s: %w", abs, err)
		}
		s.index.stop, s.index.done = make(chan struct{}), make(chan struct{})
		go s.runIndex()
	}
	return s, nil
}

// badgerOptions are the Badger options of a store in dir.
func badgerOptions(dir string, opts Options) badger.Options {
	return badger.DefaultOptions(dir).
		WithLogger(badgerLogger{opts.Logger}).
		WithReadOnly(opts.ReadOnly).
		WithSyncWrites(opts.SyncWrites).
		WithMetricsEnabled(false).
		// The LSM tree holds keys and small values only (event values are in
		// the value log), so compressing its blocks saves little disk and its
		// buffers cost a third of the heap during compactions (measured).
		WithCompression(options.None).
		// Memory: the console runs beside other services on a small box.
		// Memtables are the largest fixed cost (size × number); caches are
		// bounded; indexes and bloom filters live in the index cache rather
		// than all in memory.
		WithMemTableSize(16 << 20).
		WithNumMemtables(3).
		WithNumLevelZeroTables(4).
		WithNumLevelZeroTablesStall(12).
		WithBlockCacheSize(int64(opts.CacheMB) * 3 / 4 << 20).
		WithIndexCacheSize(int64(opts.CacheMB) / 4 << 20).
		// Value-log files are created at twice this size and memtable
		// logs at twice MemTableSize, then written through mmap: sparse
		// on the usual filesystems (ext4, xfs, btrfs, tmpfs), so space is
		// taken as they fill, which the reserve checks before each write
		// (DiskReserve); where files cannot be sparse (FAT on a USB disk)
		// the space is taken when the file is created, and a full disk
		// fails that with an error rather than a crash.
		WithValueLogFileSize(256 << 20).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		// Event values (a few hundred bytes) go to the value log and only
		// keys stay in the LSM tree: compactions then move keys, not log
		// lines, which keeps ingest fast as the store grows (measured: LSM
		// values fall to half the rate after a few million events). The
		// cost is disk: the value log is not compressed. Expired values are
		// reclaimed by Maintain (value-log GC).
		WithValueThreshold(64).
		WithDetectConflicts(false)
}

// truncateNeeded reports whether Badger refused a read-only open because
// the last writer did not close the store (killed, crashed, power cut):
// its write-ahead log must be replayed and truncated by a read-write open.
func truncateNeeded(err error) bool {
	return errors.Is(err, badger.ErrTruncateNeeded) || strings.Contains(err.Error(), badger.ErrTruncateNeeded.Error())
}

// hasMemtableLog reports whether the store in dir has a memtable log
// (*.mem): Badger removes them when it closes a store, so one is left by a
// writer that was killed or crashed (or that is running: recovering then
// fails with the lock error, as the read-only open would have).
func hasMemtableLog(dir string) bool {
	logs, err := filepath.Glob(filepath.Join(dir, "*.mem"))
	return err == nil && len(logs) > 0
}

// recover opens a store that was not closed cleanly read-write, which
// replays and truncates its log, closes it, and opens it read-only again.
// A process holding the store makes the read-write open fail with the
// lock error, and nothing is changed.
func (s *Store) recover(bo badger.Options) (*badger.DB, error) {
	var full *diskFullError
	if err := s.checkSpace(0, s.floor()); errors.As(err, &full) {
		return nil, fmt.Errorf("the store was not closed cleanly and must be recovered (opened for writing once) before it can be read, but: %w", full)
	}
	restrictUmask()
	db, err := badger.Open(bo.WithReadOnly(false))
	if err != nil {
		return nil, fmt.Errorf("the store was not closed cleanly; recovering it: %w", err)
	}
	if err := db.Close(); err != nil {
		return nil, fmt.Errorf("the store was not closed cleanly; recovering it: %w", err)
	}
	s.recovered = true
	if s.opts.Logger != nil {
		s.opts.Logger.Warn("the store was not closed cleanly (its writer was killed or crashed); recovered it (replayed its log) before opening it read-only", "store", s.dir)
	}
	return badger.Open(bo)
}

// Recovered reports whether opening the store read-only first had to
// recover it from a crash of its last writer.
func (s *Store) Recovered() bool { return s.recovered }

func openError(dir string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Cannot acquire directory lock"),
		strings.Contains(msg, "resource temporarily unavailable"):
		le := &LockedError{Dir: dir}
		if b, rerr := os.ReadFile(filepath.Join(dir, "LOCK")); rerr == nil {
			_, _ = fmt.Sscanf(strings.TrimSpace(string(b)), "%d", &le.PID)
		}
		return le
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("store: cannot open %s: %w (%w)", dir, ErrDiskFull, err)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("store: cannot open %s: permission denied", dir)
	}
	return fmt.Errorf("store: cannot open %s: %w", dir, err)
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// ReadOnly reports whether the store was opened read-only.
func (s *Store) ReadOnly() bool { return s.opts.ReadOnly }

// Close flushes and closes the store.
func (s *Store) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		if s.index.stop != nil { // write the timeline postings held in memory
			close(s.index.stop)
			<-s.index.done
			errs = append(errs, s.flushIndex())
		}
	})
	s.gate.Lock()
	defer s.gate.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.audit != nil {
		errs = append(errs, s.audit.close())
	}
	errs = append(errs, s.db.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close %s: %w", s.dir, err)
	}
	return nil
}

// Size returns the disk space the store's files use. Badger's own
// figure is refreshed only once a minute, so the files are measured, at
// most every few seconds.
func (s *Store) Size() int64 {
	s.sizeMu.Lock()
	defer s.sizeMu.Unlock()
	if time.Since(s.sizeAt) < 3*time.Second {
		return s.size
	}
	var total int64
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		// Badger preallocates its files; count the blocks in use.
		total += allocated(fi)
	}
	s.size, s.sizeAt = total, time.Now()
	return total
}

// Maintain prunes events beyond the retention period (never more than half
// of the store: a larger prune is logged and left to Prune with force) and
// runs value-log garbage collection until there is nothing to collect, the
// disk is too full to, or ctx ends; call it now and then from a
// long-running process.
func (s *Store) Maintain(ctx context.Context) {
	if s.opts.ReadOnly {
		return
	}
	if _, err := s.Prune(ctx, false); err != nil {
		badgerLogger{s.opts.Logger}.Warningf("pruning old events: %v", err)
	}
	for ctx.Err() == nil {
		s.gate.RLock()
		err := ErrClosed
		if !s.closed {
			// Collection copies a file's live values (at most half
			// of it: it picks files half garbage) before freeing it.
			if err = s.checkSpace(128<<20, s.floor()); err == nil {
				err = s.db.RunValueLogGC(0.5)
			}
		}
		s.gate.RUnlock()
		if err != nil {
			return
		}
	}
}

// writeErr gives a write error one clear meaning for the user.
func (s *Store) writeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "no space left on device") {
		return fmt.Errorf("store %s: %s: %w", s.dir, op, ErrDiskFull)
	}
	return fmt.Errorf("store %s: %s: %w", s.dir, op, err)
}

func (s *Store) checkWritable() error {
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	return nil
}

// badgerLogger sends Badger's messages to slog.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) log(level slog.Level, format string, args ...any) {
	if b.l == nil {
		return
	}
	b.l.Log(context.Background(), level, strings.TrimSpace(fmt.Sprintf(format, args...)), "component", "badger")
}

func (b badgerLogger) Errorf(f string, a ...any)   { b.log(slog.LevelError, f, a...) }
func (b badgerLogger) Warningf(f string, a ...any) { b.log(slog.LevelWarn, f, a...) }
func (b badgerLogger) Infof(f string, a ...any)    { b.log(slog.LevelDebug, f, a...) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.log(slog.LevelDebug-4, f, a...) }
