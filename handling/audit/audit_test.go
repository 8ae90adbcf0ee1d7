package audit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/store"
)

var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func clock() func() time.Time {
	t := t0
	return func() time.Time { t = t.Add(time.Second); return t }
}

func openStore(t *testing.T, dir string, readOnly bool) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{ReadOnly: readOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestAppendStoresAndMirrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mirror := filepath.Join(dir, "state", "audit.jsonl")
	st := openStore(t, filepath.Join(dir, "db"), false)
	l := Open(st, Options{Mirror: mirror, Now: clock(), User: "yamada"})
	defer l.Close()

	in := []Record{
		{Kind: KindIncident, Action: "opened", Incident: "INC-20260304-01", Fields: map[string]string{"endpoints": "10.0.10.23"}},
		{Kind: KindChecklist, Action: "checked", Incident: "INC-20260304-01", Subject: "A.it-admin.triage", Note: "seen\nin the proxy log", Who: "sato"},
		{Kind: KindContainment, Action: ActionStarted, Incident: "INC-20260304-01", Subject: "segment.block-ip",
			Run: &Run{ID: "r1", Measure: "segment.block-ip", Params: map[string]string{"ip": "203.0.113.7"}, Argv: []string{"nft", "add"}}},
	}
	for i, r := range in {
		got, err := l.Append(ctx, r)
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if got.Seq != uint64(i+1) {
			t.Errorf("append %d: seq %d, want %d", i, got.Seq, i+1)
		}
	}
	stored, err := l.Records(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	mirrored, bad, err := ReadMirror(mirror)
	if err != nil || bad != 0 {
		t.Fatalf("read mirror: %d bad lines, %v", bad, err)
	}
	if !reflect.DeepEqual(stored, mirrored) {
		t.Errorf("store and mirror differ:\nstore  %+v\nmirror %+v", stored, mirrored)
	}
	if stored[0].Who != "yamada" || stored[1].Who != "sato" {
		t.Errorf("who = %q, %q; want the default user, then the caller's", stored[0].Who, stored[1].Who)
	}
	if !stored[0].Time.Equal(t0.Add(time.Second)) {
		t.Errorf("time = %v, want the clock's", stored[0].Time)
	}
	if got, _ := l.Records(ctx, Filter{Kind: KindChecklist}); len(got) != 1 || got[0].Seq != 2 {
		t.Errorf("filter by kind: %+v", got)
	}
	if fi, err := os.Stat(mirror); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mirror file mode: %v %v", fi.Mode(), err)
	}
}

func TestMirrorFailureKeepsStoreRecord(t *testing.T) {
	ctx := context.Background()
	for name, setup := range map[string]func(t *testing.T, dir string) (mirror string, fix func()){
		"disk full": func(*testing.T, string) (string, func()) {
			if _, err := os.Stat("/dev/full"); err != nil {
				t.Skip("no /dev/full")
			}
			return "/dev/full", nil
		},
		"parent is a file": func(t *testing.T, dir string) (string, func()) {
			p := filepath.Join(dir, "notadir")
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(p, "audit.jsonl"), func() { os.Remove(p) }
		},
		"mirror is a directory": func(t *testing.T, dir string) (string, func()) {
			p := filepath.Join(dir, "audit.jsonl")
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			return p, func() { os.Remove(p) }
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			mirror, fix := setup(t, dir)
			st := openStore(t, filepath.Join(dir, "db"), false)
			l := Open(st, Options{Mirror: mirror, Now: clock(), User: "u"})
			defer l.Close()
			rec, err := l.Append(ctx, Record{Kind: KindIncident, Action: "opened", Incident: "INC-1"})
			var me *MirrorError
			if !errors.As(err, &me) || !Stored(err) {
				t.Fatalf("err = %v, want a MirrorError (stored)", err)
			}
			if rec.Seq != 1 {
				t.Errorf("seq = %d, want 1", rec.Seq)
			}
			got, err := l.Records(ctx, Filter{Incident: "INC-1"})
			if err != nil || len(got) != 1 {
				t.Fatalf("store has %d records (%v), want 1", len(got), err)
			}
			if fix == nil {
				return
			}
			// Once the mirror can be written again, later records reach it.
			fix()
			if _, err := l.Append(ctx, Record{Kind: KindIncident, Action: "closed", Incident: "INC-1"}); err != nil {
				t.Fatalf("append after the fix: %v", err)
			}
			m, _, err := ReadMirror(mirror)
			if err != nil || len(m) != 1 || m[0].Seq != 2 {
				t.Errorf("mirror after the fix: %+v %v", m, err)
			}
		})
	}
}

// failingStore accepts nothing.
type failingStore struct{ err error }

func (f failingStore) AppendAudit(any) (uint64, error) { return 0, f.err }
func (f failingStore) ReadOnly() bool                  { return false }
func (f failingStore) AuditLog(uint64, func(uint64, []byte) error) error {
	return nil
}

func TestStoreFailureIsMirroredAndReported(t *testing.T) {
	mirror := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(failingStore{err: store.ErrDiskFull}, Options{Mirror: mirror, Now: clock(), User: "u"})
	defer l.Close()
	_, err := l.Append(context.Background(), Record{Kind: KindAllowList, Action: "added"})
	var se *StoreError
	if !errors.As(err, &se) || !se.Mirrored || Stored(err) || !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("err = %v, want a mirrored StoreError wrapping disk full", err)
	}
	m, _, _ := ReadMirror(mirror)
	if len(m) != 1 || m[0].Seq != 0 || m[0].Action != "added" {
		t.Errorf("mirror = %+v, want the record without a sequence number", m)
	}
}

