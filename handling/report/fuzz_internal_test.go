package report

import (
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/catalog"
)

// fuzzReport is a report with every text field set from s: what logs,
// people and stored records put in a report.
func fuzzReport(scales *catalog.Scales, s string) *Report {
	v := func(tag string) string { return tag + s + "x" }
	at := time.Date(2026, 11, 22, 0, 30, 0, 0, time.UTC)
	exit := 1
	return &Report{
		Incident:  Header{ID: v("INC"), Title: v("title"), Status: v("closed"), Opened: at, OpenedBy: v("who"), Closed: at, ClosedBy: v("who")},
		Generated: at, GeneratedBy: v("who"), Version: v("v"), TimeZone: v("JST"),
		Summary: Summary{
			Endpoints: []Endpoint{{ID: v("10.0.10.31"), Host: v("pc"), Segment: v("seg"), Role: v("role"), Owner: v("owner"), Alerts: 2, FirstSeen: at, LastSeen: at}},
			FirstSeen: at, LastSeen: at, HighestSeverity: v("high"), Alerts: 2,
			Phases:        []Phase{{Number: 5, Name: v("C2"), Alerts: 2}},
			HandlingPhase: v("C"),
		},
		Timeline: []Entry{
			{Time: at, Kind: "alert", Endpoint: v("ep"), Severity: v("high"), Rule: v("S-BEACON"), Text: v("beacon")},
			{Time: at, Kind: "event", Endpoint: v("ep"), Rule: v("S-BEACON"), Text: v("raw log line"), File: v("/var/log/squid/access.log")},
			{Time: at, Kind: "action", Text: v("containment started")},
		},
		Findings: []FindingReport{{ID: v("intrusion"), Name: v("Intrusion route"), Questions: []string{v("How?")}, Text: v("written"),
			WrittenBy: v("who"), Written: at, Suggestions: []string{v("suggested")}}},
		Checklist: []PhaseReport{{ID: v("A"), Name: v("Detect"), Done: 1, Total: 2, Current: true, Items: []ItemReport{
			{ID: v("A.user.report"), Role: v("user"), Do: v("report"), State: v("done"), Who: v("who"), When: at, Note: v("note")},
		}}},
		Containment: []ActionReport{{RunID: v("r1"), Measure: v("segment.block-url"), Title: v("Block"), Params: map[string]string{v("url"): v("http://e.com/")},
			Command: v("nft add"), Who: v("who"), Note: v("note"), Started: at, Finished: at, Outcome: v("failed"), Exit: &exit,
			Output: v("output"), Error: v("error"), C: 2, I: 1, A: 0, Cost: 1, Evidence: v("keeps"), Reversible: v("yes"),
			Rationale: v("why"), UndoOf: v("r0"), UndoneBy: v("r2")}},
		Trail: []TrailEntry{{Seq: 1, Time: at, Who: v("who"), Kind: v("containment"), Action: v("started"), Subject: v("subject"), Note: v("note")}},
		loc:   time.UTC, lang: "en", scales: scales,
	}
}

// shapes are the Markdown structure of a report: the kind of each line
// (heading level, list item, sub-item, quote, code, or the fixed text a
// plain line starts with), runs of one kind counted once.
func shapes(md string) []string {
	var out []string
	for _, l := range strings.Split(md, "\n") {
		var k string
		switch {
		case l == "":
			k = "blank"
		case strings.HasPrefix(l, "#"):
			k = "h" + strings.Repeat("#", len(l)-len(strings.TrimLeft(l, "#")))
		case strings.HasPrefix(l, "      "):
			k = "code"
		case strings.HasPrefix(l, "  - "):
			k = "sub-item"
		case strings.HasPrefix(l, "- "):
			k = "item"
		case strings.HasPrefix(l, "> "):
			k = "quote"
		default:
			k = "text " + l[:min(len(l), 12)]
		}
		if len(out) == 0 || out[len(out)-1] != k {
			out = append(out, k)
		}
	}
	return out
}

// FuzzMarkdown writes a report whose every text holds what a log line, a
// finding or an alert may hold (Markdown, HTML, control characters, line
// breaks): its structure stays that of a report with plain texts, and
// outside code blocks no tag, link or code span can start.
func FuzzMarkdown(f *testing.F) {
	cat, err := catalog.Load()
	if err != nil {
		f.Fatal(err)
	}
	scales := cat.Scales()
	var ref strings.Builder
	if err := fuzzReport(scales, "").Markdown(&ref); err != nil {
		f.Fatal(err)
	}
	want := shapes(ref.String())
	for _, s := range []string{
		"plain", "GET http://kx7-update.duckdns.org/a?b=<script>alert(1)</script> HTTP/1.1",
		"\n# Forged heading\n", "\n\n## Containment actions\n- [x] done", "line one\nline two\n\n> quote",
		"`code` and ```fence```", "[click](http://evil.example/) ![img](x)", "<img src=x onerror=alert(1)>",
		"\x1b[2J\x1b]0;title\a", "a\rb\x00c\x7fd", "\u202eexe.pdf", "*bold* _it_ ~~s~~ | a | b |", "\\<\\`\\[",
		"    indented code", "1. numbered\n2. list", "---\n===", "&lt;b&gt;", "- item\n  - sub",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		if err := fuzzReport(scales, s).Markdown(&b); err != nil {
			t.Fatal(err)
		}
		md := b.String()
		if got := shapes(md); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("%q changes the report's structure:\n got %q\nwant %q\n%s", s, got, want, md)
		}
		for i := 0; i < len(md); i++ {
			if c := md[i]; (c < 0x20 && c != '\n') || c == 0x7f {
				t.Fatalf("%q leaves control character %#x in the report", s, c)
			}
		}
		if strings.ContainsAny(md, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u0085\u2028\u2029") {
			t.Fatalf("%q leaves a bidi control or line separator in the report", s)
		}
		for _, l := range strings.Split(md, "\n") {
			if strings.HasPrefix(l, "      ") {
				continue // a code block shows text as it is
			}
			for _, box := range []string{"- [x] ", "- [-] ", "- [ ] "} {
				l = strings.TrimPrefix(l, box)
			}
			for i := 0; i < len(l); i++ {
				switch l[i] {
				case '\\':
					i++ // an escaped character
				case '<', '`', '[', ']':
					t.Fatalf("%q leaves an unescaped %q in %q", s, l[i], l)
				}
			}
		}
	})
}
