package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/store"
)

// logDir is a directory where a log is written and rotated the ways
// logrotate does it: access.log, then access.log.1, access.log.2.gz, or
// access.log-2026112N with dateext.
type logDir struct {
	t    *testing.T
	dir  string
	base string // dir/access.log
	n    int    // lines written so far: testLine(0..n-1)
	seq  int    // dateext names given so far
}

func newLogDir(t *testing.T, dir string) *logDir {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &logDir{t: t, dir: dir, base: filepath.Join(dir, "access.log")}
}

// write appends k whole lines to access.log (creating it).
func (d *logDir) write(k int) {
	d.t.Helper()
	d.writeTo(d.base, k)
}

// writeTo appends k whole lines to path: late lines of a writer that still
// has a rotated file open.
func (d *logDir) writeTo(path string, k int) {
	d.t.Helper()
	appendLines(d.t, path, d.n, d.n+k)
	d.n += k
}

// rotated lists the numbered rotations (access.log.N, access.log.N.gz),
// highest first.
func (d *logDir) rotated() []string {
	ents, err := os.ReadDir(d.dir)
	if err != nil {
		d.t.Fatal(err)
	}
	num := regexp.MustCompile(`^access\.log\.(\d+)(\.gz)?$`)
	var names []string
	for _, e := range ents {
		if num.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	n := func(s string) int { v, _ := strconv.Atoi(num.FindStringSubmatch(s)[1]); return v }
	sort.Slice(names, func(i, j int) bool { return n(names[i]) > n(names[j]) })
	return names
}

// shift renames access.log.N to access.log.N+1, highest first.
func (d *logDir) shift() {
	d.t.Helper()
	num := regexp.MustCompile(`^access\.log\.(\d+)(\.gz)?$`)
	for _, name := range d.rotated() {
		m := num.FindStringSubmatch(name)
		v, _ := strconv.Atoi(m[1])
		if err := os.Rename(filepath.Join(d.dir, name), filepath.Join(d.dir, fmt.Sprintf("access.log.%d%s", v+1, m[2]))); err != nil {
			d.t.Fatal(err)
		}
	}
}

// rename rotates by renaming: access.log becomes access.log.1; the next
// write creates a new access.log.
func (d *logDir) rename() {
	d.t.Helper()
	d.shift()
	if err := os.Rename(d.base, d.base+".1"); err != nil {
		d.t.Fatal(err)
	}
}

// copytruncate copies access.log to access.log.1 and truncates it.
func (d *logDir) copytruncate() {
	d.t.Helper()
	d.shift()
	b, err := os.ReadFile(d.base)
	if err != nil {
		d.t.Fatal(err)
	}
	if err := os.WriteFile(d.base+".1", b, 0o644); err != nil {
		d.t.Fatal(err)
	}
	if err := os.Truncate(d.base, 0); err != nil {
		d.t.Fatal(err)
	}
}

// dateext renames access.log to access.log-2026112N.
func (d *logDir) dateext() string {
	d.t.Helper()
	d.seq++
	name := fmt.Sprintf("%s-202611%02d", d.base, d.seq)
	if err := os.Rename(d.base, name); err != nil {
		d.t.Fatal(err)
	}
	return name
}

// gzip compresses path to path.gz as gzip(1) does: the compressed file
// is written in pieces beside the original, which is removed after.
func (d *logDir) gzip(path string) {
	d.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		d.t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write(b)
	_ = zw.Close()
	f, err := os.OpenFile(path+".gz", os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	half := z.Len() / 2
	if _, err := f.Write(z.Bytes()[:half]); err != nil {
		d.t.Fatal(err)
	}
	if _, err := f.Write(z.Bytes()[half:]); err != nil {
		d.t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		d.t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		d.t.Fatal(err)
	}
}

// gzipRotated compresses the plain numbered rotations from the nth on
// (delaycompress: n is 2).
func (d *logDir) gzipRotated(n int) {
	d.t.Helper()
	for _, name := range d.rotated() {
		var v int
		if _, err := fmt.Sscanf(name, "access.log.%d", &v); err == nil && v >= n && !strings.HasSuffix(name, ".gz") {
			d.gzip(filepath.Join(d.dir, name))
		}
	}
}

// waitSettled waits until the follower began a scan after t and then found
// nothing pending (no copy waiting to be recognised, no rotated file still
// being read): a duplicate would have been stored by then.
func waitSettled(tb testing.TB, f *Follower, after time.Time) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for f.settled.Load() <= after.UnixNano() {
		if time.Now().After(deadline) {
			tb.Fatal("the follower never settled")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitPasses waits until the follower made n more passes over its files.
func waitPasses(tb testing.TB, f *Follower, n int64) {
	tb.Helper()
	want := f.passes.Load() + n
	deadline := time.Now().Add(30 * time.Second)
	for f.passes.Load() < want {
		if time.Now().After(deadline) {
			tb.Fatal("the follower stopped making passes")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rotationSchemes are logrotate's ways, each a rotation of d done between
// rounds of writes; round counts the rotations so far.
var rotationSchemes = []struct {
	name   string
	rotate func(d *logDir, round int)
}{
	{"rename", func(d *logDir, _ int) {
		d.rename()
		d.writeTo(d.base+".1", 7) // the writer has not reopened yet
	}},
	{"rename, gzip of the old one at the next rotation", func(d *logDir, _ int) {
		d.rename()
		d.writeTo(d.base+".1", 7)
		d.gzipRotated(2)
	}},
	{"copytruncate", func(d *logDir, _ int) { d.copytruncate() }},
	{"copytruncate and gzip", func(d *logDir, _ int) {
		d.copytruncate()
		d.gzip(d.base + ".1")
	}},
	{"dateext", func(d *logDir, _ int) {
		old := d.dateext()
		d.writeTo(old, 5)
	}},
	{"dateext, gzip of the old one at the next rotation", func(d *logDir, round int) {
		d.dateext()
		if round > 0 {
			d.gzip(fmt.Sprintf("%s-202611%02d", d.base, d.seq-1))
		}
	}},
	{"delete and create a new file", func(d *logDir, _ int) {
		if err := os.Remove(d.base); err != nil {
			d.t.Fatal(err)
		}
	}},
}

// Following access.log* across rotations stores every line written once:
// none twice because a rotated file, its copy or its compressed form
// matches the glob too, none lost.
func TestFollowGlobAcrossRotationsStoresEveryLineOnce(t *testing.T) {
	for _, sc := range rotationSchemes {
		t.Run(sc.name, func(t *testing.T) {
			h := newHarness(t, "")
			d := newLogDir(t, filepath.Join(h.dir, "squid"))
			f := &Follower{Rescan: 50 * time.Millisecond}
			stop := h.follow(context.Background(), f, FollowSource{Pattern: d.base + "*", Options: testOptions()})
			defer stop()
			for round := range 6 {
				d.write(40 + round)
				if round%2 == 0 { // sometimes the follower is behind
					h.waitFor(d.n, 10*time.Second)
				}
				if sc.name == "delete and create a new file" {
					h.waitFor(d.n, 10*time.Second) // a deleted file nobody opened is gone
				}
				sc.rotate(d, round)
			}
			d.write(30)
			h.waitFor(d.n, 10*time.Second)
			waitSettled(t, f, time.Now())
			h.wantExactly(d.n)
		})
	}
}

// A rotation while mamori is stopped, compressed too, with new lines in
// the new file: on start the unread rest of the old file is read from its
// rotated (compressed) form, and every line is stored once; for a single
// path and for a glob.
func TestFollowRotationWhileStoppedStoresEveryLineOnce(t *testing.T) {
	for _, glob := range []bool{false, true} {
		for _, sc := range rotationSchemes {
			if sc.name == "delete and create a new file" {
				continue // the unread rest is gone with the file
			}
			name := sc.name + ", single path"
			if glob {
				name = sc.name + ", glob"
			}
			t.Run(name, func(t *testing.T) {
				db := filepath.Join(t.TempDir(), "db")
				h := newHarness(t, db)
				d := newLogDir(t, filepath.Join(h.dir, "squid"))
				pattern := d.base
				if glob {
					pattern += "*"
				}
				follow := func() (*Follower, func()) {
					f := &Follower{Rescan: 50 * time.Millisecond}
					return f, h.follow(context.Background(), f, FollowSource{Pattern: pattern, Options: testOptions()})
				}
				_, stop := follow()
				d.write(100)
				h.waitFor(d.n, 10*time.Second)
				for round := range 3 {
					stop()
					h.stop()
					// Stopped: more lines, then a rotation (and compression)
					// and lines in the new file.
					d.write(50)
					sc.rotate(d, round)
					d.gzipRotated(1)
					d.write(20)
					h = newHarness(t, db)
					var f *Follower
					f, stop = follow()
					h.waitFor(d.n, 10*time.Second)
					waitSettled(t, f, time.Now())
					h.wantExactly(d.n)
				}
				stop()
			})
		}
	}
}

// squidLine is line i of a Squid access.log (native format).
func squidLine(i int) string {
	at := testT0.Add(time.Duration(i) * time.Second)
	return fmt.Sprintf("%d.%03d %6d 10.0.10.%d TCP_MISS/200 %d GET http://example.com/page%d - HIER_DIRECT/93.184.216.34 text/html",
		at.Unix(), i%1000, 10+i%90, 1+i%200, 1000+i, i)
}

// A file whose first write is half a line is followed once the line is
// complete (format detection waits for a complete line; half a Squid line
// is no known format), for a single path and in a glob.
func TestFollowNewFileStartingWithHalfALine(t *testing.T) {
	for _, glob := range []bool{false, true} {
		t.Run(fmt.Sprintf("glob=%v", glob), func(t *testing.T) {
			h := newHarness(t, "")
			path := filepath.Join(h.dir, "access.log")
			pattern := path
			if glob {
				pattern = filepath.Join(h.dir, "*.log")
			}
			opt := testOptions()
			opt.Formats = Formats()
			f := &Follower{Rescan: 50 * time.Millisecond}
			stop := h.follow(context.Background(), f, FollowSource{Pattern: pattern, Options: opt})
			defer stop()
			first := squidLine(0) + "\n"
			if err := os.WriteFile(path, []byte(first[:25]), 0o644); err != nil {
				t.Fatal(err)
			}
			waitPasses(t, f, 5) // the follower has seen the half line, more than once
			var rest bytes.Buffer
			rest.WriteString(first[25:])
			for i := 1; i < 10; i++ {
				rest.WriteString(squidLine(i) + "\n")
			}
			fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fh.Write(rest.Bytes()); err != nil {
				t.Fatal(err)
			}
			_ = fh.Close()
			h.waitFor(10, 10*time.Second)
			waitSettled(t, f, time.Now())
			got := h.raws()
			for i := range 10 {
				if !slices.Contains(got, squidLine(i)) {
					t.Fatalf("line %d not stored; stored: %q", i, got)
				}
			}
			if s := h.p.Stats().Snapshot(); len(s) != 1 || s[0].State != StateFollowing || s[0].Format != "squid" || s[0].Events != 10 {
				t.Fatalf("sources: %+v", s)
			}
		})
	}
}

// A truncation that cuts a line being written, followed by new whole
// lines: the new lines are stored as they were written, not glued to the
// first half of the cut line, which is counted as dropped.
func TestFollowTruncationMidLineGluesNothing(t *testing.T) {
	for name, tc := range map[string]struct {
		cut func(partialAt int) int64
		// seen: the follower notices the truncation before the new
		// lines come. A cut before where it had read, with new lines
		// written at once, cannot be told from new lines after the cut.
		seen bool
	}{
		"cut inside the unfinished line": {cut: func(partialAt int) int64 { return int64(partialAt + 9) }},
		"cut to nothing (copytruncate)":  {cut: func(int) int64 { return 0 }},
		"cut inside the last line read":  {cut: func(partialAt int) int64 { return int64(partialAt - 20) }, seen: true},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, "")
			path := filepath.Join(h.dir, "access.log")
			f := &Follower{}
			var b bytes.Buffer
			for i := range 10 {
				b.WriteString(testLine(i) + "\n")
			}
			partialAt := b.Len()
			b.WriteString(testLine(1000)[:30]) // half of a line: its writer is interrupted
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			stop := h.follow(context.Background(), f, FollowSource{Pattern: path, Options: testOptions()})
			defer stop()
			h.waitFor(10, 10*time.Second) // read: the half line was seen with them
			if err := os.Truncate(path, tc.cut(partialAt)); err != nil {
				t.Fatal(err)
			}
			if tc.seen {
				deadline := time.Now().Add(30 * time.Second)
				for h.p.Stats().Snapshot()[0].Notes["file truncated"] == 0 {
					if time.Now().After(deadline) {
						t.Fatal("the truncation was never noticed")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			appendLines(t, path, 10, 20)
			h.waitFor(20, 10*time.Second)
			waitSettled(t, f, time.Now())
			h.wantExactly(20)
			s := h.p.Stats().Snapshot()[0]
			if s.ByReason[reasonCut] != 1 {
				t.Fatalf("cut lines counted: %v (notes %v), want 1", s.ByReason, s.Notes)
			}
		})
	}
}

// FuzzFollowRotation lives a log's life under a glob follower, one step
// per byte: writes, a line written in two halves, every kind of rotation,
// compression, restarts and rotations while stopped; then every line
// written must be stored exactly once. The seeds run as a regression test;
// `go test -fuzz FuzzFollowRotation ./ingest` explores more (an input
// takes a second or two; on a loaded machine one may pass the fuzzer's
// 10 s limit and be reported as hung: run it again with -run to see).
func FuzzFollowRotation(f *testing.F) {
	f.Add([]byte{0, 2, 10, 5, 20, 4, 0, 9, 0, 3, 0})
	f.Add([]byte{1, 4, 5, 11, 2, 3, 5, 8, 0, 6, 16, 5})
	f.Add([]byte{0, 9, 9, 0, 4, 9, 6, 5, 8, 1, 2, 7, 0})
	f.Add([]byte{30, 3, 13, 5, 23, 2, 8, 4, 5, 7, 40, 6, 26})
	// Found by fuzzing: a line read, then the file truncated before its
	// head was taken from it (the compressed copy was read again); an
	// empty file renamed by dateext.
	f.Add([]byte{1, 4, 5, 11, 2, 3, 5, 8, 204, 6, 16, 5})
	// Found by fuzzing: a new file under the inode of a deleted one read
	// before, of the same size (one line each), taken for the old one.
	f.Add([]byte{67, 4, 5, 11, 2, 3, 5, 6, 8, 0, 6, 16, 5})
	// Found by fuzzing: a file copytruncated and written again before the
	// follower read any of it (nothing read: read all of it again, not
	// from the size it was cut to); a compressed file under the inode of
	// a deleted one, not looked at for the rest of a rotated file.
	f.Add([]byte{242, 3, 9, 0, 4, 11, 6, 5, 8, 1, 2, 7, 0})
	// Found by fuzzing: stopped while events of a new file were stored
	// but not its record; the file compressed meanwhile was read again
	// under its new name.
	f.Add([]byte{0, 9, 9, 0, 4, 9, 6, 5, 8, 225, 221, 221, 221, 0, 4, 9, 6, 1, 2, 7, 0})
	// Found by fuzzing: the copy copytruncate made got the inode of a file
	// deleted before; taken for new content, it was read whole again.
	f.Add([]byte{0, 0, 2, 10, 127, 10, 1, 20, 4, 0, 32, 0, 3, 0})
	// Found by fuzzing: copytruncate between the follower taking a new
	// file's head and opening it: the truncation went unseen, and the
	// compressed copy waited for the emptied file for ever.
	f.Add([]byte{0, 127, 5, 11, 2, 4, 5, 6, 8, 0, 6, 64, 5})
	// Found by fuzzing: copytruncate and new lines bringing the file back
	// to the very size it had: the rewrite went unseen (now the
	// modification time tells).
	f.Add([]byte{0, 0, 2, 242, 1, 10, 5, 20, 4, 0, 11, 11, 11, 39, 4, 3, 205})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 24 {
			ops = ops[:24]
		}
		db := filepath.Join(t.TempDir(), "db")
		h := newHarness(t, db)
		d := newLogDir(t, filepath.Join(h.dir, "squid"))
		var fl *Follower
		var stop func()
		start := func() {
			fl = &Follower{Rescan: 30 * time.Millisecond, RotateWait: 100 * time.Millisecond}
			stop = h.follow(context.Background(), fl, FollowSource{Pattern: d.base + "*", Options: testOptions()})
		}
		restart := func(meanwhile func()) {
			stop()
			h.stop()
			meanwhile()
			h = newHarness(t, db)
			start()
		}
		ensure := func() { // rotations need a file to rotate
			if _, err := os.Stat(d.base); err != nil {
				d.write(1)
			}
		}
		start()
		for _, op := range ops {
			switch op % 10 {
			case 0:
				d.write(1 + int(op/10)%40)
			case 1: // a line in two writes, the follower looking in between
				line := testLine(d.n) + "\n"
				fh, err := os.OpenFile(d.base, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = fh.WriteString(line[:len(line)/2])
				waitPasses(t, fl, 3)
				_, _ = fh.WriteString(line[len(line)/2:])
				_ = fh.Close()
				d.n++
			case 2:
				ensure()
				d.rename()
			case 3:
				ensure()
				d.rename()
				d.writeTo(d.base+".1", 3)
			case 4:
				ensure()
				d.copytruncate()
			case 5:
				d.gzipRotated(1)
			case 6:
				ensure()
				d.dateext()
			case 7: // deleted once read (a file nobody opened is lost with it)
				ensure()
				h.waitFor(d.n, 10*time.Second)
				if err := os.Remove(d.base); err != nil {
					t.Fatal(err)
				}
			case 8:
				restart(func() {})
			case 9:
				restart(func() {
					d.write(5)
					d.rename()
					d.gzipRotated(1)
					d.write(3)
				})
			}
		}
		d.write(1)
		h.waitFor(d.n, 10*time.Second)
		waitSettled(t, fl, time.Now())
		h.wantExactly(d.n)
		stop()
	})
}

// A store written by an earlier version keeps one offset record per path,
// without key or head: the follower reads on from it (nothing again,
// nothing lost), saves its place under its own record and forgets the
// old one.
func TestFollowResumesFromAnOldOffsetRecord(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db")
	h := newHarness(t, db)
	path := filepath.Join(h.dir, "access.log")
	appendLines(t, path, 0, 30)
	if err := Import(context.Background(), h.p, h.st, []string{path}, ImportOptions{Options: testOptions()}); err != nil {
		t.Fatal(err)
	}
	h.waitFor(30, 10*time.Second)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	dev, ino := fileID(fi)
	// What the follower of an earlier version saved: the path's record.
	old := store.Offset{Path: path, Dev: dev, Inode: ino, Offset: fi.Size(), Size: fi.Size(), Updated: time.Now()}
	if err := h.st.PutOffsets([]store.Offset{old}); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, 30, 50)

	f := &Follower{}
	stop := h.follow(context.Background(), f, FollowSource{Pattern: path, Options: testOptions()})
	h.waitFor(50, 10*time.Second)
	waitSettled(t, f, time.Now())
	h.wantExactly(50)
	if s := h.p.Stats().Snapshot()[0]; s.Events != 30+20 { // 30 imported, 20 followed
		t.Fatalf("events counted for the file: %d, want 50 (30 imported, the 20 new followed)", s.Events)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, stillThere, err := h.st.Offset(path)
		if err != nil {
			t.Fatal(err)
		}
		if !stillThere {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the old record was never forgotten")
		}
		time.Sleep(10 * time.Millisecond)
	}
	offs, err := h.st.Offsets()
	if err != nil || len(offs) != 1 || !strings.HasPrefix(offs[0].Key, "follow\x00"+path+"\x00") || offs[0].Ref != path || len(offs[0].Head) == 0 {
		t.Fatalf("saved records: %+v %v", offs, err)
	}
	stop()
	h.stop()

	appendLines(t, path, 50, 55)
	h = newHarness(t, db)
	f = &Follower{}
	stop = h.follow(context.Background(), f, FollowSource{Pattern: path, Options: testOptions()})
	defer stop()
	h.waitFor(55, 10*time.Second)
	waitSettled(t, f, time.Now())
	h.wantExactly(55)
	if s := h.p.Stats().Snapshot()[0]; s.Events != 5 {
		t.Fatalf("after a restart the follower read %d events, want the 5 new ones", s.Events)
	}
}

// The unread rest of a file rotated and deleted while mamori was stopped
// cannot be read: the source says so (once, not at every start), and the
// new file is read whole.
func TestFollowSaysWhenTheRotatedFileIsGone(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db")
	h := newHarness(t, db)
	d := newLogDir(t, filepath.Join(h.dir, "squid"))
	f := &Follower{}
	stop := h.follow(context.Background(), f, FollowSource{Pattern: d.base, Options: testOptions()})
	d.write(20)
	h.waitFor(20, 10*time.Second)
	stop()
	h.stop()

	d.write(10) // never read: lost with the file
	d.rename()
	if err := os.Remove(d.base + ".1"); err != nil {
		t.Fatal(err)
	}
	lost := d.n
	d.write(5)
	const note = "rotated file not found (its unread rest is lost)"
	for run := range 2 {
		h = newHarness(t, db)
		f = &Follower{}
		stop = h.follow(context.Background(), f, FollowSource{Pattern: d.base, Options: testOptions()})
		h.waitFor(25, 10*time.Second)
		waitSettled(t, f, time.Now())
		miss, extra := h.missing(d.n, testLine)
		if len(extra) != 0 || len(miss) != lost-20 {
			t.Fatalf("run %d: missing %q, extra %q: want only the %d lines deleted unread", run, miss, extra, lost-20)
		}
		want := int64(1)
		if run == 1 {
			want = 0
		}
		if got := h.p.Stats().Snapshot()[0].Notes[note]; got != want {
			t.Fatalf("run %d: %q noted %d times, want %d", run, note, got, want)
		}
		stop()
		h.stop()
	}
}
