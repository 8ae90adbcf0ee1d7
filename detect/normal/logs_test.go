package normal

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

// readLog decodes a log file (gzipped when its name ends in .gz) with the
// named ingest format, enriched as ingest enriches, in file order.
func readLog(t testing.TB, path, format string, loc *time.Location, enr *ingest.Enricher) []event.Event {
	t.Helper()
	f, err := ingest.LookupFormat(ingest.Formats(), format)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
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
	abs, _ := filepath.Abs(path)
	dec := f.New(parse.Source{Path: abs, ModTime: fi.ModTime(), Location: loc})
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
		case errors.Is(err, parse.ErrSkip):
			continue
		case errors.Is(err, parse.ErrSkipFile):
			return nil
		case err != nil:
			continue // ingest counts rejected lines; not these tests' business
		}
		ev.Time = ev.Time.UTC()
		ev.Ref = event.Ref{File: abs, Offset: start}
		ev.Raw = string(line)
		if enr != nil {
			enr.Enrich(&ev)
		}
		evs = append(evs, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return evs
}

// byTime sorts events as the engine wants them: in time order, file order
// kept for equal times.
func byTime(evs []event.Event) {
	slices.SortStableFunc(evs, func(a, b event.Event) int { return a.Time.Compare(b.Time) })
}

// enricher treats the private ranges as internal, with inv (may be nil).
func enricher(inv *asset.Inventory) *ingest.Enricher {
	return &ingest.Enricher{Networks: asset.MustNetworks(asset.DefaultInternal...), Inventory: inv}
}
