package catalog

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/mamori-soc/mamori/alert"
)

//go:embed data/*.yaml data/lists
var embedded embed.FS

// The files of a catalog, relative to its root.
const (
	fileAttack   = "attack.yaml"
	filePhases   = "phases.yaml"
	fileAnalysis = "analysis.yaml"
	fileRules    = "rules.yaml"
	fileHandling = "handling.yaml"
	fileMeasures = "measures.yaml"
	fileEvidence = "evidence.yaml"
	fileLists    = "lists.yaml"
	fileServices = "services.yaml"
)

// Catalog is the defence model as data. It is immutable once loaded and
// safe for concurrent use. The slices and pointers its methods return share
// its memory: read them, never modify them.
type Catalog struct {
	phases       []Phase
	routes       []Route
	techniques   []Technique
	perspectives []Perspective
	bases        []Basis
	views        []View
	rules        []Rule

	handlingPhases []HandlingPhase
	roles          []Role
	parts          []Part
	planning       []PlanningStep
	findings       []Finding

	scales     Scales
	targets    []TargetInfo
	paramKinds []ParamKindInfo
	gateway    Gateway
	measures   []Measure

	evidenceSources []EvidenceSource
	objectives      []Objective

	lists    []List
	services services

	ruleByID      map[string]*Rule
	measureByID   map[string]*Measure
	techniqueByID map[string]*Technique
	actionByID    map[string]*Action
	partByKey     map[[2]string]*Part
}

var loadEmbedded = sync.OnceValues(func() (*Catalog, error) {
	root, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return Parse(root)
})

// Load returns the catalog embedded in the binary. It is parsed and
// validated on the first call; later calls return the same catalog (or the
// same error, which only a broken build can cause).
func Load() (*Catalog, error) { return loadEmbedded() }

// The YAML documents, one per file.
type (
	phasesDoc struct {
		Phases []Phase `yaml:"phases"`
		Routes []Route `yaml:"routes"`
	}
	attackDoc struct {
		Techniques []Technique `yaml:"techniques"`
	}
	analysisDoc struct {
		Perspectives []Perspective `yaml:"perspectives"`
		Bases        []Basis       `yaml:"bases"`
		Views        []View        `yaml:"views"`
	}
	rulesDoc struct {
		Rules []Rule `yaml:"rules"`
	}
	handlingDoc struct {
		Phases   []HandlingPhase `yaml:"phases"`
		Roles    []Role          `yaml:"roles"`
		Parts    []Part          `yaml:"parts"`
		Planning []PlanningStep  `yaml:"planning"`
		Findings []Finding       `yaml:"findings"`
	}
	measuresDoc struct {
		Scales     Scales          `yaml:"scales"`
		Targets    []TargetInfo    `yaml:"targets"`
		ParamKinds []ParamKindInfo `yaml:"param_kinds"`
		Gateway    Gateway         `yaml:"gateway"`
		Measures   []measureDoc    `yaml:"measures"`
	}
	evidenceDoc struct {
		Sources    []EvidenceSource `yaml:"sources"`
		Objectives []Objective      `yaml:"objectives"`
	}
	listsDoc struct {
		Lists []List `yaml:"lists"`
	}
	servicesDoc struct {
		Services []Service `yaml:"services"`
	}
)

