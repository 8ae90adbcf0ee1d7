package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanOfWindowsEventsSaysWhy: a scan of nothing but Windows event
// logs (an .evtx, a JSON export) reads no event: it exits 3 and says they
// are Windows event logs not supported yet, not "no known log format".
func TestScanOfWindowsEventsSaysWhy(t *testing.T) {
	t.Parallel() // its own directories and processes
	dir := t.TempDir()
	logs := filepath.Join(dir, "collected")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Security.evtx": "ElfFile\x00" + strings.Repeat("\x00", 120),
		"sysmon.json":   `{"Keywords":-9223372036854775808,"SeverityValue":2,"EventID":10,"Channel":"Microsoft-Windows-Sysmon/Operational","EventTime":"2020-09-20 02:57:14","SourceName":"Microsoft-Windows-Sysmon","Hostname":"WORKSTATION5.theshire.local"}` + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(logs, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := cli{t: t, dir: dir}
	_, stderr, code := c.run("scan", logs)
	if code != exitNothingRead {
		t.Fatalf("exit %d, want %d:\n%s", code, exitNothingRead, stderr)
	}
	for _, want := range []string{"0 events read", "Security.evtx: Windows event log (.evtx; not supported yet)", "sysmon.json: Windows event export (JSON; not supported yet)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("%q missing:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "no known log format") {
		t.Errorf("a Windows event log called unknown:\n%s", stderr)
	}
}
