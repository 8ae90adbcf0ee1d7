package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/handling/audit"
)

// TestAuditMirrorPerStore: two stores no longer share one mirror file
// (their sequence numbers collided in it); each has its own, in the state
// directory, wherever --log-file puts mamori's log.
func TestAuditMirrorPerStore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command line")
	}
	c := cli{t: t, dir: t.TempDir()}
	a, b := filepath.Join(c.dir, "office-a"), filepath.Join(c.dir, "office-b")
	c.ok("incident", "open", "--db", a, "--endpoint", "10.0.10.5", "--title", "A one")
	c.ok("incident", "open", "--db", b, "--endpoint", "10.0.20.5", "--title", "B one", "--log-file", filepath.Join(c.dir, "elsewhere", "mamori.log"))
	c.ok("incident", "open", "--db", a, "--endpoint", "10.0.10.6", "--title", "A two")

	if _, err := os.Stat(filepath.Join(c.dir, "state", "mamori", "audit.jsonl")); !os.IsNotExist(err) {
		t.Errorf("the shared mirror file was written: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "elsewhere", "audit.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a mirror followed --log-file: %v", err)
	}
	t.Setenv("XDG_STATE_HOME", filepath.Join(c.dir, "state"))
	for db, titles := range map[string][]string{a: {"A one", "A two"}, b: {"B one"}} {
		mirror := config.DefaultAuditFile(db)
		recs, bad, err := audit.ReadMirror(mirror)
		if err != nil || bad != 0 {
			t.Fatalf("mirror of %s: %v, %d bad lines", db, err, bad)
		}
		var got []string
		for i, r := range recs {
			if r.Seq != uint64(i+1) {
				t.Errorf("%s: record %d has sequence number %d", mirror, i, r.Seq)
			}
			if r.Action == "opened" {
				got = append(got, r.Fields["title"])
			}
		}
		if len(recs) == 0 || strings.Join(got, ",") != strings.Join(titles, ",") {
			t.Errorf("%s holds %d records opening %q, want %q: %+v", mirror, len(recs), got, titles, recs)
		}
		if fi, err := os.Stat(mirror); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", mirror, fi.Mode(), err)
		}
		if fi, err := os.Stat(filepath.Dir(mirror)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, %v; want 0700", filepath.Dir(mirror), fi.Mode(), err)
		}
	}
	if config.DefaultAuditFile(a) == config.DefaultAuditFile(b) {
		t.Error("two stores, one mirror")
	}
}

// TestReadingCommandsCreateNoStore: commands that only read never create
// a store; `rules` shows learning progress when a store exists.
func TestReadingCommandsCreateNoStore(t *testing.T) {
	t.Parallel() // its own directories and processes
	if testing.Short() {
		t.Skip("runs the command line")
	}
	c := cli{t: t, dir: t.TempDir()}
	store := filepath.Join(c.dir, "data", "mamori") // the default store
	c.ok("measures")
	c.ok("rules")
	if _, errs, code := c.run("rules", "--json"); code != 0 || !strings.Contains(errs, "no store") {
		t.Errorf("rules without a store: exit %d, %s", code, errs)
	}
	for _, args := range [][]string{{"alerts"}, {"incidents"}} {
		if _, _, code := c.run(args...); code == 0 {
			t.Errorf("%s without a store succeeded", args[0])
		}
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Fatalf("a reading command created the store %s (%v)", store, err)
	}

	c.ok("scan", "--db", store, "../../testdata/crowdsec/ssh-bf.log")
	out, errs, code := c.run("rules", "--json")
	if code != 0 || strings.Contains(errs, "no store") {
		t.Fatalf("rules with a store: exit %d, %s", code, errs)
	}
	learning := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct {
			State    string  `json:"state"`
			Progress float64 `json:"learning_progress"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.State == "learning" {
			learning++
			if r.Progress <= 0 {
				t.Errorf("a learning rule shows no progress from the store: %s", line)
			}
		}
	}
	if learning == 0 {
		t.Error("no learning rule listed")
	}
}
