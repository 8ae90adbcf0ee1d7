package containment_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/internal/duration"
	"github.com/mamori-soc/mamori/store"
)

const incID = "INC-20261122-01"

type env struct {
	dir string
	st  *store.Store
	log *audit.Log
	cat *catalog.Catalog
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dir: dir, st: st, cat: cat, log: audit.Open(st, audit.Options{Mirror: filepath.Join(dir, "audit.jsonl"), User: "yamada"})}
	t.Cleanup(func() { e.log.Close(); st.Close() })
	return e
}

func (e *env) manager(t *testing.T, acts map[string]containment.Actuator, mod ...func(*containment.Options)) *containment.Manager {
	t.Helper()
	opts := containment.Options{Catalog: e.cat, Audit: e.log, Actuators: acts, Endpoints: e.st, Events: e.st}
	for _, f := range mod {
		f(&opts)
	}
	m, err := containment.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (e *env) records(t *testing.T) []audit.Record {
	t.Helper()
	rs, err := e.log.Records(context.Background(), audit.Filter{Kind: audit.KindContainment})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// recorder is an actuator argv that records its arguments to file.
func recorder(file string, args ...string) []string {
	return append([]string{os.Args[0], "record", file}, args...)
}

func readArgv(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the actuator did not run: %v", err)
	}
	var argv []string
	if err := json.Unmarshal(b, &argv); err != nil {
		t.Fatal(err)
	}
	return argv
}

func assertNotRun(t *testing.T, file string) {
	t.Helper()
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the actuator ran (%s exists)", file)
	}
}

