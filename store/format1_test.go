package store_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/store"
)

// unpackFormat1 unpacks testdata/format1/store.tar.gz into a new directory:
// a store written by the mamori before event blocks (main at c2d7148,
// "mamori ingest" of 2,026 lines of the demo office: Squid, Zeek conn,
// http, dns and dce_rpc, netfilter, dnsmasq and sshd, over two days, with
// lateral traffic). testdata/format1/answers.txt is what that mamori's
// readers said about it: answers() run by its own store package (this
// file's answers_test.go copied into a checkout of c2d7148, the store
// opened read-only with IsInternal officeInternal).
func unpackFormat1(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "format1", "store.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "db")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(filepath.Join(dir, filepath.Base(h.Name)), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, tr); err != nil { //nolint:gosec // a fixture of a few MB
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func wantAnswers(t *testing.T, s *store.Store, when string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", "format1", "answers.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := answers(s)
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	if got != string(want) {
		g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(g), len(w)) {
			var gl, wl string
			if i < len(g) {
				gl = g[i]
			}
			if i < len(w) {
				wl = w[i]
			}
			if gl != wl {
				t.Fatalf("%s: the readers answer otherwise than the mamori that wrote the store, first at line %d:\n got  %s\n want %s", when, i+1, gl, wl)
			}
		}
	}
}

// TestStoreOfThePreviousMamori: a store written by the mamori before event
// blocks (a real one, not one this package imitates) is refused read-only
// with one message naming mamori migrate, converted when opened for
// writing, and then every reader (events, counts over windows, events by
// key, timelines whole and paged both ways, filtered, histograms, offsets,
// endpoint summaries) gives exactly what that mamori's readers gave; the
// same events written again (a re-read of the same files) change nothing.
func TestStoreOfThePreviousMamori(t *testing.T) {
	dir := unpackFormat1(t)

	_, err := store.Open(dir, store.Options{ReadOnly: true, IsInternal: officeInternal})
	var old *store.OldFormatError
	if !errors.As(err, &old) || !strings.Contains(err.Error(), "mamori migrate --db "+dir) {
		t.Fatalf("read-only open of the previous mamori's store: %v", err)
	}

	s, err := store.Open(dir, store.Options{IsInternal: officeInternal, Retention: -1})
	if err != nil {
		t.Fatal(err)
	}
	if ok, n := s.Migrated(); !ok || n != 2026 {
		t.Fatalf("Migrated() = %v, %d; want true, 2026", ok, n)
	}
	wantAnswers(t, s, "converted, postings held")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = store.Open(dir, store.Options{ReadOnly: true, IsInternal: officeInternal})
	if err != nil {
		t.Fatalf("read-only open after the conversion: %v", err)
	}
	wantAnswers(t, s, "converted, reopened read-only")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The files read again from their start: every event again, in
	// batches other than the conversion's minutes.
	s, err = store.Open(dir, store.Options{IsInternal: officeInternal, Retention: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var evs []event.Event
	if err := s.Events(context.Background(), time.Time{}, time.Time{}, func(st store.Stored) error {
		evs = append(evs, st.Event)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(evs); i += 97 {
		if err := s.PutEvents(evs[i:min(i+97, len(evs))]); err != nil {
			t.Fatal(err)
		}
	}
	wantAnswers(t, s, "converted, every event written again")
}
