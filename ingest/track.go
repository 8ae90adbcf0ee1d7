package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// passBatches is how many batches one file may send in a pass before the
// other files of its source get their turn.
const passBatches = 16

// pendingMax is how much of an unfinished last line is remembered, to tell
// a line being completed from one cut by a truncation.
const pendingMax = 4 << 10

// reasonCut is the reject reason of the unfinished line a truncation cut.
const reasonCut = "partial line cut by truncation"

// track is a file open for reading: the content of rec, in the file f
// called name.
type track struct {
	rec    *record
	name   string
	f      *os.File
	gz     bool
	lr     *lineReader
	fd     *fileDecoder // nil until the format is known
	ss     *sourceStats // the stats of rec.ref
	atName bool         // the file was under one of the source's names at the last scan
	final  bool         // the file is done with: its last line needs no newline

	lastSize int64     // the file's size at the last check
	lastMod  time.Time // and its modification time
	lastGrow time.Time // when its size last changed
	goneAt   time.Time // when it was first seen under none of the names
	pending  []byte    // the start of the unfinished line at the end, as last read

	gzHead []byte // gz: the first bytes of the content
	eof    bool   // gz: the content is read to its end (or to where it ends early)
	short  bool   // gz: the compressed data ends early (being written, or cut)
	closed bool
}

// own says whether the file is at the name its stats are kept under, so
// that its state is the source's: a rotated file read to its end, or the
// compressed copy of one, only adds its counts.
func (t *track) own() bool { return t.rec.ref == t.name }

func (t *track) setState(state, reason string) {
	if t.own() {
		t.ss.setState(state, reason)
	}
}

// fileHead is the head of what the file holds now (see lineHead).
func (t *track) fileHead() []byte {
	if t.gz {
		return lineHead(t.gzHead, len(t.gzHead) < headMax && t.eof && !t.short)
	}
	b, err := readAt(t.f, 0, headMax)
	if err != nil {
		return nil
	}
	return lineHead(b, false)
}

// open starts reading r's content in the file f, called name, at offset
// at. f belongs to the track from then on.
func (s *sourceFollower) open(r *record, name string, f *os.File, at int64, atName bool) (*track, error) {
	fi, err := f.Stat()
	if err != nil {
		closeReadOnly(f)
		return nil, err
	}
	t := &track{rec: r, name: name, f: f, gz: r.gz, atName: atName, lastSize: fi.Size(), lastMod: fi.ModTime(), lastGrow: time.Now()}
	if !r.gz && !r.mod.IsZero() {
		// The file as it was when its head was taken: if it changed
		// since (a copytruncate in between), the first check sees it.
		t.lastSize, t.lastMod = r.size, r.mod
	}
	t.ss = s.f.Pipeline.stats.source(r.ref)
	lines := int64(-1) // before at: known from the record, else counted
	switch {
	case at == 0:
		lines = 0
	case at == r.offset && r.line > 0:
		lines = r.line
	}
	if r.gz {
		t.gzHead, _, _ = readHead(f, true)
		zr, err := contentOf(f, true)
		if err != nil {
			closeReadOnly(f)
			return nil, err
		}
		if at > 0 {
			n, err := skipLines(zr, at)
			if lines < 0 {
				lines = n
			}
			if err != nil {
				switch {
				case errors.Is(err, io.EOF): // its content ends before: nothing left
					t.eof = true
				case errors.Is(err, io.ErrUnexpectedEOF):
					t.eof, t.short = true, true
				default:
					closeReadOnly(f)
					return nil, fmt.Errorf("%s: %w", name, err)
				}
			}
		}
		t.lr = newLineReader(zr, at, s.opt.MaxLine, true)
	} else {
		if lines < 0 {
			lines = linesBefore(f, at)
		}
		if _, err := f.Seek(at, io.SeekStart); err != nil {
			closeReadOnly(f)
			return nil, err
		}
		t.lr = newLineReader(f, at, s.opt.MaxLine, false)
	}
	t.lr.at(lines)
	if !r.gz {
		r.done = false // found again after all
	}
	r.track = t
	s.tracks = append(s.tracks, t)
	return t, nil
}

// close stops reading t (its record stays).
func (s *sourceFollower) close(t *track) {
	if t.closed {
		return
	}
	t.closed = true
	closeReadOnly(t.f)
	if t.rec.track == t {
		t.rec.track = nil
	}
	s.tracks = slices.DeleteFunc(s.tracks, func(x *track) bool { return x == t })
}

// fail reports a file that cannot be read and stops reading it; the next
// scan tries again from its saved place.
func (s *sourceFollower) fail(t *track, err error) {
	t.ss.setState(StateFailed, err.Error())
	s.f.Log.Error("reading", "path", t.name, "err", err)
	s.close(t)
}

