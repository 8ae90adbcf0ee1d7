package containment_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mamori-soc/mamori/handling/containment"
)

// TestURLRefusesShellCharacters: a URL parameter refuses what has no
// business in a URL and every character a shell would act on that a URL
// does not need.
func TestURLRefusesShellCharacters(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m := e.manager(t, nil)
	for name, u := range map[string]string{
		"command substitution": "http://e.com/$(id)",
		"dollar brace":         "http://e.com/${IFS}",
		"backticks":            "http://e.com/`id`",
		"semicolon":            "http://e.com/a;reboot",
		"pipe":                 "http://e.com/a|sh",
		"newline":              "http://e.com/a\nb",
		"space":                "http://e.com/a b",
		"tab":                  "http://e.com/a\tb",
		"single quote":         "http://e.com/a'b",
		"double quote":         `http://e.com/a"b`,
		"redirection":          "http://e.com/a>b",
		"backslash":            `http://e.com/a\b`,
		"braces":               "http://e.com/{a,b}",
		"caret":                "http://e.com/a^b",
		"in the host":          "http://e$(id).com/",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := m.Plan(ctx, incID, "segment.block-url", map[string]string{"url": u})
			var pe *containment.ParamError
			if !errors.As(err, &pe) || pe.Param != "url" {
				t.Fatalf("Plan(url=%q) err = %v, want a ParamError", u, err)
			}
		})
	}
	for _, u := range []string{"http://198.51.100.77:8080/update.exe?a=1&b=2", "https://e.com/a(1)/b*c,d=e+f!g~h", "https://e.com/%24%28id%29"} {
		if _, err := m.Plan(ctx, incID, "segment.block-url", map[string]string{"url": u}); err != nil {
			t.Errorf("Plan(url=%q): %v", u, err)
		}
	}
}
