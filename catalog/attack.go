package catalog

// Phase is one of the six phases of a targeted attack (DESIGN §2.1). Every
// detection rule is tagged with the phase it usually reveals.
type Phase struct {
	Number      int    `yaml:"number"` // 1 to 6
	Short       Text   `yaml:"short"`  // a word or two for narrow columns: "C2" / "C2通信"
	Name        Text   `yaml:"name"`   // the seed's name: ⑤ "C2ホストとの積極的な通信"
	Description Text   `yaml:"description"`
	Examples    []Text `yaml:"examples"` // the seed's examples of attacks in this phase
}

// Route is a way an attack gets in (攻撃経路): targeted mail, drive-by
// download, tampered software, USB media, vendors' equipment, cloud services.
type Route struct {
	ID          string `yaml:"id"`
	Name        Text   `yaml:"name"`
	Description Text   `yaml:"description"`
}

// Technique is a MITRE ATT&CK (Enterprise) technique or sub-technique that
// rules refer to. Name is ATT&CK's own English name, which ATT&CK does not
// translate.
type Technique struct {
	ID      string   `yaml:"id"`      // "T1071.001"
	Name    string   `yaml:"name"`    // "Application Layer Protocol: Web Protocols"
	Tactics []string `yaml:"tactics"` // ATT&CK tactic short names: "command-and-control"
}

// tactics are the ATT&CK Enterprise tactics by their short names.
var tactics = []string{
	"reconnaissance", "resource-development", "initial-access", "execution",
	"persistence", "privilege-escalation", "defense-evasion",
	"credential-access", "discovery", "lateral-movement", "collection",
	"command-and-control", "exfiltration", "impact",
}
