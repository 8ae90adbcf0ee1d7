package catalog

import "strings"

// Text is a piece of catalog prose in English and Japanese. Every entry of
// the embedded catalog has both; Load rejects data where either is empty.
type Text struct {
	EN string `yaml:"en"`
	JA string `yaml:"ja"`
}

// In returns the text in the language lang names: Japanese for any language
// tag or locale that starts with "ja" ("ja", "ja-JP", "ja_JP.UTF-8"),
// English for anything else. It falls back to English when the Japanese is
// empty, so that text from user-supplied data without a translation still
// shows.
func (t Text) In(lang string) string {
	if t.JA != "" && isJapanese(lang) {
		return t.JA
	}
	return t.EN
}

// String returns the English text.
func (t Text) String() string { return t.EN }

// IsZero reports whether both languages are empty.
func (t Text) IsZero() bool { return t.EN == "" && t.JA == "" }

func isJapanese(lang string) bool {
	if len(lang) < 2 || !strings.EqualFold(lang[:2], "ja") {
		return false
	}
	// "ja" alone, or followed by a region/encoding separator: not "jav".
	return len(lang) == 2 || strings.ContainsRune("-_.@", rune(lang[2]))
}
