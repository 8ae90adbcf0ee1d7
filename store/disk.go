package store

import "fmt"

// Badger writes through memory-mapped files (the value log, the memtables'
// write-ahead logs, new tables): on a full disk a write does not fail, the
// process dies of SIGBUS. So the store keeps a reserve of free space and
// refuses writes before the disk is full, checking the filesystem (statfs)
// before each write.
const (
	// minReserve is the smallest default reserve: room for what Badger
	// may write on its own after the last checked write (a memtable
	// flushed to a table, a compaction's new tables before the old ones
	// go, the next value-log file).
	minReserve = 256 << 20
	// reservePercent is the default reserve's share of the filesystem.
	reservePercent = 2
)

// defaultReserve is max(256 MiB, 2 % of a filesystem of total bytes).
func defaultReserve(total int64) int64 {
	return max(minReserve, total/100*reservePercent)
}

// diskFullError says how much space is left, and how much the store keeps.
type diskFullError struct {
	free, need, keep, reserve int64
}

func (e *diskFullError) Error() string {
	kept := "the " + mib(e.keep) + " kept in reserve"
	if e.keep < e.reserve {
		kept = "the " + mib(e.keep) + " needed to write anything (a quarter of the " + mib(e.reserve) + " reserve)"
	}
	if e.free >= e.keep {
		return fmt.Sprintf("%v: %s free where the store is, and writing %s more would leave less than %s; free some space",
			ErrDiskFull, mib(e.free), mib(e.need), kept)
	}
	return fmt.Sprintf("%v: %s free where the store is, less than %s; free some space", ErrDiskFull, mib(max(e.free, 0)), kept)
}

func (e *diskFullError) Unwrap() error { return ErrDiskFull }

// mib writes a size in MiB, with a decimal below 100 MiB.
func mib(n int64) string {
	if n < 100<<20 && n%(1<<20) != 0 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// checkSpace returns an error wrapping ErrDiskFull when writing about need
// bytes would leave less than keep free on the store's filesystem. When
// the space cannot be measured the write goes ahead (a write error is
// still mapped to ErrDiskFull).
func (s *Store) checkSpace(need, keep int64) error {
	if keep <= 0 {
		return nil
	}
	free, _, err := diskSpace(s.dir)
	if err != nil {
		return nil // unmeasurable: let the write try
	}
	if free-need < keep {
		return fmt.Errorf("store %s: %w", s.dir, &diskFullError{free: free, need: need, keep: keep, reserve: s.reserve})
	}
	return nil
}

// floor is the free space below which even small writes (alerts, offsets,
// the audit log, deleting) and opening for writing stop: a quarter of the
// reserve, which event writes leave untouched.
func (s *Store) floor() int64 { return s.reserve / 4 }
