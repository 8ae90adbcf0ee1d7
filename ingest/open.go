package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/sanitize"
)

// SkipError says why a file is not read: it is not a log of a known format,
// or a binary file, or a log type mamori has no use for.
type SkipError struct {
	Path   string
	Reason string
}

func (e *SkipError) Error() string { return e.Path + ": skipped: " + e.Reason }

// opened is a file ready to read: plain or decompressed.
type opened struct {
	f          *os.File
	r          io.Reader // what to read lines from
	compressed bool
}

// Close closes the file. It was only read, so a failed close loses
// nothing and is not reported.
func (o *opened) Close() { closeReadOnly(o.f) }

// closeReadOnly closes a file opened only for reading. Nothing was written
// through it, so a failed close loses nothing and there is nothing to do
// about it.
func closeReadOnly(f *os.File) { _ = f.Close() }

var gzipMagic = []byte{0x1f, 0x8b}

// openLog opens path, transparently decompressing gzip (by content, not
// name). When counter is set, the bytes read from disk are added to it.
func openLog(path string, counter *atomic.Int64) (*opened, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var raw io.Reader = f
	if counter != nil {
		raw = &countingReader{r: f, n: counter}
	}
	br := bufio.NewReaderSize(raw, 64<<10)
	head, _ := br.Peek(2)
	if bytes.Equal(head, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			closeReadOnly(f)
			return nil, fmt.Errorf("%s: bad gzip data: %w", path, err)
		}
		zr.Multistream(true)
		return &opened{f: f, r: zr, compressed: true}, nil
	}
	return &opened{f: f, r: br}, nil
}

// sniffBytes is how much of a file's start is read to recognise it.
const sniffBytes = 64 << 10

// binaryReason names what a file's first bytes look like when they are not
// text, or returns "".
func binaryReason(head []byte) string {
	magics := []struct {
		magic []byte
		what  string
	}{
		{[]byte{0xd4, 0xc3, 0xb2, 0xa1}, "a pcap packet capture"},
		{[]byte{0xa1, 0xb2, 0xc3, 0xd4}, "a pcap packet capture"},
		{[]byte{0x4d, 0x3c, 0xb2, 0xa1}, "a pcap packet capture"},
		{[]byte{0x0a, 0x0d, 0x0d, 0x0a}, "a pcapng packet capture"},
		{[]byte("PK\x03\x04"), "a ZIP archive (unpack it first)"},
		{[]byte("\x7fELF"), "an executable"},
		{[]byte("MZ"), "a Windows executable"},
		{[]byte("%PDF"), "a PDF document"},
		{[]byte("\x89PNG"), "an image"},
		{[]byte("SQLite format 3\x00"), "a SQLite database"},
		{[]byte("BZh"), "a bzip2 archive (decompress it first)"},
		{[]byte{0xfd, '7', 'z', 'X', 'Z', 0}, "an xz archive (decompress it first)"},
		{[]byte{0x28, 0xb5, 0x2f, 0xfd}, "a zstd archive (decompress it first)"},
		{[]byte("ustar"), "a tar archive (unpack it first)"},
	}
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			return m.what
		}
	}
	if len(head) > 262 && bytes.Equal(head[257:262], []byte("ustar")) {
		return "a tar archive (unpack it first)"
	}
	if len(head) == 0 {
		return ""
	}
	// Text with a stray binary line is still a log: call it binary only
	// when control bytes are common, or when it starts with NULs.
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			ctl++
		}
	}
	if ctl*10 > len(head) || bytes.HasPrefix(head, []byte{0, 0}) {
		return "binary data"
	}
	return ""
}

// sniffLines returns the first non-empty lines of head (at most
// parse.SniffLines), without a trailing partial line unless it is all.
func sniffLines(head []byte, complete bool) [][]byte {
	var lines [][]byte
	rest := head
	for len(rest) > 0 && len(lines) < parse.SniffLines {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if !complete && len(lines) > 0 {
				break
			}
			i = len(rest)
		}
		l := bytes.TrimRight(rest[:i], "\r")
		if len(bytes.TrimSpace(l)) > 0 {
			if !utf8.Valid(l) {
				l = bytes.ToValidUTF8(l, []byte("\uFFFD"))
			}
			lines = append(lines, l)
		}
		if i == len(rest) {
			break
		}
		rest = rest[i+1:]
	}
	return lines
}

// ErrEmpty is returned by Sniff for a file with no lines yet.
var ErrEmpty = errors.New("empty file")

// errNoLine is returned when recognising a followed file that has no
// complete line yet: its first write may have been half a line.
var errNoLine = errors.New("no complete line yet")

