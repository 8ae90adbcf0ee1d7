package report

import (
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/handling/incident"
)

func TestArchivePath(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"absolute":         {"/var/log/squid/access.log", "var/log/squid/access.log"},
		"relative":         {"logs/./zeek/conn.log", "logs/zeek/conn.log"},
		"climbing out":     {"/var/log/../../etc/passwd", "var/log/__/__/etc/passwd"},
		"only dots":        {"/../..", "__/__"},
		"control chars":    {"/var/log/a\x1b[2Jb\n.log", "var/log/a_[2Jb_.log"},
		"windows style":    {`C:\logs\fw.log`, "C:_logs_fw.log"},
		"empty":            {"", "unnamed.log"},
		"double slashes":   {"//srv//logs//x.log", "srv/logs/x.log"},
		"unicode kept":     {"/ログ/アクセス.log", "ログ/アクセス.log"},
		"trailing slash":   {"/var/log/", "var/log"},
		"c1 control chars": {"/a\u009bb.log", "a_b.log"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := archivePath(tc.in); got != tc.want {
				t.Errorf("archivePath(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestEvidenceWindows(t *testing.T) {
	at := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	inc := &incident.Incident{Endpoints: []string{"10.0.10.24", "10.0.10.22"}}
	alerts := []alert.Alert{
		// A long beacon: windows around its start, its end and its lines.
		{Endpoint: "10.0.10.24", FirstSeen: at, LastSeen: at.Add(10 * time.Hour),
			Evidence: []alert.Evidence{{Time: at.Add(5 * time.Minute)}, {Time: at.Add(10 * time.Hour)}}},
		{Endpoint: "10.0.10.24", FirstSeen: at.Add(12 * time.Minute), LastSeen: at.Add(12 * time.Minute)},
		{Endpoint: "10.0.10.22", FirstSeen: at.Add(time.Hour), LastSeen: at.Add(time.Hour)},
		{Endpoint: "10.0.10.99", FirstSeen: at, LastSeen: at}, // not the incident's endpoint
	}
	got := evidenceWindows(inc, alerts, 10*time.Minute)
	want := []Window{
		{"10.0.10.24", at.Add(-10 * time.Minute), at.Add(22 * time.Minute)},
		{"10.0.10.24", at.Add(10*time.Hour - 10*time.Minute), at.Add(10*time.Hour + 10*time.Minute)},
		{"10.0.10.22", at.Add(50 * time.Minute), at.Add(70 * time.Minute)},
	}
	if len(got) != len(want) {
		t.Fatalf("windows = %+v", got)
	}
	for i := range want {
		if got[i].Endpoint != want[i].Endpoint || !got[i].From.Equal(want[i].From) || !got[i].To.Equal(want[i].To) {
			t.Errorf("window %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
