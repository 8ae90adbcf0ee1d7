package containment_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
)

// TestInterpretersAreRefused: an actuator that hands a value from a log to
// a shell or another interpreter is refused, through wrappers too, unless
// the configuration allows the interpreter; and even then no placeholder
// may be in what the interpreter evaluates.
func TestInterpretersAreRefused(t *testing.T) {
	e := newEnv(t)
	refused := map[string][]string{
		"sh -c with a url":          {"sh", "-c", "curl -s -X POST http://gw/block?u={{url}}"},
		"bash by path":              {"/bin/bash", "-c", "echo {{url}} >> /etc/squid/blocked"},
		"dash, script in a cluster": {"dash", "-ec", "echo {{url}}"},
		"busybox sh":                {"busybox", "sh", "-c", "echo {{url}}"},
		"env running sh":            {"/usr/bin/env", "sh", "-c", "echo {{url}}"},
		"env with a variable":       {"env", "-i", "PATH=/bin", "bash", "-c", "echo {{url}}"},
		"env -S":                    {"env", "-S", "echo {{url}}"},
		"sudo bash":                 {"sudo", "-u", "root", "bash", "-c", "echo {{url}}"},
		"sudo -s":                   {"sudo", "-s", "echo", "{{url}}"},
		"timeout zsh":               {"timeout", "5", "zsh", "-c", "echo {{url}}"},
		"python3.12 -c":             {"python3.12", "-c", "import os; os.system('echo {{url}}')"},
		"perl -e":                   {"perl", "-e", "print '{{url}}'"},
		"perl -ne":                  {"perl", "-ne", "print '{{url}}'"},
		"ruby -e":                   {"ruby", "-e", "puts '{{url}}'"},
		"node -e":                   {"node", "-e", "console.log('{{url}}')"},
		"php -r":                    {"php", "-r", "echo '{{url}}';"},
		"lua -e":                    {"lua5.4", "-e", "print('{{url}}')"},
		"awk program":               {"awk", "BEGIN { system(\"echo {{url}}\") }"},
		"sed script":                {"sed", "-i", "/{{url}}/d", "/etc/squid/blocked"},
		"fish":                      {"fish", "--command=echo {{url}}"},
		"pwsh":                      {"pwsh", "-Command", "Write-Output {{url}}"},
		"cmd /c":                    {"cmd.exe", "/c", "echo {{url}}"},
		"ssh to the gateway":        {"ssh", "gw", "block-url", "{{url}}"},
		"interpreter, no params":    {"sh", "-c", "nft flush set inet mamori blocked_url"},
		"script file":               {"bash", "/usr/local/sbin/block-url", "{{url}}"},
	}
	for name, argv := range refused {
		t.Run(name, func(t *testing.T) {
			_, err := containment.New(containment.Options{Catalog: e.cat, Audit: e.log,
				Actuators: map[string]containment.Actuator{"segment.block-url": {Argv: argv}}})
			if err == nil || !strings.Contains(err.Error(), "allow_interpreter") || !strings.Contains(err.Error(), "code") {
				t.Fatalf("New(%q) err = %v, want a refusal that explains the risk and names allow_interpreter", argv, err)
			}
		})
	}

	// Allowed, a placeholder still may not be in what is evaluated.
	inScript := map[string][]string{
		"in the -c script":        {"sh", "-c", "nft add element inet mamori blocked_url { {{url}} }"},
		"in a cluster's script":   {"bash", "-xec", "echo \"{{url}}\""},
		"after a valued option":   {"bash", "-o", "pipefail", "-c", "echo {{url}}"},
		"script after -c options": {"sh", "-c", "-e", "echo {{url}}"},
		"through env":             {"env", "sh", "-c", "echo {{url}}"},
		"as the script file":      {"sh", "{{url}}"},
		"in python -c":            {"python3", "-c", "print('{{url}}')"},
		"as a perl module":        {"perl", "-M{{url}}", "-e", "1"},
		"in perl's second -e":     {"perl", "-e", "1", "-e", "print '{{url}}'", "x"},
		"awk program":             {"gawk", "-v", "x=1", "/{{url}}/"},
		"after ssh":               {"ssh", "gw", "--", "block-url", "{{url}}"},
		"after pwsh -File":        {"pwsh", "-File", "block.ps1", "{{url}}"},
		"sh without a script":     {"sh", "-c"},
	}
	for name, argv := range inScript {
		t.Run("allowed but "+name, func(t *testing.T) {
			if !strings.Contains(strings.Join(argv, " "), "{{url}}") {
				argv = append(argv, "{{url}}")
			}
			_, err := containment.New(containment.Options{Catalog: e.cat, Audit: e.log,
				Actuators: map[string]containment.Actuator{"segment.block-url": {Argv: argv, AllowInterpreter: true}}})
			if err == nil || !strings.Contains(err.Error(), "placeholder") {
				t.Fatalf("New(%q, allow_interpreter) err = %v, want a placeholder in evaluated code refused", argv, err)
			}
		})
	}

	accepted := map[string]containment.Actuator{
		"nft":                       {Argv: []string{"nft", "add", "element", "inet", "mamori", "blocked_url", "{ {{url}} }"}},
		"nft by path through sudo":  {Argv: []string{"sudo", "-n", "/usr/sbin/nft", "add", "element", "inet", "mamori", "blocked_url", "{ {{url}} }"}},
		"a script of yours":         {Argv: []string{"/usr/local/sbin/mamori-block-url", "{{url}}"}},
		"sh, value positional":      {Argv: []string{"sh", "-c", `printf '%s\n' "$1" >> /etc/squid/blocked`, "sh", "{{url}}"}, AllowInterpreter: true},
		"bash -e -c, positional":    {Argv: []string{"bash", "-e", "-o", "pipefail", "-c", `echo "$1"`, "bash", "{{url}}"}, AllowInterpreter: true},
		"python -c, positional":     {Argv: []string{"python3", "-c", "import sys; print(sys.argv[1])", "{{url}}"}, AllowInterpreter: true},
		"bash script file":          {Argv: []string{"bash", "/usr/local/sbin/block-url", "{{url}}"}, AllowInterpreter: true},
		"interpreter, no params":    {Argv: []string{"sh", "-c", "nft flush set inet mamori blocked_url"}, AllowInterpreter: true},
		"sh script after --":        {Argv: []string{"sh", "--", "/usr/local/sbin/block", "{{url}}"}, AllowInterpreter: true},
		"perl script, option first": {Argv: []string{"perl", "-w", "/usr/local/sbin/block.pl", "{{url}}"}, AllowInterpreter: true},
	}
	for name, a := range accepted {
		t.Run("accepted "+name, func(t *testing.T) {
			if _, err := containment.New(containment.Options{Catalog: e.cat, Audit: e.log,
				Actuators: map[string]containment.Actuator{"segment.block-url": a}}); err != nil {
				t.Fatalf("New(%q) = %v", a.Argv, err)
			}
		})
	}
	notes := containment.Interpreters(accepted)
	if len(notes) != 7 || !strings.Contains(strings.Join(notes, "\n"), `"$1"`) {
		t.Errorf("Interpreters = %q, want a note for each actuator allowed an interpreter", notes)
	}
}

// TestShellNeverEvaluatesAValue runs an allowed shell with the value as a
// positional argument: a URL holding what a shell would act on (& ( ) *
// ?) arrives as it is, and nothing else runs.
func TestShellNeverEvaluatesAValue(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	ctx := context.Background()
	e := newEnv(t)
	out := filepath.Join(e.dir, "out")
	m := e.manager(t, map[string]containment.Actuator{"segment.block-url": {
		Argv: []string{sh, "-c", `printf '%s' "$1" > "$2"`, "sh", "{{url}}", out}, AllowInterpreter: true,
	}})
	url := "http://198.51.100.7/x?a=1&b=(2)*&c=!x"
	p, err := m.Plan(ctx, incID, "segment.block-url", map[string]string{"url": url})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Run(ctx, p, containment.Confirmation{Text: url})
	if err != nil || res.Outcome != audit.Succeeded {
		t.Fatalf("run: %+v %v", res, err)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != url {
		t.Fatalf("the script got %q (%v), want the URL as it is", b, err)
	}
}
