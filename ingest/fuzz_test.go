package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/ingest/parse"
)

// FuzzLineReader checks the line reader on any bytes and line limit: each
// line starts where the previous one ended, its text is the file's bytes
// at its offset (at most max of them) without the ending, nothing is
// skipped or read twice, and a stream that is complete is read to its end
// while an incomplete one stops before its partial last line.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), uint16(10), true)
	f.Add([]byte("a\nb\r\nc"), uint16(10), false)
	f.Add([]byte("0123456789abcdef\nxy\n"), uint16(4), true)
	f.Add([]byte("\r\r\n\n\n"), uint16(1), false)
	f.Add([]byte{}, uint16(0), true)
	f.Fuzz(func(t *testing.T, data []byte, maxLen uint16, complete bool) {
		limit := int(maxLen%512) + 1
		lr := newLineReader(bytes.NewReader(data), 0, limit, complete)
		var at int64
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("more lines than bytes: the reader does not advance")
			}
			l, err := lr.next()
			if errors.Is(err, io.EOF) {
				if complete && at != int64(len(data)) {
					t.Fatalf("EOF at %d of %d bytes", at, len(data))
				}
				if !complete && bytes.IndexByte(data[at:], '\n') >= 0 {
					t.Fatalf("EOF at %d with a whole line left", at)
				}
				return
			}
			if errors.Is(err, errPartial) {
				if complete {
					t.Fatal("a partial line in a complete stream")
				}
				if l.offset != at || bytes.IndexByte(data[at:], '\n') >= 0 {
					t.Fatalf("partial line at %d (expected %d) with a line ending after it", l.offset, at)
				}
				return
			}
			if err != nil {
				t.Fatalf("next: %v", err)
			}
			if l.offset != at || l.end <= l.offset || l.end > int64(len(data)) {
				t.Fatalf("line [%d,%d) after %d in %d bytes", l.offset, l.end, at, len(data))
			}
			if len(l.text) > limit {
				t.Fatalf("a line of %d bytes with a limit of %d", len(l.text), limit)
			}
			if l.tooLong != (l.length > int64(limit)) {
				t.Fatalf("tooLong %v for a line of %d bytes, limit %d", l.tooLong, l.length, limit)
			}
			if !bytes.HasPrefix(data[l.offset:l.end], l.text) || bytes.IndexByte(l.text, '\n') >= 0 {
				t.Fatalf("text %q is not the file's bytes %q", l.text, data[l.offset:l.end])
			}
			at = l.end
		}
	})
}

// FuzzSniffAndDecode writes any bytes to a file (gzip-compressed or not),
// recognises its format as an import does and decodes every line through
// the file decoder: it must neither panic nor hang, every line is counted
// once as an event, a rejection or ignored, and every event is within the
// shared time bounds and points into the file.
func FuzzSniffAndDecode(f *testing.F) {
	seeds := []string{
		"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n1320279566.000000\tCx\t10.0.0.1\t5000\t8.8.8.8\t53\tudp\n",
		`{"ts":1320279566.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"1.2.3.4","id.resp_p":80,"proto":"tcp"}` + "\n",
		`{"timestamp":"2019-01-01T00:00:00.000000+0000","event_type":"alert","src_ip":"10.0.0.1","src_port":1,"dest_ip":"1.2.3.4","dest_port":80,"proto":"TCP","alert":{"signature":"x","severity":2}}` + "\n",
		"1700000000.123    120 10.0.0.5 TCP_TUNNEL/200 4100 CONNECT example.org:443 - HIER_DIRECT/203.0.113.5 -\n",
		"Nov 20 04:04:05 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.9 DST=10.0.0.1 PROTO=TCP SPT=4444 DPT=22 SYN\n",
		"Nov 20 04:04:05 srv sshd[123]: Failed password for root from 203.0.113.9 port 4242 ssh2\n",
		"Nov 20 04:04:05 dnsmasq[1]: query[A] example.org from 10.0.0.5\n",
		"20-Nov-2026 04:04:05.123 client @0x1 10.0.0.5#5353 (example.org): query: example.org IN A + (10.0.0.1)\n",
		"<34>1 2026-11-20T04:04:05Z host app - - - message\n",
		"not a log at all\n\x00\x01\x02",
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	formats := Formats()
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		path := filepath.Join(dir, "fuzz.log")
		content := data
		if compress {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write(data)
			_ = zw.Close()
			content = b.Bytes()
		}
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		format, err := Sniff(path, formats)
		if err != nil {
			var se *SkipError
			if !errors.As(err, &se) && !errors.Is(err, ErrEmpty) {
				t.Fatalf("Sniff: an error that is neither a skip nor empty: %v", err)
			}
			return
		}
		o, err := openLog(path, nil)
		if err != nil {
			t.Fatalf("openLog after a successful Sniff: %v", err)
		}
		defer o.Close()
		opt := Options{MaxLine: 4096}
		fd := newFileDecoder(path, format.New(parse.Source{Path: path, ModTime: time.Now(), Year: 2026, Location: time.UTC}), &opt)
		lr := newLineReader(o.r, 0, opt.MaxLine, true)
		lines, events := 0, 0
		for {
			l, err := lr.next()
			if err != nil {
				break // EOF, or a truncated gzip stream
			}
			lines++
			if err := fd.add(l); err != nil {
				break // the decoder gave up on the file
			}
			evs, tl := fd.take()
			events += len(evs)
			if got := int(tl.lines); got != 1 {
				t.Fatalf("one line counted %d times", got)
			}
			for i := range evs {
				ev := &evs[i]
				if err := parse.CheckTime(ev.Time); err != nil {
					t.Fatalf("an event out of the time bounds: %v (%q)", err, ev.Raw)
				}
				if ev.Ref.Offset != l.offset || ev.Ref.File != path {
					t.Fatalf("event at %s:%d from the line at %d", ev.Ref.File, ev.Ref.Offset, l.offset)
				}
			}
		}
		if events > lines {
			t.Fatalf("%d events from %d lines", events, lines)
		}
	})
}
