// Package incident keeps the incidents people open on alerts and
// endpoints: which alerts belong to them, the handling checklist of phases
// A–G with what each role did, and the four findings of the full
// investigation with suggestions drawn from the alerts' evidence.
//
// A Manager is the only writer of incidents. Its calls take data in and
// give data out: views (Checklist, Suggestions) are plain values a console
// can keep and render, and every call that reads or writes the store takes
// a context, so a UI can run it inside a command. Every change is written
// to the audit log with who made it and when.
package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/store"
)

// Status is whether an incident is being worked on.
type Status string

// The statuses.
const (
	Open   Status = "open"
	Closed Status = "closed"
)

// Incident is one incident as stored (JSON, family store.Incidents). The
// field names are stable.
type Incident struct {
	ID       string    `json:"id"` // "INC-20261122-01"
	Title    string    `json:"title"`
	Status   Status    `json:"status"`
	Opened   time.Time `json:"opened"`
	OpenedBy string    `json:"opened_by"`
	Closed   time.Time `json:"closed,omitzero"` // last closing; zero while open
	ClosedBy string    `json:"closed_by,omitempty"`
	Updated  time.Time `json:"updated"`
	// Endpoints are the endpoints the incident is about: their alerts
	// attach to it.
	Endpoints []string `json:"endpoints"`
	// Alerts are the ids of the attached alerts, in the order attached.
	Alerts []string `json:"alerts"`
	// Phase is the handling phase set by hand; "" follows the checklist
	// (the first phase not complete).
	Phase string `json:"phase,omitempty"`
	// Checks are the checklist items marked, by catalog action id.
	Checks map[string]Check `json:"checks,omitempty"`
	// Findings are what people wrote for the four full-investigation
	// findings, by catalog finding id.
	Findings map[string]Finding `json:"findings,omitempty"`
}

// Check is the state of one checklist item.
type Check struct {
	State CheckState `json:"state"`
	Who   string     `json:"who"`
	When  time.Time  `json:"when"`
	Note  string     `json:"note,omitempty"`
}

// CheckState is what was done about a checklist item.
type CheckState string

// The check states. Done and Skipped both complete the item.
const (
	Todo    CheckState = ""        // not done (never marked, or marked open again)
	Done    CheckState = "done"    // done
	Skipped CheckState = "skipped" // not applicable here (the note says why)
)

// Finding is what someone wrote for one full-investigation finding.
type Finding struct {
	Text string    `json:"text"`
	Who  string    `json:"who"`
	When time.Time `json:"when"`
}

// IsOpen reports whether the incident is open.
func (inc *Incident) IsOpen() bool { return inc.Status == Open }

// HasEndpoint reports whether ep is one of the incident's endpoints
// (host names compare without regard to case).
func (inc *Incident) HasEndpoint(ep string) bool {
	return slices.ContainsFunc(inc.Endpoints, func(e string) bool { return strings.EqualFold(e, ep) })
}

// HasAlert reports whether the alert id is attached.
func (inc *Incident) HasAlert(id string) bool { return slices.Contains(inc.Alerts, id) }

// Clone returns a deep copy, so a caller may keep or change it freely.
func (inc Incident) Clone() Incident {
	inc.Endpoints = slices.Clone(inc.Endpoints)
	inc.Alerts = slices.Clone(inc.Alerts)
	if inc.Checks != nil {
		m := make(map[string]Check, len(inc.Checks))
		for k, v := range inc.Checks {
			m[k] = v
		}
		inc.Checks = m
	}
	if inc.Findings != nil {
		m := make(map[string]Finding, len(inc.Findings))
		for k, v := range inc.Findings {
			m[k] = v
		}
		inc.Findings = m
	}
	return inc
}

// Store is what the Manager needs of the store; *store.Store satisfies it.
type Store interface {
	Put(f store.Family, name string, v any) error
	Get(f store.Family, name string, v any) (bool, error)
	List(f store.Family, fn func(name string, doc []byte) error) error
	Delete(f store.Family, name string) error
	Alert(id string) (alert.Alert, bool, error)
	Alerts() ([]alert.Alert, error)
	Events(ctx context.Context, from, to time.Time, fn func(store.Stored) error) error
	Timeline(ctx context.Context, ep store.Endpoint, q store.Query) (store.Page, error)
	ReadOnly() bool
}

