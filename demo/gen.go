package demo

import (
	"context"
	"math"
	"math/rand/v2"
)

// actor is a source of activity: a person browsing, a machine checking
// for updates, the attacker. act does what is due at now and returns when
// the actor next wants to act (never: not again).
type actor interface {
	act(g *gen, now int64) int64
}

type scheduled struct {
	at  int64
	ord int // registration order, the tie-breaker
	a   actor
}

// gen is one run of the generator: the office, its shared state (resolver
// and proxy caches, counters) and the output files. It is used by one
// goroutine.
type gen struct {
	opts  Options
	o     *office
	story *plan
	start int64 // first instant of the history
	now   int64 // the time of the activity being generated
	queue []scheduled
	ords  int
	out   [numSinks]*sink
	ids   *rand.Rand // uids, transaction ids, process ids

	dnsCache  map[string]int64 // dnsmasq: name -> expiry
	ipCache   map[string]int64 // squid ipcache: name -> expiry
	squidHits map[string]bool  // URLs the proxy has cached
	upstream  map[string]int64 // squid's idle server connections: name -> last use
	stamp     stamp
	pids      map[string]int // next process id per syslog host
	sessions  map[string]int // next logind session per syslog host
	bootNS    int64          // the gateway's boot time, for kernel uptimes
	fwID      uint16
}

func newGen(opts Options, o *office, p *plan, start int64) *gen {
	g := &gen{
		opts: opts, o: o, story: p, start: start, now: start,
		ids:       rand.New(rand.NewPCG(uint64(opts.Seed), 0x696473)), //nolint:gosec // G404: stream "ids", reproducible from the seed; nothing here is secret
		dnsCache:  make(map[string]int64),
		ipCache:   make(map[string]int64),
		squidHits: make(map[string]bool),
		upstream:  make(map[string]int64),
		pids:      map[string]int{"gw01": 812, "fs01": 2301, "app01": 1877, "proxy01": 1502},
		sessions:  map[string]int{"fs01": 311, "app01": 207, "proxy01": 95},
	}
	g.bootNS = start - int64(17+g.ids.IntN(40))*day - int64(g.ids.IntN(86400))*second
	g.fwID = uint16(g.ids.IntN(65536))
	return g
}

// schedule registers an actor to act first at t.
func (g *gen) schedule(a actor, t int64) {
	g.ords++
	g.push(scheduled{at: t, ord: g.ords, a: a})
}

func (g *gen) push(s scheduled) {
	g.queue = append(g.queue, s)
	i := len(g.queue) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !g.earlier(i, p) {
			break
		}
		g.queue[i], g.queue[p] = g.queue[p], g.queue[i]
		i = p
	}
}

func (g *gen) earlier(i, j int) bool {
	a, b := &g.queue[i], &g.queue[j]
	return a.at < b.at || (a.at == b.at && a.ord < b.ord)
}

func (g *gen) fix0() {
	n := len(g.queue)
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && g.earlier(r, l) {
			m = r
		}
		if !g.earlier(m, i) {
			return
		}
		g.queue[i], g.queue[m] = g.queue[m], g.queue[i]
		i = m
	}
}

// nextDue is the earliest time anything is due: an actor or a queued line.
func (g *gen) nextDue() int64 {
	t := never
	if len(g.queue) > 0 {
		t = g.queue[0].at
	}
	for _, s := range g.out {
		t = min(t, s.next())
	}
	return t
}

// advance runs every activity due up to and including limit, then writes
// the lines whose time has come. Lines are written in time order per
// file because every activity's lines lie at or after its start.
func (g *gen) advance(ctx context.Context, limit int64) error {
	n := 0
	for len(g.queue) > 0 && g.queue[0].at <= limit {
		s := g.queue[0]
		last := len(g.queue) - 1
		g.queue[0] = g.queue[last]
		g.queue = g.queue[:last]
		g.fix0()
		if s.at > g.now {
			g.now = s.at
			for _, o := range g.out {
				o.release(s.at)
			}
		}
		if next := s.a.act(g, s.at); next != never {
			s.at = max(next, s.at+1)
			g.push(s)
		}
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	if limit > g.now {
		g.now = limit
	}
	for _, o := range g.out {
		o.release(limit)
	}
	return ctx.Err()
}

// put queues line b of sink k for time t.
func (g *gen) put(k sinkID, t int64, b []byte) {
	if t < g.now {
		t = g.now
	}
	g.out[k].put(g.now, t, b)
}

func (g *gen) buf(k sinkID) []byte { return g.out[k].buf() }

// Random helpers over an actor's own stream.

// jitter returns d varied uniformly by ±frac of it.
func jitter(r *rand.Rand, d int64, frac float64) int64 {
	return d + int64((r.Float64()*2-1)*frac*float64(d))
}

// expo returns an exponentially distributed duration with the given mean.
func expo(r *rand.Rand, mean int64) int64 {
	return int64(r.ExpFloat64() * float64(mean))
}

// between returns a uniform value in [lo, hi].
func between(r *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo+1)
}

// lognorm returns a log-normally distributed size around median.
func lognorm(r *rand.Rand, median float64, sigma float64) int64 {
	return int64(median * math.Exp(r.NormFloat64()*sigma))
}

// weighted picks an index with probability proportional to w.
func weighted(r *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	x := r.Float64() * total
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

// dnsmasqPID is the process id of dnsmasq on the gateway.
const dnsmasqPID = 812

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// uid returns a Zeek-style identifier: prefix and a 96-bit number in
// base 62 ("C" for connections, "F" for files).
func (g *gen) uid(prefix byte) string {
	var b [20]byte
	b[0] = prefix
	hi, lo := g.ids.Uint32(), g.ids.Uint64()
	n := 1
	for i := 0; i < 17 && (hi != 0 || lo != 0); i++ {
		// divide the 96-bit (hi, lo) by 62
		rem := uint64(hi) % 62
		hi /= 62
		q := (rem<<32 | lo>>32) / 62
		rem = (rem<<32 | lo>>32) % 62
		q2 := (rem<<32 | lo&0xffffffff) / 62
		rem = (rem<<32 | lo&0xffffffff) % 62
		lo = q<<32 | q2
		b[n] = base62[rem]
		n++
	}
	return string(b[:n])
}

// pid returns a new process id on the syslog host name.
func (g *gen) pid(hostName string) int {
	p := g.pids[hostName] + 1 + g.ids.IntN(40)
	g.pids[hostName] = p
	return p
}
