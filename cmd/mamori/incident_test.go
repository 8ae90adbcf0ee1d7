package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/demo"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/handling/report"
)

// With MAMORI_CLI_TEST=1 the test binary is mamori itself, so the tests
// run the real command line in a child process.
func TestMain(m *testing.M) {
	if os.Getenv("MAMORI_CLI_TEST") == "1" {
		main()
		return
	}
	if dir := os.Getenv("MAMORI_CRASH_CHILD"); dir != "" {
		os.Exit(crashChild(dir))
	}
	os.Exit(m.Run())
}

// cli runs mamori with args in an environment of its own.
type cli struct {
	t   *testing.T
	dir string
}

// command is mamori with args in the cli's environment.
func (c cli) command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MAMORI_CLI_TEST=1",
		"XDG_CONFIG_HOME="+filepath.Join(c.dir, "config"), "XDG_STATE_HOME="+filepath.Join(c.dir, "state"),
		"XDG_DATA_HOME="+filepath.Join(c.dir, "data"), "USER=tester",
		"GORACE=atexit_sleep_ms=0") // a race-enabled child otherwise waits a second at exit
	return cmd
}

func (c cli) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	cmd := c.command(args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func (c cli) ok(args ...string) string {
	c.t.Helper()
	out, errs, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("mamori %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

func TestIncidentCommands(t *testing.T) {
	t.Parallel() // its own directories and processes
	if testing.Short() {
		t.Skip("runs the command line on the demo")
	}
	dir := t.TempDir()
	c := cli{t: t, dir: dir}
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, demo.Location())
	m, err := demo.Write(context.Background(), filepath.Join(dir, "logs"), demo.Options{At: at, Endpoints: demo.MinEndpoints, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := demo.Story(demo.Options{At: at, Endpoints: demo.MinEndpoints, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	// A store directory made beforehand, readable by all (a package's
	// /var/lib/mamori), and the usual umask: mamori's files must still
	// be its owner's only (checked at the end).
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	db := filepath.Join(dir, "db")
	if err := os.Mkdir(db, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"scan", "--db", db, "--assets", m.Inventory, "--ioc", m.IOCs, "--timezone", "Asia/Tokyo"}
	for _, f := range m.Files {
		args = append(args, f.Path)
	}
	c.ok(args...)

	// measures needs no store.
	var measures int
	for _, line := range strings.Split(strings.TrimSpace(c.ok("measures", "--json")), "\n") {
		var row struct {
			ID     string `json:"id"`
			C      *int   `json:"c"`
			Params []any  `json:"params"`
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil || row.ID == "" || row.C == nil {
			t.Fatalf("measures --json line %q: %v", line, err)
		}
		measures++
	}
	if cat, _ := catalog.Load(); measures != len(cat.Measures()) {
		t.Errorf("%d measures listed, the catalog has %d", measures, len(cat.Measures()))
	}
	if out := c.ok("measures"); !strings.Contains(out, "endpoint.block-ip") || !strings.Contains(out, "C/I/A") {
		t.Errorf("measures table:\n%s", out)
	}

	// Usage errors exit 2; unknown ids fail.
	if _, _, code := c.run("incident", "open", "--db", db); code != 2 {
		t.Errorf("incident open without a target: exit %d, want 2", code)
	}
	if _, errs, code := c.run("incident", "open", "--db", db, "--endpoint", "1.2.3.4; rm -rf /"); code == 0 || !strings.Contains(errs, "neither an IP address nor a host name") {
		t.Errorf("hostile endpoint: exit %d, %s", code, errs)
	}

	// An endpoint is named by its address or its host name.
	if _, errs, code := c.run("incident", "open", "--db", db, "--endpoint", "pc-999"); code != 2 || !strings.Contains(errs, `no endpoint "pc-999"`) {
		t.Errorf("a name no endpoint has: exit %d, %s", code, errs)
	}
	victim := sc.Victim.IP.String()
	id := strings.TrimSpace(c.ok("incident", "open", "--db", db, "--endpoint", strings.ToUpper(sc.Victim.Host), "--title", "Targeted attack on pc"))
	if !regexp.MustCompile(`^INC-\d{8}-01$`).MatchString(id) {
		t.Fatalf("incident open printed %q, want the new id", id)
	}
	// Nobody marked a checklist item: closing asks for --force.
	if _, errs, code := c.run("incident", "close", "--db", db, id, "--note", "contained"); code != 2 || !strings.Contains(errs, "0 of ") || !strings.Contains(errs, "--force") {
		t.Errorf("closing an untouched incident: exit %d, %s", code, errs)
	}
	if out := c.ok("incident", "close", "--db", db, id, "--force", "--note", "contained"); out != id+" closed\n" {
		t.Errorf("close printed %q", out)
	}
	if _, errs, code := c.run("incident", "close", "--db", db, id); code == 0 || !strings.Contains(errs, "already closed") {
		t.Errorf("closing twice: exit %d, %s", code, errs)
	}
	if out := c.ok("incident", "reopen", "--db", db, id); out != id+" open\n" {
		t.Errorf("reopen printed %q", out)
	}

	var inc incident.Incident
	if err := json.Unmarshal([]byte(c.ok("incidents", "--db", db, "--json")), &inc); err != nil {
		t.Fatal(err)
	}
	if inc.ID != id || inc.Status != incident.Open || len(inc.Alerts) == 0 || inc.OpenedBy == "" || strings.Join(inc.Endpoints, ",") != victim {
		t.Errorf("incidents --json = %+v", inc)
	}
	if out := c.ok("incidents", "--db", db); !strings.Contains(out, id) || !strings.Contains(out, "Targeted attack on pc") {
		t.Errorf("incidents table:\n%s", out)
	}

	// The report, as Markdown on stdout and as JSON into a file.
	md := c.ok("report", "--db", db, id)
	for _, want := range []string{"# Incident " + id, "## Timeline", "## Findings of the full investigation", "## Handling checklist", "## Audit trail", "incident reopened"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	jsonOut := filepath.Join(dir, "report.json")
	c.ok("report", "--db", db, id, "--format", "json", "-o", jsonOut)
	b, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil || r.Incident.ID != id || r.Summary.Alerts != len(inc.Alerts) {
		t.Errorf("report JSON: %v %+v", err, r.Incident)
	}
	if _, errs, code := c.run("report", "--db", db, id, "--format", "json", "-o", jsonOut); code == 0 || !strings.Contains(errs, "exists") {
		t.Errorf("report over an existing file: exit %d %s", code, errs)
	}
	if _, _, code := c.run("report", "--db", db, id, "--format", "pdf"); code != 2 {
		t.Errorf("--format pdf: exit %d, want 2", code)
	}

	// The evidence bundle, verified by its own sums.
	ev := filepath.Join(dir, "evidence.tar.gz")
	if out := c.ok("evidence", "--db", db, id, "-o", ev); !strings.Contains(out, "wrote "+ev) {
		t.Errorf("evidence printed %q", out)
	}
	files := untar(t, ev)
	sums := string(files[id+"/SHA256SUMS"])
	if sums == "" {
		t.Fatal("no SHA256SUMS in the bundle")
	}
	for _, line := range strings.Split(strings.TrimSpace(sums), "\n") {
		sum, name, _ := strings.Cut(line, "  ")
		h := sha256.Sum256(files[id+"/"+name])
		if hex.EncodeToString(h[:]) != sum {
			t.Errorf("%s: sha256 mismatch", name)
		}
	}
	if _, errs, code := c.run("evidence", "--db", db, id, "-o", ev); code == 0 || !strings.Contains(errs, "exists") {
		t.Errorf("evidence over an existing file: exit %d %s", code, errs)
	}
	c.ok("evidence", "--db", db, id, "-o", ev, "--force")
	if _, _, code := c.run("evidence", "--db", db, id); code != 2 {
		t.Errorf("evidence without -o: exit %d, want 2", code)
	}
	// The command line's exports are recorded in the audit log as the
	// console's are (containment's "export evidence first" reads it).
	trail := c.ok("report", "--db", db, id)
	trail = trail[strings.Index(trail, "## Audit trail"):]
	for _, want := range []string{"report written", jsonOut, "evidence exported", ev} {
		if !strings.Contains(trail, want) {
			t.Errorf("the audit trail lacks %q:\n%s", want, trail)
		}
	}

	// An allow-list entry that would hide the kill chain (critical) is
	// refused unless asked for by name, as the console asks for the
	// target typed; the refusal adds nothing.
	_, errs, code := c.run("allow", "add", "--db", db, "--endpoint", victim, "--reason", "expected")
	if code == 0 || !strings.Contains(errs, "critical") || !strings.Contains(errs, "--hide-critical") {
		t.Errorf("allow add over a critical alert: exit %d, %s", code, errs)
	}
	if out := c.ok("allow", "list", "--db", db); strings.Contains(out, victim) {
		t.Errorf("a refused entry was added:\n%s", out)
	}
	if out := c.ok("allow", "add", "--db", db, "--endpoint", victim, "--reason", "expected", "--for", "1d", "--hide-critical"); !strings.Contains(out, "critical") {
		t.Errorf("allow add --hide-critical printed %q", out)
	}

	// Everything mamori wrote (the store, its log, the audit mirror, the
	// report and the evidence) is its owner's only.
	private := []string{db, jsonOut, ev, filepath.Join(dir, "state", "mamori", "mamori.log")}
	stored, _ := filepath.Glob(filepath.Join(db, "*"))
	mirrors, _ := filepath.Glob(filepath.Join(dir, "state", "mamori", "audit", "*.jsonl"))
	if len(mirrors) != 1 {
		t.Errorf("audit mirrors: %v, want the store's one", mirrors)
	}
	stored = append(stored, mirrors...)
	for _, p := range append(private, stored...) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %04o: others can read it", p, fi.Mode().Perm())
		}
	}
}

func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if out[h.Name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
}

// --timezone (or the config's timezone) is the office zone: the tables show
// times in it, whatever the machine's zone; the store remembers it, so that
// a review without configuration shows the same times.
func TestTimesShownInTheOfficeZone(t *testing.T) {
	t.Parallel() // its own directories and processes
	c := cli{t: t, dir: t.TempDir()}
	db := filepath.Join(c.dir, "db")
	c.ok("scan", "--db", db, "--timezone", "Asia/Tokyo", "../../testdata/crowdsec/ssh-bf.log")
	firstTime := func(out string) time.Time {
		t.Helper()
		for _, line := range strings.Split(out, "\n")[1:] {
			if f := strings.Fields(line); len(f) >= 2 {
				tm, err := time.Parse("01-02 15:04:05", f[0]+" "+f[1])
				if err != nil {
					t.Fatalf("no time at the start of %q: %v", line, err)
				}
				return tm
			}
		}
		t.Fatalf("no alert rows in:\n%s", out)
		return time.Time{}
	}
	utc := firstTime(c.ok("alerts", "--db", db, "--timezone", "UTC"))
	jst := firstTime(c.ok("alerts", "--db", db)) // the zone the store was filled in
	if d := jst.Sub(utc); d != 9*time.Hour {
		t.Fatalf("the same alert shows at %s in UTC and %s in Asia/Tokyo: %v apart, want 9h", utc.Format("15:04"), jst.Format("15:04"), d)
	}
}

// Opening mamori with an office zone leaves the process' time.Local
// alone: the zone is given to what shows times (a.Location()), not set
// for every package of the process.
func TestOfficeZoneLeavesTimeLocal(t *testing.T) {
	before := time.Local
	t.Cleanup(func() { time.Local = before })
	g := &globals{db: filepath.Join(t.TempDir(), "db"), timezone: "Asia/Tokyo"}
	a, done, err := openAppWith(g, config.Default(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if time.Local != before {
		t.Errorf("opening mamori set time.Local to %v", time.Local)
	}
	if got := a.Location().String(); got != "Asia/Tokyo" {
		t.Errorf("the office zone is %q, want Asia/Tokyo", got)
	}
}
