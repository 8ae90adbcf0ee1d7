package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sshdLines writes n failed logins from one address (a brute force) as an
// auth.log.
func sshdLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Mar  4 %02d:%02d:%02d gw sshd[%d]: Failed password for root from 203.0.113.9 port %d ssh2\n", i/3600%24, i/60%60, i%60, 1000+i%30000, 20000+i%40000)
	}
	return b.String()
}

// TestBatchSaysWhatItRead: "no alerts" is never the answer when nothing
// was analysed. An import or scan that reads no event fails with what it
// skipped; events stored without analysis are pointed out by `alerts`;
// `scan --db` analyses them; `scan --json` ends with a summary line; an
// unchanged file imported again is "nothing new".
func TestBatchSaysWhatItRead(t *testing.T) {
	t.Parallel() // its own directories and processes
	dir := t.TempDir()
	c := cli{t: t, dir: dir}

	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"scan", empty}, {"ingest", "--db", filepath.Join(dir, "e"), empty}} {
		_, stderr, code := c.run(cmd...)
		if code != exitNothingRead || !strings.Contains(stderr, "0 events read (no files found)") {
			t.Errorf("%s of an empty folder: exit %d\n%s", cmd[0], code, stderr)
		}
	}
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("meeting at ten\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "blob.bin"), []byte{0, 1, 2, 0xff, 0, '\n'}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := c.run("scan", empty); code != exitNothingRead || !strings.Contains(stderr, "0 events read (2 files skipped: ") {
		t.Errorf("scan of a folder of non-logs: exit %d\n%s", code, stderr)
	}

	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logs, "auth.log"), []byte(sshdLines(40)), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "db")
	out := c.ok("ingest", "--db", db, "--year", "2026", logs)
	if !strings.Contains(out, "40 events from 1 files") || !strings.Contains(out, `mamori scan --db `+db) {
		t.Errorf("ingest:\n%s", out)
	}
	if out := c.ok("ingest", "--db", db, "--year", "2026", logs); !strings.Contains(out, "nothing new: 1 files already imported and unchanged") {
		t.Errorf("ingest again:\n%s", out)
	}
	stdout, stderr, code := c.run("alerts", "--db", db)
	if code != 0 || !strings.Contains(stderr, "40 events stored by \"mamori ingest\"") || !strings.Contains(stderr, "were never analysed") {
		t.Errorf("alerts of an unanalysed store: exit %d\n%s%s", code, stdout, stderr)
	}
	out = c.ok("scan", "--db", db, "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last struct {
		Summary *struct {
			Alerts int `json:"alerts"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Summary == nil {
		t.Fatalf("scan --json does not end with a summary: %v\n%s", err, out)
	}
	if last.Summary.Alerts != len(lines)-1 || last.Summary.Alerts == 0 {
		t.Errorf("summary says %d alerts, the output has %d lines before it", last.Summary.Alerts, len(lines)-1)
	}
	if _, stderr, _ := c.run("alerts", "--db", db); strings.Contains(stderr, "never analysed") {
		t.Errorf("alerts after the scan still say the store is unanalysed:\n%s", stderr)
	}
}

// TestInterruptedImportSaysWhatItKept: Ctrl-C during an import reports
// what is stored and how to go on, with the shell's status for SIGINT;
// running it again finishes the import.
func TestInterruptedImportSaysWhatItKept(t *testing.T) {
	t.Parallel()     // its own directories and processes
	const n = 50_000 // the signal lands as the store is created: long before the end
	dir := t.TempDir()
	logs := filepath.Join(dir, "auth.log")
	if err := os.WriteFile(logs, []byte(sshdLines(n)), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "db")
	cmd := exec.Command(os.Args[0], "ingest", "--json", "--db", db, "--year", "2026", logs)
	cmd.Env = append(os.Environ(), "MAMORI_CLI_TEST=1", "XDG_STATE_HOME="+filepath.Join(dir, "state"), "GORACE=atexit_sleep_ms=0")
	var outb, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &outb, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once the store exists mamori handles the signal; whenever it lands
	// (during the import or after it), the command ends with what it kept
	// and the next run completes it.
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var err error
	for exited := false; !exited; {
		select {
		case err = <-waited:
			exited = true
		case <-time.After(10 * time.Millisecond): // a poll, not a deadline
			if _, serr := os.Stat(filepath.Join(db, "MANIFEST")); serr == nil {
				_ = cmd.Process.Signal(syscall.SIGINT)
				err, exited = <-waited, true
			}
		}
	}
	code := cmd.ProcessState.ExitCode()
	if code == exitInterrupted {
		if !strings.Contains(errb.String(), "interrupted; ") || !strings.Contains(errb.String(), "run the same command again to resume") {
			t.Errorf("interrupted import said:\n%s", errb.String())
		}
		if strings.Contains(errb.String(), "context canceled") {
			t.Errorf("interrupted import speaks of contexts:\n%s", errb.String())
		}
	} else if err != nil {
		t.Fatalf("interrupted import: %v\n%s", err, errb.String())
	}
	var first, second struct{ Events int64 }
	if err := json.Unmarshal([]byte(outb.String()), &first); err != nil {
		t.Fatalf("interrupted import's summary: %v\n%s", err, outb.String())
	}
	c := cli{t: t, dir: dir}
	if err := json.Unmarshal([]byte(c.ok("ingest", "--json", "--db", db, "--year", "2026", logs)), &second); err != nil {
		t.Fatal(err)
	}
	if first.Events+second.Events != n {
		t.Fatalf("interrupted at %d events, resumed with %d: %d in all, want %d", first.Events, second.Events, first.Events+second.Events, n)
	}
}

// TestTimesOnTheCommandLineAreInTheOfficeZone: "2026-11-01" given to
// baseline learn is midnight in the office, not in UTC or the machine's
// zone.
func TestTimesOnTheCommandLineAreInTheOfficeZone(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	for in, want := range map[string]time.Time{
		"2026-11-01":                time.Date(2026, 11, 1, 0, 0, 0, 0, jst),
		"2026-11-01 09:30":          time.Date(2026, 11, 1, 9, 30, 0, 0, jst),
		"2026-11-01T09:30:00+00:00": time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC),
	} {
		got, err := parseWhen(in, jst)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

// TestHelpNamesFlagValues: cobra takes a back-quoted word in a flag's
// usage for the name of its value; --format once read "--format mamori
// formats". --lang is a global flag.
func TestHelpNamesFlagValues(t *testing.T) {
	c := cli{t: t, dir: t.TempDir()}
	if out := c.ok("ingest", "--help"); !strings.Contains(out, "--format NAME") {
		t.Errorf("ingest --help:\n%s", out)
	}
	if out := c.ok("report", "--help"); !strings.Contains(out, "Global Flags:") || !strings.Contains(out[strings.Index(out, "Global Flags:"):], "--lang") {
		t.Errorf("report --help has no global --lang:\n%s", out)
	}
}

// TestScanWarnsWithoutInternalAddresses: a scan whose events have no
// address in the internal networks (a public server's capture, or
// networks set for another office) says so, and names the address that
// looks like the monitored host; it is silent once that is internal.
func TestScanWarnsWithoutInternalAddresses(t *testing.T) {
	t.Parallel() // its own directories and processes
	c := cli{t: t, dir: t.TempDir()}
	eve := filepath.Join("..", "..", "testdata", "suricata-slips", "eve-slice.json")
	_, stderr, code := c.run("scan", "--internal", "10.0.0.0/8", eve)
	if code != 0 {
		t.Fatalf("scan exited %d: %s", code, stderr)
	}
	for _, want := range []string{"warning: none of the 195 events with an address has one in the internal networks (10.0.0.0/8)",
		"192.168.1.129 (in 100 % of the events, with 8+ others)", "scan again with --internal 192.168.1.129/32 "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	out, stderr, code := c.run("scan", "--json", "--internal", "10.0.0.0/8", eve)
	if code != 0 || !strings.Contains(out, `"warnings":["none of the 195 events`) {
		t.Errorf("JSON summary without the warning (exit %d): %s %s", code, lastLine(out), stderr)
	}
	if _, stderr, _ := c.run("scan", "--internal", "192.168.0.0/16", eve); strings.Contains(stderr, "warning:") {
		t.Errorf("warned with the host internal:\n%s", stderr)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}
