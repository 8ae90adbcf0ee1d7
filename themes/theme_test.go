package themes

import (
	"os"
	"path/filepath"
	"testing"
)

func TestBuiltinThemesLoadAndAreComplete(t *testing.T) {
	ts, errs := Load("")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, want := range []string{"dark", "light", "high-contrast", "monochrome"} {
		th, ok := Find(ts, want)
		if !ok {
			t.Fatalf("no %s theme", want)
		}
		if th.Monochrome {
			continue
		}
		for _, n := range Names {
			if th.Colors[n] == "" {
				t.Errorf("%s: no %s", want, n)
			}
		}
	}
}

func TestSeverityColoursDiffer(t *testing.T) {
	ts, _ := Load("")
	for _, th := range ts {
		if th.Monochrome {
			continue
		}
		seen := map[string]string{}
		for _, s := range []string{"severity_info", "severity_low", "severity_medium", "severity_high", "severity_critical"} {
			c := th.Colors[s]
			if prev, dup := seen[c]; dup {
				t.Errorf("%s: %s and %s share %s", th.Name, prev, s, c)
			}
			seen[c] = s
		}
	}
}

func TestUserThemesAndNoColor(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "solar.yaml"), []byte("name: solar\ncolors:\n  text: \"#839496\"\n"), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "dark.yaml"), []byte("name: dark\ncolors:\n  text: \"#eeeeee\"\n"), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("name: broken\ncolors:\n  text: red\n"), 0o600)
	ts, errs := Load(dir)
	if len(errs) != 1 {
		t.Fatalf("errors: %v", errs)
	}
	solar, ok := Find(ts, "solar")
	if !ok || solar.Colors["text"] != "#839496" || solar.Colors["accent"] == "" {
		t.Fatalf("user theme with fallbacks: %+v", solar)
	}
	if d, _ := Find(ts, "dark"); d.Colors["text"] != "#eeeeee" {
		t.Fatal("a user theme does not replace the built-in of the same name")
	}
	if Choose(ts, "solar", true).Name != "monochrome" {
		t.Fatal("NO_COLOR does not force monochrome")
	}
	if Choose(ts, "nope", false).Name != Default {
		t.Fatal("an unknown theme does not fall back to the default")
	}
}
