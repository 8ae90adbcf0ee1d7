package ingest

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func readAll(t *testing.T, in string, max int, complete bool) ([]line, error) {
	t.Helper()
	lr := newLineReader(strings.NewReader(in), 100, max, complete)
	var out []line
	for {
		l, err := lr.next()
		if err != nil {
			return out, err
		}
		l.text = append([]byte(nil), l.text...)
		out = append(out, l)
	}
}

func TestLineReaderOffsetsAndEndings(t *testing.T) {
	lines, err := readAll(t, "a\r\nbb\n\nccc", 0, true)
	if !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	want := []struct {
		text        string
		offset, end int64
	}{{"a", 100, 103}, {"bb", 103, 106}, {"", 106, 107}, {"ccc", 107, 110}}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines", len(lines))
	}
	for i, w := range want {
		if string(lines[i].text) != w.text || lines[i].offset != w.offset || lines[i].end != w.end {
			t.Errorf("line %d: %q at %d-%d, want %q at %d-%d", i, lines[i].text, lines[i].offset, lines[i].end, w.text, w.offset, w.end)
		}
	}
}

func TestLineReaderPartialLineOfFollowedFile(t *testing.T) {
	lines, err := readAll(t, "done\nhalf", 0, false)
	if !errors.Is(err, errPartial) || len(lines) != 1 || string(lines[0].text) != "done" {
		t.Fatalf("lines %v, err %v", lines, err)
	}
}

func TestLineReaderBoundsLongLines(t *testing.T) {
	long := strings.Repeat("x", 10<<20) // a 10 MB line
	lines, err := readAll(t, "ok\n"+long+"\nafter\n", 1024, true)
	if !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("got %d lines", len(lines))
	}
	l := lines[1]
	if !l.tooLong || len(l.text) != 1024 || l.length != int64(len(long)) || l.end != 100+3+int64(len(long))+1 {
		t.Fatalf("long line: tooLong=%v len=%d length=%d end=%d", l.tooLong, len(l.text), l.length, l.end)
	}
	if string(lines[2].text) != "after" || lines[2].offset != l.end {
		t.Fatalf("line after the long one: %q at %d", lines[2].text, lines[2].offset)
	}
}

// The first bytes read are kept as the content's head, once each, even
// when an unfinished line is read again after a reset.
func TestLineReaderKeepsTheHeadAsRead(t *testing.T) {
	r := strings.NewReader("one\ntw")
	lr := newLineReader(r, 0, 0, false)
	if l, err := lr.next(); err != nil || string(l.text) != "one" {
		t.Fatalf("%q %v", l.text, err)
	}
	l, err := lr.next()
	if !errors.Is(err, errPartial) || string(l.text) != "tw" {
		t.Fatalf("%q %v", l.text, err)
	}
	lr.reset(strings.NewReader("two\nthree\n"), l.offset)
	for range 2 {
		if _, err := lr.next(); err != nil {
			t.Fatal(err)
		}
	}
	if string(lr.head) != "one\ntwo\nthree\n" {
		t.Fatalf("head %q", lr.head)
	}
	long := strings.Repeat("x", 3*headMax) + "\n"
	lr = newLineReader(strings.NewReader(long), 0, 0, true)
	if _, err := lr.next(); err != nil || len(lr.head) != headMax {
		t.Fatalf("head of a long line: %d bytes, %v", len(lr.head), err)
	}
	lr = newLineReader(strings.NewReader("mid-file\n"), 100, 0, true)
	if _, err := lr.next(); err != nil || len(lr.head) != 0 {
		t.Fatalf("a reader that began mid-file kept %q", lr.head)
	}
}
