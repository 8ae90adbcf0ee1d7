package catalog

// EvidenceSource is a log or a piece of volatile data worth preserving
// (the seed's システムロガー一覧（証拠保全）).
type EvidenceSource struct {
	ID          string `yaml:"id"` // "proxy", "memory", ...
	Volatile    bool   `yaml:"volatile"`
	Name        Text   `yaml:"name"`
	Description Text   `yaml:"description"` // what it shows that matters
	// Formats are mamori format names that read it; empty when mamori does
	// not read the source (memory images, mail server logs).
	Formats []string `yaml:"formats"`
}

// BeforeContainment is the id of the objective of preserving evidence
// before any containment measure changes the scene.
const BeforeContainment = "before-containment"

// Objective is a purpose evidence is preserved for: one per full
// investigation finding, plus BeforeContainment.
type Objective struct {
	ID          string `yaml:"id"`
	Finding     string `yaml:"finding"` // the Finding it serves; empty for BeforeContainment
	Name        Text   `yaml:"name"`
	Description Text   `yaml:"description"`
	// Collect lists what to preserve, in the order to collect it: most
	// volatile first.
	Collect []Collect `yaml:"collect"`
}

// Collect is one source to preserve for an objective, and why.
type Collect struct {
	Source string `yaml:"source"` // an EvidenceSource id
	Why    Text   `yaml:"why"`
}
