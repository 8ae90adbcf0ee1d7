// Package themes holds the console's colour themes as data: YAML files of
// semantic colours (severity.high, border.focused, ...) embedded in the
// binary, plus the user's own from the config directory. A theme never
// names what a colour is for in code; panes get lipgloss styles built from
// it (see tui/style).
package themes

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/mamori-soc/mamori/sanitize"
)

//go:embed data/*.yaml
var builtin embed.FS

// Theme is one colour theme.
type Theme struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Monochrome themes use no colour; emphasis is bold/underline/reverse.
	Monochrome bool `yaml:"monochrome"`
	// BoldSeverity renders severities in bold.
	BoldSeverity bool `yaml:"bold_severity"`
	// Colors maps semantic names to "#rrggbb" (or ANSI numbers "0"–"255").
	Colors map[string]string `yaml:"colors"`
	// Source is where the theme was read from ("builtin" or a path).
	Source string `yaml:"-"`
}

// Names are the semantic colours a theme should define; a missing one
// falls back to the dark theme's.
var Names = []string{
	"text", "muted", "subtle", "accent", "title", "border", "border_focused",
	"header_fg", "header_bg", "tab_active_fg", "tab_active_bg", "selected_fg", "selected_bg",
	"match", "ok", "warn", "error",
	"severity_info", "severity_low", "severity_medium", "severity_high", "severity_critical",
	"phase_reached", "alert_row", "spark",
}

// Default is the theme used when none is chosen.
const Default = "dark"

var colorRE = regexp.MustCompile(`^(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}|[0-9]{1,3})$`)

// Validate checks the theme's name (shown in the console: printable, at
// most 64 characters) and colours.
func (t *Theme) Validate() error {
	if t.Name == "" {
		return errors.New("theme has no name")
	}
	if len(t.Name) > 64 || strings.TrimSpace(t.Name) != t.Name || strings.IndexFunc(t.Name, func(r rune) bool {
		return !unicode.IsPrint(r) || r == utf8.RuneError
	}) >= 0 {
		return fmt.Errorf("theme name %q: give a name of printable characters, at most 64", sanitize.Line(t.Name))
	}
	var bad []string
	for k, v := range t.Colors {
		if n, err := strconv.Atoi(v); !colorRE.MatchString(v) || (err == nil && n > 255) {
			bad = append(bad, fmt.Sprintf("%s: %q is not #rrggbb or 0-255", sanitize.Line(k), sanitize.Line(v)))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		return fmt.Errorf("theme %s: %s", t.Name, strings.Join(bad, "; "))
	}
	return nil
}

// Color returns the named colour, or "" when the theme has none.
func (t *Theme) Color(name string) string { return t.Colors[name] }

func parse(b []byte, source string) (*Theme, error) {
	var t Theme
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("theme %s: %w", source, err)
	}
	t.Source = source
	if t.Colors == nil {
		t.Colors = map[string]string{}
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return &t, nil
}

// Load returns every theme: the built-in ones and, from userDir (the
// config directory's themes/ folder; may not exist), the user's, which
// replace built-ins of the same name. Unreadable user themes are returned
// as errors alongside the usable ones.
func Load(userDir string) ([]*Theme, []error) {
	var out []*Theme
	var errs []error
	byName := map[string]int{}
	add := func(t *Theme) {
		if i, ok := byName[t.Name]; ok {
			out[i] = t
			return
		}
		byName[t.Name] = len(out)
		out = append(out, t)
	}
	entries, _ := fs.ReadDir(builtin, "data")
	for _, e := range entries {
		b, err := builtin.ReadFile("data/" + e.Name())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t, err := parse(b, "builtin")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		add(t)
	}
	var fallback map[string]string
	if d, ok := byName[Default]; ok {
		fallback = out[d].Colors
	}
	if userDir != "" {
		files, _ := filepath.Glob(filepath.Join(userDir, "*.yaml"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			t, err := parse(b, p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			add(t)
		}
	}
	// Missing colours fall back to the built-in dark theme's.
	for _, t := range out {
		if t.Monochrome {
			continue
		}
		for _, n := range Names {
			if t.Colors[n] == "" {
				t.Colors[n] = fallback[n]
			}
		}
	}
	return out, errs
}

// Find returns the theme called name from ts.
func Find(ts []*Theme, name string) (*Theme, bool) {
	for _, t := range ts {
		if strings.EqualFold(t.Name, name) {
			return t, true
		}
	}
	return nil, false
}

// Choose picks the theme to start with: NO_COLOR forces monochrome; else
// the requested name; else the default.
func Choose(ts []*Theme, requested string, noColor bool) *Theme {
	if noColor {
		if t, ok := Find(ts, "monochrome"); ok {
			return t
		}
	}
	if t, ok := Find(ts, requested); ok {
		return t
	}
	t, _ := Find(ts, Default)
	return t
}
