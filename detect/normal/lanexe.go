package normal

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// lanExe is N-LAN-EXE: an executable copied across the LAN to another
// machine and then started there. Step one is an SMB write of an
// executable from A to B (Zeek smb_files FILE_WRITE, Suricata SMB WRITE,
// or an executable in Zeek's files.log carried over SMB); step two, within
// the window, is
//
//   - a remote execution request to B: service creation or start
//     (svcctl), a scheduled job or task (atsvc, ITaskSchedulerService), a
//     WMI method call (IWbemServices), as dce_rpc logs show; or
//   - B starting to talk out like A: both reach the same uncommon internet
//     destination (at most three endpoints of the organisation reach it)
//     after the copy, the copied implant calling the same C2.
//
// The finding is on A, the actor, with B as its peer. Copy-and-run
// between an endpoint and a kind of machine seen while learning (the
// administrator's software deployment to PCs) is normal business.
type lanExe struct {
	rule
	copies *detect.LRU[netip.Addr, *copied] // target → its latest copy
	active *detect.LRU[netip.Addr, []netip.Addr]
	prof   *detect.SetProfile // writer → class of target
	window time.Duration
}

// copied is an executable written to a target, waiting for its start.
type copied struct {
	writer, target netip.Addr
	at             time.Time
	file           string
	ev             *event.Event
	dests          [2][]string // uncommon destinations reached since: by the writer, by the target
	done           bool
}

// maxTalkDests bounds the destinations remembered per side of a copy.
const maxTalkDests = 16

func newLANExe(p detect.Params, env *detect.Env) detect.Detector {
	return &lanExe{
		rule:   newRule(RuleLANExe, env),
		copies: detect.NewLRU[netip.Addr, *copied](4096),
		active: detect.NewLRU[netip.Addr, []netip.Addr](4096),
		prof:   detect.NewSetProfile(p.Int("max_classes", 64)),
		window: p.Duration("window", 10*time.Minute),
	}
}

// Params lists the tunables.
func (l *lanExe) Params() []detect.Param {
	return []detect.Param{
		{Name: "window", Default: "10m", Doc: "how long after the copy a start on the target counts (PsExec takes seconds; a scheduled task may wait minutes)"},
		{Name: "max_classes", Default: 64, Doc: "kinds of machines kept per endpoint that it deployed executables to while learning"},
	}
}

// Kinds lists the events read: SMB, files and RPC for the copy and the
// start; connections and HTTP for the target talking out.
func (l *lanExe) Kinds() []event.Kind {
	return []event.Kind{event.KindSMB, event.KindFile, event.KindRPC, event.KindConnection, event.KindHTTP}
}

// remoteExec are the DCE/RPC operations that start something on the
// server, by interface (lower-cased).
var remoteExec = map[string]map[string]bool{
	"svcctl": {"createservicew": true, "createservicea": true, "createservicewow64w": true, "createservicewow64a": true,
		"startservicew": true, "startservicea": true, "changeserviceconfigw": true, "changeserviceconfiga": true},
	"atsvc":                 {"jobadd": true, "netrjobadd": true},
	"itaskschedulerservice": {"schrpcregistertask": true, "schrpcrun": true, "schrpcenabletask": true},
	"iwbemservices":         {"execmethod": true, "execmethodasync": true},
}

// write returns the file of an executable written over SMB from the
// event's source to its destination.
func (l *lanExe) write(ev *event.Event) (string, bool) {
	if ev.Kind != event.KindSMB && ev.Kind != event.KindFile {
		return "", false
	}
	if !ev.SrcIP.IsValid() || !ev.DstIP.IsValid() || ev.SrcIP == ev.DstIP || !l.env.Internal(ev.SrcIP) || !l.env.Internal(ev.DstIP) {
		return "", false
	}
	switch ev.Kind {
	case event.KindSMB:
		if !strings.Contains(strings.ToUpper(ev.Method), "WRITE") || !exeExts[ext(ev.FileName)] {
			return "", false
		}
		return ev.FileName, true
	case event.KindFile:
		if ev.Service != "smb" {
			return "", false
		}
		why, ok := executable(ev)
		return why, ok
	}
	return "", false
}

func (l *lanExe) observe(ev *event.Event, em *detect.Emitter, learning bool) {
	if file, ok := l.write(ev); ok {
		if c, seen := l.copies.Get(ev.DstIP); seen && c.writer == ev.SrcIP && !c.done && ev.Time.Sub(c.at) <= l.window {
			return // the same copy, written in pieces
		}
		l.copies.Put(ev.DstIP, &copied{writer: ev.SrcIP, target: ev.DstIP, at: ev.Time, file: file, ev: ev})
		l.track(ev.SrcIP, ev.DstIP)
		return
	}
	switch ev.Kind {
	case event.KindRPC:
		ops := remoteExec[strings.ToLower(ev.Service)]
		if ops == nil || !ops[strings.ToLower(ev.Method)] || !ev.DstIP.IsValid() {
			return
		}
		c, ok := l.copies.Peek(ev.DstIP)
		if !ok || c.done || ev.Time.Sub(c.at) > l.window || ev.Time.Before(c.at.Add(-time.Minute)) {
			return
		}
		how := fmt.Sprintf("%s %s from %s", ev.Service, ev.Method, ev.SrcIP)
		howJA := how
		score := 0.8
		if ev.SrcIP != c.writer {
			score = 0.7 // started by a third machine
		}
		l.started(c, ev, how, howJA, score, em, learning)
	case event.KindConnection, event.KindHTTP:
		l.talk(ev, em, learning)
	}
}

