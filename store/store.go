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
	// Retention is how much history is kept: events older than this
	// before the newest event are pruned (see Prune); zero means
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

	// gate keeps Close from pulling the database out from under a read or
	// write in flight (a console query still running when the user quits):
	// they hold it shared, Close exclusively; after Close they get
	// ErrClosed instead of touching unmapped memory.
	gate   sync.RWMutex
	closed bool
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
	return s.db.Update(fn)
}

// ErrDiskFull is returned (wrapped) when a write fails for lack of space.
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
	if !opts.ReadOnly {
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return nil, fmt.Errorf("store: create %s: %w", abs, err)
		}
	} else if _, err := os.Stat(filepath.Join(abs, "MANIFEST")); err != nil {
		return nil, fmt.Errorf("store: no mamori store in %s", abs)
	}
	bo := badger.DefaultOptions(abs).
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
	db, err := badger.Open(bo)
	if err != nil {
		return nil, openError(abs, err)
	}
	s := &Store{db: db, dir: abs, opts: opts}
	if !opts.ReadOnly {
		if s.audit, err = openAuditLog(db); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("store: open audit log in %s: %w", abs, err)
		}
	}
	return s, nil
}

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
	s.gate.Lock()
	defer s.gate.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
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

// Maintain prunes events beyond the retention period and runs value-log
// garbage collection until there is nothing to collect or ctx ends; call
// it now and then from a long-running process.
func (s *Store) Maintain(ctx context.Context) {
	if s.opts.ReadOnly {
		return
	}
	if _, err := s.Prune(ctx); err != nil {
		badgerLogger{s.opts.Logger}.Warningf("pruning old events: %v", err)
	}
	for ctx.Err() == nil {
		s.gate.RLock()
		err := ErrClosed
		if !s.closed {
			err = s.db.RunValueLogGC(0.5)
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
