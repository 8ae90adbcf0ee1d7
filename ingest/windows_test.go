package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSniffWindowsEvents: Windows event logs are logs of a kind mamori
// does not read yet, not unknown files: an .evtx and JSON exports say so
// when they are skipped. JSON that is not Windows events is still of no
// known format.
func TestSniffWindowsEvents(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		content string
		reason  string
	}{
		// Two events of the OTRF Security-Datasets (Mordor) empire_smbexec
		// export (MIT licence), their long fields left out.
		"otrf.json": {`{"Keywords":-9223372036854775808,"SeverityValue":2,"EventID":10,"ProviderGuid":"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}","Channel":"Microsoft-Windows-Sysmon/Operational","ThreadID":7976,"EventType":"INFO","EventTime":"2020-09-20 02:57:14","@timestamp":"2020-09-20T06:57:17.371Z","Task":10,"Severity":"INFO","SourceName":"Microsoft-Windows-Sysmon","Version":3,"Hostname":"WORKSTATION5.theshire.local"}
{"Keywords":0,"SeverityValue":2,"EventID":4103,"ProviderGuid":"{A0C1853B-5C40-4B15-8766-3CF1C58F985A}","Channel":"Microsoft-Windows-PowerShell/Operational","ThreadID":9552,"EventType":"INFO","EventTime":"2020-09-20 02:57:15","@timestamp":"2020-09-20T06:57:17.372Z","Task":106,"Severity":"INFO","SourceName":"Microsoft-Windows-PowerShell","Version":1,"Hostname":"WORKSTATION5.theshire.local"}
`, ReasonWindowsExport},
		"winlogbeat.ndjson": {`{"@timestamp":"2024-05-01T10:00:00.000Z","winlog":{"event_id":4625,"channel":"Security","provider_name":"Microsoft-Windows-Security-Auditing","computer_name":"DC01"}}
`, ReasonWindowsExport},
		"evtx_dump.json": {`{"Event":{"System":{"Provider":{"Name":"Microsoft-Windows-Security-Auditing"},"EventID":4624,"Channel":"Security","Computer":"DC01"}}}
`, ReasonWindowsExport},
		"Security.evtx":   {"ElfFile\x00" + strings.Repeat("\x00", 120), ReasonWindowsLog},
		"other.json":      {`{"name":"mamori","version":1}` + "\n", "no known log format"},
		"half-event.json": {`{"EventID":4624,"Channel":"Security"}` + "\n" + `{"user":"x"}` + "\n" + `{"user":"y"}` + "\n", "no known log format"},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Sniff(p, Formats())
			var se *SkipError
			if !errors.As(err, &se) || !strings.HasPrefix(se.Reason, tc.reason) {
				t.Fatalf("Sniff = %v, want skipped: %s", err, tc.reason)
			}
		})
	}
}