// startDecoding recognises t's format and starts its decoder; false means
// not now (no complete line yet) or not at all (not a log: t is closed).
func (s *sourceFollower) startDecoding(t *track) bool {
	live := !t.gz && !t.final
	r, err := contentOf(t.f, t.gz)
	var format parse.Format
	if err == nil {
		format, err = s.opt.formatOf(t.name, r, live)
	}
	var se *SkipError
	switch {
	case err == nil:
	case errors.As(err, &se):
		t.rec.skip = se.Reason
		t.setState(StateSkipped, se.Reason)
		s.close(t)
		return false
	case errors.Is(err, errNoLine):
		t.setState(StateWaiting, "no complete line yet")
		return false
	case errors.Is(err, ErrEmpty):
		if t.gz || t.final {
			t.eof = true
			return false
		}
		t.setState(StateWaiting, "the file is empty")
		return false
	case t.gz && errors.Is(err, io.ErrUnexpectedEOF):
		t.eof, t.short = true, true
		return false
	default:
		s.fail(t, err)
		return false
	}
	t.ss.setFormat(format, s.opt.Location)
	mod := time.Now()
	if fi, err := t.f.Stat(); err == nil && t.gz {
		mod = fi.ModTime()
	}
	dec := format.New(parse.Source{Path: t.name, ModTime: mod, Year: s.opt.Year, Location: s.opt.Location, Live: !t.gz})
	if t.lr.off > 0 {
		if hr, err := contentOf(t.f, t.gz); err == nil {
			replayHeader(hr, dec, s.opt.MaxLine)
		}
	}
	t.fd = newFileDecoder(t.rec.ref, dec, &s.opt)
	t.fd.t.offset, t.fd.t.line = t.lr.off, max(t.lr.lines, 0)
	t.fd.sample = s.f.Pipeline.stats.sample(format.Name)
	return true
}

// read reads the complete lines t's file has and hands them on, at most
// passBatches batches of them; more says it stopped early.
func (s *sourceFollower) read(ctx context.Context, t *track) (more bool, err error) {
	if t.eof || (t.fd == nil && !s.startDecoding(t)) {
		return false, nil
	}
	sent := 0
	for first := true; ; first = false {
		l, err := t.lr.next()
		switch {
		case err == nil:
			if first { // lines to read: not at the end (yet)
				t.setState(StateReading, "")
			}
		case errors.Is(err, io.EOF):
			t.eof = t.gz || t.final
			return false, s.send(ctx, t, false)
		case errors.Is(err, errPartial):
			// Read the unfinished line again from its start next time;
			// remember how it starts, to notice if it is cut.
			t.pending = bytes.Clone(l.text[:min(len(l.text), pendingMax)])
			if _, err := t.f.Seek(l.offset, io.SeekStart); err != nil {
				s.fail(t, err)
				return false, nil
			}
			t.lr.reset(t.f, l.offset)
			return false, s.send(ctx, t, false)
		case t.gz && errors.Is(err, io.ErrUnexpectedEOF):
			t.eof, t.short = true, true
			return false, s.send(ctx, t, false)
		default:
			if err := s.send(ctx, t, false); err != nil {
				return false, err
			}
			s.fail(t, fmt.Errorf("read at offset %d: %w", l.offset, err))
			return false, nil
		}
		t.pending = nil
		if err := t.fd.add(l); err != nil {
			var stop *errStopFile
			if errors.As(err, &stop) {
				t.rec.skip = stop.reason
				if err := s.send(ctx, t, false); err != nil {
					return false, err
				}
				t.setState(StateSkipped, stop.reason)
				s.close(t)
				return false, nil
			}
		}
		if t.fd.full() {
			if err := s.send(ctx, t, false); err != nil {
				return false, err
			}
			if sent++; sent >= passBatches {
				return true, nil
			}
		}
	}
}

// send hands what t's decoder collected to the pipeline with t's record
// as the checkpoint; with force, the record is saved even with no new line.
func (s *sourceFollower) send(ctx context.Context, t *track, force bool) error {
	r := t.rec
	var evs []event.Event
	var tl tally
	if t.fd != nil {
		if len(t.fd.events) == 0 && t.fd.t.lines == 0 && len(t.fd.t.rejected) == 0 && !force {
			return nil
		}
		evs, tl = t.fd.take()
		r.offset, r.line = tl.offset, tl.line
	} else if !force {
		return nil
	}
	if fi, err := t.f.Stat(); err == nil {
		r.size, r.mod = fi.Size(), fi.ModTime()
	}
	tl.size, tl.mod = r.size, r.mod
	if t.gz {
		tl.size = tl.offset // the content's size is not known before its end
	}
	s.growHead(t)
	b := Batch{Events: evs, Offset: r.offsetOf(t.name, time.Now())}
	if t.fd != nil {
		b.stats, b.tally = t.ss, tl
	}
	if r.legacy != "" {
		b.Forget, r.legacy = []string{r.legacy}, ""
	}
	return s.f.Pipeline.Send(ctx, b)
}

