package config

import (
	"os"
	"strings"
	"testing"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/containment"
)

// TestREADMEConfiguration keeps the README's configuration reference
// valid: it parses, and its actuators pass the checks mamori makes at
// start-up.
func TestREADMEConfiguration(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "## Configuration")
	_, block, ok2 := strings.Cut(after, "```yaml\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("no yaml block under ## Configuration in the README")
	}
	c, err := Parse([]byte(block))
	if err != nil {
		t.Fatalf("the README's configuration does not parse: %v", err)
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := containment.CheckActuators(cat, c.Actuators); err != nil {
		t.Fatalf("the README's actuators are refused: %v", err)
	}
	if len(c.Actuators) < 3 {
		t.Errorf("the README shows %d actuators", len(c.Actuators))
	}
}
