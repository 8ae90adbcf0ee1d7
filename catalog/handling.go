package catalog

// HandlingPhase is one of the seven phases of incident handling (A–G):
// from detecting and reporting the event to planning measures against
// recurrence.
type HandlingPhase struct {
	ID      string `yaml:"id"` // "A" … "G"
	Name    Text   `yaml:"name"`
	Purpose Text   `yaml:"purpose"` // what the phase is for, from the seed
}

// Role is one of the six parties that work together in incident handling.
type Role struct {
	ID          string `yaml:"id"` // "user", "it-admin", "dept-admin", "security-officer", "external", "isp"
	Name        Text   `yaml:"name"`
	Description Text   `yaml:"description"`
}

// Part is what one role does in one handling phase: a short checklist, or
// NoPart saying why the role has nothing to do in that phase.
type Part struct {
	Phase   string   `yaml:"phase"`
	Role    string   `yaml:"role"`
	Actions []Action `yaml:"actions"`
	NoPart  Text     `yaml:"no_part"`
}

// Action is one checklist item of a Part. Its ID ("C.it-admin.contain")
// starts with the phase and role and is stable, so that an incident can
// record which items were done.
type Action struct {
	ID      string `yaml:"id"`
	Do      Text   `yaml:"do"`
	Inputs  []Text `yaml:"inputs"`  // what the action needs
	Outputs []Text `yaml:"outputs"` // what it produces, for whom
}

// PlanningStep is one of the five steps of incident-response planning
// (①–⑤), done before any incident.
type PlanningStep struct {
	Number      int    `yaml:"number"` // 1 to 5
	Name        Text   `yaml:"name"`
	Description Text   `yaml:"description"`
	Items       []Text `yaml:"items"` // the seed's 項目 for the step
}

// Finding is one of the four kinds of information a full investigation
// establishes (侵入経路情報, 拡散元／拡散先情報, 流出経路／流出情報,
// 復旧必要情報); the incident report is organised by them.
type Finding struct {
	ID          string `yaml:"id"` // "intrusion-route", "spread", "exfiltration", "recovery"
	Name        Text   `yaml:"name"`
	Description Text   `yaml:"description"`
	// Questions are what the finding must answer: from where, to where,
	// how (and what, for exfiltration).
	Questions []Text `yaml:"questions"`
}

// The ids of the six incident-handling roles.
const (
	RoleUser            = "user"             // 利用者
	RoleITAdmin         = "it-admin"         // LAN管理・運用者（情報システム部門）
	RoleDeptAdmin       = "dept-admin"       // LAN管理・運用者（各事業部門）
	RoleSecurityOfficer = "security-officer" // 情報セキュリティ責任者
	RoleExternal        = "external"         // 外部専門組織
	RoleISP             = "isp"              // ISP事業者
)

// The ids of the four full-investigation findings.
const (
	FindingIntrusionRoute = "intrusion-route" // 侵入経路情報
	FindingSpread         = "spread"          // 拡散元／拡散先情報
	FindingExfiltration   = "exfiltration"    // 流出経路／流出情報
	FindingRecovery       = "recovery"        // 復旧必要情報
)

var (
	handlingPhaseIDs = []string{"A", "B", "C", "D", "E", "F", "G"}
	roleIDs          = []string{RoleUser, RoleITAdmin, RoleDeptAdmin, RoleSecurityOfficer, RoleExternal, RoleISP}
	findingIDs       = []string{FindingIntrusionRoute, FindingSpread, FindingExfiltration, FindingRecovery}
)
