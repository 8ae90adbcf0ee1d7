package normal

import (
	"time"

	"github.com/mamori-soc/mamori/detect"
)

// limiter lets a finding through at most once per interval for each
// endpoint and key, counting the repeats in between; flush reports the
// counted repeats once the interval has passed. Its memory is bounded:
// when it forgets a key, that key's held count is reported first.
type limiter struct {
	every time.Duration
	seen  *detect.LRU[string, *held]
	queue []string // keys with held repeats, in the order they were first held
	out   *detect.Emitter
}

// held is one key's state: when its last finding went out and what came
// since.
type held struct {
	at     time.Time
	n      int            // repeats not yet reported
	last   detect.Finding // the latest repeat, reported with the count
	queued bool
}

func newLimiter(every time.Duration, max int) *limiter {
	l := &limiter{every: every, seen: detect.NewLRU[string, *held](max)}
	l.seen.OnEvict = func(_ string, h *held) {
		if h.n > 0 && l.out != nil {
			l.report(h)
		}
	}
	return l
}

// emit reports f now, or holds it when the same endpoint and key were
// reported less than an interval ago.
func (l *limiter) emit(em *detect.Emitter, f detect.Finding) {
	l.out = em
	if f.Key == "" {
		f.Key = f.Peer
	}
	k := f.Endpoint + "\x00" + f.Key
	if h, ok := l.seen.Get(k); ok && f.Time.Sub(h.at) < l.every && !f.Time.Before(h.at) {
		h.n += max(f.Count, 1)
		h.last = f
		if !h.queued && len(l.queue) < 4*max(1, l.seen.Len()) {
			h.queued = true
			l.queue = append(l.queue, k)
		}
		return
	}
	f.Count = max(f.Count, 1)
	if h, ok := l.seen.Peek(k); ok {
		f.Count += h.n // repeats held before a time jump
		h.at, h.n = f.Time, 0
	} else {
		l.seen.Put(k, &held{at: f.Time})
	}
	em.Emit(f)
}

// flush reports the held repeats whose interval has passed by now (all of
// them when final).
func (l *limiter) flush(now time.Time, em *detect.Emitter, final bool) {
	l.out = em
	kept := l.queue[:0]
	for _, k := range l.queue {
		h, ok := l.seen.Peek(k)
		if !ok {
			continue
		}
		if h.n == 0 {
			h.queued = false
			continue
		}
		if !final && now.Sub(h.at) < l.every {
			kept = append(kept, k)
			continue
		}
		l.report(h)
		h.queued = false
	}
	clear(l.queue[len(kept):])
	l.queue = kept
}

func (l *limiter) report(h *held) {
	f := h.last
	f.Count = h.n
	h.at, h.n, h.last = f.Time, 0, detect.Finding{} // do not keep the event alive
	l.out.Emit(f)
}
