package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A scan of a capture shorter than the learning window says which rules
// only learned: their silence is not a verdict.
func TestScanSaysWhatWasNotJudged(t *testing.T) {
	t.Parallel() // its own directories and processes
	c := cli{t: t, dir: t.TempDir()}
	log := filepath.Join("..", "..", "testdata", "crowdsec", "ssh-bf.log")
	_, stderr, code := c.run("scan", log)
	if code != 0 {
		t.Fatalf("scan exited %d: %s", code, stderr)
	}
	for _, s := range []string{"not judged: 13 rules learn a baseline of normal business for 72h", "the data spans 3s of it", "N-APP", "baseline: {learning: 12h}"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
	out := c.ok("scan", "--json", log)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var sum struct {
		Summary scanSummary `json:"summary"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	l := sum.Summary.Learning
	if l == nil || l.Done || l.Window != "72h" || l.Covered != "3s" || !slices.Contains(l.NotJudged, "N-APP") || slices.Contains(l.NotJudged, "S-ERRORS") {
		t.Errorf("learning: %+v", l)
	}
}

// `mamori rules ID` describes a rule, how it learns included.
func TestRulesDescribesLearning(t *testing.T) {
	t.Parallel() // its own directories and processes
	c := cli{t: t, dir: t.TempDir()}
	out := c.ok("rules", "s-errors")
	for _, s := range []string{"S-ERRORS  Many error responses", "state: active", "Learning:", "Outside sources learn", "min_failures_before_success"} {
		if !strings.Contains(out, s) {
			t.Errorf("rules S-ERRORS lacks %q:\n%s", s, out)
		}
	}
	if _, _, code := c.run("rules", "X-NOPE"); code != 2 {
		t.Errorf("an unknown rule: exit %d, want 2", code)
	}
	var row ruleRow
	if err := json.Unmarshal([]byte(c.ok("rules", "--json", "N-PORT")), &row); err != nil || row.State != "learning" || !strings.Contains(row.Learning, "known-attack rule") {
		t.Errorf("rules --json N-PORT: %+v (%v)", row, err)
	}
}
