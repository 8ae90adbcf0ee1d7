package demo

import (
	"math/rand/v2"
)

// dayPlan is one person's working day.
type dayPlan struct {
	works  bool
	arrive int64
	lunch  int64
	back   int64
	leave  int64
}

// planFor returns h's plan for JST day d. It is a pure function of the
// seed, the machine and the day, so every actor of a machine agrees on it.
func (g *gen) planFor(h *host, d int64) dayPlan {
	r := rand.New(rand.NewPCG(uint64(g.opts.Seed)^uint64(h.idx)<<20, uint64(d))) //nolint:gosec // G404: reproducible from the seed; nothing here is secret
	var p dayPlan
	switch {
	case d < h.firstD:
		return p
	case d == h.firstD:
		p.works = true
	case isWorkday(d):
		p.works = r.IntN(100) < 96
	case weekday(d) == 6:
		p.works = r.IntN(100) < 4
	default:
		p.works = r.IntN(100) < 2
	}
	base := dayStart(d)
	norm := func(mean, sd, lo, hi int64) int64 {
		v := mean + int64(r.NormFloat64()*float64(sd))
		return base + min(max(v, lo), hi)
	}
	p.arrive = norm(8*hour+30*minute, 15*minute, 7*hour+30*minute, 10*hour)
	if d == h.firstD {
		p.arrive = base + 9*hour + 10*minute // the first day starts with an introduction
	}
	p.lunch = norm(12*hour+5*minute, 8*minute, 11*hour+40*minute, 12*hour+40*minute)
	p.back = p.lunch + between(r, 40*minute, 60*minute)
	p.leave = norm(18*hour+40*minute, 40*minute, 17*hour, 21*hour+30*minute)
	if !isWorkday(d) {
		p.leave = p.arrive + between(r, 2*hour, 5*hour)
		p.lunch, p.back = p.leave, p.leave
	}
	return p
}

// working tells whether h's person is at the desk at t.
func (g *gen) working(h *host, t int64) (dayPlan, bool) {
	p := g.planFor(h, localDay(t))
	return p, p.works && t >= p.arrive && t < p.leave
}

// on tells whether h is switched on at t.
func (g *gen) on(h *host, t int64) bool {
	if h.leftOn {
		return localDay(t) >= h.firstD
	}
	p := g.planFor(h, localDay(t))
	return p.works && t >= p.arrive-4*minute && t < p.leave+3*minute
}

// nextArrival is the next time at or after t someone sits down at h.
func (g *gen) nextArrival(h *host, t int64) int64 {
	for d := localDay(t); d < localDay(t)+30; d++ {
		p := g.planFor(h, d)
		if p.works && p.leave > t {
			return max(p.arrive, t)
		}
	}
	return t + 30*day
}

// nextOn is the next time at or after t that h is switched on.
func (g *gen) nextOn(h *host, t int64) int64 {
	if g.on(h, t) {
		return t
	}
	if h.leftOn {
		return max(t, dayStart(h.firstD)+8*hour)
	}
	return g.nextArrival(h, t+4*minute) - 4*minute
}
