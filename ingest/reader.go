package ingest

import (
	"bufio"
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
}

func newLineReader(r io.Reader, start int64, max int, complete bool) *lineReader {
	if max <= 0 {
		max = DefaultMaxLine
	}
	return &lineReader{r: bufio.NewReaderSize(r, 256<<10), off: start, max: max, noTail: complete}
}

// line is one line read.
type line struct {
	text    []byte // valid until the next call
	offset  int64  // offset of the first byte
	end     int64  // offset after the line ending
	tooLong bool   // text is only the first max bytes of a longer line
	length  int64  // full length without the ending
}

// errPartial is returned when the stream ends inside a line that may still
// be completed (a followed file): the caller retries later from offset.
var errPartial = errors.New("partial line")

// reset makes the reader read r, whose next byte is at offset off (after
// the caller moved a file's position). What head holds from off on is
// read again.
func (lr *lineReader) reset(r io.Reader, off int64) {
	lr.r.Reset(r)
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
	return line{text: text, offset: start, end: end, tooLong: tooLong, length: length}
}
