package statistical

import (
	"fmt"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// The learning tests of S-FANOUT: a sweep made while learning neither
// hides a later scan nor raises the bar; outside scanners are judged by
// the minimums whatever the endpoint learned.

// hosts returns connections of src to n hosts of prefix from at, one a
// second, in the given Zeek state.
func hosts(at time.Time, src, prefix string, first, n int, port uint16, state string) []*event.Event {
	evs := make([]*event.Event, 0, n)
	for i := range n {
		a := first + i
		evs = append(evs, conn(at.Add(time.Duration(i)*time.Second), "zeek.conn", src, fmt.Sprintf("%s.%d.%d", prefix, a/250, 1+a%250), port, state, 0, internalAddr))
	}
	return evs
}

// everyHour is a PC's normal business: three servers, every hour.
func everyHour(src string, hours int) []*event.Event {
	var evs []*event.Event
	for h := range hours {
		at := t0.Add(time.Duration(h)*time.Hour + 7*time.Minute)
		for i, dst := range []string{"10.0.20.3", "10.0.20.10", "10.0.20.1"} {
			evs = append(evs, conn(at.Add(time.Duration(i)*time.Second), "zeek.conn", src, dst, []uint16{3128, 445, 53}[i], "SF", 0, internalAddr))
		}
	}
	return evs
}

func TestFanoutSweepWhileLearning(t *testing.T) {
	env := newEnv()
	learn := everyHour("10.0.10.23", 78)
	sweep := hosts(t0.Add(20*time.Hour), "10.0.10.23", "10.1", 0, 200, 445, "SF")               // answered, day 1
	during := hosts(t0.Add(30*time.Hour), "10.0.10.23", "10.2", 0, 40, 445, "S0")               // a scan, still learning
	after := hosts(t0.Add(75*time.Hour+20*time.Minute), "10.0.10.23", "10.3", 0, 40, 445, "S0") // a scan, after learning
	rn := newRun(env, NewFanout(detect.Params{}, env))
	rn.learnEnd = learn72
	fs := rn.feed(sorted(learn, sweep, during, after)...).finish(after[len(after)-1].Time)
	var inLearning, afterLearning bool
	for _, f := range fs {
		if f.Endpoint != "10.0.10.23" || f.Key != "hosts" {
			continue
		}
		switch {
		case f.Time.Before(learn72) && f.Peer == "10.2.0.0/24":
			inLearning = true
		case !f.Time.Before(learn72) && f.Peer == "10.3.0.0/24":
			afterLearning = true
		}
	}
	if !inLearning {
		t.Error("a scan made while learning, after an answered sweep, was not reported")
	}
	if !afterLearning {
		t.Error("a scan after learning was not reported: the answered sweep raised the bar")
	}
}

func TestFanoutOutsideScannerByMinimums(t *testing.T) {
	env := newEnv("10.0.20.5 www01 dmz web-server")
	var learn []*event.Event
	for i := range 70 * 180 { // the server's own replication: 30 ports of a peer, round the clock
		learn = append(learn, conn(t0.Add(time.Duration(i)*20*time.Second), "zeek.conn", "10.0.20.5", "10.0.20.50", uint16(9000+i%30), "SF", 0, internalAddr))
	}
	var scan []*event.Event
	for i := range 25 {
		ev := conn(learn72.Add(2*time.Hour+time.Duration(i)*time.Second), "netfilter", "198.51.100.7", "10.0.20.5", uint16(1000+i*7), "FW-DROP", 60, internalAddr)
		ev.Action = event.ActionDeny
		scan = append(scan, ev)
	}
	rn := newRun(env, NewFanout(detect.Params{}, env))
	rn.learnEnd = learn72
	fs := rn.feed(append(learn, scan...)...).finish(scan[len(scan)-1].Time)
	for _, f := range fs {
		if f.Key == "ports from 198.51.100.7" {
			t.Log(f.Summary, f.Details)
			return
		}
	}
	for _, f := range fs {
		t.Log(f.Key, f.Summary)
	}
	t.Errorf("an outside scan of 25 ports was judged against the server's own learned fan-out: %d findings", len(fs))
}
