package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/app/control"
	"github.com/mamori-soc/mamori/demo"
	"github.com/mamori-soc/mamori/handling/report"
)

// running is a mamori started in the background (the console's work
// without a terminal: --headless).
type running struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	exited         chan struct{}
	err            error
}

// start runs mamori with args in the background; it is killed when the
// test ends if it still runs.
func (c cli) start(args ...string) *running {
	c.t.Helper()
	r := &running{t: c.t, cmd: c.command(args...), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	if err := r.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.exited)
	}()
	c.t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.exited
	})
	return r
}

// stop ends it with sig and waits for it.
func (r *running) stop(sig os.Signal) error {
	r.t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatal(err)
	}
	select {
	case <-r.exited:
		return r.err
	case <-time.After(2 * time.Minute):
		r.t.Fatalf("mamori did not stop on %v; stderr:\n%s", sig, r.stderr)
		return nil
	}
}

// waitServing waits until the mamori on db answers on its control socket.
func (r *running) waitServing(db string) {
	r.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c, err := control.Dial(context.Background(), db)
		if err == nil {
			pid := c.PID()
			c.Close()
			if pid != r.cmd.Process.Pid {
				r.t.Fatalf("the socket is answered by pid %d, not %d", pid, r.cmd.Process.Pid)
			}
			return
		}
		select {
		case <-r.exited:
			r.t.Fatalf("mamori exited (%v) before answering on its socket: %v\n%s", r.err, err, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("mamori does not answer on its control socket: %v\n%s", err, r.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// officeStore scans the demo office into dir/db and writes a config that
// follows its logs, as a deployment's would; it returns the store and an
// incident opened on the attack's victim.
func officeStore(t *testing.T, c cli) (db, id string) {
	t.Helper()
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, demo.Location())
	opts := demo.Options{At: at, Endpoints: demo.MinEndpoints, Days: 1}
	m, err := demo.Write(context.Background(), filepath.Join(c.dir, "logs"), opts)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := demo.Story(opts)
	if err != nil {
		t.Fatal(err)
	}
	db = filepath.Join(c.dir, "db")
	cfg := fmt.Sprintf("db: %s\nassets: %s\nioc: [%s]\ntimezone: Asia/Tokyo\nsources:\n", db, m.Inventory, m.IOCs)
	for _, f := range m.Files {
		cfg += fmt.Sprintf("  - path: %s\n    format: %s\n", f.Path, f.Format)
	}
	if err := os.MkdirAll(filepath.Join(c.dir, "config", "mamori"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, "config", "mamori", "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"scan", "--db", db} // without --db, a scan uses a temporary store
	for _, f := range m.Files {
		args = append(args, f.Path)
	}
	c.ok(args...)
	id = strings.TrimSpace(c.ok("incident", "open", "--endpoint", sc.Victim.IP.String(), "--title", "Targeted attack"))
	return db, id
}

// result is how a mamori run ended.
type result struct {
	stdout, stderr string
	code           int
}

// runAll runs mamori once with each args, all at the same time.
func runAll(c cli, runs [][]string) []result {
	out := make([]result, len(runs))
	var wg sync.WaitGroup
	for i, args := range runs {
		wg.Go(func() {
			cmd := c.command(args...)
			var o, e strings.Builder
			cmd.Stdout, cmd.Stderr = &o, &e
			err := cmd.Run()
			out[i] = result{stdout: o.String(), stderr: e.String()}
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				out[i].code = ee.ExitCode()
			} else if err != nil {
				out[i] = result{stderr: err.Error(), code: -1}
			}
		})
	}
	wg.Wait()
	return out
}

// smallStore scans one small sshd log into dir/db and writes a config
// that follows it.
func smallStore(t *testing.T, c cli) string {
	t.Helper()
	db := filepath.Join(c.dir, "db")
	log, err := filepath.Abs("../../testdata/crowdsec/ssh-bf.log")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(c.dir, "config", "mamori"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("db: %s\ntimezone: Asia/Tokyo\nsources:\n  - path: %s\n", db, log)
	if err := os.WriteFile(filepath.Join(c.dir, "config", "mamori", "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("scan", "--db", db, log)
	return db
}

// generated is the line and the field of a report that say when it was
// made: the one thing two reports of the same incident differ in.
var generated = regexp.MustCompile(`(?m)^- Report: generated \S+ \S+|"generated": *"[^"]*"`)

// The on-call responder's read commands work from a second shell while
// mamori runs, and print what they print on the store when nothing holds
// it; file exports are written by the running mamori into its audit log.
func TestReadCommandsWhileMamoriRuns(t *testing.T) {
	t.Parallel() // its own directories and processes
	if testing.Short() {
		t.Skip("runs mamori on the demo office")
	}
	c := cli{t: t, dir: t.TempDir()}
	db, id := officeStore(t, c)
	reads := [][]string{
		{"alerts", "--json"}, {"incidents", "--json"}, {"alerts", "--all"}, {"incidents"},
		{"report", id}, {"report", id, "--format", "json", "-o", "-"},
		{"rules", "--json"},
		{"--readonly", "--headless"},
	}
	alone := make([]string, len(reads))
	for i, r := range runAll(c, reads) {
		if r.code != 0 {
			t.Fatalf("mamori %s: exit %d\n%s", strings.Join(reads[i], " "), r.code, r.stderr)
		}
		alone[i] = generated.ReplaceAllString(r.stdout, "")
	}
	if !strings.Contains(alone[0], `"rule"`) || !strings.Contains(alone[1], id) {
		t.Fatalf("the store holds no alerts or no incident:\n%s\n%s", alone[0], alone[1])
	}

	// The running mamori holds the store: the store cannot be opened, the
	// commands ask it instead, and say so.
	m := c.start("--headless")
	m.waitServing(db)
	note := fmt.Sprintf("in use by the running mamori (pid %d): read through it", m.cmd.Process.Pid)
	// At the same time, as several responders might.
	beside := make([]string, len(reads))
	for i, r := range runAll(c, reads) {
		args, out, errs, code := reads[i], r.stdout, r.stderr, r.code
		if code != 0 {
			t.Fatalf("mamori %s while mamori runs: exit %d\n%s", strings.Join(args, " "), code, errs)
		}
		if !strings.Contains(errs, note) {
			t.Errorf("mamori %s: stderr does not say it asked the running mamori:\n%s", strings.Join(args, " "), errs)
		}
		beside[i] = generated.ReplaceAllString(out, "")
		if beside[i] != alone[i] {
			t.Errorf("mamori %s prints something else while mamori runs:\n--- alone\n%s\n--- beside the running mamori\n%s",
				strings.Join(args, " "), alone[i], beside[i])
		}
	}

	// Files are exports: written by the running mamori, audited.
	md := filepath.Join(c.dir, "out", "report.md")
	js := filepath.Join(c.dir, "out", "report.json")
	ev := filepath.Join(c.dir, "out", "evidence.tar.gz")
	if err := os.Mkdir(filepath.Dir(md), 0o700); err != nil {
		t.Fatal(err)
	}
	c.ok("report", id, "-o", md)
	if b, err := os.ReadFile(md); err != nil || !strings.HasPrefix(string(b), "# Incident "+id) {
		t.Errorf("report file: %v\n%.200s", err, b)
	}
	if _, errs, code := c.run("report", id, "-o", md); code == 0 || !strings.Contains(errs, "exists (use --force") {
		t.Errorf("a report over an existing file: exit %d %s", code, errs)
	}
	c.ok("report", id, "--format", "json", "-o", js)
	var r report.Report
	if b, err := os.ReadFile(js); err != nil || json.Unmarshal(b, &r) != nil || r.Incident.ID != id {
		t.Errorf("JSON report file: %v %+v", err, r.Incident)
	}
	c.ok("report", id, "--format", "json", "-o", js, "--force")
	out := c.ok("evidence", id, "-o", ev)
	if !regexp.MustCompile(`^wrote ` + regexp.QuoteMeta(ev) + `: \d+ lines \(\d+ behind alerts, \d+ of context\) from \d+ log files, \d+ alerts\nsha256 [0-9a-f]{64}\n$`).MatchString(out) {
		t.Errorf("evidence printed %q", out)
	}
	files := untar(t, ev)
	for _, line := range strings.Split(strings.TrimSpace(string(files[id+"/SHA256SUMS"])), "\n") {
		sum, name, _ := strings.Cut(line, "  ")
		if h := sha256.Sum256(files[id+"/"+name]); hex.EncodeToString(h[:]) != sum {
			t.Errorf("evidence %s: sha256 mismatch", name)
		}
	}
	if _, errs, code := c.run("evidence", id, "-o", ev); code == 0 || !strings.Contains(errs, "exists") {
		t.Errorf("evidence over an existing file: exit %d %s", code, errs)
	}
	for _, p := range []string{md, js, ev} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: %v, mode %v: want the owner's only", p, err, fi.Mode())
		}
	}
	trail := c.ok("report", id)
	for _, want := range []string{"export report written " + md, "export report written " + js, "export evidence exported " + ev} {
		if !strings.Contains(trail, want) {
			t.Errorf("the audit trail lacks %q", want)
		}
	}

	// A clean stop removes the socket, and the store reads the same.
	if err := m.stop(syscall.SIGTERM); err != nil {
		t.Errorf("mamori --headless stopped with %v\n%s", err, m.stderr)
	}
	if _, err := os.Lstat(filepath.Join(db, control.SocketName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is left after a clean stop: %v", err)
	}
	for i, args := range reads[:4] {
		if after := c.ok(args...); after != beside[i] {
			t.Errorf("mamori %s after the running mamori stopped:\n%s\nwhile it ran:\n%s", strings.Join(args, " "), after, beside[i])
		}
	}
}

// A mamori killed with SIGKILL leaves its socket: the store is read
// directly again, and the next mamori replaces the dead socket.
func TestDeadSocketAfterKill(t *testing.T) {
	t.Parallel() // its own directories and processes
	if testing.Short() {
		t.Skip("runs mamori on the demo office")
	}
	c := cli{t: t, dir: t.TempDir()}
	db := smallStore(t, c)
	want := c.ok("alerts", "--json")
	if !strings.Contains(want, `"rule"`) {
		t.Fatalf("no alerts in the store:\n%s", want)
	}
	m := c.start("--headless")
	m.waitServing(db)
	_ = m.stop(syscall.SIGKILL)
	sock := filepath.Join(db, control.SocketName)
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("no socket left by the killed mamori (%v): the test cannot show it is replaced", err)
	}
	if got, errs, code := c.run("alerts", "--json"); code != 0 || got != want || strings.Contains(errs, "read through it") {
		t.Errorf("alerts after the kill: exit %d, stderr %s, same output %v", code, errs, got == want)
	}
	m = c.start("--headless")
	m.waitServing(db)
	if got, errs, code := c.run("alerts", "--json"); code != 0 || got != want || !strings.Contains(errs, "read through it") {
		t.Errorf("alerts through the new socket: exit %d, stderr %s, same output %v", code, errs, got == want)
	}
	// A second live mamori on the store is refused, and told how to watch.
	if _, errs, code := c.run("--headless"); code != 1 || !strings.Contains(errs, "in use by another mamori process") || !strings.Contains(errs, "add --readonly") {
		t.Errorf("a second mamori --headless: exit %d\n%s", code, errs)
	}
	// A hangup (the SSH session of the console dropped) is a clean stop.
	if err := m.stop(syscall.SIGHUP); err != nil {
		t.Errorf("mamori --headless stopped on a hangup with %v\n%s", err, m.stderr)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is left after a hangup: %v", err)
	}
}

// A store held by a mamori that answers no read commands (an import in
// progress) gets one clear message.
func TestHeldStoreWithoutSocket(t *testing.T) {
	t.Parallel() // its own directories and processes
	c := cli{t: t, dir: t.TempDir()}
	db := filepath.Join(c.dir, "db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "MAMORI_CRASH_CHILD="+db)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	buf := make([]byte, len("written\n"))
	if _, err := out.Read(buf); err != nil || string(buf) != "written\n" {
		t.Fatalf("the child holding the store: %q %v", buf, err)
	}
	for _, args := range [][]string{{"alerts", "--db", db}, {"incidents", "--db", db}, {"report", "--db", db, "INC-1"}} {
		_, errs, code := c.run(args...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		want := fmt.Sprintf("mamori: the store %s is in use by another mamori process (pid %d) that does not answer read commands", db, cmd.Process.Pid)
		if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
			t.Errorf("mamori %s: exit %d, stderr:\n%s\nwant one line starting %q", strings.Join(args, " "), code, errs, want)
		}
	}
}
