//go:build e2e

// Package e2e runs the real mamori binary in a real terminal (tmux at
// 80x24, as over SSH), sends keys and reads the screen. Run with `make
// e2e`; it needs tmux.
package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

type term struct {
	t       *testing.T
	session string
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", args...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *term) screen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", tm.session).CombinedOutput()
	return string(out)
}

// keys types keys; a pause after each keeps a lone Escape from being read
// as Alt+<next key>, as a person's typing would.
func (tm *term) keys(k ...string) {
	for _, key := range k {
		tm.tmux("send-keys", "-t", tm.session, key)
		time.Sleep(150 * time.Millisecond)
	}
}

// waitFor polls the screen until ok says yes, or fails with the screen.
func (tm *term) waitFor(what string, within time.Duration, ok func(string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := tm.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("waited %v for %s; the screen shows:\n%s", within, what, s)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func contains(sub string) func(string) bool {
	return func(s string) bool { return strings.Contains(s, sub) }
}

func TestDemoConsoleAt80x24(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed (apt-get install -y tmux)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mamori")
	build := exec.Command("go", "build", "-o", bin, "../cmd/mamori")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	home := filepath.Join(dir, "home")
	_ = os.MkdirAll(home, 0o755)
	session := "mamori-e2e-" + filepath.Base(dir)
	tm := &term{t: t, session: session}
	cmd := strings.Join([]string{
		"env", "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local/state"), "LANG=C.UTF-8", "TERM=xterm-256color",
		bin, "demo", "--dir", filepath.Join(dir, "demo"),
	}, " ")
	tm.tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", cmd)
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })

	// The header and the panes come up, and the attack's alerts arrive
	// within the first minute.
	tm.waitFor("the console", 20*time.Second, contains("mamori"))
	alertRow := regexp.MustCompile(`(?m)^\d\d:\d\d [·○◆▲■] \S+\s+[MNSC]-[A-Z-]+`)
	s := tm.waitFor("an alert row", 60*time.Second, alertRow.MatchString)
	t.Logf("alerts:\n%s", s)
	for i, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if w := len([]rune(line)); w > 80 {
			t.Errorf("line %d is %d runes wide at 80 columns", i, w)
		}
	}

	// The detail of the top alert, with its evidence.
	tm.keys("Enter")
	tm.waitFor("the alert detail", 10*time.Second, contains("Why:"))
	tm.keys("e")
	tm.waitFor("the evidence", 10*time.Second, contains("Evidence ("))
	tm.keys("Escape")

	// Endpoints, then the top endpoint's timeline.
	tm.keys("2")
	tm.waitFor("the endpoints pane", 10*time.Second, contains("Phases"))
	tm.keys("Enter")
	tm.waitFor("a timeline", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "Events") && regexp.MustCompile(`\d+ Events, \d+ Alerts`).MatchString(s)
	})
	tm.keys("n")
	time.Sleep(500 * time.Millisecond)

	// Help.
	tm.keys("?")
	tm.waitFor("the help overlay", 5*time.Second, contains("Keys"))
	tm.keys("Escape")

	// Sources.
	tm.keys("4")
	tm.waitFor("the sources pane", 5*time.Second, contains("following"))

	// An incident from the top alert: the title proposed, enter accepts.
	tm.keys("1", "g", "i")
	tm.waitFor("the title prompt", 10*time.Second, contains("Open an incident"))
	tm.keys("Enter")
	tm.waitFor("the incident view", 15*time.Second, func(s string) bool {
		return regexp.MustCompile(`INC-\d{8}-\d\d`).MatchString(s) && strings.Contains(s, "Checklist 0/")
	})
	// One action of phase A checked, with a note.
	tm.keys("Enter", "j", "j", "x")
	tm.waitFor("the note prompt", 10*time.Second, contains("Done — "))
	tm.keys("seen it", "Enter")
	tm.waitFor("the checked action", 10*time.Second, contains("“seen it”"))

	// The picker on the incident, a measure, its plan, the typed target.
	tm.keys("c")
	tm.waitFor("the containment picker", 15*time.Second, contains("Containment"))
	tm.keys("/", "blockendp", "Enter", "Enter")
	s = tm.waitFor("the plan", 15*time.Second, contains("type the ip:"))
	target := regexp.MustCompile(`type the ip: (\S+)`).FindStringSubmatch(s)
	if target == nil {
		t.Fatalf("no confirmation target on the plan:\n%s", s)
	}
	tm.keys("Enter", target[1], "Enter")
	tm.waitFor("the result", 15*time.Second, contains("succeeded · exit 0"))
	// Back in the incident: the audit trail has the run.
	tm.keys("Escape", "l", "l", "l", "l")
	tm.waitFor("the audit entry", 15*time.Second, contains("finished: succeeded, exit 0"))

	// Quit.
	tm.keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := exec.Command("tmux", "has-session", "-t", session).Run(); err != nil {
			return // the session ended with mamori
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("mamori did not quit on q; screen:\n%s", tm.screen())
}

// An on-call responder's second session while the console runs: the read
// commands and a --readonly console read through the running mamori, and
// the read-only console follows it live (an incident opened in the first
// console shows up in the second).
func TestSecondSessionBesideTheConsole(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed (apt-get install -y tmux)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mamori")
	build := exec.Command("go", "build", "-o", bin, "../cmd/mamori")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	home := filepath.Join(dir, "home")
	_ = os.MkdirAll(home, 0o755)
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local/state"), "LANG=C.UTF-8", "TERM=xterm-256color"}
	db := filepath.Join(dir, "demo", "db")
	start := func(name string, args ...string) *term {
		session := "mamori-e2e-" + name + "-" + filepath.Base(dir)
		tm := &term{t: t, session: session}
		cmd := strings.Join(append(append([]string{"env"}, env...), append([]string{bin}, args...)...), " ")
		tm.tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", cmd)
		t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })
		return tm
	}
	first := start("first", "demo", "--dir", filepath.Join(dir, "demo"))
	alertRow := regexp.MustCompile(`(?m)^\d\d:\d\d [·○◆▲■] \S+\s+[MNSC]-[A-Z-]+`)
	first.waitFor("an alert row", 60*time.Second, alertRow.MatchString)

	// A read command from another shell.
	cmd := exec.Command(bin, "alerts", "--db", db, "--json")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	if err != nil || !strings.Contains(string(out), `"rule"`) {
		t.Fatalf("mamori alerts beside the console: %v\n%s\n%.300s", err, stderr, out)
	}

	second := start("second", "--readonly", "--db", db)
	second.waitFor("the read-only console with alerts", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "READ-ONLY") && alertRow.MatchString(s)
	})
	// An incident opened in the first console reaches the second.
	first.keys("1", "g", "i")
	first.waitFor("the title prompt", 10*time.Second, contains("Open an incident"))
	first.keys("Enter")
	first.waitFor("the incident view", 15*time.Second, regexp.MustCompile(`INC-\d{8}-\d\d`).MatchString)
	second.waitFor("the incident in the second console", 30*time.Second, contains("5 Incidents 1"))
	second.keys("5")
	second.waitFor("the incidents pane", 10*time.Second, regexp.MustCompile(`INC-\d{8}-01`).MatchString)
	second.keys("q")
	first.keys("q")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := os.Lstat(filepath.Join(db, "control.sock")); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the control socket is left after the console quit; screen:\n%s", first.screen())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
