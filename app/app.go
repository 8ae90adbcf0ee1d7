// Package app wires mamori together for the commands: it opens the store,
// loads the catalog, the inventory and the optional databases, builds the
// ingest pipeline and the detection engine, and runs them — in batch for
// `mamori ingest` and `mamori scan`, live for the console and the demo.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/detect/intel"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/store"
)

// Options are the command line's overrides of the configuration.
type Options struct {
	DB         string   // store directory
	Version    string   // mamori's version, for reports and bundles ("" if unknown)
	ReadOnly   bool     // open the store read-only: no ingest, no detection, no changes
	Internal   []string // internal networks
	Assets     string   // inventory file
	IOC        []string // IOC list files or folders (added to the config's)
	GeoIP      string
	Categories string
	Timezone   string
	Year       int
	Format     string // force one format for every file
	Log        *slog.Logger
}

// App is an opened mamori: store, catalog, pipeline pieces and engine.
type App struct {
	Config    *config.Config
	Store     *store.Store
	Catalog   *catalog.Catalog
	Networks  asset.Networks
	Inventory *asset.Inventory
	Enricher  *ingest.Enricher
	Env       *detect.Env
	Engine    *detect.Engine // nil when read-only
	Allow     *detect.AllowList
	Intel     *intel.Set // nil without IOC lists
	// Audit, Incidents and Containment are incident handling: the
	// append-only audit log, incidents with their checklist, and the
	// containment measures.
	Audit       *audit.Log
	Incidents   *incident.Manager
	Containment *containment.Manager
	Formats     []parse.Format
	// Topology is what the last Detect saw of the office's side: whether
	// any event had an internal address (see Topology.Warning).
	Topology Topology
	Log      *slog.Logger
	opts     Options
	rd       Reader // Store, or what OpenReader was given
	closers  []func() error
	clock    func() time.Time // nil: time.Now
}

// OfficeZone is the office's time zone: the one given (a flag), else the
// configuration's, else the one the store in db (or the configuration's
// store) was filled in, if valid; "" for the machine's local zone.
func OfficeZone(cfg *config.Config, db, given string) string {
	if z := cmp.Or(given, cfg.Timezone); z != "" {
		return z
	}
	z := store.Zone(cmp.Or(db, cfg.DB))
	if _, err := config.ParseZone(z); z == "" || err != nil {
		return ""
	}
	return z
}

// prepare applies opts over cfg and loads everything but the store: the
// catalog, the inventory, the optional databases. It returns the zone the
// configuration or the flags named ("" for none).
func prepare(cfg *config.Config, opts Options) (*App, string, error) {
	if cfg == nil {
		cfg = config.Default()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.DB != "" {
		cfg.DB = opts.DB
	}
	if len(opts.Internal) > 0 {
		cfg.InternalNetworks = opts.Internal
	}
	if opts.Assets != "" {
		cfg.Assets = opts.Assets
	}
	cfg.IOC = append(cfg.IOC, opts.IOC...)
	if opts.GeoIP != "" {
		cfg.GeoIP = opts.GeoIP
	}
	if opts.Categories != "" {
		cfg.Categories = opts.Categories
	}
	configuredZone := cmp.Or(opts.Timezone, cfg.Timezone)
	cfg.Timezone = OfficeZone(cfg, "", opts.Timezone)
	if err := cfg.Validate(); err != nil {
		return nil, "", err
	}
	a := &App{Config: cfg, Log: opts.Log, opts: opts, Formats: ingest.Formats()}
	var err error
	if a.Catalog, err = catalog.Load(); err != nil {
		return nil, "", fmt.Errorf("catalog: %w", err)
	}
	a.Networks = cfg.Networks()
	if cfg.Assets != "" {
		if a.Inventory, err = asset.Load(cfg.Assets); err != nil {
			return nil, "", err
		}
	}
	a.Enricher = &ingest.Enricher{Networks: a.Networks, Inventory: a.Inventory}
	a.Allow = detect.FromConfig(cfg.Allow, cfg.Rules)
	a.Env = &detect.Env{Networks: a.Networks, Assets: a.Inventory, Catalog: a.Catalog, Location: cfg.Location(config.Source{}), Self: selfAddrs(opts.Log)}
	if err := a.loadOptional(); err != nil {
		return nil, "", err
	}
	return a, configuredZone, nil
}

// Open applies opts over cfg and opens everything.
func Open(cfg *config.Config, opts Options) (*App, error) {
	a, configuredZone, err := prepare(cfg, opts)
	if err != nil {
		return nil, err
	}
	cfg, opts = a.Config, a.opts
	a.Store, err = store.Open(cfg.DB, store.Options{
		Retention:   time.Duration(cfg.Retention),
		ReadOnly:    opts.ReadOnly,
		IsInternal:  a.Networks.Contains,
		Logger:      opts.Log,
		DiskReserve: int64(cfg.DiskReserve),
	})
	if err != nil {
		return nil, err
	}
	a.rd = a.Store
	if err := a.loadAllowList(); err != nil {
		return nil, a.closeStoreAfter(err)
	}
	if err := a.Store.RecordZone(configuredZone); err != nil {
		a.Log.Warn("recording the office time zone", "err", err)
	}
	if !opts.ReadOnly {
		a.Engine, err = detect.New(detect.Options{
			Factories: Factories(),
			Env:       a.Env,
			Rules:     cfg.Rules,
			Learning:  time.Duration(cfg.Baseline.Learning),
			Store:     a.Store,
			Log:       opts.Log,
		})
		if err != nil {
			return nil, a.closeStoreAfter(fmt.Errorf("detection rules: %w", err))
		}
	}
	if err := a.openHandling(); err != nil {
		return nil, a.closeStoreAfter(err)
	}
	return a, nil
}

// selfAddrs are the global addresses of the machine mamori runs on: its
// own, never an IOC hit's other party. A machine whose interfaces cannot be
// listed has none (logged).
func selfAddrs(log *slog.Logger) []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		log.Warn("listing this machine's addresses", "err", err)
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		if ip := p.Addr().Unmap(); ip.IsGlobalUnicast() {
			out = append(out, ip)
		}
	}
	return out
}

