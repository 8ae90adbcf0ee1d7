package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mamori-soc/mamori/alert"
)

// ValidationError is one problem in catalog data.
type ValidationError struct {
	File    string // "rules.yaml"
	Entry   string // the entry's id ("M-IOC-IP", "A/user"), or its position ("#3") when it has none
	Field   string // "title.ja", "measures[2]"
	Problem string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("catalog: %s: %s: %s: %s", e.File, e.Entry, e.Field, e.Problem)
}

// checker collects validation problems.
type checker struct {
	errs []error
}

func (ck *checker) err() error { return errors.Join(ck.errs...) }

func (ck *checker) addf(file, entry, field, format string, args ...any) {
	ck.errs = append(ck.errs, &ValidationError{File: file, Entry: entry, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// text checks that both languages of t are there.
func (ck *checker) text(file, entry, field string, t Text) {
	if strings.TrimSpace(t.EN) == "" {
		ck.addf(file, entry, field+".en", "empty")
	}
	if strings.TrimSpace(t.JA) == "" {
		ck.addf(file, entry, field+".ja", "empty")
	}
	if i := foldedSpace(t.JA); i >= 0 {
		ck.addf(file, entry, field+".ja", "space between Japanese characters at byte %d (a folded YAML line? write Japanese on one line)", i)
	}
}

// foldedSpace returns the index of the first space between two wide
// (CJK, kana, full-width) characters in s, or -1. YAML folding joins lines
// with a space, which Japanese does not use.
func foldedSpace(s string) int {
	var prev rune
	for i, r := range s {
		if r == ' ' && prev >= 0x2E80 {
			if next, _ := utf8.DecodeRuneInString(s[i+1:]); next >= 0x2E80 {
				return i
			}
		}
		prev = r
	}
	return -1
}

// texts checks that there is at least one text and each has both
// languages.
func (ck *checker) texts(file, entry, field string, ts []Text) {
	if len(ts) == 0 {
		ck.addf(file, entry, field, "empty")
	}
	for i, t := range ts {
		ck.text(file, entry, fmt.Sprintf("%s[%d]", field, i), t)
	}
}

// ids checks that the ids of a list are non-empty and unique, and returns
// a name for each entry to use in messages.
func (ck *checker) ids(file string, ids []string) []string {
	names := make([]string, len(ids))
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		names[i] = id
		if id == "" {
			names[i] = "#" + strconv.Itoa(i+1)
			ck.addf(file, names[i], "id", "empty")
			continue
		}
		if seen[id] {
			ck.addf(file, id, "id", "duplicate")
		}
		seen[id] = true
	}
	return names
}

// exactly checks that got holds the values of want, in that order.
func (ck *checker) exactly(file, field string, got, want []string) {
	if !slices.Equal(got, want) {
		ck.addf(file, "-", field, "got %s, want %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

func ids[T any](s []T, id func(*T) string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = id(&s[i])
	}
	return out
}

func (ck *checker) validate(c *Catalog) {
	ck.phases(c)
	ck.techniques(c)
	ck.analysis(c)
	ck.rules(c)
	ck.handling(c)
	ck.measureRefs(c)
	ck.evidence(c)
	ck.listsDoc(c)
}

func (ck *checker) phases(c *Catalog) {
	const f = filePhases
	var nums []string
	for _, p := range c.phases {
		nums = append(nums, strconv.Itoa(p.Number))
		e := "phase " + strconv.Itoa(p.Number)
		ck.text(f, e, "short", p.Short)
		ck.text(f, e, "name", p.Name)
		ck.text(f, e, "description", p.Description)
		ck.texts(f, e, "examples", p.Examples)
	}
	ck.exactly(f, "phases", nums, []string{"1", "2", "3", "4", "5", "6"})
	names := ck.ids(f, ids(c.routes, func(r *Route) string { return r.ID }))
	if len(c.routes) == 0 {
		ck.addf(f, "-", "routes", "empty")
	}
	for i, r := range c.routes {
		ck.text(f, names[i], "name", r.Name)
		ck.text(f, names[i], "description", r.Description)
	}
}

var techniqueRE = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)

func (ck *checker) techniques(c *Catalog) {
	const f = fileAttack
	names := ck.ids(f, ids(c.techniques, func(t *Technique) string { return t.ID }))
	for i, t := range c.techniques {
		if t.ID != "" && !techniqueRE.MatchString(t.ID) {
			ck.addf(f, names[i], "id", "not an ATT&CK technique id (T1234 or T1234.001)")
		}
		if strings.TrimSpace(t.Name) == "" {
			ck.addf(f, names[i], "name", "empty")
		}
		if len(t.Tactics) == 0 {
			ck.addf(f, names[i], "tactics", "empty")
		}
		for j, ta := range t.Tactics {
			if !slices.Contains(tactics, ta) {
				ck.addf(f, names[i], fmt.Sprintf("tactics[%d]", j), "unknown tactic %q", ta)
			}
		}
	}
}

func (ck *checker) analysis(c *Catalog) {
	const f = fileAnalysis
	ck.exactly(f, "perspectives", ids(c.perspectives, func(p *Perspective) string { return string(p.ID) }),
		[]string{string(alert.Matching), string(alert.Statistical), string(alert.Composite)})
	for _, p := range c.perspectives {
		ck.text(f, string(p.ID), "name", p.Name)
		ck.text(f, string(p.ID), "question", p.Question)
		ck.text(f, string(p.ID), "description", p.Description)
	}
	ck.exactly(f, "bases", ids(c.bases, func(b *Basis) string { return string(b.ID) }),
		[]string{string(alert.KnownAttack), string(alert.NormalBusiness)})
	for _, b := range c.bases {
		ck.text(f, string(b.ID), "name", b.Name)
		ck.text(f, string(b.ID), "description", b.Description)
	}
	names := ck.ids(f, ids(c.views, func(v *View) string { return string(v.Perspective) + "/" + string(v.Basis) }))
	for i, v := range c.views {
		if _, ok := c.Perspective(v.Perspective); !ok {
			ck.addf(f, names[i], "perspective", "unknown perspective %q", v.Perspective)
		}
		if _, ok := c.Basis(v.Basis); !ok {
			ck.addf(f, names[i], "basis", "unknown basis %q", v.Basis)
		}
		ck.text(f, names[i], "name", v.Name)
		ck.text(f, names[i], "description", v.Description)
		ck.texts(f, names[i], "indicators", v.Indicators)
	}
}

var (
	ruleIDRE        = regexp.MustCompile(`^[MNSC]-[A-Z0-9]+(-[A-Z0-9]+)*$`)
	rulePerspective = map[byte]alert.Perspective{'M': alert.Matching, 'N': alert.Matching, 'S': alert.Statistical, 'C': alert.Composite}
)

func (ck *checker) rules(c *Catalog) {
	const f = fileRules
	names := ck.ids(f, ids(c.rules, func(r *Rule) string { return r.ID }))
	if len(c.rules) == 0 {
		ck.addf(f, "-", "rules", "empty")
	}
	for i := range c.rules {
		r, e := &c.rules[i], names[i]
		if r.ID != "" {
			if !ruleIDRE.MatchString(r.ID) {
				ck.addf(f, e, "id", "want M-, N-, S- or C- and upper-case words joined by -")
			} else if want := rulePerspective[r.ID[0]]; r.Perspective != want {
				ck.addf(f, e, "perspective", "%q, but the id's prefix %c- says %s", r.Perspective, r.ID[0], want)
			}
		}
		if _, ok := c.Perspective(r.Perspective); !ok {
			ck.addf(f, e, "perspective", "unknown perspective %q", r.Perspective)
		}
		if _, ok := c.Basis(r.Basis); !ok {
			ck.addf(f, e, "basis", "unknown basis %q", r.Basis)
		}
		if _, ok := c.View(r.Perspective, r.Basis); !ok && r.Perspective != "" && r.Basis != "" {
			ck.addf(f, e, "basis", "no view in %s for %s/%s", fileAnalysis, r.Perspective, r.Basis)
		}
		if _, ok := c.Phase(r.Phase); !ok {
			ck.addf(f, e, "phase", "%d is not an attack phase (1–6)", r.Phase)
		}
		for j, p := range r.AlsoPhases {
			field := fmt.Sprintf("also_phases[%d]", j)
			if _, ok := c.Phase(p); !ok {
				ck.addf(f, e, field, "%d is not an attack phase (1–6)", p)
			}
			if p == r.Phase || slices.Contains(r.AlsoPhases[:j], p) {
				ck.addf(f, e, field, "phase %d listed twice", p)
			}
		}
		if len(r.Attack) == 0 {
			ck.addf(f, e, "attack", "empty")
		}
		for j, t := range r.Attack {
			if _, ok := c.Technique(t); !ok {
				ck.addf(f, e, fmt.Sprintf("attack[%d]", j), "technique %q is not in %s", t, fileAttack)
			}
		}
		if r.Severity <= alert.Info || r.Severity > alert.Critical {
			ck.addf(f, e, "severity", "missing or %q: want low, medium, high or critical", r.Severity)
		}
		ck.text(f, e, "title", r.Title)
		ck.text(f, e, "description", r.Description)
		ck.text(f, e, "check", r.Check)
		if r.Learning.EN != "" || r.Learning.JA != "" {
			ck.text(f, e, "learning", r.Learning)
		}
		ck.sources(r, e)
		for j, l := range r.Lists {
			if _, ok := c.List(l); !ok {
				ck.addf(f, e, fmt.Sprintf("lists[%d]", j), "list %q is not in %s", l, fileLists)
			}
		}
		if len(r.Measures) == 0 {
			ck.addf(f, e, "measures", "empty")
		}
		for j, m := range r.Measures {
			field := fmt.Sprintf("measures[%d]", j)
			if _, ok := c.Measure(m); !ok {
				ck.addf(f, e, field, "measure %q is not in %s", m, fileMeasures)
			}
			if slices.Contains(r.Measures[:j], m) {
				ck.addf(f, e, field, "measure %q listed twice", m)
			}
		}
	}
}

func (ck *checker) sources(r *Rule, e string) {
	const f = fileRules
	if len(r.Sources) == 0 {
		ck.addf(f, e, "sources", "empty")
	}
	for j, s := range r.Sources {
		field := fmt.Sprintf("sources[%d]", j)
		if s.Kind == SourceAlerts {
			if r.Perspective != alert.Composite {
				ck.addf(f, e, field+".kind", "only composite rules read alerts")
			}
			if len(s.Formats) > 0 {
				ck.addf(f, e, field+".formats", "alerts have no log format")
			}
			continue
		}
		if _, ok := s.EventKind(); !ok {
			ck.addf(f, e, field+".kind", "%q is neither an event kind nor %q", s.Kind, SourceAlerts)
			continue
		}
		if r.Perspective == alert.Composite {
			ck.addf(f, e, field+".kind", "composite rules read alerts, not %q events", s.Kind)
		}
		if len(s.Formats) == 0 {
			ck.addf(f, e, field+".formats", "empty: name formats that provide %q events", s.Kind)
		}
	}
}

func (ck *checker) handling(c *Catalog) {
	const f = fileHandling
	ck.exactly(f, "phases", ids(c.handlingPhases, func(p *HandlingPhase) string { return p.ID }), handlingPhaseIDs)
	for _, p := range c.handlingPhases {
		ck.text(f, "phase "+p.ID, "name", p.Name)
		ck.text(f, "phase "+p.ID, "purpose", p.Purpose)
	}
	ck.exactly(f, "roles", ids(c.roles, func(r *Role) string { return r.ID }), roleIDs)
	for _, r := range c.roles {
		ck.text(f, "role "+r.ID, "name", r.Name)
		ck.text(f, "role "+r.ID, "description", r.Description)
	}
	names := ck.ids(f, ids(c.parts, func(p *Part) string { return p.Phase + "/" + p.Role }))
	actionIDs := map[string]bool{}
	for i, p := range c.parts {
		e := names[i]
		if !slices.Contains(handlingPhaseIDs, p.Phase) {
			ck.addf(f, e, "phase", "unknown handling phase %q", p.Phase)
		}
		if !slices.Contains(roleIDs, p.Role) {
			ck.addf(f, e, "role", "unknown role %q", p.Role)
		}
		switch {
		case len(p.Actions) == 0 && p.NoPart.IsZero():
			ck.addf(f, e, "actions", "empty: give actions, or no_part saying why the role has none")
		case len(p.Actions) > 0 && !p.NoPart.IsZero():
			ck.addf(f, e, "no_part", "set although the part has actions")
		case len(p.Actions) == 0:
			ck.text(f, e, "no_part", p.NoPart)
		}
		for j, a := range p.Actions {
			field := fmt.Sprintf("actions[%d]", j)
			prefix := p.Phase + "." + p.Role + "."
			switch {
			case !strings.HasPrefix(a.ID, prefix) || len(a.ID) == len(prefix):
				ck.addf(f, e, field+".id", "%q: want %s<name>", a.ID, prefix)
			case actionIDs[a.ID]:
				ck.addf(f, e, field+".id", "duplicate %q", a.ID)
			}
			actionIDs[a.ID] = true
			ck.text(f, e, field+".do", a.Do)
			ck.texts(f, e, field+".inputs", a.Inputs)
			ck.texts(f, e, field+".outputs", a.Outputs)
		}
	}
	for _, ph := range handlingPhaseIDs {
		for _, r := range roleIDs {
			if _, ok := c.Part(ph, r); !ok {
				ck.addf(f, ph+"/"+r, "parts", "missing: every phase × role needs actions or no_part")
			}
		}
	}
	var nums []string
	for _, s := range c.planning {
		nums = append(nums, strconv.Itoa(s.Number))
		e := "planning " + strconv.Itoa(s.Number)
		ck.text(f, e, "name", s.Name)
		ck.text(f, e, "description", s.Description)
		ck.texts(f, e, "items", s.Items)
	}
	ck.exactly(f, "planning", nums, []string{"1", "2", "3", "4", "5"})
	ck.exactly(f, "findings", ids(c.findings, func(x *Finding) string { return x.ID }), findingIDs)
	for _, x := range c.findings {
		ck.text(f, x.ID, "name", x.Name)
		ck.text(f, x.ID, "description", x.Description)
		ck.texts(f, x.ID, "questions", x.Questions)
	}
}

var paramNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// measures converts and checks the measures as written. Checks that need
// the rest of the catalog are in measureRefs.
func (ck *checker) measures(docs []measureDoc) []Measure {
	const f = fileMeasures
	names := ck.ids(f, ids(docs, func(d *measureDoc) string { return d.ID }))
	out := make([]Measure, len(docs))
	for i, d := range docs {
		e := names[i]
		m := Measure{
			ID: d.ID, Target: d.Target, Title: d.Title, Description: d.Description,
			Cost:       Cost{Affected: d.Cost.Affected},
			Evidence:   EvidenceEffect{Class: d.Evidence.Class, Note: d.Evidence.Note},
			Reversible: d.Reversible, Undo: d.Undo, Params: d.Params, Rationale: d.Rationale,
			Manual: d.Manual, Actuator: d.Actuator,
		}
		for _, r := range []struct {
			field string
			v     *int
			dst   *int
		}{
			{"protects.c", d.Protects.C, &m.Protects.C},
			{"protects.i", d.Protects.I, &m.Protects.I},
			{"protects.a", d.Protects.A, &m.Protects.A},
			{"cost.availability", d.Cost.Availability, &m.Cost.Availability},
		} {
			if r.v == nil {
				ck.addf(f, e, r.field, "missing rating")
				continue
			}
			*r.dst = *r.v
		}
		if d.Evidence.ExportFirst == nil {
			ck.addf(f, e, "evidence.export_first", "missing: say whether to export evidence first")
		} else {
			m.Evidence.ExportFirst = *d.Evidence.ExportFirst
		}
		if d.ID != "" && !strings.HasPrefix(d.ID, string(d.Target)+".") {
			ck.addf(f, e, "id", "want %q followed by a name for target %q", string(d.Target)+".", d.Target)
		}
		ck.text(f, e, "title", d.Title)
		ck.text(f, e, "description", d.Description)
		ck.text(f, e, "cost.affected", d.Cost.Affected)
		ck.text(f, e, "evidence.note", d.Evidence.Note)
		if m.Evidence.Class != EvidenceKept && m.Evidence.Class != "" && d.Evidence.ExportFirst != nil && !m.Evidence.ExportFirst {
			ck.addf(f, e, "evidence.export_first", "false, but the measure loses evidence (%s)", m.Evidence.Class)
		}
		ck.text(f, e, "undo", d.Undo)
		ck.text(f, e, "rationale", d.Rationale)
		ck.texts(f, e, "manual", d.Manual)
		ck.params(e, d.Params)
		if d.Actuator != nil {
			ck.actuator(e, &m)
		}
		out[i] = m
	}
	return out
}

func (ck *checker) params(e string, ps []Param) {
	const f = fileMeasures
	required := 0
	for j, p := range ps {
		field := fmt.Sprintf("params[%d]", j)
		if !paramNameRE.MatchString(p.Name) {
			ck.addf(f, e, field+".name", "%q: want lower-case letters, digits and _", p.Name)
		}
		for _, q := range ps[:j] {
			if q.Name == p.Name {
				ck.addf(f, e, field+".name", "duplicate %q", p.Name)
			}
		}
		if !slices.Contains(paramKinds, p.Kind) {
			ck.addf(f, e, field+".kind", "unknown parameter kind %q", p.Kind)
		}
		ck.text(f, e, field+".label", p.Label)
		if p.Required {
			required++
		}
	}
	if required == 0 {
		ck.addf(f, e, "params", "no required parameter: a measure must say what it acts on")
	}
}

func (ck *checker) actuator(e string, m *Measure) {
	const f = fileMeasures
	a := m.Actuator
	ck.text(f, e, "actuator.note", a.Note)
	if len(a.Commands) == 0 {
		ck.addf(f, e, "actuator.commands", "empty")
	}
	if len(a.Undo) > 0 && m.Reversible == Irreversible {
		ck.addf(f, e, "actuator.undo", "set although the measure is irreversible")
	}
	for _, group := range []struct {
		field string
		cmds  []Command
	}{{"actuator.commands", a.Commands}, {"actuator.undo", a.Undo}} {
		for j, cmd := range group.cmds {
			field := fmt.Sprintf("%s[%d]", group.field, j)
			if len(cmd.Argv) == 0 || cmd.Argv[0] == "" {
				ck.addf(f, e, field+".argv", "empty")
			}
			for _, s := range append(slices.Clone(cmd.Argv), cmd.Stdin) {
				names, err := placeholders(s)
				if err != nil {
					ck.addf(f, e, field, "%v", err)
				}
				for _, n := range names {
					if m.param(n) == nil {
						ck.addf(f, e, field, "placeholder {{%s}} names no parameter", n)
					}
				}
			}
		}
	}
}

// measureRefs checks the measures against the scales and value sets.
func (ck *checker) measureRefs(c *Catalog) {
	const f = fileMeasures
	s := &c.scales
	for _, sc := range []struct {
		name   string
		levels []Level
	}{{"scales.protection", s.Protection}, {"scales.cost", s.Cost}} {
		if len(sc.levels) < 2 {
			ck.addf(f, "-", sc.name, "want at least two levels")
		}
		for i, l := range sc.levels {
			e := fmt.Sprintf("level %d", l.Level)
			if l.Level != i {
				ck.addf(f, e, sc.name, "levels must count 0, 1, 2, … in order")
			}
			ck.text(f, e, sc.name+".name", l.Name)
			ck.text(f, e, sc.name+".description", l.Description)
		}
	}
	ck.exactly(f, "scales.evidence", ids(s.Evidence, func(x *ClassInfo) string { return string(x.Class) }),
		[]string{string(EvidenceKept), string(VolatileLost), string(HistoryLost), string(DiskLost)})
	for _, x := range s.Evidence {
		ck.text(f, string(x.Class), "scales.evidence.name", x.Name)
		ck.text(f, string(x.Class), "scales.evidence.description", x.Description)
	}
	ck.exactly(f, "scales.reversibility", ids(s.Reversibility, func(x *ReversibilityInfo) string { return string(x.Value) }),
		[]string{string(Reversible), string(PartlyReversible), string(Irreversible)})
	for _, x := range s.Reversibility {
		ck.text(f, string(x.Value), "scales.reversibility.name", x.Name)
		ck.text(f, string(x.Value), "scales.reversibility.description", x.Description)
	}
	targets := ids(c.targets, func(t *TargetInfo) string { return string(t.ID) })
	ck.exactly(f, "targets", targets, []string{string(TargetAccount), string(TargetEndpoint), string(TargetSegment), string(TargetService)})
	for _, t := range c.targets {
		ck.text(f, string(t.ID), "name", t.Name)
		ck.text(f, string(t.ID), "description", t.Description)
	}
	var kinds []string
	for _, k := range paramKinds {
		kinds = append(kinds, string(k))
	}
	ck.exactly(f, "param_kinds", ids(c.paramKinds, func(k *ParamKindInfo) string { return string(k.Kind) }), kinds)
	for _, k := range c.paramKinds {
		ck.text(f, string(k.Kind), "name", k.Name)
		ck.text(f, string(k.Kind), "description", k.Description)
	}
	ck.text(f, "gateway", "description", c.gateway.Description)
	if strings.TrimSpace(c.gateway.Setup) == "" {
		ck.addf(f, "gateway", "setup", "empty")
	}
	if len(c.measures) == 0 {
		ck.addf(f, "-", "measures", "empty")
	}
	for i := range c.measures {
		m := &c.measures[i]
		e := m.ID
		if e == "" {
			e = "#" + strconv.Itoa(i+1)
		}
		if !slices.Contains(targets, string(m.Target)) {
			ck.addf(f, e, "target", "unknown target %q", m.Target)
		}
		for _, r := range []struct {
			field string
			v     int
			max   int
		}{
			{"protects.c", m.Protects.C, len(s.Protection) - 1},
			{"protects.i", m.Protects.I, len(s.Protection) - 1},
			{"protects.a", m.Protects.A, len(s.Protection) - 1},
			{"cost.availability", m.Cost.Availability, len(s.Cost) - 1},
		} {
			if r.v < 0 || r.v > r.max {
				ck.addf(f, e, r.field, "%d is outside the scale 0–%d", r.v, r.max)
			}
		}
		if _, ok := find(s.Evidence, func(x *ClassInfo) bool { return x.Class == m.Evidence.Class }); !ok {
			ck.addf(f, e, "evidence.class", "unknown evidence class %q", m.Evidence.Class)
		}
		if _, ok := find(s.Reversibility, func(x *ReversibilityInfo) bool { return x.Value == m.Reversible }); !ok {
			ck.addf(f, e, "reversible", "unknown value %q: want yes, partly or no", m.Reversible)
		}
	}
}

func (ck *checker) evidence(c *Catalog) {
	const f = fileEvidence
	names := ck.ids(f, ids(c.evidenceSources, func(s *EvidenceSource) string { return s.ID }))
	for i, s := range c.evidenceSources {
		ck.text(f, names[i], "name", s.Name)
		ck.text(f, names[i], "description", s.Description)
	}
	names = ck.ids(f, ids(c.objectives, func(o *Objective) string { return o.ID }))
	if _, ok := c.Objective(BeforeContainment); !ok {
		ck.addf(f, BeforeContainment, "objectives", "missing")
	}
	served := map[string]bool{}
	for i, o := range c.objectives {
		e := names[i]
		switch {
		case o.ID == BeforeContainment && o.Finding != "":
			ck.addf(f, e, "finding", "must be empty for %s", BeforeContainment)
		case o.ID == BeforeContainment:
		case o.Finding == "":
			ck.addf(f, e, "finding", "empty: name the finding the evidence serves")
		default:
			if _, ok := c.Finding(o.Finding); !ok {
				ck.addf(f, e, "finding", "finding %q is not in %s", o.Finding, fileHandling)
			}
			if served[o.Finding] {
				ck.addf(f, e, "finding", "finding %q already has an objective", o.Finding)
			}
			served[o.Finding] = true
		}
		ck.text(f, e, "name", o.Name)
		ck.text(f, e, "description", o.Description)
		if len(o.Collect) == 0 {
			ck.addf(f, e, "collect", "empty")
		}
		for j, x := range o.Collect {
			field := fmt.Sprintf("collect[%d]", j)
			if _, ok := c.EvidenceSource(x.Source); !ok {
				ck.addf(f, e, field+".source", "source %q is not in sources", x.Source)
			}
			if slices.ContainsFunc(o.Collect[:j], func(y Collect) bool { return y.Source == x.Source }) {
				ck.addf(f, e, field+".source", "source %q listed twice", x.Source)
			}
			ck.text(f, e, field+".why", x.Why)
		}
	}
	for _, x := range c.findings {
		if !served[x.ID] {
			ck.addf(f, x.ID, "objectives", "no objective serves finding %q", x.ID)
		}
	}
}

// listFiles reads the zone files of l into its set.
func (ck *checker) listFiles(fsys fs.FS, l *List) {
	var zones []string
	for j, lf := range l.Files {
		z, err := readZones(fsys, lf.Path)
		if err != nil {
			ck.addf(fileLists, l.ID, fmt.Sprintf("files[%d]", j), "%v", err)
			continue
		}
		zones = append(zones, z...)
	}
	l.zones = NewDomainSet(zones...)
}

func (ck *checker) listsDoc(c *Catalog) {
	const f = fileLists
	names := ck.ids(f, ids(c.lists, func(l *List) string { return l.ID }))
	for i, l := range c.lists {
		ck.text(f, names[i], "title", l.Title)
		ck.text(f, names[i], "description", l.Description)
		if len(l.Files) == 0 {
			ck.addf(f, names[i], "files", "empty")
		}
		for j, lf := range l.Files {
			field := fmt.Sprintf("files[%d]", j)
			if lf.Origin == "" {
				ck.addf(f, names[i], field+".origin", "empty")
			}
			if lf.Licence == "" {
				ck.addf(f, names[i], field+".licence", "empty")
			}
		}
	}
}
