package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// FuzzReadMirror reads arbitrary bytes as a mirror file (cut short by a
// full disk, edited, damaged): nothing panics, every line is either a
// record or counted bad, and a good line written after whatever the file
// holds is read back intact — a damaged line never swallows the next one.
func FuzzReadMirror(f *testing.F) {
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	recs := []Record{
		{Seq: 1, Time: at, Who: "yamada", Kind: KindIncident, Action: "opened", Incident: "INC-20260304-01", Fields: map[string]string{"endpoints": "10.0.10.23"}},
		{Seq: 2, Time: at, Who: "sato", Kind: KindChecklist, Action: "checked", Incident: "INC-20260304-01", Subject: "A.it-admin.triage", Note: "seen\nin the proxy log"},
		{Seq: 3, Time: at, Who: "yamada", Kind: KindContainment, Action: ActionStarted, Incident: "INC-20260304-01", Subject: "segment.block-ip",
			Run: &Run{ID: "r1", Measure: "segment.block-ip", Params: map[string]string{"ip": "203.0.113.7"}, Argv: []string{"nft", "add", "--key=***"}, TimeoutMS: 30000}},
		{Seq: 4, Time: at, Who: "yamada", Kind: KindContainment, Action: ActionInterrupted, Run: &Run{ID: "r1", Outcome: Interrupted, Error: "mamori stopped"}},
	}
	var file []byte
	for _, r := range recs {
		b, _ := json.Marshal(r)
		file = append(append(file, b...), '\n')
	}
	f.Add(file)
	f.Add(file[:len(file)/2]) // cut short
	f.Add([]byte(`{"seq":1,"time":"2026-03-04T10:00:00Z","who":"u","ki`))
	f.Add([]byte("\n\n  \r\n"))
	f.Add([]byte(`{"seq":"x"}` + "\n" + `[1,2]` + "\n" + `null` + "\n"))
	f.Add([]byte(`{"time":"not a time","run":{"exit":"x"}}`))
	good := recs[2]
	goodLine, _ := json.Marshal(good)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "audit.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, bad, err := ReadMirror(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := 0
		for _, l := range bytes.Split(data, []byte{'\n'}) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		if len(got)+bad != lines {
			t.Fatalf("%d records and %d bad lines from %d lines", len(got), bad, lines)
		}
		// A record read back writes as a line that reads back the same.
		for _, r := range got {
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("record %+v does not encode: %v", r, err)
			}
			var again Record
			if err := json.Unmarshal(b, &again); err != nil {
				t.Fatalf("record line %s does not decode: %v", b, err)
			}
			if b2, _ := json.Marshal(again); !bytes.Equal(b, b2) {
				t.Fatalf("record does not read back the same:\n%s\n%s", b, b2)
			}
		}
		_ = Unfinished(got)

		// The next line, as Append writes it after a damaged end.
		f2, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		line := append([]byte(nil), goodLine...)
		if !endsWithNewline(f2) {
			line = append([]byte{'\n'}, line...)
		}
		_, err = f2.Write(append(line, '\n'))
		_ = f2.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, _, err = ReadMirror(path)
		if err != nil || len(got) == 0 || !reflect.DeepEqual(got[len(got)-1], good) {
			t.Fatalf("the record written after %q is not read back: %+v, %v", data, got, err)
		}
	})
}
