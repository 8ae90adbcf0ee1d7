package containment

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Interpreters: programs that evaluate one of their arguments as code (a
// shell's -c script, python -c, perl -e, awk's program) or join their
// arguments into a command line a shell evaluates (ssh, su -c, cmd /c,
// PowerShell). A value from a log substituted into such an argument is
// code an attacker wrote, however strictly it was validated for its kind
// (a URL may hold & ( ) ' * ?), so an actuator whose program is one of
// them is refused unless its configuration says allow_interpreter: true,
// and even then a placeholder may only be a positional argument after the
// script, which the script refers to quoted ("$1", sys.argv[1]).
//
// The lists are of well-known programs, found by name (a path, a version
// suffix, .exe and wrappers such as env, sudo, timeout or busybox are
// seen through). A script of your own is not an interpreter to mamori:
// what it does with its arguments is up to it.

// family is how an interpreter finds its code.
type family struct {
	// shell: options may start with + too, and -c makes the first
	// operand after it the script.
	shell bool
	// joined: every later argument becomes part of a command line that
	// a shell evaluates; no placeholder may follow the program.
	joined bool
	// code reports whether an option argument introduces code: the next
	// argument is code, or (attached) the option itself holds it.
	code func(arg string) (next, attached bool)
	// valued are options that take the next argument as a value.
	valued map[string]bool
}

// flags makes the code test of an interpreter whose code follows one of
// names. A short flag counts anywhere in a cluster (perl -ne, python -Sc),
// and then the next argument is taken as code whether or not the cluster
// holds it already: more placeholders are refused, none let through.
func flags(names ...string) func(string) (bool, bool) {
	return func(a string) (next, attached bool) {
		for _, n := range names {
			if len(n) > 2 { // --eval, -encoding
				if a == n {
					return true, false
				}
				if strings.HasPrefix(a, n+"=") {
					return false, true
				}
				continue
			}
			if isCluster(a, rune(n[1])) {
				return true, false
			}
		}
		return false, false
	}
}

// shellCode: an option cluster holding c (-c, -ec, -xc) makes the first
// operand after it the script; fish also takes --command=SCRIPT and -C.
func shellCode(a string) (bool, bool) {
	if strings.HasPrefix(a, "--") {
		if a == "--command" {
			return true, false
		}
		return false, strings.HasPrefix(a, "--command=") || strings.HasPrefix(a, "--init-command=")
	}
	if a == "-C" || a == "--init-command" { // fish
		return true, false
	}
	return strings.ContainsRune(a[1:], 'c'), false
}

var (
	shellFamily  = family{shell: true, code: shellCode, valued: set("-o", "+o", "-O", "+O", "--rcfile", "--init-file")}
	interpreters = map[string]family{
		"python":    {code: flags("-c", "-m"), valued: set("-W", "-X", "-Q")},
		"pypy":      {code: flags("-c", "-m"), valued: set("-W", "-X")},
		"perl":      {code: flags("-e", "-E", "-M", "-m"), valued: set("-I", "-x")},
		"ruby":      {code: flags("-e", "-r"), valued: set("-I", "-C", "-E")},
		"jruby":     {code: flags("-e", "-r"), valued: set("-I")},
		"node":      {code: flags("-e", "-p", "--eval", "--print", "-r", "--require", "--import", "--loader"), valued: set("--input-type")},
		"nodejs":    {code: flags("-e", "-p", "--eval", "--print", "-r", "--require", "--import"), valued: set("--input-type")},
		"deno":      {joined: true},
		"bun":       {code: flags("-e", "--eval", "-p", "--print", "-r", "--preload")},
		"php":       {code: flags("-r", "-B", "-R", "-F", "-E", "-f"), valued: set("-c", "-d", "-z")},
		"lua":       {code: flags("-e", "-l")},
		"luajit":    {code: flags("-e", "-l", "-b")},
		"awk":       {code: flags("-f", "-e", "--source", "-i", "--include"), valued: set("-F", "-v", "--assign", "--field-separator")},
		"gawk":      {code: flags("-f", "-e", "--source", "-i", "--include"), valued: set("-F", "-v", "--assign", "--field-separator")},
		"mawk":      {code: flags("-f"), valued: set("-F", "-v")},
		"nawk":      {code: flags("-f"), valued: set("-F", "-v")},
		"sed":       {code: flags("-e", "-f", "--expression", "--file"), valued: set("-l", "-s")},
		"tclsh":     {code: flags("-encoding")},
		"wish":      {code: flags("-encoding")},
		"expect":    {code: flags("-c", "-f")},
		"rscript":   {code: flags("-e")},
		"r":         {code: flags("-e", "-f")},
		"julia":     {code: flags("-e", "-E", "-L")},
		"osascript": {code: flags("-e")},
		"jshell":    {joined: true},
		// Whatever follows is joined into a command line a shell (or
		// cmd.exe, or PowerShell) evaluates, locally or on the far side.
		"pwsh":       {joined: true},
		"powershell": {joined: true},
		"cmd":        {joined: true},
		"ssh":        {joined: true},
		"su":         {joined: true},
		"watch":      {joined: true},
	}
	// wrappers run their arguments as another command: the interpreter may
	// be further along (env sh -c, sudo -u root bash -c, busybox sh -c).
	wrappers = set("env", "sudo", "doas", "nice", "nohup", "timeout", "setsid", "ionice", "chrt", "taskset", "stdbuf",
		"xargs", "busybox", "toybox", "chroot", "unshare", "nsenter", "runuser", "time", "flock", "setpriv", "systemd-run",
		"numactl", "prlimit", "find", "pkexec", "firejail", "bwrap", "ip")
)

func init() {
	for _, s := range []string{"sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "oksh", "pdksh", "loksh", "ash", "hush",
		"yash", "posh", "fish", "csh", "tcsh", "rbash", "rc", "es", "elvish", "nu", "xonsh"} {
		interpreters[s] = shellFamily
	}
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// programName is a program's name as the lists know it: the base name in
// lower case without .exe and without a version suffix (python3.12 →
// python, lua5.4 → lua, ksh93 → ksh93 is listed as is).
func programName(p string) string {
	n := strings.ToLower(filepath.Base(strings.ReplaceAll(p, `\`, "/")))
	n = strings.TrimSuffix(n, ".exe")
	if _, ok := interpreters[n]; ok || wrappers[n] {
		return n
	}
	return strings.TrimRight(n, "0123456789.-_")
}

// interpreted describes an actuator argv that runs an interpreter.
type interpreted struct {
	at   int    // index of the interpreter's name in argv
	name string // its name, as written
	// until is the last index of an argument the interpreter may
	// evaluate as code (its script, options, a script file's path); a
	// placeholder may only come after it. len(argv)-1 for joined ones.
	until  int
	joined bool
}

// findInterpreter reports whether argv runs an interpreter, directly or
// through wrappers.
func findInterpreter(argv []string) (interpreted, bool) {
	if len(argv) == 0 {
		return interpreted{}, false
	}
	at := 0
	if name := programName(argv[0]); wrappers[name] {
		at = -1
		for i := 1; i < len(argv); i++ {
			n := programName(argv[i])
			if _, ok := interpreters[n]; ok {
				at = i
				break
			}
			// env -S splits a string into a command line; sudo -s and
			// -i hand the command to a shell.
			if (name == "env" && (argv[i] == "-S" || strings.HasPrefix(argv[i], "--split-string") || isCluster(argv[i], 'S'))) ||
				(name == "sudo" && (argv[i] == "--shell" || argv[i] == "--login" || isCluster(argv[i], 's') || isCluster(argv[i], 'i'))) {
				return interpreted{at: 0, name: argv[0] + " " + argv[i], until: len(argv) - 1, joined: true}, true
			}
		}
		if at < 0 {
			return interpreted{}, false
		}
	}
	fam, ok := interpreters[programName(argv[at])]
	if !ok {
		return interpreted{}, false
	}
	in := interpreted{at: at, name: argv[at]}
	if fam.joined {
		in.until, in.joined = len(argv)-1, true
		return in, true
	}
	// code is the last argument found to be code; first the first operand
	// before any code option (a script file, awk's or sed's program);
	// pending says a shell's -c waits for its script, the next operand.
	code, first := -1, -1
	pending, operands := false, false
	for i := at + 1; i < len(argv); i++ {
		a := argv[i]
		if operands || len(a) < 2 || (a[0] != '-' && (!fam.shell || a[0] != '+')) {
			switch {
			case pending:
				code, pending = max(code, i), false
			case code < 0 && first < 0:
				first = i
			}
			continue
		}
		if a == "--" {
			operands = true
			continue
		}
		next, attached := fam.code(a)
		switch {
		case attached:
			code = max(code, i)
		case next && fam.shell:
			code, pending = max(code, i), true
		case next:
			code = max(code, i+1)
			i++
		case fam.valued[a]:
			i++
		}
	}
	switch {
	case pending || (code < 0 && first < 0):
		in.until = len(argv) - 1 // no script found: refuse placeholders anywhere
	default:
		in.until = min(max(code, first), len(argv)-1)
	}
	return in, true
}

// isCluster reports whether a is a short-option cluster (-xS) holding c.
func isCluster(a string, c rune) bool {
	return len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a[1:], c)
}

// checkInterpreter refuses an argv that runs an interpreter unless the
// actuator allows it, and even then refuses a placeholder in an argument
// the interpreter may evaluate.
func checkInterpreter(id, field string, a Actuator, argv []string) error {
	in, ok := findInterpreter(argv)
	if !ok {
		return nil
	}
	if !a.AllowInterpreter {
		return fmt.Errorf("actuators.%s.%s: %q runs %s, which evaluates its arguments as code: a value from a log "+
			"(an attacker can write those) could become a command. Configure a program that takes the values as "+
			"plain arguments (nft, ipset, usermod, a script of yours), or, knowing the risk, set allow_interpreter: true "+
			"on this actuator and pass each value as a separate argument after the script, quoted where the script uses it: "+
			`[sh, -c, 'nft add element inet mamori blocked_ip "{ $1 }"', sh, "{{ip}}"]`, id, field, CommandLine(argv), in.name)
	}
	for i := 1; i <= in.until && i < len(argv); i++ {
		if !placeholderRE.MatchString(argv[i]) {
			continue
		}
		if in.joined {
			return fmt.Errorf("actuators.%s.%s: %s joins the arguments after it into a command line that a shell evaluates, "+
				"so no placeholder may follow it (argument %d, %q): a value there is code an attacker wrote. Put the command "+
				"in a script of yours that takes the values as arguments, and configure that script", id, field, in.name, i, argv[i])
		}
		return fmt.Errorf("actuators.%s.%s: argument %d (%q) is evaluated by %s as code (its script, an option or the script's path), "+
			"so it must not hold a placeholder: a value there is code an attacker wrote. Pass the value as a separate argument "+
			`after the script and use it quoted ("$1" in a shell, sys.argv[1] in Python): `+
			`[sh, -c, 'nft add element inet mamori blocked_ip "{ $1 }"', sh, "{{ip}}"]`, id, field, i, argv[i], in.name)
	}
	return nil
}
