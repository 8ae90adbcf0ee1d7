package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mamori-soc/mamori/store"
)

// headMax is how much of a file's start identifies its content: enough
// lines, each with its own time stamp, that two different logs do not
// share it, and little enough to read at every rotation.
const headMax = 1 << 10

// forgetAfter is how long the record of content that can no longer be
// found under any name is kept: a rotated file may come back compressed a
// rotation later.
const forgetAfter = 7 * 24 * time.Hour

// record is what a source knows of one file content it has read: the
// identity of the file holding it, the name its events carry, how far it
// was read and how it starts. It is saved as a store.Offset under its key.
type record struct {
	key     string
	ref     string       // event.Ref.File of its events: the name it was first read under
	name    string       // the name it was last seen under
	id      fileIdentity // the file holding it
	head    []byte       // its start: the first headMax bytes, or fewer whole lines (see lineHead)
	offset  int64        // read up to here (handed to the pipeline)
	line    int64        // how many lines before offset; 0 when not known (and offset is not 0)
	size    int64        // the file's size when last seen (compressed size for gz)
	mod     time.Time    // the file's modification time when last seen holding this content (this run)
	gz      bool         // the file is compressed: read once, not followed
	done    bool         // gz: read to its end
	updated time.Time    // when it was last saved (the last run's, when loaded)
	seen    time.Time    // when it was last found, under a name or by its head
	located int          // the scan that last found it, under a name or by its head
	legacy  string       // an old record kept under the file's path, to forget once this one is saved
	skip    string       // why the content is not read (not a log), for this run
	retired bool         // the file was truncated or replaced: only its head still counts
	track   *track       // its open reader, if any
}

// unchanged says whether the file fi is as it was when last seen holding
// r's content: same size, same modification time. A file under a reused
// inode, or one written since, is not.
func (r *record) unchanged(fi os.FileInfo) bool {
	return !r.mod.IsZero() && fi.Size() == r.size && fi.ModTime().Equal(r.mod)
}

// offsetOf is the record as saved, the file being called name now.
func (r *record) offsetOf(name string, now time.Time) *store.Offset {
	return &store.Offset{Key: r.key, Path: name, Ref: r.ref, Dev: r.id.dev, Inode: r.id.ino,
		Offset: r.offset, Line: r.line, Size: r.size, Updated: now, Done: r.done, Head: r.head}
}

// recordOf reads a saved record.
func recordOf(o *store.Offset, now time.Time) *record {
	r := &record{key: o.Key, ref: o.Ref, name: o.Path, id: fileIdentity{o.Dev, o.Inode}, head: o.Head,
		offset: o.Offset, line: o.Line, size: o.Size, done: o.Done, updated: o.Updated, seen: now}
	if r.ref == "" {
		r.ref = o.Path
	}
	return r
}

// relation is how a candidate file's head compares with known content's.
type relation int

const (
	unrelated relation = iota
	// continues: the candidate starts with everything the head holds; it
	// is that content (a copy, a compressed form, the file itself).
	continues
	// prefix: the candidate holds less than the head, all of it equal: it
	// may be a copy still being written. Decide when it has more.
	prefix
)

// relate compares a candidate's head h (see lineHead) with the head of
// known content.
func relate(h, known []byte) relation {
	switch {
	case len(known) == 0 || len(h) == 0:
		return unrelated
	case len(known) <= len(h) && bytes.HasPrefix(h, known):
		return continues
	case len(h) < len(known) && bytes.HasPrefix(known, h):
		return prefix
	}
	return unrelated
}

// lineHead is the part of a content's first bytes b that identifies it:
// its first headMax bytes, or, when it has fewer, its complete lines (a
// half-written first line says nothing yet). complete says b is the whole
// content, so its last line needs no newline. nil means too little to say.
func lineHead(b []byte, complete bool) []byte {
	if len(b) >= headMax {
		return b[:headMax]
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[:i+1]
	}
	if complete {
		return b
	}
	return nil
}

// readHead reads the first headMax bytes of f's content (decompressed when
// gz). complete says the content ended within them; for a compressed file
// still being written, which ends early, it is false.
func readHead(f *os.File, gz bool) (head []byte, complete bool, err error) {
	if !gz {
		b, err := readAt(f, 0, headMax)
		return b, false, err
	}
	r, err := contentOf(f, true)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, false, nil // the gzip header is not written yet
		}
		return nil, false, err
	}
	b := make([]byte, headMax)
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if errors.Is(err, io.EOF) {
			return b[:n], true, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return b[:n], false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("%s: bad gzip data: %w", f.Name(), err)
		}
	}
	return b, false, nil
}

// lastLineEnd returns the offset just after the last newline before size
// (looking back at most 64 KiB), or size.
func lastLineEnd(f *os.File, size int64) int64 {
	from := max(0, size-64<<10)
	b, err := readAt(f, from, int(size-from))
	if err != nil {
		return size
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return from + int64(i) + 1
	}
	return size
}
