package duration

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	cases := map[string]time.Duration{"30s": 30 * time.Second, "72h": 72 * time.Hour, "180d": 180 * 24 * time.Hour, "1d12h": 36 * time.Hour, "": 0}
	for s, want := range cases {
		if got, err := Parse(s); err != nil || got != want {
			t.Errorf("%q: %v %v", s, got, err)
		}
	}
	for _, s := range []string{"d", "xd", "1w", "12"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	if Format(180*24*time.Hour) != "180d" || Format(90*time.Minute) != "1h30m0s" {
		t.Error("Format")
	}
}
