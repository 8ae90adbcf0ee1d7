package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/store"
)

// Options configure how files are read, in batch or live.
type Options struct {
	// Formats are the formats to recognise; Format forces one by name.
	Formats []parse.Format
	Format  string
	// Location reads zone-less timestamps; nil means local. Year fixes
	// the year of timestamps without one.
	Location *time.Location
	Year     int
	Enricher *Enricher
	// MaxLine is the longest accepted line; zero means DefaultMaxLine.
	MaxLine int
	// MaxFutureSkew is how far in the future an event may be dated
	// before its source notes it (FutureNote); zero means
	// DefaultMaxFutureSkew.
	MaxFutureSkew time.Duration
}

func (o *Options) format(path string) (parse.Format, error) {
	if o.Format != "" {
		return LookupFormat(o.Formats, o.Format)
	}
	return Sniff(path, o.Formats)
}

// formatOf is format for the content r of the file at path; live as in
// detect.
func (o *Options) formatOf(path string, r io.Reader, live bool) (parse.Format, error) {
	if o.Format != "" {
		return LookupFormat(o.Formats, o.Format)
	}
	return detect(path, r, o.Formats, live)
}

// LookupFormat finds a format by name.
func LookupFormat(formats []parse.Format, name string) (parse.Format, error) {
	for _, f := range formats {
		if f.Name == name {
			return f, nil
		}
	}
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.Name
	}
	return parse.Format{}, fmt.Errorf("unknown format %q (known: %v; see `mamori formats`)", name, names)
}

// ImportOptions configure a batch import.
type ImportOptions struct {
	Options
	// Workers is how many files are read at once; zero means 2.
	Workers int
	// Resume skips what an earlier import of the same unchanged file
	// already stored (by its saved offset), and whole files already done.
	Resume bool
	// Progress, when set, is called now and then from one goroutine.
	Progress func(Progress)
}

// Progress is how far a batch import has got.
type Progress struct {
	Files, FilesDone int
	Bytes, BytesDone int64 // on disk (compressed files count compressed)
	Events           int64
	Current          string
}

// Offsets is the part of the store that remembers how far files were read.
type Offsets interface {
	Offset(path string) (store.Offset, bool, error)
}

// Expand turns paths (files and folders, walked recursively) into the
// sorted list of regular files to read, and the ones passed over.
func Expand(paths []string) (files []string, skipped []SkippedFile, err error) {
	seen := map[string]bool{}
	add := func(p string) {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, root := range paths {
		fi, err := os.Stat(root)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", root, errors.Unwrap(err))
		}
		if !fi.IsDir() {
			add(root)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				skipped = append(skipped, SkippedFile{p, err.Error()})
				return nil
			}
			if d.IsDir() {
				if p != root && len(d.Name()) > 1 && d.Name()[0] == '.' {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				skipped = append(skipped, SkippedFile{p, "not a regular file"})
				return nil
			}
			if ok, why := isLogCandidate(p); !ok {
				skipped = append(skipped, SkippedFile{p, why})
				return nil
			}
			add(p)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	sort.Strings(files)
	return files, skipped, nil
}

// Import reads every file under paths into the pipeline and returns when
// they are all sent (not necessarily written: close the pipeline's input and
// wait for Run for that). A file's state in the stats becomes done (or
// skipped, or failed) only once the writer has stored and counted its
// lines, so a summary of files that are all done is complete. Unreadable
// files and files of no known format are recorded in the stats and do not
// stop the import; ctx ending does.
func Import(ctx context.Context, p *Pipeline, offs Offsets, paths []string, opt ImportOptions) error {
	files, skipped, err := Expand(paths)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		p.stats.source(s.Path).setState(StateSkipped, s.Reason)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = 2
	}
	var prog progressTracker
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			prog.bytes += fi.Size()
		}
	}
	prog.files = len(files)

	stopProgress := prog.run(ctx, opt.Progress)
	defer stopProgress()

	g, gctx := errgroup.WithContext(ctx)
	next := make(chan string)
	g.Go(func() error {
		defer close(next)
		for _, f := range files {
			select {
			case next <- f:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for f := range next {
				prog.setCurrent(f)
				if err := importFile(gctx, p, offs, f, &opt, &prog); err != nil {
					return err
				}
				prog.filesDone.Add(1)
			}
			return nil
		})
	}
	return g.Wait()
}

