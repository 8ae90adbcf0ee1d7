package containment_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
)

// TestActuatorGetsAMinimalEnvironment: an actuator does not inherit
// mamori's environment (tokens, proxies, an SSH agent): it gets PATH,
// HOME, LANG, LC_ALL and TZ, and what its configuration adds.
func TestActuatorGetsAMinimalEnvironment(t *testing.T) {
	ctx := context.Background()
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-from-mamoris-environment")
	t.Setenv("SSH_AUTH_SOCK", "/tmp/ssh-agent.sock")
	t.Setenv("LANG", "ja_JP.UTF-8")
	t.Setenv("TZ", "Asia/Tokyo")
	e := newEnv(t)
	out := filepath.Join(e.dir, "env.json")
	m := e.manager(t, map[string]containment.Actuator{"segment.block-ip": {Argv: []string{os.Args[0], "env", out, "{{ip}}"}}})
	p, err := m.Plan(ctx, incID, "segment.block-ip", map[string]string{"ip": "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := m.Run(ctx, p, containment.Confirmation{Text: "203.0.113.7"}); err != nil || res.Outcome != audit.Succeeded {
		t.Fatalf("run: %+v %v", res, err)
	}
	got := readArgv(t, out)
	want := []string{"PATH=" + os.Getenv("PATH"), "LANG=ja_JP.UTF-8", "TZ=Asia/Tokyo"}
	if h := os.Getenv("HOME"); h != "" {
		want = append(want, "HOME="+h)
	}
	if l := os.Getenv("LC_ALL"); l != "" {
		want = append(want, "LC_ALL="+l)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the actuator's environment:\n got %q\nwant %q", got, want)
	}
}

// TestSecretsAreUsedAndMasked: a {{secret:name}} from a file or mamori's
// environment reaches the command (argv and env), and is masked wherever
// the run is shown or recorded: the plan, the audit records in the store
// and the mirror, the history the console and the report read, and the
// command's output.
func TestSecretsAreUsedAndMasked(t *testing.T) {
	ctx := context.Background()
	const fileSecret, envSecret = "s3cr3t-from-a-file", "t0ken-from-the-environment"
	t.Setenv("MAMORI_TEST_GW_TOKEN", envSecret)
	e := newEnv(t)
	secretFile := filepath.Join(e.dir, "gw.key")
	if err := os.WriteFile(secretFile, []byte(fileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec, envOut := filepath.Join(e.dir, "argv.json"), filepath.Join(e.dir, "env.json")
	secrets := map[string]containment.Secret{"key": {File: secretFile}, "token": {Env: "MAMORI_TEST_GW_TOKEN"}}
	m := e.manager(t, map[string]containment.Actuator{
		"segment.block-ip": {Argv: recorder(rec, "--key={{secret:key}}", "{{ip}}"), Secrets: secrets,
			Undo: []string{os.Args[0], "env", envOut, "{{ip}}"},
			Env:  map[string]string{"GW_TOKEN": "{{secret:token}}", "GW_URL": "https://gw.example/api"}},
		"segment.block-domain": {Argv: []string{os.Args[0], "echo", "using {{secret:key}} for", "{{domain}}", "{{secret:token}}"},
			Secrets: secrets},
	})
	p, err := m.Plan(ctx, incID, "segment.block-ip", map[string]string{"ip": "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Argv[3] != "--key=***" || p.Env["GW_TOKEN"] != "***" || p.Env["GW_URL"] != "https://gw.example/api" {
		t.Errorf("plan shows argv %q env %v", p.Argv, p.Env)
	}
	res, err := m.Run(ctx, p, containment.Confirmation{Text: "203.0.113.7"})
	if err != nil || res.Outcome != audit.Succeeded {
		t.Fatalf("run: %+v %v", res, err)
	}
	if got := readArgv(t, rec); !slices.Equal(got, []string{"--key=" + fileSecret, "203.0.113.7"}) {
		t.Errorf("the command got %q, want the secret filled in", got)
	}
	up, err := m.UndoPlan(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run(ctx, up, containment.Confirmation{Text: "203.0.113.7"}); err != nil {
		t.Fatal(err)
	}
	if env := readArgv(t, envOut); !slices.Contains(env, "GW_TOKEN="+envSecret) || !slices.Contains(env, "GW_URL=https://gw.example/api") {
		t.Errorf("the undo's environment %q lacks the configured variables", env)
	}
	dp, err := m.Plan(ctx, incID, "segment.block-domain", map[string]string{"domain": "kx7-update.duckdns.org"})
	if err != nil {
		t.Fatal(err)
	}
	dres, err := m.Run(ctx, dp, containment.Confirmation{Text: "kx7-update.duckdns.org"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "using *** for\nkx7-update.duckdns.org\n***\n"; dres.Stdout != want || dres.Stderr != want {
		t.Errorf("output:\n%q\n%q\nwant the secrets masked: %q", dres.Stdout, dres.Stderr, want)
	}

	// Nowhere recorded or shown.
	var stored strings.Builder
	if err := e.st.AuditLog(1, func(_ uint64, doc []byte) error { stored.Write(doc); return nil }); err != nil {
		t.Fatal(err)
	}
	mirror, err := os.ReadFile(filepath.Join(e.dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	acts, err := m.History(ctx, incID)
	if err != nil {
		t.Fatal(err)
	}
	shown, _ := json.Marshal(acts)
	for what, text := range map[string]string{"store": stored.String(), "mirror": string(mirror), "history": string(shown)} {
		if strings.Contains(text, fileSecret) || strings.Contains(text, envSecret) {
			t.Errorf("a secret is in the %s:\n%s", what, text)
		}
		if !strings.Contains(text, "--key=***") {
			t.Errorf("the %s does not show the masked argument:\n%s", what, text)
		}
	}
	if len(acts) != 3 || acts[0].Argv[3] != "--key=***" {
		t.Errorf("history = %+v", acts)
	}
}

func TestSecretProblems(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	open := filepath.Join(e.dir, "open.key")
	if err := os.WriteFile(open, []byte("s3cr3t\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Explicitly: a store opened in this process narrows the umask.
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	argv := []string{"nft", "--key={{secret:k}}", "{{ip}}"}
	for name, tc := range map[string]struct {
		act  containment.Actuator
		want string
	}{
		"undeclared":        {containment.Actuator{Argv: argv}, "not declared"},
		"unused":            {containment.Actuator{Argv: []string{"nft", "{{ip}}"}, Secrets: map[string]containment.Secret{"k": {Env: "K"}}}, "used nowhere"},
		"two sources":       {containment.Actuator{Argv: argv, Secrets: map[string]containment.Secret{"k": {Env: "K", File: open}}}, "exactly one"},
		"no source":         {containment.Actuator{Argv: argv, Secrets: map[string]containment.Secret{"k": {}}}, "exactly one"},
		"param in env":      {containment.Actuator{Argv: []string{"nft", "{{ip}}"}, Env: map[string]string{"IP": "{{ip}}"}}, "only {{secret:name}}"},
		"bad env name":      {containment.Actuator{Argv: []string{"nft", "{{ip}}"}, Env: map[string]string{"A B": "x"}}, "not an environment variable name"},
		"secret as program": {containment.Actuator{Argv: []string{"{{secret:k}}"}, Secrets: map[string]containment.Secret{"k": {Env: "K"}}}, "must not come from a parameter"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := containment.New(containment.Options{Catalog: e.cat, Audit: e.log, Actuators: map[string]containment.Actuator{"segment.block-ip": tc.act}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A secret that cannot be read stops the run before anything runs or
	// is recorded.
	rec := filepath.Join(e.dir, "argv.json")
	for name, tc := range map[string]struct {
		sc   containment.Secret
		want string
	}{
		"unset variable":      {containment.Secret{Env: "MAMORI_TEST_UNSET_TOKEN"}, "MAMORI_TEST_UNSET_TOKEN is not set"},
		"file open to others": {containment.Secret{File: open}, "open to other users"},
		"missing file":        {containment.Secret{File: filepath.Join(e.dir, "none.key")}, "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			m := e.manager(t, map[string]containment.Actuator{"segment.block-ip": {Argv: recorder(rec, "{{secret:k}}", "{{ip}}"),
				Secrets: map[string]containment.Secret{"k": tc.sc}}})
			p, err := m.Plan(ctx, incID, "segment.block-ip", map[string]string{"ip": "203.0.113.7"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Run(ctx, p, containment.Confirmation{Text: "203.0.113.7"}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run: %v, want %q", err, tc.want)
			}
			assertNotRun(t, rec)
			if rs := e.records(t); len(rs) != 0 {
				t.Errorf("a run that could not read its secret was recorded: %+v", rs)
			}
		})
	}
}
