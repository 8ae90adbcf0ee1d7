package themes_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/themes"
	"github.com/mamori-soc/mamori/tui/style"
)

// FuzzLoad reads arbitrary bytes as a user theme (a file someone shared):
// nothing panics, the built-in themes stay, and every theme loaded has a
// printable name, colours that are #rgb, #rrggbb or an ANSI number 0–255,
// a colour for every name (monochrome aside), and builds the console's
// styles.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"dark", "light", "high-contrast", "monochrome"} {
		b, err := os.ReadFile(filepath.Join("data", name+".yaml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"name: mine\ncolors: {text: \"#ffffff\", accent: \"208\"}\n",
		"name: dark\ndescription: my dark\ncolors: {error: \"#f00\"}\n",
		"name: plain\nmonochrome: true\n",
		"name: \"\\e]0;pwned\\a\"\ncolors: {}\n",
		"name: big\ncolors: {text: \"999\"}\n",
		"name: x\ncolors: {text: red}\n",
		"name: x\nunknown: 1\n",
		"", "{}", "name: [1]\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, "user.yaml"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		ts, _ := themes.Load(dir)
		for _, want := range []string{"dark", "light", "high-contrast", "monochrome"} {
			if _, ok := themes.Find(ts, want); !ok {
				t.Fatalf("the built-in theme %s is gone", want)
			}
		}
		for _, th := range ts {
			if th.Name == "" || sanitize.Line(th.Name) != th.Name || strings.TrimSpace(th.Name) != th.Name {
				t.Fatalf("theme name %q is not printable", th.Name)
			}
			if err := th.Validate(); err != nil {
				t.Fatalf("loaded theme %q does not validate: %v", th.Name, err)
			}
			for k, v := range th.Colors {
				if strings.HasPrefix(v, "#") {
					continue
				}
				if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 255 {
					t.Fatalf("theme %q: %s = %q is not a colour", th.Name, k, v)
				}
			}
			if !th.Monochrome {
				for _, n := range themes.Names {
					if th.Colors[n] == "" {
						t.Fatalf("theme %q has no %s", th.Name, n)
					}
				}
			}
			s := style.New(th)
			_ = s.Sev(alert.Critical).Render("x")
			if got := themes.Choose(ts, th.Name, false); got == nil {
				t.Fatalf("Choose(%q) = nil", th.Name)
			}
		}
	})
}