// track notes which copies an endpoint's outbound traffic matters to.
func (l *lanExe) track(writer, target netip.Addr) {
	for _, a := range []netip.Addr{writer, target} {
		ts, _ := l.active.Get(a)
		for _, t := range ts {
			if t == target {
				return
			}
		}
		if len(ts) >= 8 {
			ts = ts[1:]
		}
		l.active.Put(a, append(ts, target))
	}
}

// talk looks for the writer and the target of a copy reaching the same
// uncommon destination after it.
func (l *lanExe) talk(ev *event.Event, em *detect.Emitter, learning bool) {
	src := ev.SrcIP
	if !src.IsValid() || ev.Endpoint != src || l.env.Prevalence == nil {
		return
	}
	targets, ok := l.active.Peek(src)
	if !ok {
		return
	}
	var dest string
	if ev.Kind == event.KindHTTP {
		dest = site(requestHost(ev))
	} else if ev.DstIP.IsValid() && !l.env.Internal(ev.DstIP) && publicAddr(ev.DstIP) {
		dest = ev.DstIP.String()
	}
	if dest == "" {
		return
	}
	if n, _ := l.env.Prevalence.Users(dest); n > 3 {
		return
	}
	for _, t := range targets {
		c, ok := l.copies.Peek(t)
		if !ok || c.done || ev.Time.Sub(c.at) > l.window || ev.Time.Before(c.at) {
			continue
		}
		side, other := 0, 1
		if src == c.target {
			side, other = 1, 0
		} else if src != c.writer {
			continue
		}
		for _, d := range c.dests[other] {
			if d == dest {
				how := fmt.Sprintf("%s then reached %s, as %s did", c.target, dest, c.writer)
				howJA := fmt.Sprintf("%s がコピー後に %s と通信（%s と同じ通信先）", c.target, dest, c.writer)
				l.started(c, ev, how, howJA, 0.65, em, learning)
				return
			}
		}
		if len(c.dests[side]) < maxTalkDests {
			c.dests[side] = append(c.dests[side], dest)
		}
	}
}

// started completes a copy: learned while learning, else reported unless
// the writer deploys to such machines by habit.
func (l *lanExe) started(c *copied, ev *event.Event, how, howJA string, score float64, em *detect.Emitter, learning bool) {
	c.done = true
	w, t := l.eps.get(c.writer), l.eps.get(c.target)
	if learning {
		l.prof.Learn(w.id, w.segment, t.class)
		return
	}
	if _, usual := l.prof.Values(w.id)[t.class]; usual {
		return
	}
	delay := ev.Time.Sub(c.at).Round(100 * time.Millisecond)
	l.lim.emit(em, detect.Finding{
		Time: ev.Time, FirstSeen: c.at, Endpoint: w.id, Host: w.host, Peer: t.id, Key: t.id,
		Score: score,
		Summary: fmt.Sprintf("wrote the executable %s to %s over SMB; it was started there %s later (%s): executable moved across the LAN and run",
			clip(c.file, 120), hostOf(t.id, t.host), delay, how),
		SummaryJA: fmt.Sprintf("SMB経由で実行ファイル %s を %s に書き込み、%s後にリモートで起動（%s）",
			clip(c.file, 120), hostOf(t.id, t.host), delay, howJA),
		Details: map[string]string{
			"file": clip(c.file, 300), "target": t.id, "target_host": t.host, "started_by": how, "delay": delay.String(),
		},
		Evidence: []*event.Event{c.ev, ev},
	})
}

// Learn runs the same correlation, learning who deploys to what.
func (l *lanExe) Learn(ev *event.Event) {
	l.learnt++
	l.observe(ev, nil, true)
}

// Observe looks for copies and their starts.
func (l *lanExe) Observe(ev *event.Event, em *detect.Emitter) {
	l.observe(ev, em, false)
}

// Baseline returns the learned state.
func (l *lanExe) Baseline() any { return profileBaseline{Learned: l.learnt, Profile: l.prof} }

// Restore sets the learned state.
func (l *lanExe) Restore(b []byte) error {
	var v profileBaseline
	if err := restoreJSON(l.id, b, &v); err != nil {
		return err
	}
	if v.Profile != nil {
		l.prof = v.Profile
	}
	l.learnt = v.Learned
	return nil
}