// Options tune a Manager.
type Options struct {
	// Networks are the organisation's own addresses (spread suggestions
	// need them); the zero value means asset.DefaultInternal.
	Networks asset.Networks
	// Inventory names hosts and segments; nil for none.
	Inventory *asset.Inventory
	// Location is the zone of incident ids' dates and suggestion texts;
	// nil means time.Local.
	Location *time.Location
	// SuggestWindow is how far before the first and after the last alert
	// suggestions look for transfers; zero means 24 h.
	SuggestWindow time.Duration
	// MinTransfer is the smallest outbound transfer suggested as possible
	// exfiltration; zero means 1 MB.
	MinTransfer int64
}

// Manager opens, changes and reads incidents. It is safe for concurrent
// use; changes are serialised.
type Manager struct {
	st   Store
	log  *audit.Log
	cat  *catalog.Catalog
	opts Options
	mu   sync.Mutex
	feed changeFeed
}

// Errors the Manager returns (wrapped).
var (
	ErrNotFound = errors.New("no such incident")
	ErrReadOnly = errors.New("read-only mode: incidents cannot be changed")
	ErrClosed   = errors.New("the incident is closed; reopen it first")
)

// New returns a Manager over st, writing changes to log.
func New(st Store, log *audit.Log, cat *catalog.Catalog, opts Options) *Manager {
	if opts.Networks.String() == "" {
		opts.Networks = asset.MustNetworks(asset.DefaultInternal...)
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.SuggestWindow <= 0 {
		opts.SuggestWindow = 24 * time.Hour
	}
	if opts.MinTransfer <= 0 {
		opts.MinTransfer = 1 << 20
	}
	return &Manager{st: st, log: log, cat: cat, opts: opts}
}

// CanChange reports whether changes are possible (the store is writable);
// a console hides its changing actions when it is not.
func (m *Manager) CanChange() bool { return !m.st.ReadOnly() }

// Catalog returns the catalog the checklist and findings come from.
func (m *Manager) Catalog() *catalog.Catalog { return m.cat }

// Location returns the zone times are shown in.
func (m *Manager) Location() *time.Location { return m.opts.Location }

// Get reads one incident.
func (m *Manager) Get(ctx context.Context, id string) (Incident, error) {
	if err := ctx.Err(); err != nil {
		return Incident{}, err
	}
	var inc Incident
	ok, err := m.st.Get(store.Incidents, id, &inc)
	if err != nil {
		return Incident{}, fmt.Errorf("incident %s: %w", id, err)
	}
	if !ok {
		return Incident{}, fmt.Errorf("incident %s: %w", id, ErrNotFound)
	}
	return inc, nil
}

// List returns every incident, the most recently opened first.
func (m *Manager) List(ctx context.Context) ([]Incident, error) {
	var out []Incident
	err := m.st.List(store.Incidents, func(name string, doc []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var inc Incident
		if err := json.Unmarshal(doc, &inc); err != nil {
			return fmt.Errorf("incident %s: %w", name, err)
		}
		out = append(out, inc)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("incidents: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Incident) int {
		if c := b.Opened.Compare(a.Opened); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}

// Alerts reads the incident's attached alerts, oldest first. Alerts no
// longer in the store are left out.
func (m *Manager) Alerts(ctx context.Context, inc *Incident) ([]alert.Alert, error) {
	out := make([]alert.Alert, 0, len(inc.Alerts))
	for _, id := range inc.Alerts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, ok, err := m.st.Alert(id)
		if err != nil {
			return nil, fmt.Errorf("incident %s: %w", inc.ID, err)
		}
		if ok {
			out = append(out, a)
		}
	}
	sortAlerts(out)
	return out, nil
}

func sortAlerts(as []alert.Alert) {
	slices.SortStableFunc(as, func(a, b alert.Alert) int {
		if c := a.FirstSeen.Compare(b.FirstSeen); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Request describes a new incident.
type Request struct {
	Title     string
	Alerts    []string // alert ids; their endpoints join the incident
	Endpoints []string // endpoint ids (addresses or host names)
	Who       string   // "" means the audit log's user
	Note      string
}

// Open creates an incident from alerts, endpoints or both, attaches every
// alert of its endpoints not yet in another incident, and returns it.
// An *audit.MirrorError comes with the incident: it was opened and
// audited in the store, only the mirror file missed the record.
func (m *Manager) Open(ctx context.Context, req Request) (Incident, error) {
	if err := m.writable(); err != nil {
		return Incident{}, err
	}
	if len(req.Alerts) == 0 && len(req.Endpoints) == 0 {
		return Incident{}, errors.New("incident: name at least one alert or endpoint")
	}
	title, err := cleanText("title", req.Title, 200)
	if err != nil {
		return Incident{}, err
	}
	eps := make([]string, 0, len(req.Endpoints))
	for _, e := range req.Endpoints {
		ep, err := NormalizeEndpoint(e)
		if err != nil {
			return Incident{}, err
		}
		eps = appendNew(eps, ep)
	}
	all, err := m.st.Alerts()
	if err != nil {
		return Incident{}, fmt.Errorf("incident: %w", err)
	}
	byID := make(map[string]*alert.Alert, len(all))
	for i := range all {
		byID[all[i].ID] = &all[i]
	}
	for i, ep := range eps {
		eps[i] = spelled(ep, all)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	incs, err := m.List(ctx)
	if err != nil {
		return Incident{}, err
	}
	owner := owners(incs)
	var chosen []string
	for _, id := range req.Alerts {
		a, ok := byID[id]
		if !ok {
			return Incident{}, fmt.Errorf("incident: no alert %q", id)
		}
		if o := owner[id]; o != nil && o.IsOpen() {
			return Incident{}, fmt.Errorf("incident: alert %s is already in open incident %s", id, o.ID)
		}
		chosen = appendNew(chosen, id)
		if a.Endpoint != "" {
			eps = appendNew(eps, a.Endpoint)
		}
	}
	now := m.log.Now()
	who := m.who(req.Who)
	inc := Incident{
		ID: m.nextID(incs, now), Title: title, Status: Open,
		Opened: now.UTC(), OpenedBy: who, Updated: now.UTC(),
		Endpoints: eps, Alerts: chosen,
	}
	if inc.Title == "" {
		inc.Title = defaultTitle(&inc, byID)
	}
	incs = append(incs, inc)
	// The new incident takes the free alerts of its endpoints.
	attach := m.plan(incs, all)
	inc.Alerts = appendNew(inc.Alerts, attach[inc.ID]...)
	if err := m.st.Put(store.Incidents, inc.ID, &inc); err != nil {
		return Incident{}, fmt.Errorf("incident %s: %w", inc.ID, err)
	}
	rec := audit.Record{Kind: audit.KindIncident, Action: "opened", Incident: inc.ID, Who: who, Note: req.Note,
		Fields: map[string]string{"title": inc.Title, "endpoints": strings.Join(inc.Endpoints, ","), "alerts": strings.Join(inc.Alerts, ",")}}
	_, warn := m.log.Append(ctx, rec)
	if !audit.Stored(warn) {
		_ = m.st.Delete(store.Incidents, inc.ID)
		return Incident{}, fmt.Errorf("incident %s not opened: %w", inc.ID, warn)
	}
	m.feed.publish(Change{Incident: inc.ID, Action: rec.Action})
	return inc, warn
}

func defaultTitle(inc *Incident, byID map[string]*alert.Alert) string {
	var top *alert.Alert
	for _, id := range inc.Alerts {
		if a := byID[id]; a != nil && (top == nil || a.Severity > top.Severity) {
			top = a
		}
	}
	if top != nil {
		host := top.Endpoint
		if top.Host != "" {
			host = top.Host
		}
		return clip(top.Title+" on "+host, 200)
	}
	return "Incident on " + strings.Join(inc.Endpoints, ", ")
}

// nextID returns the next free id of the day: INC-YYYYMMDD-NN.
func (m *Manager) nextID(incs []Incident, now time.Time) string {
	prefix := "INC-" + now.In(m.opts.Location).Format("20060102") + "-"
	n := 0
	for _, inc := range incs {
		if rest, ok := strings.CutPrefix(inc.ID, prefix); ok {
			if k, err := strconv.Atoi(rest); err == nil && k > n {
				n = k
			}
		}
	}
	return fmt.Sprintf("%s%02d", prefix, n+1)
}

// owners maps alert ids to the incident holding them (an open one wins).
func owners(incs []Incident) map[string]*Incident {
	out := map[string]*Incident{}
	for i := range incs {
		for _, id := range incs[i].Alerts {
			if o := out[id]; o == nil || (!o.IsOpen() && incs[i].IsOpen()) {
				out[id] = &incs[i]
			}
		}
	}
	return out
}

// plan decides which free alerts attach to which open incident: an alert
// in no incident, whose endpoint belongs to an open incident, goes to the
// earliest-opened such incident.
func (m *Manager) plan(incs []Incident, alerts []alert.Alert) map[string][]string {
	owner := owners(incs)
	open := make([]*Incident, 0, len(incs))
	for i := range incs {
		if incs[i].IsOpen() {
			open = append(open, &incs[i])
		}
	}
	slices.SortStableFunc(open, func(a, b *Incident) int { return a.Opened.Compare(b.Opened) })
	sorted := slices.Clone(alerts)
	sortAlerts(sorted)
	out := map[string][]string{}
	for i := range sorted {
		a := &sorted[i]
		if owner[a.ID] != nil || a.Endpoint == "" {
			continue
		}
		for _, inc := range open {
			if inc.HasEndpoint(a.Endpoint) {
				out[inc.ID] = append(out[inc.ID], a.ID)
				break
			}
		}
	}
	return out
}

// Attached is what AttachNew attached to one incident.
type Attached struct {
	Incident string
	Alerts   []string
}

// AttachNew attaches, of the alerts given (new and changed ones, as the
// engine publishes them), those in no incident whose endpoint belongs to
// an open incident, and returns what it attached. Incident records are
// the one place that says which alerts an incident holds; alert records
// are the engine's and are not touched.
func (m *Manager) AttachNew(ctx context.Context, alerts []alert.Alert) ([]Attached, error) {
	if err := m.writable(); err != nil {
		return nil, err
	}
	if len(alerts) == 0 {
		return nil, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	incs, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	attach := m.plan(incs, alerts)
	var out []Attached
	var errs []error
	for i := range incs {
		inc := &incs[i]
		ids := attach[inc.ID]
		if len(ids) == 0 {
			continue
		}
		old := inc.Clone()
		inc.Alerts = append(inc.Alerts, ids...)
		inc.Updated = m.log.Now().UTC()
		rec := audit.Record{Kind: audit.KindIncident, Action: "alerts attached", Incident: inc.ID,
			Fields: map[string]string{"alerts": strings.Join(ids, ",")}}
		if err := m.commit(ctx, &old, inc, rec); err != nil {
			errs = append(errs, err)
			if !audit.Stored(err) {
				continue
			}
		}
		out = append(out, Attached{Incident: inc.ID, Alerts: ids})
	}
	return out, errors.Join(errs...)
}

// attachedBy returns the alerts an "alerts attached" record names.
func attachedBy(rec audit.Record) []string {
	if rec.Action != "alerts attached" || rec.Fields["alerts"] == "" {
		return nil
	}
	return strings.Split(rec.Fields["alerts"], ",")
}

// AttachStored is AttachNew over every stored alert: after a batch scan,
// or when an incident's endpoints change.
func (m *Manager) AttachStored(ctx context.Context) ([]Attached, error) {
	as, err := m.st.Alerts()
	if err != nil {
		return nil, fmt.Errorf("incident: %w", err)
	}
	return m.AttachNew(ctx, as)
}

// Owners maps alert ids to the incident holding them (an open one before
// a closed one), from the incident records.
func (m *Manager) Owners(ctx context.Context) (map[string]string, error) {
	incs, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for id, inc := range owners(incs) {
		out[id] = inc.ID
	}
	return out, nil
}

// Annotate sets each alert's Incident from the incident records, for
// showing and printing alerts.
func (m *Manager) Annotate(ctx context.Context, as []alert.Alert) error {
	own, err := m.Owners(ctx)
	if err != nil {
		return err
	}
	for i := range as {
		as[i].Incident = own[as[i].ID]
	}
	return nil
}

// commit writes inc and its audit record. When the record cannot be
// stored the incident is put back as it was (old) and the error returned;
// when only the mirror file missed it, the change stands and the
// *audit.MirrorError is returned.
func (m *Manager) commit(ctx context.Context, old, inc *Incident, rec audit.Record) error {
	if err := m.st.Put(store.Incidents, inc.ID, inc); err != nil {
		return fmt.Errorf("incident %s: %w", inc.ID, err)
	}
	_, err := m.log.Append(ctx, rec)
	if audit.Stored(err) {
		m.feed.publish(Change{Incident: inc.ID, Action: rec.Action, Alerts: attachedBy(rec)})
		return err
	}
	if perr := m.st.Put(store.Incidents, old.ID, old); perr != nil {
		return fmt.Errorf("incident %s: change not audited and not taken back: %w", inc.ID, errors.Join(err, perr))
	}
	return fmt.Errorf("incident %s: change not made: %w", inc.ID, err)
}

// update applies change to incident id under the lock and commits it
// with the audit record change returns.
func (m *Manager) update(ctx context.Context, id string, change func(inc *Incident, now time.Time) (audit.Record, error)) (Incident, error) {
	if err := m.writable(); err != nil {
		return Incident{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, err := m.Get(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	inc := old.Clone()
	now := m.log.Now().UTC()
	rec, err := change(&inc, now)
	if err != nil {
		return Incident{}, fmt.Errorf("incident %s: %w", id, err)
	}
	inc.Updated = now
	rec.Incident, rec.Time = id, now
	if err := m.commit(ctx, &old, &inc, rec); !audit.Stored(err) {
		return old, err
	} else if err != nil {
		return inc, err
	}
	return inc, nil
}

// Close closes an open incident.
func (m *Manager) Close(ctx context.Context, id, who, note string) (Incident, error) {
	return m.update(ctx, id, func(inc *Incident, now time.Time) (audit.Record, error) {
		if !inc.IsOpen() {
			return audit.Record{}, errors.New("already closed")
		}
		inc.Status, inc.Closed, inc.ClosedBy = Closed, now, m.who(who)
		return audit.Record{Kind: audit.KindIncident, Action: "closed", Who: inc.ClosedBy, Note: note}, nil
	})
}

// Reopen opens a closed incident again.
func (m *Manager) Reopen(ctx context.Context, id, who, note string) (Incident, error) {
	return m.update(ctx, id, func(inc *Incident, _ time.Time) (audit.Record, error) {
		if inc.IsOpen() {
			return audit.Record{}, errors.New("already open")
		}
		inc.Status, inc.Closed, inc.ClosedBy = Open, time.Time{}, ""
		return audit.Record{Kind: audit.KindIncident, Action: "reopened", Who: m.who(who), Note: note}, nil
	})
}

// AddEndpoints adds endpoints to an open incident and attaches their
// free alerts.
func (m *Manager) AddEndpoints(ctx context.Context, id string, endpoints []string, who string) (Incident, error) {
	all, err := m.st.Alerts()
	if err != nil {
		return Incident{}, fmt.Errorf("incident: %w", err)
	}
	var eps []string
	for _, e := range endpoints {
		ep, err := NormalizeEndpoint(e)
		if err != nil {
			return Incident{}, err
		}
		eps = appendNew(eps, spelled(ep, all))
	}
	inc, err := m.update(ctx, id, func(inc *Incident, _ time.Time) (audit.Record, error) {
		if !inc.IsOpen() {
			return audit.Record{}, ErrClosed
		}
		var added []string
		for _, ep := range eps {
			if !inc.HasEndpoint(ep) {
				inc.Endpoints = append(inc.Endpoints, ep)
				added = append(added, ep)
			}
		}
		if len(added) == 0 {
			return audit.Record{}, errors.New("no new endpoint")
		}
		return audit.Record{Kind: audit.KindIncident, Action: "endpoints added", Who: m.who(who), Fields: map[string]string{"endpoints": strings.Join(added, ",")}}, nil
	})
	if !audit.Stored(err) {
		return inc, err
	}
	if _, aerr := m.AttachNew(ctx, all); aerr != nil && err == nil {
		err = aerr
	}
	if got, gerr := m.Get(ctx, id); gerr == nil {
		inc = got
	}
	return inc, err
}

func (m *Manager) writable() error {
	if m.st.ReadOnly() {
		return ErrReadOnly
	}
	return nil
}

func (m *Manager) who(who string) string {
	if w := strings.TrimSpace(who); w != "" {
		return clip(w, 64)
	}
	return m.log.User()
}

// NormalizeEndpoint checks an endpoint as a person types it and returns
// the form alerts use: an IP address (IPv4-mapped addresses unmapped), or
// a host name.
func NormalizeEndpoint(s string) (string, error) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return "", fmt.Errorf("incident: endpoint %q: an address with a zone", s)
		}
		return a.Unmap().String(), nil
	}
	if !hostRE.MatchString(s) || len(s) > 253 {
		return "", fmt.Errorf("incident: endpoint %q is neither an IP address nor a host name", clip(s, 80))
	}
	return s, nil
}

// spelled returns ep as the alerts spell it: a host name typed in another
// case takes the alerts' spelling, which the store's timelines use.
func spelled(ep string, alerts []alert.Alert) string {
	for i := range alerts {
		if a := alerts[i].Endpoint; a != ep && strings.EqualFold(a, ep) {
			return a
		}
	}
	return ep
}

var hostRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$`)

// cleanText checks free text a person typed: no control characters other
// than newlines and tabs, at most max runes.
func cleanText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return "", fmt.Errorf("incident: the %s holds a control character", field)
		}
	}
	if n := len([]rune(s)); n > max {
		return "", fmt.Errorf("incident: the %s is %d characters long (at most %d)", field, n, max)
	}
	return s, nil
}

func appendNew[T comparable](s []T, vs ...T) []T {
	for _, v := range vs {
		if !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	return s
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