// growHead extends r's head while it is shorter than headMax, from the
// bytes read from the content's start (kept as read: the file may be
// truncated already), else from the file (a record of an old run).
func (s *sourceFollower) growHead(t *track) {
	r := t.rec
	if len(r.head) >= headMax {
		return
	}
	b := t.lr.head
	if len(b) == 0 && len(r.head) == 0 && !t.gz {
		b, _ = readAt(t.f, 0, headMax)
	}
	if h := lineHead(b, false); len(h) > len(r.head) && bytes.HasPrefix(h, r.head) {
		r.head = bytes.Clone(h)
	}
}

// check notices when t's plain file, written since it last looked (size
// or modification time changed), no longer holds what was seen in it:
// truncated (copytruncate, or cut to a size) or rewritten from the start,
// even to the same size; and when its name is gone.
func (s *sourceFollower) check(ctx context.Context, t *track, now time.Time) error {
	fi, err := t.f.Stat()
	if err != nil {
		s.fail(t, err)
		return nil
	}
	if deleted(fi) {
		t.atName = false
	}
	cur, mod := fi.Size(), fi.ModTime()
	if cur == t.lastSize && mod.Equal(t.lastMod) && cur >= t.lr.off {
		return nil // not written since: the same bytes
	}
	t.lastGrow = now
	at, cut, err := cutOf(t.f, t.rec.head, t.lastSize, t.lr.off, cur, t.pending)
	if err != nil {
		s.fail(t, err)
		return nil
	}
	if cut {
		if err := s.truncated(ctx, t, at, cur); err != nil {
			return err
		}
	}
	t.lastSize, t.lastMod = cur, mod
	return nil
}

// cutOf says whether the file f, now cur bytes long, no longer holds what
// was seen in it, and up to where it still does: at is 0 when it holds
// other content from its start. What was seen: head, the first bytes of
// what was read (up to off); lastSize bytes; pending, the start of the
// unfinished line at off.
//
// A file that shrank, or whose head or unfinished line changed, was cut.
// Where: where its bytes first differ from what was seen, or its end. A
// cut inside the first line read cannot be told from other content that
// happens to start alike (the time stamp of a new first line written
// after a copytruncate), so it counts as other content; nor can anything
// be kept of a file nothing (or, from an old record, no head) is known of.
// One limit: a cut before off and past the head, written over before the
// follower looked, is seen only where the unfinished line differs.
func cutOf(f *os.File, head []byte, lastSize, off, cur int64, pending []byte) (int64, bool, error) {
	at, cut := cur, cur < lastSize || cur < off
	if len(head) > 0 {
		b, err := readAt(f, 0, len(head))
		if err != nil {
			return 0, false, err
		}
		j := 0
		for j < len(b) && b[j] == head[j] {
			j++
		}
		if j < len(head) {
			if bytes.IndexByte(head[:j], '\n') < 0 {
				return 0, true, nil
			}
			return int64(j), true, nil
		}
	}
	if len(pending) > 0 {
		b, err := readAt(f, off, len(pending))
		if err != nil {
			return 0, false, err
		}
		i := 0
		for i < len(b) && b[i] == pending[i] {
			i++
		}
		if i < len(pending) {
			at, cut = min(at, off+int64(i)), true
		}
	}
	if cut && (len(head) == 0 || off == 0) { // nothing known, or nothing read: all of it
		return 0, true, nil
	}
	return at, cut, nil
}

