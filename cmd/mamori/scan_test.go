package main

import (
	"bufio"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/demo"
)

// TestScanFindsTheDemoAttack runs `mamori scan --json` over the demo data,
// as a rescue team would over collected logs: every step of the attack must
// raise its rules on the right endpoint, and no machine without attack
// traffic may get anything above low.
func TestScanFindsTheDemoAttack(t *testing.T) {
	t.Parallel() // its own directories and processes
	if testing.Short() || len(demoSeeds) == 0 {
		t.Skip("writes and scans four days of an office's logs: make e2e")
	}
	for _, seed := range demoSeeds {
		t.Run("seed "+itoa64(seed), func(t *testing.T) {
			dir := t.TempDir()
			opts := demo.Options{Seed: seed, At: time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)}
			story, err := demo.Story(opts)
			if err != nil {
				t.Fatal(err)
			}
			// As a user would: write the data set, then run the command
			// it prints (its configuration gives the office's zone and
			// lists; without them the syslog files land hours off).
			c := cli{t: t, dir: dir}
			logs := filepath.Join(dir, "logs")
			printed := c.ok("demo", "--write", logs, "--seed", itoa64(seed), "--at", opts.At.Format(time.RFC3339))
			_, command, ok := strings.Cut(printed, "mamori scan ")
			if !ok {
				t.Fatalf("demo --write printed no scan command:\n%s", printed)
			}
			args := append([]string{"scan", "--json"}, strings.Fields(command)...)
			out, stderr, code := c.run(args...)
			if code != 0 {
				t.Fatalf("%v exited %d: %s", args, code, stderr)
			}
			var as []alert.Alert
			sc := bufio.NewScanner(strings.NewReader(out))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), `{"summary":`) {
					break // the last line: what was read and found
				}
				var a alert.Alert
				if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
					t.Fatalf("not a JSON alert: %v: %s", err, sc.Text())
				}
				as = append(as, a)
			}
			if len(as) == 0 {
				t.Fatal("no alerts")
			}
			// The JSON fields are stable: every alert has them.
			for _, a := range as {
				if a.ID == "" || a.Rule == "" || a.Title == "" || a.Perspective == "" || a.Basis == "" || a.Phase < 1 || a.Phase > 6 ||
					a.Endpoint == "" || a.Summary == "" || a.Count < 1 || a.FirstSeen.IsZero() || len(a.Evidence) == 0 && a.Perspective != alert.Composite {
					t.Errorf("alert missing fields: %+v", a)
				}
			}
			on := map[string]map[string]bool{} // endpoint → rule → raised
			for _, a := range as {
				if on[a.Endpoint] == nil {
					on[a.Endpoint] = map[string]bool{}
				}
				on[a.Endpoint][a.Rule] = true
			}
			for _, st := range story.Steps {
				for _, r := range st.Rules {
					if !on[st.Endpoint.String()][r] {
						t.Errorf("step %s (phase %d): %s not raised on %s (%s)", st.Name, st.Phase, r, st.Endpoint, st.Host)
					}
				}
			}
			for _, ep := range append(append([]demo.Endpoint(nil), story.Benign...), story.Relays...) {
				for _, a := range as {
					if a.Endpoint == ep.IP.String() && a.Severity > alert.Low {
						t.Errorf("benign %s (%s) has %s %s: %s", ep.Host, ep.IP, a.Severity, a.Rule, a.Summary)
					}
				}
			}
			// They come in the one priority order, each with its rank.
			for i := range as {
				if as[i].Priority != i+1 {
					t.Errorf("alert %d has priority %d", i+1, as[i].Priority)
				}
				if i > 0 && alert.Compare(&as[i-1], &as[i]) > 0 {
					t.Errorf("alert %d (%s %.2f) comes before %d (%s %.2f) out of priority order", i, as[i-1].Severity, as[i-1].Score, i+1, as[i].Severity, as[i].Score)
				}
			}
			// The most important alert comes first, and it is about the victim.
			if as[0].Endpoint != story.Victim.IP.String() || as[0].Severity < alert.High {
				t.Errorf("first alert: %s %s on %s", as[0].Severity, as[0].Rule, as[0].Endpoint)
			}
		})
	}
}

func itoa64(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