func TestRunPassesExactArgv(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	rec := filepath.Join(e.dir, "argv.json")
	m := e.manager(t, map[string]containment.Actuator{
		"endpoint.block-dest-ip": {Argv: recorder(rec, "add", "element", "inet", "mamori", "ep_blocked_ip", "{ {{endpoint}} . {{ip}} }", "--comment={{ip}}")},
	})
	p, err := m.Plan(ctx, incID, "endpoint.block-dest-ip", map[string]string{"endpoint": "::ffff:10.0.10.31", "ip": "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Confirm != "203.0.113.7" || p.ConfirmParam != "ip" || p.Manual {
		t.Errorf("confirm %q (%s), manual %v", p.Confirm, p.ConfirmParam, p.Manual)
	}
	res, err := m.Run(ctx, p, containment.Confirmation{Text: " 203.0.113.7 ", Note: "C2 address"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"add", "element", "inet", "mamori", "ep_blocked_ip", "{ 10.0.10.31 . 203.0.113.7 }", "--comment=203.0.113.7"}
	if got := readArgv(t, rec); !reflect.DeepEqual(got, want) {
		t.Errorf("actuator argv:\n got %q\nwant %q", got, want)
	}
	if res.Outcome != audit.Succeeded || res.Exit == nil || *res.Exit != 0 || res.Stdout != "recorded\n" {
		t.Errorf("result = %+v", res)
	}
	rs := e.records(t)
	if len(rs) != 2 || rs[0].Action != audit.ActionStarted || rs[1].Action != audit.ActionFinished {
		t.Fatalf("audit = %+v", rs)
	}
	started, finished := rs[0], rs[1]
	if !reflect.DeepEqual(started.Run.Argv, append(recorder(rec), want...)) || started.Note != "C2 address" || started.Incident != incID ||
		started.Run.Ratings == nil || started.Run.Ratings.C != p.Protects.C || started.Who != "yamada" {
		t.Errorf("started record = %+v %+v", started, started.Run)
	}
	if finished.Run.ID != started.Run.ID || finished.Run.Outcome != audit.Succeeded || *finished.Run.Exit != 0 || finished.Run.Stdout != "recorded\n" {
		t.Errorf("finished record = %+v", finished.Run)
	}
}

func TestHostileValuesAreRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	rec := filepath.Join(e.dir, "argv.json")
	m := e.manager(t, map[string]containment.Actuator{
		"segment.block-ip":       {Argv: recorder(rec, "{ {{ip}} }")},
		"segment.block-domain":   {Argv: recorder(rec, "{{domain}}")},
		"segment.block-url":      {Argv: recorder(rec, "{{url}}")},
		"segment.block-port":     {Argv: recorder(rec, "{{port}}")},
		"segment.block-protocol": {Argv: recorder(rec, "{{protocol}}")},
		"account.disable":        {Argv: recorder(rec, "{{user}}")},
		"endpoint.pull-cable":    {Argv: recorder(rec, "{{host}}")},
		"segment.unplug":         {Argv: recorder(rec, "{{segment}}")},
	}, func(o *containment.Options) {
		o.Inventory = asset.NewInventory([]asset.Asset{{Prefix: netip.MustParsePrefix("10.0.10.0/24"), Segment: "office"}})
	})
	for name, tc := range map[string]struct {
		measure, param, value string
	}{
		"shell command after an address": {"segment.block-ip", "ip", "1.2.3.4; rm -rf /"},
		"command substitution":           {"segment.block-ip", "ip", "$(id)"},
		"backticks":                      {"segment.block-domain", "domain", "`id`.example.com"},
		"newline":                        {"segment.block-domain", "domain", "evil.example\naddress=/#/0.0.0.0"},
		"NUL":                            {"segment.block-domain", "domain", "evil.example\x00.com"},
		"option injection":               {"segment.block-domain", "domain", "-oProxyCommand=id"},
		"leading hyphen label":           {"segment.block-domain", "domain", "-evil.example.com"},
		"cyrillic look-alike":            {"segment.block-domain", "domain", "pаypal.com"},
		"fullwidth digits":               {"segment.block-ip", "ip", "１.２.３.４"},
		"zone":                           {"segment.block-ip", "ip", "fe80::1%eth0"},
		"top-level domain":               {"segment.block-domain", "domain", "com"},
		"over-long domain":               {"segment.block-domain", "domain", strings.Repeat("a.", 130) + "com"},
		"over-long label":                {"segment.block-domain", "domain", strings.Repeat("a", 64) + ".com"},
		"over-long value":                {"segment.block-url", "url", "http://e.com/" + strings.Repeat("a", 3000)},
		"url with space":                 {"segment.block-url", "url", "http://e.com/a b"},
		"url with control":               {"segment.block-url", "url", "http://e.com/\x1b[2J"},
		"url not http":                   {"segment.block-url", "url", "file:///etc/passwd"},
		"relative url":                   {"segment.block-url", "url", "/update.exe"},
		"url with userinfo":              {"segment.block-url", "url", "http://a:b@e.com/"},
		"port zero":                      {"segment.block-port", "port", "0"},
		"port too big":                   {"segment.block-port", "port", "65536"},
		"port with sign":                 {"segment.block-port", "port", "+80"},
		"port list":                      {"segment.block-port", "port", "80,443"},
		"unknown protocol":               {"segment.block-protocol", "protocol", "tcp;reboot"},
		"protocol number too big":        {"segment.block-protocol", "protocol", "256"},
		"user with shell":                {"account.disable", "user", "bob;reboot"},
		"user upper case":                {"account.disable", "user", "Administrator"},
		"user too long":                  {"account.disable", "user", strings.Repeat("a", 33)},
		"user as option":                 {"account.disable", "user", "--help"},
		"host with slash":                {"endpoint.pull-cable", "host", "pc-01/../../x"},
		"segment not in inventory":       {"segment.unplug", "segment", "eth0"},
		"segment too long":               {"segment.unplug", "segment", "office-and-everything-else"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := m.Plan(ctx, incID, tc.measure, map[string]string{tc.param: tc.value})
			var pe *containment.ParamError
			if !errors.As(err, &pe) || pe.Param != tc.param {
				t.Fatalf("Plan(%s=%q) err = %v, want a ParamError naming %s", tc.param, tc.value, err, tc.param)
			}
			if strings.ContainsAny(err.Error(), "\x00\x1b\n") {
				t.Errorf("error message carries the control characters: %q", err)
			}
		})
	}
	assertNotRun(t, rec)
	if rs := e.records(t); len(rs) != 0 {
		t.Errorf("refused plans were audited: %+v", rs)
	}

	for name, tc := range map[string]struct{ measure, param, value, want string }{
		"address unmapped":  {"segment.block-ip", "ip", "::ffff:192.0.2.1", "192.0.2.1"},
		"domain lowered":    {"segment.block-domain", "domain", "Kx7-Update.DuckDNS.org.", "kx7-update.duckdns.org"},
		"punycode":          {"segment.block-domain", "domain", "xn--80ak6aa92e.com", "xn--80ak6aa92e.com"},
		"url kept":          {"segment.block-url", "url", "http://198.51.100.77:8080/update.exe?a=1", "http://198.51.100.77:8080/update.exe?a=1"},
		"protocol lowered":  {"segment.block-protocol", "protocol", "UDP", "udp"},
		"protocol number":   {"segment.block-protocol", "protocol", "47", "47"},
		"posix user":        {"account.disable", "user", "svc_backup-01", "svc_backup-01"},
		"host name":         {"endpoint.pull-cable", "host", "PC-011.corp.local", "pc-011.corp.local"},
		"inventory segment": {"segment.unplug", "segment", "office", "office"},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := m.Plan(ctx, incID, tc.measure, map[string]string{tc.param: tc.value})
			if err != nil {
				t.Fatal(err)
			}
			if p.Params[tc.param] != tc.want || p.Argv[len(p.Argv)-1] != lastArg(tc.measure, tc.want) {
				t.Errorf("value %q, argv %q; want %q", p.Params[tc.param], p.Argv, tc.want)
			}
		})
	}
}

