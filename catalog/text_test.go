package catalog

import "testing"

func TestTextIn(t *testing.T) {
	both := Text{EN: "Pull the network cable", JA: "抜線"}
	tests := map[string]struct {
		text Text
		lang string
		want string
	}{
		"ja":               {both, "ja", "抜線"},
		"ja-JP":            {both, "ja-JP", "抜線"},
		"POSIX locale":     {both, "ja_JP.UTF-8", "抜線"},
		"upper case":       {both, "JA", "抜線"},
		"en":               {both, "en", "Pull the network cable"},
		"empty":            {both, "", "Pull the network cable"},
		"other language":   {both, "fr-FR", "Pull the network cable"},
		"not Japanese":     {both, "jav", "Pull the network cable"},
		"no translation":   {Text{EN: "only English"}, "ja", "only English"},
		"C locale":         {both, "C", "Pull the network cable"},
		"ja with modifier": {both, "ja@latin", "抜線"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.text.In(tc.lang); got != tc.want {
				t.Errorf("In(%q) = %q, want %q", tc.lang, got, tc.want)
			}
		})
	}
}

func TestFoldedSpace(t *testing.T) {
	tests := map[string]struct {
		s    string
		want int
	}{
		"clean":                 {"ターゲットの情報収集", -1},
		"folded":                {"ターゲットの 情報収集", 18},
		"ASCII around":          {"address=/名前/ の行", -1},
		"English":               {"a b c", -1},
		"between word and kana": {"PsExec 利用", -1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := foldedSpace(tc.s); got != tc.want {
				t.Errorf("foldedSpace(%q) = %d, want %d", tc.s, got, tc.want)
			}
		})
	}
}
