package statistical

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// t0 is a Monday at 00:00 in UTC, the tests' office time zone unless they
// say otherwise.
var t0 = time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)

var testCatalog = func() *catalog.Catalog {
	c, err := catalog.Load()
	if err != nil {
		panic(err)
	}
	return c
}()

// newEnv returns an environment with the private ranges as internal, the
// given inventory entries ("10.0.20.3 proxy01 servers proxy") and empty
// prevalence.
func newEnv(entries ...string) *detect.Env {
	var as []asset.Asset
	for _, e := range entries {
		f := strings.Fields(e)
		a := asset.Asset{Prefix: netip.PrefixFrom(netip.MustParseAddr(f[0]), 32)}
		if len(f) > 1 {
			a.Host = f[1]
		}
		if len(f) > 2 {
			a.Segment = f[2]
		}
		if len(f) > 3 {
			a.Role = f[3]
		}
		as = append(as, a)
	}
	return &detect.Env{
		Networks:   asset.MustNetworks(asset.DefaultInternal...),
		Assets:     asset.NewInventory(as),
		Catalog:    testCatalog,
		Prevalence: detect.NewPrevalence(10_000),
		Location:   time.UTC,
		Now:        func() time.Time { return time.Time{} },
	}
}

// paramsFor returns a rule's settings as the config file would give them
// (name, value, name, value...). Params has no exported constructor, so
// they come from a throwaway engine, as the real ones do.
func paramsFor(t testing.TB, rule string, kv ...any) detect.Params {
	t.Helper()
	values := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		values[kv[i].(string)] = kv[i+1]
	}
	var got detect.Params
	_, err := detect.New(detect.Options{
		Factories: []detect.Factory{{Rule: rule, New: func(p detect.Params, _ *detect.Env) detect.Detector {
			got = p
			return stub(rule)
		}}},
		Env:   &detect.Env{Catalog: testCatalog},
		Rules: map[string]detect.RuleConfig{rule: {Params: values}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// stub is a detector that does nothing, for paramsFor.
type stub string

func (s stub) Rule() string                        { return string(s) }
func (stub) Kinds() []event.Kind                   { return nil }
func (stub) Observe(*event.Event, *detect.Emitter) {}

// run feeds events to a detector the way the engine does (in time order,
// prevalence noted, Tick on every minute boundary, Learn before learnEnd
// for learners, Finish at the end) and returns its findings.
type run struct {
	env      *detect.Env
	det      detect.Detector
	em       *detect.Emitter
	learnEnd time.Time
	lastTick time.Time
	findings []detect.Finding
}

func newRun(env *detect.Env, det detect.Detector) *run {
	return &run{env: env, det: det, em: detect.NewEmitter(det.Rule())}
}

func (r *run) feed(evs ...*event.Event) *run {
	for _, ev := range evs {
		r.env.Now = func() time.Time { return ev.Time }
		if m := ev.Time.Truncate(time.Minute); m.After(r.lastTick) {
			r.lastTick = m
			if tk, ok := r.det.(detect.Ticker); ok {
				tk.Tick(ev.Time, r.em)
			}
		}
		if ep := ev.EndpointID(); ep != "" {
			r.env.Prevalence.Note(ep, destOf(ev, r.env))
		}
		if l, ok := r.det.(detect.Learner); ok && ev.Time.Before(r.learnEnd) {
			l.Learn(ev)
		} else {
			r.det.Observe(ev, r.em)
		}
		r.findings = append(r.findings, r.em.Findings()...)
	}
	return r
}

// finish ticks a last time and calls Finish, as the engine's Finish does.
func (r *run) finish(now time.Time) []detect.Finding {
	if tk, ok := r.det.(detect.Ticker); ok {
		tk.Tick(now.Add(time.Minute), r.em)
	}
	if f, ok := r.det.(detect.Finisher); ok {
		f.Finish(now, r.em)
	}
	return append(r.findings, r.em.Findings()...)
}

// destOf is the engine's prevalence destination of an event.
func destOf(ev *event.Event, env *detect.Env) string {
	switch {
	case ev.Domain != "":
		return detect.Site(ev.Domain)
	case ev.Kind == event.KindDNS && ev.Query != "":
		return detect.Site(ev.Query)
	}
	if p := ev.Peer(); p.IsValid() && !env.Internal(p) {
		return p.String()
	}
	return ""
}

// sorted merges event lists into time order.
func sorted(lists ...[]*event.Event) []*event.Event {
	var all []*event.Event
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, func(a, b *event.Event) int { return a.Time.Compare(b.Time) })
	return all
}

// every returns n times from start, one period apart with a relative
// jitter (uniform ±jitter), skipping each beat with probability miss.
func every(r *rand.Rand, start time.Time, period time.Duration, jitter, miss float64, n int) []time.Time {
	var ts []time.Time
	t := start
	for range n {
		if r.Float64() >= miss {
			ts = append(ts, t)
		}
		d := float64(period) * (1 + jitter*(2*r.Float64()-1))
		t = t.Add(time.Duration(d))
	}
	return ts
}

// poisson returns n times from start with exponential gaps of the given
// mean: traffic without rhythm.
func poisson(r *rand.Rand, start time.Time, mean time.Duration, n int) []time.Time {
	var ts []time.Time
	t := start
	for range n {
		ts = append(ts, t)
		t = t.Add(time.Duration(r.ExpFloat64() * float64(mean)))
	}
	return ts
}

// lognorm returns a size around median with log-spread sigma.
func lognorm(r *rand.Rand, median, sigma float64) int64 {
	return int64(median * math.Exp(sigma*r.NormFloat64()))
}

var line int64

var netipZero netip.Addr

// connect is a Squid CONNECT line of client to domain.
func connect(at time.Time, client, domain string, bytes int64) *event.Event {
	line++
	c := netip.MustParseAddr(client)
	return &event.Event{Time: at, Format: "squid", Kind: event.KindHTTP, Endpoint: c, SrcIP: c, Method: "CONNECT",
		Domain: domain, DstPort: 443, Status: 200, BytesIn: bytes, Label: "TCP_TUNNEL", Action: event.ActionAllow,
		Ref: event.Ref{File: "/var/log/squid/access.log", Offset: line}, Raw: "CONNECT " + domain + ":443 from " + client}
}

// conn is a connection record of src to dst:port.
func conn(at time.Time, format, src, dst string, port uint16, state string, out int64, internal func(netip.Addr) bool) *event.Event {
	line++
	s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
	ev := &event.Event{Time: at, Format: format, Kind: event.KindConnection, SrcIP: s, SrcPort: 40000, DstIP: d, DstPort: port,
		Transport: "tcp", Label: state, BytesOut: out, Ref: event.Ref{File: "/var/log/" + format, Offset: line}, Raw: format + " " + src + " > " + dst}
	switch {
	case internal(s):
		ev.Endpoint = s
	case internal(d):
		ev.Endpoint = d
	}
	return ev
}

func internalAddr(a netip.Addr) bool { return asset.MustNetworks(asset.DefaultInternal...).Contains(a) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
