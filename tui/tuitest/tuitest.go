// Package tuitest is what the console's tests share: the attack story
// they show (Fixture), a clock that stands still (Clock), a driver that
// runs a model's commands to completion (Drive, Press), the check that a
// view fills its terminal exactly (CheckSize) and TestMain's set-up
// (Main). The root model's tests and every pane's use it, so that a pane
// alone and the whole console are driven the same way.
package tuitest

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/mamori-soc/mamori/themes"
	"github.com/mamori-soc/mamori/tui/clock/clocktest"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/style"
)

// Now is the tests' time: the fixture's story ends here and the clock
// stands here.
var Now = time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)

// Zone is the office's zone in the tests, JST: the fixture's backend
// gives it as its Location, and every time the console shows is in it.
var Zone = time.FixedZone("JST", 9*3600)

// Main runs a package's tests with what views depend on pinned: the
// machine's zone, UTC (the office's is Zone, nine hours away, so that a
// time shown in the machine's zone instead of the office's changes a
// golden), and lipgloss' colour profile (TrueColor, whatever terminal the
// tests run in). Call it from TestMain.
func Main(m *testing.M) {
	time.Local = time.UTC
	lipgloss.Writer.Profile = colorprofile.TrueColor
	os.Exit(m.Run())
}

// Clock returns a clock held at Now: its timers fire only when the test
// advances it.
func Clock() *clocktest.Held { return clocktest.New(Now) }

// Styles returns the default theme's styles.
func Styles(t testing.TB) *style.Styles {
	t.Helper()
	ts, err := themes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return style.New(themes.Choose(ts, "", false))
}

// CommandDeadline is how long Drive lets one command run before it fails
// the test: long enough for a real backend call on a loaded machine under
// the race detector, so that reaching it means the command waits for
// something that never comes.
const CommandDeadline = time.Minute

// maxMessages bounds the messages one Drive feeds: commands that keep
// leading to commands never settle.
const maxMessages = 10_000

// Model is what Drive drives: a tea.Model, or a pane whose Update returns
// its own type.
type Model[M any] interface {
	Update(tea.Msg) (M, tea.Cmd)
}

// Drive runs cmd and every command the messages it leads to return, one
// after the other and each to completion, feeding each message to m. A
// timer on the test clock is no command, so nothing here waits on the
// clock; a command still running after CommandDeadline fails the test
// (a channel the test set on the backend and neither fed nor closed).
func Drive[M Model[M]](t testing.TB, m M, cmd tea.Cmd) M {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > maxMessages {
			t.Fatalf("the commands did not settle after %d messages", maxMessages)
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := run(t, c).(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			var next tea.Cmd
			m, next = m.Update(msg)
			queue = append(queue, next)
		}
	}
	return m
}

// run runs one command, failing the test if it does not finish within
// CommandDeadline.
func run(t testing.TB, c tea.Cmd) tea.Msg {
	t.Helper()
	done := make(chan tea.Msg, 1)
	go func() { done <- c() }()
	deadline := time.NewTimer(CommandDeadline)
	defer deadline.Stop()
	select {
	case msg := <-done:
		return msg
	case <-deadline.C:
		t.Fatalf("a command did not finish within %v: it waits for something no test sends", CommandDeadline)
		return nil
	}
}

// Press presses keys one after the other, driving what each leads to.
func Press[M Model[M]](t testing.TB, m M, keys ...string) M {
	t.Helper()
	for _, k := range keys {
		var cmd tea.Cmd
		m, cmd = m.Update(Key(k))
		m = Drive(t, m, cmd)
	}
	return m
}

// Key is the key press named k: "enter", "esc", "tab", "shift+tab",
// "backspace", "up", "down", "left", "right", "home", "end", "pgup",
// "pgdown", " " or "space", "ctrl+<letter>", or the one character typed.
func Key(k string) tea.KeyPressMsg {
	named := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "backspace": tea.KeyBackspace,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"home": tea.KeyHome, "end": tea.KeyEnd, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
	}
	switch {
	case k == "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case k == " " || k == "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case strings.HasPrefix(k, "ctrl+") && len(k) == len("ctrl+x"):
		return tea.KeyPressMsg{Code: rune(k[len(k)-1]), Mod: tea.ModCtrl}
	}
	if r, ok := named[k]; ok {
		return tea.KeyPressMsg{Code: r}
	}
	return tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
}

// Typed is the key presses that type s.
func Typed(s string) []string { return strings.Split(s, "") }

// Keys joins key sequences.
func Keys(seqs ...[]string) []string {
	var out []string
	for _, s := range seqs {
		out = append(out, s...)
	}
	return out
}

// CheckSize reports a view that does not have exactly h lines, or a line
// wider than w cells.
func CheckSize(t testing.TB, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide (terminal %d): %q", i, lw, w, ansi.Strip(l))
		}
	}
}

// Langs are the console's languages: golden views are kept in each.
var Langs = []i18n.Lang{i18n.EN, i18n.JA}

// Golden checks that out fills w×h exactly and is what
// testdata/<test name>.golden holds (go test -update writes it; look at
// a new one with cat before committing it: it is what the user sees).
func Golden(t testing.TB, out string, w, h int) {
	t.Helper()
	CheckSize(t, out, w, h)
	golden.RequireEqual(t, out)
}

// Masked replaces what differs between runs in a containment result (the
// run id, whole or cut, and the command's duration) and trims the padding
// after them.
func Masked(out string) string {
	out = runID.ReplaceAllString(out, "RUNID")
	out = cutRunID.ReplaceAllString(out, "${1}RUNID…")
	out = duration.ReplaceAllString(out, "· DURATION")
	lines := strings.Split(out, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

var (
	runID    = regexp.MustCompile(`[0-9a-f]{16}`)
	cutRunID = regexp.MustCompile(`((?:undoes run|取り消す実行) )[0-9a-f]{1,15}…`)
	duration = regexp.MustCompile(`· [0-9.]+(ns|µs|ms|s)\b`)
)