// truncated moves t to where its file was cut, at: what was read before
// stays read; complete lines written after the last read and before the
// cut are read; the line the cut split is dropped and counted (new lines
// written after the cut would otherwise be glued to its first half); and
// reading goes on at the cut, on a line boundary. A file cut to nothing,
// or holding other content from its start, is new content, from 0.
func (s *sourceFollower) truncated(ctx context.Context, t *track, at, cur int64) error {
	off := t.lr.off
	s.f.Log.Info("file truncated", "path", t.name, "kept", at, "read", off, "size", cur, "was", t.lastSize)
	t.ss.mu.Lock()
	t.ss.s.Notes = addCount(t.ss.s.Notes, "file truncated")
	t.ss.mu.Unlock()
	if t.fd == nil && at > off {
		s.startDecoding(t)
		if t.closed {
			return nil
		}
	}
	var cutLine []byte
	cutAt, cutLen := off, int64(0)
	if at > off {
		lr := newLineReader(io.NewSectionReader(t.f, off, at-off), off, s.opt.MaxLine, false)
		for {
			l, err := lr.next()
			if errors.Is(err, errPartial) {
				cutLine, cutAt, cutLen = bytes.Clone(l.text), l.offset, at-l.offset
				break
			}
			if err != nil {
				break
			}
			if t.fd == nil { // not a line of any known format yet
				cutLine, cutAt, cutLen = bytes.Clone(l.text), l.offset, at-l.offset
				break
			}
			_ = t.fd.add(l)
		}
	} else if len(t.pending) > 0 {
		// The unfinished line seen at the end was cut away. (Unread
		// complete lines cut away may live on in a copy: that is read.)
		cutLine, cutLen = t.pending, int64(len(t.pending))
	}
	if cutLen > 0 {
		var tl tally
		dst := &tl
		if t.fd != nil {
			dst = &t.fd.t
		}
		dst.reject(reasonCut, fmt.Sprintf("%d bytes of a line whose end was never written", cutLen), where{offset: cutAt}, cutLine)
		if t.fd == nil {
			t.ss.merge(&tl, time.Now())
		}
	}
	if at == 0 {
		// Other content: finish the old one's record where it was read
		// to, and start a new one.
		if err := s.send(ctx, t, false); err != nil {
			return err
		}
		old := t.rec
		old.retired, old.track, old.located = true, nil, 0
		t.rec = s.newRecord(old.id, t.name, t.name)
		t.rec.track = t
		t.ss = s.f.Pipeline.stats.source(t.rec.ref)
		t.fd = nil
	} else {
		if len(t.rec.head) > int(at) {
			t.rec.head = bytes.Clone(t.rec.head[:at])
		}
	}
	lines := int64(0)
	if at > 0 {
		lines = linesBefore(t.f, at) // what was read before the cut is still there
	}
	if t.fd != nil {
		t.fd.t.offset, t.fd.t.line = at, max(lines, 0)
	}
	if _, err := t.f.Seek(at, io.SeekStart); err != nil {
		s.fail(t, err)
		return nil
	}
	t.lr.reset(t.f, at)
	t.lr.at(lines)
	t.rec.offset, t.rec.line, t.pending, t.lastSize = at, max(lines, 0), nil, cur
	return s.send(ctx, t, true) // the place moved back: save it
}

// settle finishes a pass over t: a compressed file read to its end is
// done; a file under none of the names any more (rotated away, deleted)
// is read to its end and closed once its writer has been silent for
// RotateWait.
func (s *sourceFollower) settle(ctx context.Context, t *track, now time.Time) error {
	if t.gz {
		if !t.eof {
			return nil
		}
		t.rec.done = !t.short
		if err := s.send(ctx, t, true); err != nil {
			return err
		}
		if t.short {
			s.f.Log.Info("compressed file ends early; reading on when it grows", "path", t.name)
		} else {
			t.setState(StateDone, "")
		}
		s.close(t)
		return nil
	}
	if t.fd != nil {
		t.setState(StateFollowing, "")
	}
	if t.atName {
		t.goneAt = time.Time{}
		return nil
	}
	if t.goneAt.IsZero() {
		t.goneAt = now
	}
	if now.Sub(t.goneAt) < s.f.RotateWait || now.Sub(t.lastGrow) < s.f.RotateWait {
		return nil
	}
	// The writer has moved on: the last line needs no newline.
	t.final, t.lr.noTail = true, true
	for {
		more, err := s.read(ctx, t)
		if err != nil {
			return err
		}
		if !more || t.closed {
			break
		}
	}
	if t.closed {
		return nil
	}
	if err := s.send(ctx, t, true); err != nil {
		return err
	}
	s.f.Log.Info("rotated file read to its end", "path", t.name, "of", t.rec.ref, "offset", t.rec.offset)
	s.close(t)
	return nil
}

// countMax is the most of a file counted to number its lines when reading
// starts mid-file with no count saved (a record of an older version, a
// file followed from its end): past it, the lines' numbers are not known
// and their byte offsets are shown instead.
const countMax = 256 << 20

// linesBefore counts the lines of f before offset at, or returns -1 when
// at is past countMax or f cannot be read.
func linesBefore(f *os.File, at int64) int64 {
	if at > countMax {
		return -1
	}
	n, err := skipLines(io.NewSectionReader(f, 0, at), at)
	if err != nil {
		return -1
	}
	return n
}
