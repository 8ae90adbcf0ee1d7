package catalog

// Target is what a containment measure acts on (効果を及ぼす対象).
type Target string

// The four targets of containment measures.
const (
	TargetAccount  Target = "account"  // a user account
	TargetEndpoint Target = "endpoint" // one machine (EP)
	TargetSegment  Target = "segment"  // a network segment and everything in it
	TargetService  Target = "service"  // a service the organisation runs
)

// TargetInfo names and explains a Target.
type TargetInfo struct {
	ID          Target `yaml:"id"`
	Name        Text   `yaml:"name"`
	Description Text   `yaml:"description"`
}

// EvidenceClass says what a measure does to evidence, from harmless to
// worst. The data explains each class (Scales.Evidence).
type EvidenceClass string

// The evidence classes.
const (
	EvidenceKept EvidenceClass = "none"          // evidence stays as it is
	VolatileLost EvidenceClass = "volatile-lost" // memory, processes or live connections are lost
	HistoryLost  EvidenceClass = "history-lost"  // records of past activity are destroyed
	DiskLost     EvidenceClass = "disk-lost"     // the disk contents are destroyed or rewritten
)

// Reversibility says whether a measure can be undone.
type Reversibility string

// The reversibility values.
const (
	Reversible       Reversibility = "yes"    // undoing it restores the situation before
	PartlyReversible Reversibility = "partly" // it can be undone, but something is lost for good
	Irreversible     Reversibility = "no"     // it cannot be undone
)

// Measure is one containment measure (暫定対処策): an interim action taken
// before the cause is known, rated for what it protects, what it costs and
// what it does to evidence, so that the person choosing sees the trade-off
// before anything runs.
type Measure struct {
	ID          string // "endpoint.block-ip"
	Target      Target
	Title       Text
	Description Text
	// Protects rates how much the measure protects confidentiality,
	// integrity and availability against the attack (Scales.Protection).
	Protects CIA
	// Cost is what the measure takes from the business.
	Cost Cost
	// Evidence is what the measure does to evidence.
	Evidence EvidenceEffect
	// Reversible says whether the measure can be undone, Undo how.
	Reversible Reversibility
	Undo       Text
	// Params are the values the measure needs, in the order to ask for them.
	Params []Param
	// Rationale explains the ratings in one line.
	Rationale Text
	// Manual are step-by-step instructions for doing it by hand.
	Manual []Text
	// Actuator is an example of doing it by command on a typical Linux
	// small-office gateway; nil when there is no sensible one. It is
	// documentation: mamori's catalog never runs it.
	Actuator *Actuator
}

// CIA holds one rating each for confidentiality, integrity and
// availability.
type CIA struct {
	C, I, A int
}

// Cost is what a measure costs the business.
type Cost struct {
	Availability int  // Scales.Cost level
	Affected     Text // who loses what: "the user", "everyone in the segment"
}

// EvidenceEffect is what a measure does to evidence.
type EvidenceEffect struct {
	Class EvidenceClass
	// ExportFirst says to export the evidence bundle (and collect the
	// volatile data of the BeforeContainment objective) before applying the
	// measure.
	ExportFirst bool
	Note        Text // what exactly is lost or changed
}

// Param is a value a measure needs.
type Param struct {
	Name     string    `yaml:"name"` // placeholder name in templates: {{name}}
	Kind     ParamKind `yaml:"kind"`
	Required bool      `yaml:"required"`
	Label    Text      `yaml:"label"` // what to enter: "destination address to block"
}

// Required returns the kinds of the measure's required parameters.
func (m *Measure) Required() []ParamKind {
	var ks []ParamKind
	for _, p := range m.Params {
		if p.Required {
			ks = append(ks, p.Kind)
		}
	}
	return ks
}

// Actuator is an example of carrying a measure out by command.
type Actuator struct {
	Note     Text      `yaml:"note"`     // what the commands assume and do
	Commands []Command `yaml:"commands"` // run in order
	Undo     []Command `yaml:"undo"`     // reverse them; empty when there is no undo
}

// Scales defines the rating scales and value sets measures are rated on,
// once, in the data.
type Scales struct {
	Protection    []Level             `yaml:"protection"` // for CIA ratings
	Cost          []Level             `yaml:"cost"`       // for Cost.Availability
	Evidence      []ClassInfo         `yaml:"evidence"`
	Reversibility []ReversibilityInfo `yaml:"reversibility"`
}

// Level is one step of a rating scale.
type Level struct {
	Level       int  `yaml:"level"`
	Name        Text `yaml:"name"`
	Description Text `yaml:"description"`
}

// ClassInfo names and explains an EvidenceClass.
type ClassInfo struct {
	Class       EvidenceClass `yaml:"class"`
	Name        Text          `yaml:"name"`
	Description Text          `yaml:"description"`
}

// ReversibilityInfo names and explains a Reversibility value.
type ReversibilityInfo struct {
	Value       Reversibility `yaml:"value"`
	Name        Text          `yaml:"name"`
	Description Text          `yaml:"description"`
}

// Gateway describes the small-office gateway set-up the actuator examples
// assume.
type Gateway struct {
	Description Text   `yaml:"description"`
	Setup       string `yaml:"setup"` // configuration to install once (nftables, dnsmasq, Squid)
}

// measureDoc is a measure as written in measures.yaml. Ratings and flags are
// pointers so that a missing one is told apart from a zero.
type measureDoc struct {
	ID          string `yaml:"id"`
	Target      Target `yaml:"target"`
	Title       Text   `yaml:"title"`
	Description Text   `yaml:"description"`
	Protects    struct {
		C *int `yaml:"c"`
		I *int `yaml:"i"`
		A *int `yaml:"a"`
	} `yaml:"protects"`
	Cost struct {
		Availability *int `yaml:"availability"`
		Affected     Text `yaml:"affected"`
	} `yaml:"cost"`
	Evidence struct {
		Class       EvidenceClass `yaml:"class"`
		ExportFirst *bool         `yaml:"export_first"`
		Note        Text          `yaml:"note"`
	} `yaml:"evidence"`
	Reversible Reversibility `yaml:"reversible"`
	Undo       Text          `yaml:"undo"`
	Params     []Param       `yaml:"params"`
	Rationale  Text          `yaml:"rationale"`
	Manual     []Text        `yaml:"manual"`
	Actuator   *Actuator     `yaml:"actuator"`
}
