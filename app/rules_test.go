package app

import (
	"testing"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
)

// Every rule that learns a baseline says in the catalog how its learning
// resists an attacker active while it learns (`mamori rules ID` shows it).
func TestLearnedRulesDocumentTheirLearning(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	env := &detect.Env{Catalog: cat, Networks: asset.MustNetworks(asset.DefaultInternal...), Assets: asset.NewInventory(nil),
		Prevalence: detect.NewPrevalence(100), Location: time.UTC}
	env.Relays = detect.NewRelays(detect.DefaultRelayRoles, env)
	n := 0
	for _, f := range Factories() {
		if _, ok := f.New(detect.Params{}, env).(detect.Learner); !ok {
			continue
		}
		n++
		r, _ := cat.Rule(f.Rule)
		if r == nil || r.Learning.EN == "" || r.Learning.JA == "" {
			t.Errorf("%s learns a baseline, but its catalog entry has no learning text", f.Rule)
		}
	}
	if n < 17 {
		t.Errorf("%d learned rules: the factories changed?", n)
	}
}