// importFile reads one file. Only ctx ending is returned as an error;
// problems with the file are recorded in its stats.
func importFile(ctx context.Context, p *Pipeline, offs Offsets, path string, opt *ImportOptions, prog *progressTracker) error {
	ss := p.stats.source(path)
	fail := func(err error) { ss.setState(StateFailed, err.Error()) }
	fi, err := os.Stat(path)
	if err != nil {
		fail(err)
		return nil
	}
	dev, ino := fileID(fi)
	start := int64(0)
	if opt.Resume && offs != nil {
		if o, ok, _ := offs.Offset(path); ok && o.Dev == dev && o.Inode == ino && fi.Size() >= o.Size {
			if o.Done && fi.Size() == o.Size {
				ss.setState(StateDone, ReasonAlreadyImported)
				prog.doneBytes.Add(fi.Size())
				return nil
			}
			start = o.Offset
		}
	}
	f, err := opt.format(path)
	switch {
	case errors.Is(err, ErrEmpty):
		ss.setState(StateDone, "empty file")
		return nil
	case err != nil:
		var se *SkipError
		if errors.As(err, &se) {
			ss.setState(StateSkipped, se.Reason)
			prog.doneBytes.Add(fi.Size())
			return nil
		}
		fail(err)
		return nil
	}
	ss.setFormat(f, opt.Location)
	ss.setState(StateReading, "")
	o, err := openLog(path, &prog.doneBytes)
	if err != nil {
		fail(err)
		return nil
	}
	defer o.Close()
	src := parse.Source{Path: path, ModTime: fi.ModTime(), Year: opt.Year, Location: opt.Location}
	fd := newFileDecoder(path, f.New(src), &opt.Options)
	fd.t.size, fd.t.mod = fi.Size(), fi.ModTime()
	fd.sample = p.stats.sample(f.Name)
	if start > 0 {
		if err := replayHeaderOf(path, fd.dec, opt.MaxLine); err != nil {
			fail(err)
			return nil
		}
	}
	lines, err := skipLines(o.r, start)
	if err != nil {
		fail(fmt.Errorf("skip to offset %d: %w", start, err))
		return nil
	}
	lr := newLineReader(o.r, start, opt.MaxLine, true)
	lr.at(lines)
	// send hands the lines read so far to the writer; with a state, the
	// writer sets it once they are stored and counted (see Batch).
	send := func(done bool, state, reason string) error {
		evs, t := fd.take()
		off := &store.Offset{Path: path, Dev: dev, Inode: ino, Offset: t.offset, Line: t.line, Size: fi.Size(), Updated: time.Now(), Done: done}
		return p.Send(ctx, Batch{Events: evs, Offset: off, stats: ss, tally: t, state: state, reason: reason})
	}
	for {
		l, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			err = fmt.Errorf("read at offset %d: %w", l.offset, err)
			if serr := send(false, StateFailed, err.Error()); serr != nil {
				fail(err)
			}
			return nil
		}
		if err := fd.add(l); err != nil {
			var stop *errStopFile
			if errors.As(err, &stop) {
				if serr := send(true, StateSkipped, stop.reason); serr != nil {
					ss.setState(StateSkipped, stop.reason)
				}
				return nil
			}
		}
		if fd.full() {
			if err := send(false, "", ""); err != nil {
				return err
			}
		}
	}
	return send(true, StateDone, "")
}

// replayHeaderOf feeds a decoder the header at the top of the file at path
// (see replayHeader).
func replayHeaderOf(path string, dec parse.Decoder, maxLine int) error {
	o, err := openLog(path, nil)
	if err != nil {
		return err
	}
	defer o.Close()
	replayHeader(o.r, dec, maxLine)
	return nil
}

// replayHeader feeds a decoder the lines at the top of a file's content r
// that start with '#' (a Zeek TSV header) before reading resumes mid-file.
func replayHeader(r io.Reader, dec parse.Decoder, maxLine int) {
	lr := newLineReader(r, 0, maxLine, true)
	for range 64 {
		l, err := lr.next()
		if err != nil {
			return
		}
		t := bytes.TrimLeft(l.text, " \t")
		if len(t) == 0 || t[0] != '#' {
			return
		}
		var ev event.Event
		_ = dec.Decode(l.text, &ev)
	}
}

// countingReader counts bytes read into n.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// progressTracker aggregates progress across workers.
type progressTracker struct {
	files     int
	bytes     int64
	filesDone atomic.Int64
	doneBytes atomic.Int64
	mu        sync.Mutex
	current   string
}

func (pt *progressTracker) setCurrent(f string) {
	pt.mu.Lock()
	pt.current = f
	pt.mu.Unlock()
}

func (pt *progressTracker) snapshot() Progress {
	pt.mu.Lock()
	cur := pt.current
	pt.mu.Unlock()
	return Progress{Files: pt.files, FilesDone: int(pt.filesDone.Load()), Bytes: pt.bytes, BytesDone: min(pt.doneBytes.Load(), pt.bytes), Current: cur}
}

// run calls fn every 200 ms until the returned stop is called (which calls
// fn a last time).
func (pt *progressTracker) run(ctx context.Context, fn func(Progress)) (stop func()) {
	if fn == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fn(pt.snapshot())
			case <-done:
				fn(pt.snapshot())
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
