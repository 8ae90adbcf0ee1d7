package main

import (
	"io"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/detect"
)

// learningNote says which rules could not judge because the data seen so
// far is shorter than the learning window: a scan of a two-day capture
// with the default 72 h window leaves every normal-business rule learning,
// and "no alert" from them means "not judged", not "nothing unusual".
type learningNote struct {
	Window    string   `json:"window"`            // the learning window, "72h"
	Covered   string   `json:"covered"`           // how much of it the data spans, "6m"
	Done      bool     `json:"done"`              // the window is over: every rule judges
	NotJudged []string `json:"rules_not_judging"` // rules that only learned
}

// learningOf reads the engine's learning state; nil before any event.
func learningOf(e *detect.Engine) *learningNote {
	progress, done, start, end := e.Learning()
	if start.IsZero() {
		return nil
	}
	window := end.Sub(start)
	n := &learningNote{Window: shortDuration(window), Covered: shortDuration(time.Duration(progress * float64(window))), Done: done}
	if done {
		return n
	}
	for _, s := range e.States() {
		if s.State == detect.StateLearning {
			n.NotJudged = append(n.NotJudged, s.Rule.ID)
		}
	}
	return n
}

// print writes the note for people; nothing once learning is over.
func (n *learningNote) print(w io.Writer) error {
	if n == nil || n.Done || len(n.NotJudged) == 0 {
		return nil
	}
	p := &printer{w: w}
	p.printf("not judged: %d rules learn a baseline of normal business for %s from the first event, and the data spans %s of it;\n",
		len(n.NotJudged), n.Window, n.Covered)
	p.printf("  they only learned and judged nothing (%s).\n", strings.Join(n.NotJudged, ", "))
	p.printf("  The known-attack rules judged everything. To have a short capture judged against its own first part,\n")
	p.printf("  set a shorter window in the config (baseline: {learning: 12h}); \"mamori rules\" shows each rule's state.\n")
	return p.err
}

// shortDuration writes a duration as settings are written: "72h", "6m",
// "2h30m", "40s".
func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= time.Hour {
		d = d.Round(time.Minute)
	}
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0s"
	}
	return s
}
