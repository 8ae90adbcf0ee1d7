package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// File is one log file the demo writes.
type File struct {
	Path   string // absolute path
	Format string // ingest format name: squid, dnsmasq, netfilter, sshd, zeek
	Title  string // what it is
	Lines  int64  // lines written (for Run: when the history was complete)
}

// Manifest tells the caller what the demo wrote, so it can configure its
// sources without guessing.
type Manifest struct {
	Dir        string
	Files      []File
	Inventory  string // assets.csv: ip or cidr, host, segment, role, owner
	IOCs       string // intel/iocs.txt, maltrail trail style
	Categories string // intel/categories.txt, domain<TAB>category
	GeoIP      string // intel/GeoLite2-Country-Test.mmdb (MaxMind test data)
	// Location is the zone of the timestamps that carry none (the syslog
	// files): Japan Standard Time.
	Location *time.Location
	// Start and End bound the lines' times. For Run, End is the anchor
	// time: the end of the history written before ready is called.
	Start, End time.Time
}

// run is one generator with its files.
type run struct {
	g   *gen
	dir string
	T   int64
}

// prepare builds the office, the attack plan and the actors of opts; with
// dir set it also creates the output files.
func prepare(dir string, opts Options) (*run, error) {
	T := opts.At.UnixNano()
	start := T - int64(opts.Days)*day
	first := localDay(start) + int64(min(2, opts.Days-1))
	for !isWorkday(first) {
		first++
	}
	o := newOffice(opts, first)
	g := newGen(opts, o, nil, start)
	g.story = newPlan(g, T)
	rn := &run{g: g, dir: dir, T: T}
	if dir == "" {
		return rn, nil
	}
	for k, spec := range sinkSpecs {
		s, err := openSink(dir, spec)
		if err != nil {
			rn.abort()
			return nil, err
		}
		g.out[k] = s
		s.header(start)
	}
	rn.schedule()
	return rn, nil
}

// schedule registers every actor of the office and of the attack.
func (rn *run) schedule() {
	g := rn.g
	o := g.o
	seed := g.opts.Seed
	stream := func(kind, idx int) uint64 { return uint64(kind)<<32 | uint64(idx) }
	for _, h := range append(append([]*host(nil), o.pcs...), o.admin) {
		g.schedule(&browser{h: h, r: newRand(seed, stream(1, h.idx))}, g.start+between(g.ids, 0, 10*minute))
		g.schedule(&background{h: h, r: newRand(seed, stream(2, h.idx))}, g.start+between(g.ids, 0, 10*minute))
		if h.bulky {
			g.schedule(&cloudSync{h: h, r: newRand(seed, stream(8, h.idx))}, g.start)
		}
		if h.role == rolePC {
			g.schedule(&share{h: h, r: newRand(seed, stream(3, h.idx))}, g.start+between(g.ids, 0, 10*minute))
		}
	}
	g.schedule(&adminWork{h: o.admin, r: newRand(seed, stream(4, 0))}, g.start)
	for i, srv := range []*host{o.fs, o.app, o.proxy} {
		g.schedule(&cron{srv: srv, r: newRand(seed, stream(5, i))}, (floorDiv(g.start, hour)+1)*hour+17*minute+second)
	}
	g.schedule(&gateway{r: newRand(seed, stream(6, 0))}, g.start)
	g.schedule(&nas{h: o.nas, r: newRand(seed, stream(7, 0))}, g.start)
	for _, s := range g.story.actors(g) {
		if s.at >= g.start {
			g.schedule(s.a, s.at)
		} else {
			// a step before the history (a short history): start at its beginning
			g.schedule(s.a, g.start)
		}
	}
}

// manifest describes the files.
func (rn *run) manifest(end int64) Manifest {
	m := Manifest{
		Dir:        rn.dir,
		Inventory:  filepath.Join(rn.dir, "assets.csv"),
		IOCs:       filepath.Join(rn.dir, "intel", "iocs.txt"),
		Categories: filepath.Join(rn.dir, "intel", "categories.txt"),
		GeoIP:      filepath.Join(rn.dir, "intel", geoIPName),
		Location:   jst,
		Start:      toTime(rn.g.start),
		End:        toTime(end),
	}
	for _, s := range rn.g.out {
		m.Files = append(m.Files, File{Path: s.path, Format: s.spec.format, Title: s.spec.title, Lines: s.lines})
	}
	return m
}