// unsyncedStore sets records but cannot sync them, as store.Store
// reports it: the sequence number with an error wrapping ErrNotDurable.
type unsyncedStore struct{ failingStore }

func (unsyncedStore) AppendAudit(any) (uint64, error) { return 7, store.ErrNotDurable }

func TestUnsyncedRecordKeepsItsSequenceNumber(t *testing.T) {
	mirror := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(unsyncedStore{}, Options{Mirror: mirror, Now: clock(), User: "u"})
	defer l.Close()
	rec, err := l.Append(context.Background(), Record{Kind: KindContainment, Action: ActionStarted})
	var se *StoreError
	if !errors.As(err, &se) || se.Seq != 7 || rec.Seq != 7 || Stored(err) || !errors.Is(err, store.ErrNotDurable) {
		t.Fatalf("rec.Seq %d, err = %v; want a StoreError with Seq 7, not counted as stored", rec.Seq, err)
	}
	if m, _, _ := ReadMirror(mirror); len(m) != 1 || m[0].Seq != 7 {
		t.Errorf("mirror = %+v, want the record with its sequence number", m)
	}
}

func TestReadOnlyRecordsNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	openStore(t, db, false).Close()
	mirror := filepath.Join(dir, "audit.jsonl")
	l := Open(openStore(t, db, true), Options{Mirror: mirror})
	if _, err := l.Append(context.Background(), Record{Kind: KindIncident, Action: "opened"}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("err = %v, want ErrReadOnly", err)
	}
	if _, err := os.Stat(mirror); !os.IsNotExist(err) {
		t.Errorf("mirror file written in read-only mode: %v", err)
	}
}

func TestPartialMirrorLineIsEnded(t *testing.T) {
	dir := t.TempDir()
	mirror := filepath.Join(dir, "audit.jsonl")
	if err := os.WriteFile(mirror, []byte(`{"seq":1,"time":"2026-03-04T10:00:00Z","who":"u","ki`), 0o600); err != nil {
		t.Fatal(err)
	}
	l := Open(openStore(t, filepath.Join(dir, "db"), false), Options{Mirror: mirror, Now: clock(), User: "u"})
	defer l.Close()
	if _, err := l.Append(context.Background(), Record{Kind: KindIncident, Action: "opened"}); err != nil {
		t.Fatal(err)
	}
	recs, bad, err := ReadMirror(mirror)
	if err != nil || bad != 1 || len(recs) != 1 || recs[0].Action != "opened" {
		t.Errorf("ReadMirror = %+v, %d bad, %v; want the new record and one bad line", recs, bad, err)
	}
}

func TestAllowListChange(t *testing.T) {
	ctx := context.Background()
	l := Open(openStore(t, t.TempDir(), false), Options{Now: clock(), User: "u"})
	e := detect.Allow{Rule: "S-BEACON", Destination: "*.windowsupdate.com", Reason: "update checks"}
	if _, err := l.Append(ctx, AllowListChange(ActionAllowAdded, e, "sato", "noisy")); err != nil {
		t.Fatal(err)
	}
	got, err := l.Records(ctx, Filter{Kind: KindAllowList})
	if err != nil || len(got) != 1 || got[0].Allow == nil || *got[0].Allow != e || got[0].Who != "sato" || got[0].Subject != "S-BEACON" {
		t.Errorf("records = %+v %v", got, err)
	}
}

func TestUnfinished(t *testing.T) {
	ctx := context.Background()
	l := Open(openStore(t, t.TempDir(), false), Options{Now: clock(), User: "u"})
	run := func(id, incident, action string) {
		t.Helper()
		if _, err := l.Append(ctx, Record{Kind: KindContainment, Action: action, Incident: incident, Run: &Run{ID: id, Measure: "segment.block-ip"}}); err != nil {
			t.Fatal(err)
		}
	}
	run("a", "INC-1", ActionStarted)
	run("b", "INC-1", ActionStarted)
	run("c", "INC-2", ActionStarted)
	run("a", "INC-1", ActionFinished)
	run("d", "INC-1", ActionManual)
	for name, tc := range map[string]struct {
		incident string
		want     []string
	}{
		"one incident":  {"INC-1", []string{"b"}},
		"all incidents": {"", []string{"b", "c"}},
		"none":          {"INC-3", nil},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := l.Unfinished(ctx, tc.incident)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.Run.ID)
			}
			if !reflect.DeepEqual(ids, tc.want) {
				t.Errorf("unfinished = %v, want %v", ids, tc.want)
			}
		})
	}
}

// BenchmarkAppend measures one durable record: the store's write and
// sync, and the mirror line's write and fsync.
func BenchmarkAppend(b *testing.B) {
	dir := b.TempDir()
	st, err := store.Open(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	l := Open(st, Options{Mirror: filepath.Join(dir, "audit.jsonl"), User: "bench"})
	defer l.Close()
	rec := Record{Kind: KindChecklist, Action: "checked", Incident: "INC-20261122-01", Subject: "A.it-admin.triage", Note: "seen in the proxy log"}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := l.Append(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
}