// lastArg is the last argument the test's actuators get for value.
func lastArg(measure, value string) string {
	if measure == "segment.block-ip" {
		return "{ " + value + " }"
	}
	return value
}

func TestConfigurablePatternAndPlanErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	rec := filepath.Join(e.dir, "argv.json")
	acts := map[string]containment.Actuator{"account.disable": {Argv: recorder(rec, "{{user}}")}}
	m := e.manager(t, acts, func(o *containment.Options) {
		o.UserPattern = regexp.MustCompile(`^[A-Za-z0-9]+\\[a-z0-9._-]{1,32}$`)
	})
	if _, err := m.Plan(ctx, incID, "account.disable", map[string]string{"user": `CORP\alice`}); err != nil {
		t.Errorf("configured pattern: %v", err)
	}
	for name, tc := range map[string]struct {
		measure string
		params  map[string]string
		want    string
	}{
		"unknown measure":   {"endpoint.nuke", nil, "no measure"},
		"unknown parameter": {"account.disable", map[string]string{"user": `CORP\alice`, "shell": "x"}, "no parameter \"shell\""},
		"missing required":  {"account.disable", map[string]string{}, "parameter user (user) is required"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := m.Plan(ctx, incID, tc.measure, tc.params); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewChecksActuators(t *testing.T) {
	e := newEnv(t)
	for name, tc := range map[string]struct {
		acts map[string]containment.Actuator
		want string
	}{
		"unknown measure":     {map[string]containment.Actuator{"endpoint.nuke": {Argv: []string{"true"}}}, "no such measure"},
		"empty argv":          {map[string]containment.Actuator{"segment.block-ip": {}}, "argv is empty"},
		"program from value":  {map[string]containment.Actuator{"segment.block-ip": {Argv: []string{"{{ip}}"}}}, "must not come from a parameter"},
		"unknown placeholder": {map[string]containment.Actuator{"segment.block-ip": {Argv: []string{"nft", "{{domain}}"}}}, "{{domain}} is not a parameter"},
		"unbalanced braces":   {map[string]containment.Actuator{"segment.block-ip": {Argv: []string{"nft", "{{ip}"}}}, "unbalanced"},
		"undo irreversible":   {map[string]containment.Actuator{"account.delete": {Argv: []string{"userdel", "{{user}}"}, Undo: []string{"useradd", "{{user}}"}}}, "irreversible"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := containment.New(containment.Options{Catalog: e.cat, Audit: e.log, Actuators: tc.acts})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDryRunConfirmationAndReadOnlyRunNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	rec := filepath.Join(e.dir, "argv.json")
	acts := map[string]containment.Actuator{"segment.block-ip": {Argv: recorder(rec, "{ {{ip}} }")}}
	m := e.manager(t, acts)
	p, err := m.Plan(ctx, incID, "segment.block-ip", map[string]string{"ip": "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	dry, err := m.DryRun(ctx, p)
	if err != nil || !reflect.DeepEqual(dry.Argv, recorder(rec, "{ 203.0.113.7 }")) {
		t.Errorf("dry run = %q, %v", dry.Argv, err)
	}
	for name, confirm := range map[string]string{"other address": "203.0.113.8", "empty": "", "prefix": "203.0.113"} {
		if _, err := m.Run(ctx, p, containment.Confirmation{Text: confirm}); !errors.Is(err, containment.ErrConfirmation) {
			t.Errorf("%s: err = %v, want ErrConfirmation", name, err)
		}
	}
	// A plan edited after it was made runs nothing either.
	forged := p
	forged.Params = map[string]string{"ip": "198.51.100.1"}
	forged.Argv = recorder(rec, "{ 198.51.100.1 }")
	if _, err := m.Run(ctx, forged, containment.Confirmation{Text: "203.0.113.7"}); err == nil {
		t.Error("a forged plan ran")
	}
	ro := e.manager(t, acts, func(o *containment.Options) { o.ReadOnly = true })
	if ro.CanChange() || !m.CanChange() {
		t.Error("CanChange does not follow ReadOnly")
	}
	if _, err := ro.Run(ctx, p, containment.Confirmation{Text: "203.0.113.7"}); !errors.Is(err, containment.ErrReadOnly) {
		t.Errorf("read-only run: %v", err)
	}
	assertNotRun(t, rec)
	if rs := e.records(t); len(rs) != 0 {
		t.Errorf("audit records without a run: %+v", rs)
	}
}

func TestTimeoutFailureAndMissingProgramAreAudited(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		act      containment.Actuator
		outcome  audit.Outcome
		exit     int // -1: none
		stderr   string
		truncate bool
	}{
		"timeout":         {containment.Actuator{Argv: []string{os.Args[0], "sleep", "{{marker}}"}, Timeout: duration.Duration(300 * time.Millisecond)}, audit.TimedOut, -1, "", false},
		"failing command": {containment.Actuator{Argv: []string{os.Args[0], "fail", "{ {{ip}} }"}}, audit.Failed, 3, "Operation not permitted", false},
		"missing program": {containment.Actuator{Argv: []string{"/nonexistent/nft", "{ {{ip}} }"}}, audit.NotStarted, -1, "", false},
		"long output":     {containment.Actuator{Argv: []string{os.Args[0], "flood", "{ {{ip}} }"}}, audit.Succeeded, 0, "", true},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			act := tc.act
			for i, a := range act.Argv {
				act.Argv[i] = strings.ReplaceAll(a, "{{marker}}", filepath.Join(e.dir, "pid"))
			}
			m := e.manager(t, map[string]containment.Actuator{"segment.block-ip": act})
			p, err := m.Plan(ctx, incID, "segment.block-ip", map[string]string{"ip": "203.0.113.7"})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			res, err := m.Run(ctx, p, containment.Confirmation{Text: "203.0.113.7"})
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("run took %s", d)
			}
			if res.Outcome != tc.outcome || !strings.Contains(res.Stderr, tc.stderr) || res.Truncated != tc.truncate {
				t.Errorf("result = %s %q truncated %v (error %q)", res.Outcome, res.Stderr, res.Truncated, res.Error)
			}
			if (tc.exit < 0) != (res.Exit == nil) || (res.Exit != nil && *res.Exit != tc.exit) {
				t.Errorf("exit = %v, want %d", res.Exit, tc.exit)
			}
			if tc.truncate && len(res.Stdout) != containment.DefaultMaxOutput {
				t.Errorf("kept %d bytes of output", len(res.Stdout))
			}
			rs := e.records(t)
			if len(rs) != 2 || rs[1].Action != audit.ActionFinished || rs[1].Run.Outcome != tc.outcome || rs[1].Run.DurationMS < 0 {
				t.Fatalf("audit = %+v", rs)
			}
			acts, err := m.History(ctx, incID)
			if err != nil || len(acts) != 1 || acts[0].State != containment.State(tc.outcome) {
				t.Errorf("history = %+v %v", acts, err)
			}
		})
	}
}

func TestUndo(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	do, undo := filepath.Join(e.dir, "do.json"), filepath.Join(e.dir, "undo.json")
	m := e.manager(t, map[string]containment.Actuator{
		"endpoint.block-ip": {Argv: recorder(do, "add", "{ {{ip}} }"), Undo: recorder(undo, "delete", "{ {{ip}} }")},
		"account.delete":    {Argv: recorder(do, "{{user}}")},
	})
	p, err := m.Plan(ctx, incID, "endpoint.block-ip", map[string]string{"ip": "10.0.10.31"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.UndoArgv, recorder(undo, "delete", "{ 10.0.10.31 }")) {
		t.Errorf("plan's undo argv = %q", p.UndoArgv)
	}
	res, err := m.Run(ctx, p, containment.Confirmation{Text: "10.0.10.31"})
	if err != nil {
		t.Fatal(err)
	}
	assertNotRun(t, undo)
	up, err := m.UndoPlan(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if up.UndoOf != res.RunID || up.Confirm != "10.0.10.31" || up.Manual {
		t.Errorf("undo plan = %+v", up)
	}
	if _, err := m.Run(ctx, up, containment.Confirmation{Text: "10.0.10.32"}); !errors.Is(err, containment.ErrConfirmation) {
		t.Errorf("undo with a wrong confirmation: %v", err)
	}
	ures, err := m.Run(ctx, up, containment.Confirmation{Text: "10.0.10.31", Note: "false positive"})
	if err != nil || ures.Outcome != audit.Succeeded {
		t.Fatalf("undo: %+v %v", ures, err)
	}
	if got := readArgv(t, undo); !reflect.DeepEqual(got, []string{"delete", "{ 10.0.10.31 }"}) {
		t.Errorf("undo argv = %q", got)
	}
	acts, err := m.History(ctx, incID)
	if err != nil || len(acts) != 2 || acts[0].UndoneBy != ures.RunID || acts[1].UndoOf != res.RunID {
		t.Fatalf("history = %+v %v", acts, err)
	}
	if _, err := m.UndoPlan(ctx, res.RunID); err == nil || !strings.Contains(err.Error(), "already undone") {
		t.Errorf("undoing twice: %v", err)
	}
	if _, err := m.UndoPlan(ctx, ures.RunID); err == nil {
		t.Error("an undo could be undone")
	}

	// An irreversible measure cannot be undone.
	dp, err := m.Plan(ctx, incID, "account.delete", map[string]string{"user": "evil"})
	if err != nil {
		t.Fatal(err)
	}
	if !dp.ExportFirst {
		t.Error("deleting an account does not ask for the evidence export first")
	}
	dres, err := m.Run(ctx, dp, containment.Confirmation{Text: "evil"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.UndoPlan(ctx, dres.RunID); err == nil || !strings.Contains(err.Error(), "cannot be undone") {
		t.Errorf("undo of an irreversible measure: %v", err)
	}

	// A manual measure is recorded as done by hand, and undone by hand.
	mp, err := m.Plan(ctx, incID, "endpoint.pull-cable", map[string]string{"host": "pc-011"})
	if err != nil {
		t.Fatal(err)
	}
	if !mp.Manual || len(mp.Steps) == 0 || len(mp.Argv) != 0 {
		t.Errorf("manual plan = %+v", mp)
	}
	mres, err := m.Run(ctx, mp, containment.Confirmation{Text: "pc-011", Note: "cable pulled by sato"})
	if err != nil || mres.Outcome != audit.ByHand {
		t.Fatalf("manual run: %+v %v", mres, err)
	}
	mup, err := m.UndoPlan(ctx, mres.RunID)
	if err != nil || !mup.Manual || len(mup.Steps) != 1 {
		t.Fatalf("manual undo plan: %+v %v", mup, err)
	}
	if _, err := m.Run(ctx, mup, containment.Confirmation{Text: "pc-011"}); err != nil {
		t.Fatal(err)
	}
	acts, _ = m.History(ctx, incID)
	if n := len(acts); n != 5 || acts[3].UndoneBy != acts[4].RunID || acts[3].State != containment.State(audit.ByHand) {
		t.Errorf("history after manual undo: %+v", acts)
	}
}

// TestKilledMamoriLeavesNoActuator kills (SIGKILL) a process in the
// middle of a containment run: the kernel kills its actuator with it
// (parent-death signal) instead of leaving it to run past its limit under
// init; the run shows as unfinished to a read-only review, and the next
// read-write opening of the store marks it interrupted, once.
func TestKilledMamoriLeavesNoActuator(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	marker := filepath.Join(dir, "actuator.pid")
	cmd := exec.Command(os.Args[0], "runner", db, marker)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The actuator writes its pid once it runs: the started record is
	// stored by then.
	actPID := waitPID(t, marker, func() string { _ = cmd.Process.Kill(); return "runner: " + stderr.String() })
	t.Cleanup(func() { _ = syscall.Kill(actPID, syscall.SIGKILL) }) // should the test fail
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitGone(t, actPID, "the actuator outlived the process that ran it")

	ctx := context.Background()
	cat, _ := catalog.Load()
	func() { // the store alone (after a kill, Badger can only open it read-write): started, never finished
		st, err := store.Open(db, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		log := audit.Open(st, audit.Options{})
		un, err := log.Unfinished(ctx, incID)
		if err != nil {
			t.Fatal(err)
		}
		if len(un) != 1 || un[0].Run.Measure != "segment.block-ip" || un[0].Run.Params["ip"] != "203.0.113.7" || un[0].Who != "runner" {
			t.Fatalf("unfinished = %+v", un)
		}
		m, err := containment.New(containment.Options{Catalog: cat, Audit: log})
		if err != nil {
			t.Fatal(err)
		}
		acts, err := m.History(ctx, incID)
		if err != nil || len(acts) != 1 || acts[0].State != containment.Unfinished || !acts[0].Finished.IsZero() {
			t.Errorf("history after the kill = %+v %v", acts, err)
		}
	}()

	// Opened read-write, twice: one interrupted record.
	mirror := filepath.Join(dir, "audit.jsonl")
	for range 2 {
		cfg := config.Default()
		cfg.DB, cfg.LogFile, cfg.AuditFile = db, filepath.Join(dir, "mamori.log"), mirror
		a, err := app.Open(cfg, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := a.Audit.Records(ctx, audit.Filter{Kind: audit.KindContainment})
		if err != nil {
			t.Fatal(err)
		}
		var interrupted []audit.Record
		for _, r := range recs {
			if r.Action == audit.ActionInterrupted {
				interrupted = append(interrupted, r)
			}
		}
		if len(interrupted) != 1 || interrupted[0].Run.ID != recs[0].Run.ID || interrupted[0].Run.Outcome != audit.Interrupted || interrupted[0].Incident != incID {
			t.Errorf("interrupted records = %+v, want one for the run", interrupted)
		}
		acts, err := a.Containment.History(ctx, incID)
		if err != nil || len(acts) != 1 || acts[0].State != containment.State(audit.Interrupted) || acts[0].Error == "" {
			t.Errorf("history after reopening = %+v %v", acts, err)
		}
		if _, err := a.Containment.UndoPlan(ctx, acts[0].RunID); err == nil {
			t.Error("an interrupted run could be undone")
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	recs, _, err := audit.ReadMirror(mirror)
	if err != nil || len(recs) != 2 || recs[0].Action != audit.ActionStarted || recs[1].Action != audit.ActionInterrupted {
		t.Errorf("mirror = %+v %v", recs, err)
	}
	// A read-only opening records nothing.
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, err := audit.Open(st, audit.Options{}).MarkInterrupted(ctx); err != nil || len(n) != 0 {
		t.Errorf("MarkInterrupted on a read-only store = %v, %v", n, err)
	}
}

// waitPID waits for an actuator to write its pid to file.
func waitPID(t *testing.T, file string, why func() string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
			if pid, err := strconv.Atoi(string(b)); err == nil {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the actuator never started; %s", why())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGone waits for a process to be gone: no such process, or a zombie
// waiting for init to reap it.
func waitGone(t *testing.T, pid int, msg string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: process %d still runs", msg, pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !os.IsNotExist(err)
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// TestCloseAndCancelKillTheProcessGroup: closing the Manager (mamori
// exiting) and canceling a run's context kill the command and what it
// started, and the run records that it was canceled.
func TestCloseAndCancelKillTheProcessGroup(t *testing.T) {
	for _, how := range []string{"close", "cancel"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t)
			parent, child := filepath.Join(e.dir, "parent.pid"), filepath.Join(e.dir, "child.pid")
			m := e.manager(t, map[string]containment.Actuator{"segment.block-ip": {
				Argv: []string{os.Args[0], "spawn", parent, child, "{{ip}}"}, Timeout: duration.Duration(time.Hour)}})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p, err := m.Plan(ctx, incID, "segment.block-ip", map[string]string{"ip": "203.0.113.7"})
			if err != nil {
				t.Fatal(err)
			}
			type result struct {
				res containment.Result
				err error
			}
			done := make(chan result, 1)
			go func() {
				res, err := m.Run(ctx, p, containment.Confirmation{Text: "203.0.113.7"})
				done <- result{res, err}
			}()
			pids := []int{waitPID(t, parent, func() string { return "" }), waitPID(t, child, func() string { return "" })}
			t.Cleanup(func() {
				for _, pid := range pids {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			if how == "close" {
				m.Close()
			} else {
				cancel()
			}
			r := <-done
			if r.err != nil || r.res.Outcome != audit.Canceled {
				t.Errorf("run = %+v, %v; want canceled", r.res, r.err)
			}
			for _, pid := range pids {
				waitGone(t, pid, "a process of the canceled command")
			}
			if how == "close" {
				if _, err := m.Run(context.Background(), p, containment.Confirmation{Text: "203.0.113.7"}); !errors.Is(err, containment.ErrClosed) {
					t.Errorf("run after Close: %v, want ErrClosed", err)
				}
			}
			rs := e.records(t)
			if len(rs) != 2 || rs[1].Action != audit.ActionFinished || rs[1].Run.Outcome != audit.Canceled {
				t.Errorf("audit = %+v", rs)
			}
		})
	}
}

func TestDemoActuators(t *testing.T) {
	if _, err := exec.LookPath("echo"); err != nil {
		t.Skip("no echo")
	}
	ctx := context.Background()
	e := newEnv(t)
	acts := containment.DemoActuators(e.cat)
	for _, ms := range e.cat.Measures() {
		if _, ok := acts[ms.ID]; ok != (ms.Actuator != nil) {
			t.Errorf("%s: demo actuator %v, catalog example %v", ms.ID, ok, ms.Actuator != nil)
		}
	}
	m := e.manager(t, acts)
	for name, tc := range map[string]struct {
		measure string
		params  map[string]string
		confirm string
		want    string
	}{
		"isolate":   {"endpoint.block-ip", map[string]string{"ip": "10.0.10.31"}, "10.0.10.31", "nft add element inet mamori isolated_ip { 10.0.10.31 }"},
		"sinkhole":  {"segment.dns-block-domain", map[string]string{"domain": "kx7-update.duckdns.org"}, "kx7-update.duckdns.org", "tee -a /etc/dnsmasq.d/mamori-block.conf <<< address=/kx7-update.duckdns.org/# ; systemctl restart dnsmasq"},
		"lock user": {"account.disable", map[string]string{"user": "backup"}, "backup", "usermod --lock --expiredate 1 backup"},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := m.Plan(ctx, incID, tc.measure, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			res, err := m.Run(ctx, p, containment.Confirmation{Text: tc.confirm})
			if err != nil || res.Outcome != audit.Succeeded {
				t.Fatalf("%+v %v", res, err)
			}
			if !strings.Contains(res.Stdout, tc.want) {
				t.Errorf("stdout %q does not show %q", res.Stdout, tc.want)
			}
		})
	}
}

func TestConcurrentRuns(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m := e.manager(t, map[string]containment.Actuator{"segment.block-ip": {Argv: recorder(filepath.Join(e.dir, "argv.json"), "{ {{ip}} }")}})
	p, err := m.Plan(ctx, incID, "segment.block-ip", map[string]string{"ip": "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 4 {
		go func() {
			_, err := m.Run(ctx, p, containment.Confirmation{Text: "203.0.113.7"})
			errs <- err
		}()
		go func() {
			_, err := m.History(ctx, incID)
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	acts, err := m.History(ctx, incID)
	if err != nil || len(acts) != 4 {
		t.Fatalf("history = %d actions, %v", len(acts), err)
	}
	for _, a := range acts {
		if a.State != containment.State(audit.Succeeded) {
			t.Errorf("run %s: %s", a.RunID, a.State)
		}
	}
}

// BenchmarkRun measures a confirmed run of a trivial command: re-planning,
// the durable started and finished records and the process start.
func BenchmarkRun(b *testing.B) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Skip("no true")
	}
	dir := b.TempDir()
	st, err := store.Open(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cat, _ := catalog.Load()
	log := audit.Open(st, audit.Options{Mirror: filepath.Join(dir, "audit.jsonl"), User: "bench"})
	defer log.Close()
	m, err := containment.New(containment.Options{Catalog: cat, Audit: log,
		Actuators: map[string]containment.Actuator{"segment.block-ip": {Argv: []string{truePath, "{ {{ip}} }"}}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p, err := m.Plan(ctx, incID, "segment.block-ip", map[string]string{"ip": "203.0.113.7"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if res, err := m.Run(ctx, p, containment.Confirmation{Text: "203.0.113.7"}); err != nil || res.Outcome != audit.Succeeded {
			b.Fatal(res, err)
		}
	}
}

// unsyncedOnce is a store whose next audit append is set but not synced.
type unsyncedOnce struct {
	*store.Store
	fail bool
}

func (s *unsyncedOnce) AppendAudit(rec any) (uint64, error) {
	seq, err := s.Store.AppendAudit(rec)
	if s.fail && err == nil {
		s.fail = false
		return seq, fmt.Errorf("%w: injected", store.ErrNotDurable)
	}
	return seq, err
}

// TestDecisionNotDurableRunsNothing: a started record that is in the
// store but could not be synced stops the run, and is closed as not
// started, so that it is never taken for a run mamori was killed in.
func TestDecisionNotDurableRunsNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	st := &unsyncedOnce{Store: e.st, fail: true}
	log := audit.Open(st, audit.Options{User: "yamada"})
	rec := filepath.Join(e.dir, "argv.json")
	m, err := containment.New(containment.Options{Catalog: e.cat, Audit: log,
		Actuators: map[string]containment.Actuator{"segment.block-ip": {Argv: recorder(rec, "{{ip}}")}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(ctx, incID, "segment.block-ip", map[string]string{"ip": "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run(ctx, p, containment.Confirmation{Text: "203.0.113.7"}); err == nil || !strings.Contains(err.Error(), "not run") {
		t.Fatalf("run with an unsynced decision: %v", err)
	}
	assertNotRun(t, rec)
	rs := e.records(t)
	if len(rs) != 2 || rs[0].Seq != 1 || rs[1].Seq != 2 || rs[1].Action != audit.ActionFinished || rs[1].Run.Outcome != audit.NotStarted {
		t.Fatalf("audit = %+v", rs)
	}
	if marked, err := log.MarkInterrupted(ctx); err != nil || len(marked) != 0 {
		t.Errorf("MarkInterrupted = %+v %v, want nothing", marked, err)
	}
}

// TestManualPlanShowsTheCommandFilledIn: a measure done by hand shows the
// catalog's example command for reference with the plan's values, never
// with {{ip}} left in it; its undo too.
func TestManualPlanShowsTheCommandFilledIn(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m := e.manager(t, nil)
	p, err := m.Plan(ctx, incID, "segment.block-ip", map[string]string{"ip": "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Manual || len(p.Example) == 0 {
		t.Fatalf("plan without an actuator: manual %v, example %v", p.Manual, p.Example)
	}
	for _, c := range p.Example {
		line := containment.CommandLine(c.Argv)
		if strings.Contains(line, "{{") {
			t.Errorf("reference command with a placeholder left: %s", line)
		}
	}
	if !strings.Contains(containment.CommandLine(p.Example[0].Argv), "203.0.113.7") {
		t.Errorf("reference command without the address: %v", p.Example)
	}
}
