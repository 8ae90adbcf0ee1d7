package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// DefaultMaxLine is the longest line ingest accepts; longer lines are
// rejected ("line too long") without being held in memory whole.
const DefaultMaxLine = 1 << 20

// lineReader splits a stream into lines and knows each line's offset. It
// strips "\n" and "\r\n" endings. A line longer than max is returned with
// tooLong set and only its first max bytes; the rest is skipped without
// buffering it.
type lineReader struct {
	r      *bufio.Reader
	off    int64 // offset of the next unread byte
	max    int
	buf    []byte
	noTail bool // the stream is complete: return a last line without "\n"
	// head is the stream's first bytes (at most headMax) as read, when
	// reading began at its start: what a file's content is recognised by,
	// kept even if the file is truncated right after.
	head []byte
	// lines is how many lines the stream has before off, or -1 when not
	// known (reading began mid-stream at an offset whose line nobody
	// counted): the next line is line lines+1.
	lines int64
}

func newLineReader(r io.Reader, start int64, max int, complete bool) *lineReader {
	if max <= 0 {
		max = DefaultMaxLine
	}
	lr := &lineReader{r: bufio.NewReaderSize(r, 256<<10), off: start, max: max, noTail: complete}
	if start > 0 {
		lr.lines = -1
	}
	return lr
}

// at says how many lines the stream has before the reader's offset
// (-1: not known), when reading did not begin at the start.
func (lr *lineReader) at(lines int64) { lr.lines = lines }

// line is one line read.
type line struct {
	text    []byte // valid until the next call
	offset  int64  // offset of the first byte
	end     int64  // offset after the line ending
	tooLong bool   // text is only the first max bytes of a longer line
	length  int64  // full length without the ending
	no      int64  // its line number, from 1; 0 when not known
}

// where is the line's place in its file.
func (l line) where() where { return where{l.offset, l.no} }

// errPartial is returned when the stream ends inside a line that may still
// be completed (a followed file): the caller retries later from offset.
var errPartial = errors.New("partial line")

// reset makes the reader read r, whose next byte is at offset off (after
// the caller moved a file's position). What head holds from off on is
// read again.
func (lr *lineReader) reset(r io.Reader, off int64) {
	lr.r.Reset(r)
	if off != lr.off {
		lr.lines = -1 // the caller knows: see at
	}
	lr.off = off
	lr.head = lr.head[:min(int64(len(lr.head)), max(off, 0))]
}

// keep adds to head the part of chunk, read at offset at, that extends it.
func (lr *lineReader) keep(chunk []byte, at int64) {
	n := int64(len(lr.head))
	if n >= headMax || at > n || at+int64(len(chunk)) <= n {
		return
	}
	lr.head = append(lr.head, chunk[n-at:min(int64(len(chunk)), headMax-at)]...)
}

// next returns the next line. At the end of a complete stream it returns
// io.EOF; at the end of an incomplete one, after a partial line, errPartial
// with the partial bytes read so far as text (at most max+2 of them; they
// are not consumed from the caller's point of view: the caller re-reads
// from the returned offset).
func (lr *lineReader) next() (line, error) {
	start := lr.off
	lr.buf = lr.buf[:0]
	var length int64
	tooLong := false
	var last2 [2]byte // the line's last two bytes, to strip "\r\n" from a truncated line
	for {
		chunk, err := lr.r.ReadSlice('\n')
		lr.keep(chunk, lr.off)
		length += int64(len(chunk))
		lr.off += int64(len(chunk))
		switch n := len(chunk); {
		case n >= 2:
			last2 = [2]byte{chunk[n-2], chunk[n-1]}
		case n == 1:
			last2 = [2]byte{last2[1], chunk[0]}
		}
		if room := lr.max + 2 - len(lr.buf); room > 0 { // +2: room for "\r\n"
			lr.buf = append(lr.buf, chunk[:min(room, len(chunk))]...)
		}
		switch {
		case err == nil:
			return lr.finish(start, length, tooLong, last2), nil
		case errors.Is(err, bufio.ErrBufferFull):
			if len(lr.buf) > lr.max {
				tooLong = true
			}
			continue
		case errors.Is(err, io.EOF):
			if length == 0 {
				return line{offset: start}, io.EOF
			}
			if !lr.noTail {
				lr.off = start
				return line{text: lr.buf, offset: start}, errPartial
			}
			return lr.finish(start, length, tooLong, last2), nil
		default:
			return line{offset: start}, err
		}
	}
}

func (lr *lineReader) finish(start, length int64, tooLong bool, last2 [2]byte) line {
	text := lr.buf
	end := start + length
	if last2[1] == '\n' {
		length--
		if last2[0] == '\r' {
			length--
		}
	}
	if int64(len(text)) > length {
		text = text[:length]
	}
	if len(text) > lr.max {
		text, tooLong = text[:lr.max], true
	}
	var no int64
	if lr.lines >= 0 {
		lr.lines++
		no = lr.lines
	}
	return line{text: text, offset: start, end: end, tooLong: tooLong, length: length, no: no}
}

// skipLines reads n bytes of r, as io.CopyN(io.Discard, r, n) does (with
// its io.EOF when r ends before), and returns how many lines they end: so
// that reading resumed mid-file still numbers its lines.
func skipLines(r io.Reader, n int64) (int64, error) {
	var lines int64
	_, err := io.CopyN(lineCounter{&lines}, r, n)
	return lines, err
}

// lineCounter counts the newlines written to it.
type lineCounter struct{ n *int64 }

func (c lineCounter) Write(b []byte) (int, error) {
	*c.n += int64(bytes.Count(b, []byte{'\n'}))
	return len(b), nil
}
