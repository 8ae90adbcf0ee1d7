package catalog

import "testing"

func TestLoadEmbedded(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules()) != 30 {
		t.Fatalf("rules: %d", len(c.Rules()))
	}
}
