package catalog

import "github.com/mamori-soc/mamori/alert"

// Perspective describes one of the three analysis perspectives of the
// defence model (照合分析, 統計分析, 複合分析). ID is the value alerts carry.
type Perspective struct {
	ID          alert.Perspective `yaml:"id"`
	Name        Text              `yaml:"name"`
	Question    Text              `yaml:"question"` // what the perspective asks of an event, in one line
	Description Text              `yaml:"description"`
}

// Basis describes what a rule compares against: known targeted attacks or
// the organisation's normal business. ID is the value alerts carry.
type Basis struct {
	ID          alert.Basis `yaml:"id"`
	Name        Text        `yaml:"name"`
	Description Text        `yaml:"description"`
}

// View is one perspective applied on one basis: a cell of the seed's
// detection table ("照合分析 × 既知の標的型攻撃関連事象との一致"), with the
// information the seed lists for it.
type View struct {
	Perspective alert.Perspective `yaml:"perspective"`
	Basis       alert.Basis       `yaml:"basis"`
	Name        Text              `yaml:"name"`
	Description Text              `yaml:"description"`
	Indicators  []Text            `yaml:"indicators"` // 分析に利用する情報等
}
