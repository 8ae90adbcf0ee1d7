package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Zeek's capture_loss.log and its CaptureLoss notices say the sensor
// missed packets: the source's notes count them (the sources pane and the
// scan summary show notes), with the lines as samples; an interval
// without loss is not a note, and none of them is an event or a rejected
// line.
func TestImportNotesZeekCaptureLoss(t *testing.T) {
	h := newHarness(t, "")
	loss := filepath.Join(h.dir, "capture_loss.log")
	notice := filepath.Join(h.dir, "notice.log")
	write := func(path string, lines ...string) {
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(loss,
		"#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tcapture_loss", "#open\t2018-03-24-17-15-35",
		"#fields\tts\tts_delta\tpeer\tgaps\tacks\tpercent_lost",
		"#types\ttime\tinterval\tstring\tcount\tcount\tdouble",
		"1521911735.000000\t900.000000\tzeek\t0\t1520\t0.0",
		"1521912635.000000\t900.000000\tzeek\t1204\t30110\t3.998672",
		"1521913535.000000\t900.000000\tzeek\t15\t29870\t0.050218",
		"#close\t2018-03-24-18-00-00")
	write(notice,
		"#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tnotice", "#open\t2018-03-24-17-15-35",
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tfuid\tfile_mime_type\tfile_desc\tproto\tnote\tmsg\tsub\tsrc\tdst\tp\tn\tpeer_descr\tactions\tsuppress_for",
		"#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tenum\tenum\tstring\tstring\taddr\taddr\tport\tcount\tstring\tset[enum]\tinterval",
		"1521912635.000000\t-\t-\t-\t-\t-\t-\t-\t-\t-\tCaptureLoss::Too_Much_Loss\tThe capture loss script detected an estimated loss rate above 3.999%\t-\t-\t-\t-\t-\tzeek\tNotice::ACTION_LOG\t3600.000000",
		"1521912640.000000\t-\t10.47.3.156\t51234\t10.47.1.1\t22\t-\t-\t-\ttcp\tSSH::Password_Guessing\t10.47.3.156 appears to be guessing SSH passwords (seen in 30 connections).\t-\t10.47.3.156\t-\t-\t-\tzeek\tNotice::ACTION_LOG\t3600.000000")
	opt := testOptions()
	opt.Formats = Formats()
	sum := runImport(t, h, ImportOptions{Options: opt}, loss, notice)
	if sum.Rejected != 0 || sum.Events != 1 {
		t.Errorf("rejected %d (%v), events %d: want 0 and the one SSH notice", sum.Rejected, sum.RejectedByReason, sum.Events)
	}
	var lossNotes, noticeNotes int64
	for r, n := range sum.Notes {
		switch {
		case strings.Contains(r, "capture_loss.log"):
			lossNotes += n
		case strings.Contains(r, "Zeek notice"):
			noticeNotes += n
		}
	}
	if lossNotes != 2 || noticeNotes != 1 {
		t.Errorf("notes %v: want 2 capture_loss.log lines with loss and 1 notice", sum.Notes)
	}
	var sampled bool
	for _, s := range sum.Sources {
		for _, smp := range s.Samples {
			sampled = sampled || strings.Contains(smp.Line, "3.998672")
		}
	}
	if !sampled {
		t.Errorf("the 4 %% loss line is not among the samples: %+v", sum.Sources)
	}
}

// A busy log that goes silent for three hours and resumes has a gap the
// analyst must know of (the sensor or the proxy stopped, or its logs
// were lost); a log quiet by nature (a line every two hours) has none.
func TestImportNotesGapInBusyLog(t *testing.T) {
	h := newHarness(t, "")
	busy := filepath.Join(h.dir, "busy.log")
	quiet := filepath.Join(h.dir, "quiet.log")
	var lines []string
	for i := range 360 { // every 10 s for an hour
		lines = append(lines, testLine(i*10))
	}
	for i := range 10 { // three hours later
		lines = append(lines, testLine(4*3600+i*10))
	}
	if err := os.WriteFile(busy, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lines = lines[:0]
	for i := range 6 {
		lines = append(lines, testLine(i*2*3600))
	}
	if err := os.WriteFile(quiet, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := runImport(t, h, ImportOptions{}, busy, quiet)
	got := map[string]int64{}
	for _, s := range sum.Sources {
		got[filepath.Base(s.Path)] = s.Notes[GapNote]
	}
	if got["busy.log"] != 1 || got["quiet.log"] != 0 {
		t.Errorf("gap notes %v: want busy.log 1, quiet.log 0", got)
	}
	if sum.Events != 376 {
		t.Errorf("events %d: a note loses nothing", sum.Events)
	}
}
