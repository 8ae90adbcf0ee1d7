package audit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// FuzzReadMirror reads arbitrary bytes as the content of a mirror file
// (cut short by a full disk, edited, damaged): nothing panics, every line
// is either a record or counted bad, records re-encode the same, and a
// good line written after whatever the file holds, as Append writes it, is
// read back intact: a damaged line never swallows the next one. (In
// memory: the file-based version starved under the fuzzing engine; the
// file handling is TestPartialMirrorLineIsEnded's.)
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
	f.Fuzz(func(t *testing.T, data []byte) {
		got, bad := parseMirror(data)
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

		// The next line, as Append writes it after a damaged end (a
		// newline first when the file does not end with one).
		next := append([]byte(nil), data...)
		if len(next) > 0 && next[len(next)-1] != '\n' {
			next = append(next, '\n')
		}
		next = append(append(next, goodLine...), '\n')
		got, _ = parseMirror(next)
		if len(got) == 0 || !reflect.DeepEqual(got[len(got)-1], good) {
			t.Fatalf("the record written after %q is not read back: %+v", data, got)
		}
	})
}
