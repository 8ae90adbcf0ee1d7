package alert

import (
	"testing"
	"time"
)

func TestAddEvidenceKeepsEachLineOnce(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	line := Evidence{Time: t0, File: "/var/log/squid/access.log", Offset: 2310263, Raw: "a line"}
	rotated := Evidence{Time: t0, File: "/var/log/squid/access.log", Offset: 2310263, Raw: "another file's line at the same offset"}
	var a Alert
	a.AddEvidence(line, line, rotated)
	a.AddEvidence(line)
	if len(a.Evidence) != 2 {
		t.Fatalf("evidence %+v: want the line once and the rotated file's line", a.Evidence)
	}
	for i := range 3 * MaxEvidence {
		a.AddEvidence(Evidence{Time: t0.Add(time.Duration(i) * time.Second), File: "f", Offset: int64(i), Raw: "x"})
	}
	if len(a.Evidence) != MaxEvidence || a.Evidence[0] != line {
		t.Fatalf("%d lines kept, first %+v: want %d, the first ones kept", len(a.Evidence), a.Evidence[0], MaxEvidence)
	}
}
