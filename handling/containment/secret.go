package containment

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// Masked stands for a secret's value wherever a command is shown or
// recorded.
const Masked = "***"

const secretPrefix = "secret:"

// DefaultPath is the PATH an actuator gets when mamori has none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// baseEnv are the variables of mamori's environment passed on to every
// actuator: where programs are (PATH), whose home a tool's own
// configuration is in (HOME: ssh, curl's .netrc), the language and zone
// its messages and times are in (LANG, LC_ALL, TZ). Nothing else is passed
// on: mamori's environment may hold tokens, proxies or an SSH agent that a
// command should get only when its configuration says so (env:).
var baseEnv = []string{"PATH", "HOME", "LANG", "LC_ALL", "TZ"}

// BaseEnv returns the environment every actuator starts from, from
// getenv (os.Getenv): the baseEnv variables that are set, PATH defaulting
// to DefaultPath.
func BaseEnv(getenv func(string) string) []string {
	var out []string
	for _, k := range baseEnv {
		v := getenv(k)
		if k == "PATH" && v == "" {
			v = DefaultPath
		}
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// command is what exec runs: argv and the environment with the secrets
// filled in, and the secrets' values, masked in what the run records.
type command struct {
	argv    []string
	env     []string
	secrets []string
}

// command builds what runs for tmpl (an actuator's argv or undo) with
// the validated values, reading the secrets it and the environment use.
// It runs just before the command does, so a secret is read when needed
// and held no longer than the run.
func (m *Manager) command(measure string, act Actuator, tmpl []string, vals map[string]string) (command, error) {
	var c command
	read := map[string]string{}
	secret := func(name string) (string, error) {
		if v, ok := read[name]; ok {
			return v, nil
		}
		v, err := readSecret(name, act.Secrets[name])
		if err != nil {
			return "", fmt.Errorf("containment: %s: %w", measure, err)
		}
		read[name] = v
		c.secrets = append(c.secrets, v)
		return v, nil
	}
	var err error
	if c.argv, err = expand(measure, "argv", tmpl, vals, secret); err != nil {
		return command{}, err
	}
	c.env = BaseEnv(os.Getenv)
	for _, k := range slices.Sorted(maps.Keys(act.Env)) {
		v, err := expand(measure, "env", []string{act.Env[k]}, nil, secret)
		if err != nil {
			return command{}, err
		}
		c.env = append(c.env, k+"="+v[0])
	}
	return c, nil
}

// readSecret reads a secret from its source.
func readSecret(name string, sc Secret) (string, error) {
	var v string
	switch {
	case sc.Env != "":
		v = os.Getenv(sc.Env)
		if v == "" {
			return "", fmt.Errorf("secret %s: the environment variable %s is not set", name, sc.Env)
		}
	case sc.File != "":
		fi, err := os.Stat(sc.File)
		if err != nil {
			return "", fmt.Errorf("secret %s: %w", name, err)
		}
		if fi.Mode().Perm()&0o007 != 0 {
			return "", fmt.Errorf("secret %s: %s is open to other users (mode %04o): make it chmod 600 (or 640 for a group)", name, sc.File, fi.Mode().Perm())
		}
		b, err := os.ReadFile(sc.File)
		if err != nil {
			return "", fmt.Errorf("secret %s: %w", name, err)
		}
		line, _, _ := bytes.Cut(b, []byte{'\n'})
		v = strings.TrimSuffix(string(line), "\r")
		if v == "" {
			return "", fmt.Errorf("secret %s: %s is empty", name, sc.File)
		}
	default:
		return "", fmt.Errorf("secret %s has no source", name)
	}
	if strings.ContainsRune(v, 0) {
		return "", errors.New("secret " + name + " holds a NUL byte")
	}
	return v, nil
}

// maskSecrets replaces every secret in s with Masked. When s was cut
// short (cut), an end of s that begins a secret is masked too.
func maskSecrets(s string, secrets []string, cut bool) string {
	if len(secrets) == 0 {
		return s
	}
	// Longer first, so a secret holding another is masked whole.
	secrets = slices.Clone(secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, sc := range secrets {
		s = strings.ReplaceAll(s, sc, Masked)
	}
	if cut {
		for _, sc := range secrets {
			for n := min(len(sc)-1, len(s)); n > 0; n-- {
				if strings.HasSuffix(s, sc[:n]) {
					s = s[:len(s)-n] + Masked
					break
				}
			}
		}
	}
	return s
}