// Parse reads and validates a catalog from fsys, which holds the files of
// catalog/data at its root. Unknown YAML fields are errors. All problems
// found are returned together; each names the file, the entry and the
// field (see ValidationError).
func Parse(fsys fs.FS) (*Catalog, error) {
	var (
		ph phasesDoc
		at attackDoc
		an analysisDoc
		ru rulesDoc
		ha handlingDoc
		me measuresDoc
		ev evidenceDoc
		li listsDoc
		se servicesDoc
	)
	var errs []error
	for _, f := range []struct {
		name string
		doc  any
	}{
		{filePhases, &ph}, {fileAttack, &at}, {fileAnalysis, &an}, {fileRules, &ru},
		{fileHandling, &ha}, {fileMeasures, &me}, {fileEvidence, &ev}, {fileLists, &li},
		{fileServices, &se},
	} {
		if err := decode(fsys, f.name, f.doc); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	c := &Catalog{
		phases: ph.Phases, routes: ph.Routes,
		techniques:   at.Techniques,
		perspectives: an.Perspectives, bases: an.Bases, views: an.Views,
		rules:          ru.Rules,
		handlingPhases: ha.Phases, roles: ha.Roles, parts: ha.Parts, planning: ha.Planning, findings: ha.Findings,
		scales: me.Scales, targets: me.Targets, paramKinds: me.ParamKinds, gateway: me.Gateway,
		evidenceSources: ev.Sources, objectives: ev.Objectives,
		lists: li.Lists,
	}
	ck := &checker{}
	c.measures = ck.measures(me.Measures)
	for i := range c.lists {
		ck.listFiles(fsys, &c.lists[i])
	}
	c.services = ck.buildServices(se.Services)
	c.index()
	ck.validate(c)
	if err := ck.err(); err != nil {
		return nil, err
	}
	return c, nil
}

func decode(fsys fs.FS, name string, doc any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(doc); err != nil {
		return fmt.Errorf("catalog: %s: %w", name, err)
	}
	return nil
}

// index builds the lookup maps. Duplicate ids keep their first entry; the
// checker reports them.
func (c *Catalog) index() {
	c.ruleByID = make(map[string]*Rule, len(c.rules))
	for i := range c.rules {
		if _, dup := c.ruleByID[c.rules[i].ID]; !dup {
			c.ruleByID[c.rules[i].ID] = &c.rules[i]
		}
	}
	c.measureByID = make(map[string]*Measure, len(c.measures))
	for i := range c.measures {
		if _, dup := c.measureByID[c.measures[i].ID]; !dup {
			c.measureByID[c.measures[i].ID] = &c.measures[i]
		}
	}
	c.techniqueByID = make(map[string]*Technique, len(c.techniques))
	for i := range c.techniques {
		if _, dup := c.techniqueByID[c.techniques[i].ID]; !dup {
			c.techniqueByID[c.techniques[i].ID] = &c.techniques[i]
		}
	}
	c.partByKey = make(map[[2]string]*Part, len(c.parts))
	c.actionByID = make(map[string]*Action)
	for i := range c.parts {
		p := &c.parts[i]
		if _, dup := c.partByKey[[2]string{p.Phase, p.Role}]; !dup {
			c.partByKey[[2]string{p.Phase, p.Role}] = p
		}
		for j := range p.Actions {
			if _, dup := c.actionByID[p.Actions[j].ID]; !dup {
				c.actionByID[p.Actions[j].ID] = &p.Actions[j]
			}
		}
	}
}

// find returns a pointer to the first element of s for which match is
// true.
func find[T any](s []T, match func(*T) bool) (*T, bool) {
	for i := range s {
		if match(&s[i]) {
			return &s[i], true
		}
	}
	return nil, false
}

// Phases returns the six attack phases in order.
func (c *Catalog) Phases() []Phase { return c.phases }

// Phase returns attack phase n (1–6).
func (c *Catalog) Phase(n int) (*Phase, bool) {
	return find(c.phases, func(p *Phase) bool { return p.Number == n })
}

// Routes returns the attack routes.
func (c *Catalog) Routes() []Route { return c.routes }

// Route returns the attack route with the given id.
func (c *Catalog) Route(id string) (*Route, bool) {
	return find(c.routes, func(r *Route) bool { return r.ID == id })
}

// Techniques returns the ATT&CK techniques the rules refer to.
func (c *Catalog) Techniques() []Technique { return c.techniques }

// Technique returns the ATT&CK technique with the given id ("T1568").
func (c *Catalog) Technique(id string) (*Technique, bool) {
	t, ok := c.techniqueByID[id]
	return t, ok
}

// Perspectives returns the three analysis perspectives.
func (c *Catalog) Perspectives() []Perspective { return c.perspectives }

// Perspective returns the description of an analysis perspective.
func (c *Catalog) Perspective(id alert.Perspective) (*Perspective, bool) {
	return find(c.perspectives, func(p *Perspective) bool { return p.ID == id })
}

// Bases returns the two bases of comparison.
func (c *Catalog) Bases() []Basis { return c.bases }

// Basis returns the description of a basis of comparison.
func (c *Catalog) Basis(id alert.Basis) (*Basis, bool) {
	return find(c.bases, func(b *Basis) bool { return b.ID == id })
}

// Views returns the perspective × basis combinations the rules use.
func (c *Catalog) Views() []View { return c.views }

// View returns the description of a perspective applied on a basis.
func (c *Catalog) View(p alert.Perspective, b alert.Basis) (*View, bool) {
	return find(c.views, func(v *View) bool { return v.Perspective == p && v.Basis == b })
}

// Rules returns the detection rules in catalog order (matching, statistical,
// composite).
func (c *Catalog) Rules() []Rule { return c.rules }

// Rule returns the detection rule with the given id ("M-IOC-DOMAIN").
func (c *Catalog) Rule(id string) (*Rule, bool) {
	r, ok := c.ruleByID[id]
	return r, ok
}

// HandlingPhases returns the incident-handling phases A–G in order.
func (c *Catalog) HandlingPhases() []HandlingPhase { return c.handlingPhases }

// HandlingPhase returns incident-handling phase id ("A" … "G").
func (c *Catalog) HandlingPhase(id string) (*HandlingPhase, bool) {
	return find(c.handlingPhases, func(p *HandlingPhase) bool { return p.ID == id })
}

// Roles returns the six incident-handling roles in order.
func (c *Catalog) Roles() []Role { return c.roles }

// Role returns the incident-handling role with the given id ("it-admin").
func (c *Catalog) Role(id string) (*Role, bool) {
	return find(c.roles, func(r *Role) bool { return r.ID == id })
}

// Part returns what role does in handling phase: every phase × role pair
// has one.
func (c *Catalog) Part(phase, role string) (*Part, bool) {
	p, ok := c.partByKey[[2]string{phase, role}]
	return p, ok
}

// Action returns the checklist item with the given id ("C.it-admin.contain").
func (c *Catalog) Action(id string) (*Action, bool) {
	a, ok := c.actionByID[id]
	return a, ok
}

// Planning returns the five incident-response planning steps (①–⑤).
func (c *Catalog) Planning() []PlanningStep { return c.planning }

// Findings returns the four kinds of information a full investigation
// establishes.
func (c *Catalog) Findings() []Finding { return c.findings }

// Finding returns the full-investigation finding with the given id.
func (c *Catalog) Finding(id string) (*Finding, bool) {
	return find(c.findings, func(f *Finding) bool { return f.ID == id })
}

// Scales returns the rating scales measures are rated on.
func (c *Catalog) Scales() *Scales { return &c.scales }

// Targets returns the four targets of containment measures.
func (c *Catalog) Targets() []TargetInfo { return c.targets }

// ParamKinds returns the descriptions of the parameter kinds.
func (c *Catalog) ParamKinds() []ParamKindInfo { return c.paramKinds }

// Gateway returns the gateway set-up the actuator examples assume.
func (c *Catalog) Gateway() *Gateway { return &c.gateway }

// Measures returns the containment measures, grouped by target.
func (c *Catalog) Measures() []Measure { return c.measures }

// Measure returns the containment measure with the given id
// ("endpoint.block-ip").
func (c *Catalog) Measure(id string) (*Measure, bool) {
	m, ok := c.measureByID[id]
	return m, ok
}

// MeasuresFor returns the measures acting on target, in catalog order
// (mildest first).
func (c *Catalog) MeasuresFor(target Target) []*Measure {
	var ms []*Measure
	for i := range c.measures {
		if c.measures[i].Target == target {
			ms = append(ms, &c.measures[i])
		}
	}
	return ms
}

// Applicable returns the measures that can be applied to a selection
// offering values of the given kinds: those whose required parameters all
// have a kind in available. A selected address offers ParamIP (blocking it,
// isolating the endpoint), a user ParamUser (password change, disabling), a
// domain ParamDomain (DNS sinkhole, proxy block). Measures come in catalog
// order.
func (c *Catalog) Applicable(available ...ParamKind) []*Measure {
	var ms []*Measure
	for i := range c.measures {
		m := &c.measures[i]
		ok := true
		for _, k := range m.Required() {
			if !slices.Contains(available, k) {
				ok = false
				break
			}
		}
		if ok {
			ms = append(ms, m)
		}
	}
	return ms
}

// EvidenceSources returns the logs and volatile data worth preserving.
func (c *Catalog) EvidenceSources() []EvidenceSource { return c.evidenceSources }

// EvidenceSource returns the evidence source with the given id.
func (c *Catalog) EvidenceSource(id string) (*EvidenceSource, bool) {
	return find(c.evidenceSources, func(s *EvidenceSource) bool { return s.ID == id })
}

// Objectives returns the evidence-preservation objectives:
// BeforeContainment first, then one per finding.
func (c *Catalog) Objectives() []Objective { return c.objectives }

// Objective returns the evidence-preservation objective with the given id.
func (c *Catalog) Objective(id string) (*Objective, bool) {
	return find(c.objectives, func(o *Objective) bool { return o.ID == id })
}

// Lists returns the shipped domain lists.
func (c *Catalog) Lists() []List { return c.lists }

// List returns the shipped list with the given id (ListDynamicDNS,
// ListTrustedSites).
func (c *Catalog) List(id string) (*List, bool) {
	return find(c.lists, func(l *List) bool { return l.ID == id })
}