// finish closes the files; complete files get Zeek's #close line.
func (rn *run) finish(end int64, complete bool) error {
	var errs []error
	for _, s := range rn.g.out {
		if s == nil {
			continue
		}
		if err := s.close(end, complete); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// abort closes the files of a run that failed. They are incomplete
// anyway, and the run's own error is the one to report.
func (rn *run) abort() {
	for _, s := range rn.g.out {
		if s != nil {
			_ = s.f.Close()
		}
	}
}

func absDir(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("demo: no directory given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("demo: directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("demo: create %s: %w", abs, err)
	}
	return abs, nil
}

// Write writes the whole demo into dir at once: Days of normal business
// before the anchor time, the attack's first steps among it, and the
// spread, exfiltration and proxy bypass in the minute after the anchor.
// Files are overwritten. The same options give byte-identical files.
func Write(ctx context.Context, dir string, opts Options) (Manifest, error) {
	opts, err := opts.normalize(time.Now)
	if err != nil {
		return Manifest{}, err
	}
	if dir, err = absDir(dir); err != nil {
		return Manifest{}, err
	}
	rn, err := prepare(dir, opts)
	if err != nil {
		return Manifest{}, err
	}
	end := rn.T + minute
	if err := rn.g.advance(ctx, end); err != nil {
		rn.abort()
		return Manifest{}, fmt.Errorf("demo: %w", err)
	}
	m := rn.manifest(end)
	if err := rn.finish(end, true); err != nil {
		return Manifest{}, err
	}
	for _, f := range m.Files {
		if err := os.Chtimes(f.Path, m.End, m.End); err != nil {
			return Manifest{}, fmt.Errorf("demo: %w", err)
		}
	}
	if err := writeIntel(dir, rn.g); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Run is the live demo. It writes the history up to the anchor time (opts.At,
// zero meaning now) at once, calls ready with the manifest, and then keeps
// appending lines as their time comes, at opts.Speed times the wall
// clock's pace, flushing each file as soon as it has new lines, until ctx
// is cancelled. The attack's spread, exfiltration and bypass come in the
// first minute after the anchor; the implants keep beaconing after it.
// Cancellation ends it normally: Run then closes the files and returns
// nil. ready may be nil.
func Run(ctx context.Context, dir string, opts Options, ready func(Manifest)) error {
	opts, err := opts.normalize(time.Now)
	if err != nil {
		return err
	}
	if dir, err = absDir(dir); err != nil {
		return err
	}
	rn, err := prepare(dir, opts)
	if err != nil {
		return err
	}
	g := rn.g
	if err := g.advance(ctx, rn.T); err != nil {
		rn.abort()
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("demo: %w", err)
	}
	if err := rn.flush(); err != nil {
		rn.abort()
		return err
	}
	if err := writeIntel(dir, g); err != nil {
		rn.abort()
		return err
	}
	if ready != nil {
		ready(rn.manifest(rn.T))
	}
	wall0 := time.Now()
	simNow := func() int64 {
		return rn.T + int64(float64(time.Since(wall0))*opts.Speed)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return rn.finish(g.now, true)
		case <-timer.C:
		}
		now := simNow()
		if err := g.advance(ctx, now); err != nil && ctx.Err() == nil {
			rn.abort()
			return fmt.Errorf("demo: %w", err)
		}
		if err := rn.flush(); err != nil {
			rn.abort()
			return err
		}
		wait := time.Duration(float64(g.nextDue()-simNow()) / opts.Speed)
		timer.Reset(min(max(wait, time.Millisecond), time.Second))
	}
}

func (rn *run) flush() error {
	for _, s := range rn.g.out {
		if err := s.flush(); err != nil {
			return err
		}
	}
	return nil
}