// closeStoreAfter closes the store when Open fails after opening it: err
// is returned as it is, joined with the close's error only if that fails.
func (a *App) closeStoreAfter(err error) error {
	if cerr := a.Store.Close(); cerr != nil {
		return errors.Join(err, cerr)
	}
	return err
}

// Close stops the containment commands still running (killing their
// process groups; their runs record it), closes the audit mirror and
// closes the store (not the Reader of OpenReader).
func (a *App) Close() error {
	if a.Containment != nil {
		a.Containment.Close()
	}
	if a.Engine != nil {
		a.Engine.Close()
	}
	for _, c := range a.closers {
		_ = c()
	}
	var errs []error
	if a.Audit != nil {
		errs = append(errs, a.Audit.Close())
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	return errors.Join(errs...)
}

// readOptions are how files are read, from the configuration and options.
func (a *App) readOptions() ingest.Options {
	return ingest.Options{
		Formats:  a.Formats,
		Format:   a.opts.Format,
		Location: a.Config.Location(config.Source{}),
		Year:     a.opts.Year,
		Enricher: a.Enricher,

		MaxFutureSkew: time.Duration(a.Config.MaxFutureSkew),
	}
}

// Ingest imports files and folders into the store (no detection). On a
// disk too full to go on it stops with an error wrapping
// store.ErrDiskFull, keeping what it stored: run again (resuming) once
// space is freed.
func (a *App) Ingest(ctx context.Context, paths []string, resume bool, progress func(ingest.Progress)) (ingest.Summary, error) {
	if a.opts.ReadOnly {
		return ingest.Summary{}, store.ErrReadOnly
	}
	stats := ingest.NewStats()
	p := ingest.NewPipeline(a.Store, stats, a.Log)
	p.StopWhenFull = true
	if err := p.LoadEndpoints(); err != nil {
		return ingest.Summary{}, err
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	var runErr error
	g.Go(func() error {
		runErr = p.Run(gctx)
		return runErr
	})
	g.Go(func() error {
		defer p.CloseInput()
		return ingest.Import(gctx, p, a.Store, paths, ingest.ImportOptions{Options: a.readOptions(), Resume: resume, Progress: progress})
	})
	err := g.Wait()
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		err = runErr // why the import stopped, rather than how the readers heard of it
	}
	sum := ingest.Summarize(stats.Snapshot())
	sum.Elapsed = time.Since(start)
	if sum.Events > 0 {
		if perr := a.notePending(sum.Events); perr != nil {
			err = errors.Join(err, perr)
		}
	}
	return sum, err
}

// Pending is what the store holds that the detectors have not seen:
// events a `mamori ingest` stored, until a scan runs the rules over them.
type Pending struct {
	Events int64     `json:"events"`
	Since  time.Time `json:"since"` // when the first of them was stored
}

const pendingKey = "unanalysed"

// notePending records that n more events await analysis.
func (a *App) notePending(n int64) error {
	var p Pending
	if _, err := a.Store.Get(store.Meta, pendingKey, &p); err != nil {
		return err
	}
	if p.Events == 0 {
		p.Since = time.Now().UTC()
	}
	p.Events += n
	return a.Store.Put(store.Meta, pendingKey, &p)
}

// Pending returns the events stored but never run through the detectors
// (Events is zero when every stored event was analysed).
func (a *App) Pending() (Pending, error) {
	var p Pending
	_, err := a.rd.Get(store.Meta, pendingKey, &p)
	return p, err
}

// Scan imports paths, runs every rule over the store in event-time order
// to completion, and returns the alerts (visible ones only unless all).
func (a *App) Scan(ctx context.Context, paths []string, progress func(ingest.Progress)) (ingest.Summary, error) {
	sum, err := a.Ingest(ctx, paths, false, progress)
	if err != nil {
		return sum, err
	}
	if err := a.Detect(ctx); err != nil {
		return sum, err
	}
	return sum, nil
}

// Detect runs the engine over every stored event and saves the alerts.
func (a *App) Detect(ctx context.Context) error {
	if a.Engine == nil {
		return store.ErrReadOnly
	}
	count := &topologyCount{src: a.Store, networks: a.Networks, addrs: map[netip.Addr]*addrCount{}}
	if err := a.Engine.Replay(ctx, count, time.Time{}); err != nil {
		return fmt.Errorf("detection: %w", err)
	}
	a.Topology = count.result()
	if err := a.Engine.Finish(); err != nil {
		return err
	}
	if err := a.Store.Delete(store.Meta, pendingKey); err != nil {
		return fmt.Errorf("recording the analysis: %w", err)
	}
	// Alerts of an open incident's endpoints attach to it, as they do live.
	if _, err := a.Incidents.AttachNew(ctx, a.Engine.Alerts()); err != nil {
		return fmt.Errorf("attaching alerts to incidents: %w", err)
	}
	return nil
}

// Alerts returns the stored alerts, most important first, each with the
// incident that holds it; allow-listed ones only when all is set.
func (a *App) Alerts(all bool) ([]alert.Alert, error) {
	as, err := a.rd.Alerts()
	if err != nil {
		return nil, err
	}
	if err := a.Incidents.Annotate(context.Background(), as); err != nil {
		return nil, err
	}
	out := as[:0]
	for i := range as {
		if all || !a.Allow.Hidden(&as[i]) {
			out = append(out, as[i])
		}
	}
	detect.SortAlerts(out)
	return out, nil
}

// Live runs everything as the console does: follow the sources, store
// events, detect, until ctx ends. ready, when set, is called with the
// pipeline once it runs (for the console's status).
func (a *App) Live(ctx context.Context, sources []ingest.FollowSource, ready func(*ingest.Pipeline)) error {
	if a.opts.ReadOnly {
		return store.ErrReadOnly
	}
	stats := ingest.NewStats()
	p := ingest.NewPipeline(a.Store, stats, a.Log)
	if err := p.LoadEndpoints(); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ignoreCanceled(p.Run(gctx)) })
	f := &ingest.Follower{Pipeline: p, Offsets: a.Store, Log: a.Log}
	g.Go(func() error {
		defer p.CloseInput()
		return f.Run(gctx, sources)
	})
	if ready != nil {
		ready(p)
	}
	g.Go(func() error {
		// Detection starts once the files' backlogs are stored: replaying
		// them from the store goes in time order across all sources, so a
		// short file that reaches the present first cannot end the
		// baseline's learning period before the long ones are read.
		select {
		case <-f.CaughtUp():
		case <-gctx.Done():
			return nil
		}
		sub, err := p.Subscribe(gctx, 64)
		if err != nil {
			if gctx.Err() != nil {
				return nil
			}
			return err
		}
		err = a.Engine.Replay(gctx, sub.Snapshot, a.Engine.ResumeFrom())
		sub.Snapshot.Close()
		if err != nil {
			return ignoreCanceled(err)
		}
		return a.Engine.Follow(gctx, sub.Events)
	})
	attach := a.Engine.Subscribe(gctx)
	g.Go(func() error {
		a.attachLive(gctx, attach)
		return nil
	})
	if a.Intel != nil {
		g.Go(func() error { return a.Intel.Watch(gctx, time.Minute) })
	}
	g.Go(func() error {
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-gctx.Done():
				return nil
			case <-t.C:
				a.Store.Maintain(gctx)
			}
		}
	})
	return ignoreCanceled(g.Wait())
}

// Sources turns the configuration's sources into follow sources.
func (a *App) Sources() []ingest.FollowSource {
	out := make([]ingest.FollowSource, 0, len(a.Config.Sources))
	for _, s := range a.Config.Sources {
		opt := a.readOptions()
		if s.Format != "" {
			opt.Format = s.Format
		}
		opt.Location = a.Config.Location(s)
		if s.Year != 0 {
			opt.Year = s.Year
		}
		out = append(out, ingest.FollowSource{Pattern: s.Path, Options: opt})
	}
	return out
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// OpenLog opens mamori's own log file (never the terminal).
func OpenLog(path string, debug bool) (*slog.Logger, func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	// The log names hosts, users and files: the owner's only, even when
	// an earlier version or a hand made it readable.
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		_ = f.Chmod(fi.Mode().Perm() &^ 0o077)
	}
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	// The handler writes each record to f unbuffered, so closing loses
	// nothing; and a failed close has nowhere to be logged but this file.
	return slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{Level: level})), func() { _ = f.Close() }, nil
}