// Sniff recognises the format of the log file at path from its first
// lines. A file that is no known log comes back as a *SkipError with the
// reason; an empty file as ErrEmpty.
func Sniff(path string, formats []parse.Format) (parse.Format, error) {
	o, err := openLog(path, nil)
	if err != nil {
		return parse.Format{}, err
	}
	defer o.Close()
	return detect(path, o.r, formats, false)
}

// detect recognises the format of the content r (decompressed) of the
// file path. live is set for a file still being written: a last line
// without its newline may be half written, so it is never judged, and a
// file with no complete line yet comes back as errNoLine, to be retried.
func detect(path string, r io.Reader, formats []parse.Format, live bool) (parse.Format, error) {
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return parse.Format{}, fmt.Errorf("%s: read: %w", path, err)
	}
	head = head[:n]
	if n == 0 {
		return parse.Format{}, ErrEmpty
	}
	complete := n < sniffBytes
	if live && complete {
		i := bytes.LastIndexByte(head, '\n')
		if i < 0 {
			return parse.Format{}, errNoLine
		}
		head = head[:i+1]
	}
	if bytes.HasPrefix(head, evtxMagic) {
		return parse.Format{}, &SkipError{Path: path, Reason: ReasonWindowsLog}
	}
	if why := binaryReason(head); why != "" {
		return parse.Format{}, &SkipError{Path: path, Reason: "not a log: " + why}
	}
	lines := sniffLines(head, complete)
	if len(lines) == 0 {
		return parse.Format{}, ErrEmpty
	}
	return pick(path, lines, formats)
}

// isGzip says whether the file f holds gzip data (by content, not name).
func isGzip(f *os.File) bool {
	var b [2]byte
	n, _ := f.ReadAt(b[:], 0)
	return n == 2 && bytes.Equal(b[:], gzipMagic)
}

// contentOf returns a reader of f's content from its start, decompressed
// when gz, without moving f's own offset.
func contentOf(f *os.File, gz bool) (io.Reader, error) {
	r := io.NewSectionReader(f, 0, math.MaxInt64)
	if !gz {
		return r, nil
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(r, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("%s: bad gzip data: %w", f.Name(), err)
	}
	zr.Multistream(true)
	return zr, nil
}

func pick(path string, lines [][]byte, formats []parse.Format) (parse.Format, error) {
	type rated struct {
		f     parse.Format
		score int
	}
	var rs []rated
	for _, f := range formats {
		if f.Sniff == nil {
			continue
		}
		if s := f.Sniff(path, lines); s > 0 {
			rs = append(rs, rated{f, s})
		}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].score > rs[j].score })
	if len(rs) == 0 && windowsExport(lines) {
		return parse.Format{}, &SkipError{Path: path, Reason: ReasonWindowsExport}
	}
	if len(rs) == 0 {
		first := string(lines[0])
		if len(first) > 60 {
			first = first[:60] + "…"
		}
		return parse.Format{}, &SkipError{Path: path, Reason: fmt.Sprintf("no known log format (first line: %q)", sanitize.Line(first))}
	}
	return rs[0].f, nil
}

// The reasons Windows event logs are skipped for, until mamori reads them:
// they are logs, of a kind it does not support yet, not unknown files.
const (
	ReasonWindowsLog    = "Windows event log (.evtx; not supported yet)"
	ReasonWindowsExport = "Windows event export (JSON; not supported yet)"
)

// evtxMagic starts a Windows .evtx file.
var evtxMagic = []byte("ElfFile\x00")

// windowsExport says whether lines are Windows events exported one JSON
// object a line: by Winlogbeat or NXLog, Get-WinEvent | ConvertTo-Json,
// the OTRF/Mordor data sets (EventID with Channel, or ProviderName /
// SourceName; winlog.event_id for Winlogbeat).
func windowsExport(lines [][]byte) bool {
	n := 0
	for _, l := range lines {
		l = bytes.TrimSpace(l)
		if len(l) == 0 || l[0] != '{' {
			return false
		}
		id := bytes.Contains(l, []byte(`"EventID"`)) || bytes.Contains(l, []byte(`"event_id"`)) || bytes.Contains(l, []byte(`"EventId"`))
		src := bytes.Contains(l, []byte(`"Channel"`)) || bytes.Contains(l, []byte(`"channel"`)) || bytes.Contains(l, []byte(`"ProviderName"`)) ||
			bytes.Contains(l, []byte(`"SourceName"`)) || bytes.Contains(l, []byte(`"Provider"`)) || bytes.Contains(l, []byte(`"provider_name"`))
		if id && src {
			n++
		}
	}
	return n*2 > len(lines)
}

// isLogCandidate says whether a file met while walking a folder is worth
// sniffing. Hidden files and obvious non-logs by name are listed as skipped
// without being opened.
func isLogCandidate(path string) (bool, string) {
	base := filepath.Base(path)
	if strings.HasPrefix(base, ".") {
		return false, "hidden file"
	}
	return true, ""
}
