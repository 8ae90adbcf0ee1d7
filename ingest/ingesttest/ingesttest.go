// Package ingesttest reads real log files into events for the detectors'
// tests, the way ingest does (the registered format, Ref and Raw set,
// enriched), without a store.
package ingesttest

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// Options say how a file is read.
type Options struct {
	Format   string         // the ingest format's name: "zeek", "squid", ...
	Location *time.Location // of year-less and zone-less timestamps; nil means UTC
	Year     int            // of year-less timestamps; zero infers it
	Enricher *ingest.Enricher
}

// ReadLog decodes a log file (gzipped when its name ends in .gz) in file
// order. Lines the format skips or rejects are left out: counting them is
// ingest's business, not the detectors' tests'.
func ReadLog(t testing.TB, path string, o Options) []event.Event {
	t.Helper()
	f, err := ingest.LookupFormat(ingest.Formats(), o.Format)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }() // read only: nothing to lose on close
	fi, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = fh
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = zr
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	abs, _ := filepath.Abs(path)
	dec := f.New(parse.Source{Path: abs, ModTime: fi.ModTime(), Location: loc, Year: o.Year})
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	var evs []event.Event
	var off int64
	for sc.Scan() {
		line := sc.Bytes()
		start := off
		off += int64(len(line)) + 1
		var ev event.Event
		err := dec.Decode(line, &ev)
		switch {
		case errors.Is(err, parse.ErrSkipFile):
			return nil
		case err != nil:
			continue
		}
		ev.Time = ev.Time.UTC()
		ev.Ref = event.Ref{File: abs, Offset: start}
		ev.Raw = string(line)
		if o.Enricher != nil {
			o.Enricher.Enrich(&ev)
		}
		evs = append(evs, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return evs
}

// Enricher treats the private ranges as internal, with inv (which may be
// nil) naming hosts.
func Enricher(inv *asset.Inventory) *ingest.Enricher {
	return &ingest.Enricher{Networks: asset.MustNetworks(asset.DefaultInternal...), Inventory: inv}
}

// ByTime sorts events into the time order the engine expects, file order
// kept for equal times.
func ByTime(evs []event.Event) {
	slices.SortStableFunc(evs, func(a, b event.Event) int { return a.Time.Compare(b.Time) })
}
