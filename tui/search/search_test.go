package search

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	fields := []string{"ep", "rule", "sev"}
	for name, c := range map[string]struct {
		in   string
		want []Term
	}{
		"words":          {"pc-006 beacon", []Term{{Value: "pc-006"}, {Value: "beacon"}}},
		"field":          {"ep:10.0.10.0/24", []Term{{Field: "ep", Op: ":", Value: "10.0.10.0/24"}}},
		"operator":       {"sev>=high", []Term{{Field: "sev", Op: ">=", Value: "high"}}},
		"field case":     {"Rule:S-BEACON", []Term{{Field: "rule", Op: ":", Value: "S-BEACON"}}},
		"inverted":       {"!beacon !ep:pc-003", []Term{{Not: true, Value: "beacon"}, {Not: true, Field: "ep", Op: ":", Value: "pc-003"}}},
		"unknown field":  {"cdn:8443", []Term{{Value: "cdn:8443"}}},
		"ipv6":           {"fe80::1", []Term{{Value: "fe80::1"}}},
		"quoted":         {`"lateral move" !"no dns"`, []Term{{Value: "lateral move"}, {Not: true, Value: "no dns"}}},
		"still typing":   {"ep: !", nil},
		"spaces":         {"  a   b ", []Term{{Value: "a"}, {Value: "b"}}},
		"value with ops": {"ep:a:b", []Term{{Field: "ep", Op: ":", Value: "a:b"}}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Parse(c.in, fields...).Terms; !reflect.DeepEqual(got, c.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", c.in, got, c.want)
			}
		})
	}
}

func TestRank(t *testing.T) {
	row := func(host, addr, rule, summary string) []Field {
		return []Field{{Text: host, Key: true}, {Text: addr, Key: true}, {Text: rule, Key: true}, {Text: summary}}
	}
	pc006 := row("pc-006", "10.0.10.6", "S-BEACON", "beacon every 300 s to cdn.duckdns.org")
	pc003 := row("pc-003", "10.0.10.3", "N-APP", "user agent seen on 1 of 20, first from 10.0.10.60")
	pc011 := row("pc-011", "10.0.10.11", "C-LATERAL", "logins to pc-006 after a beacon")
	for name, c := range map[string]struct {
		word   string
		fields []Field
		want   Tier
	}{
		"host exact":            {"pc-006", pc006, Exact},
		"host other case":       {"PC-006", pc006, Exact},
		"mentioned":             {"pc-006", pc011, Mention},
		"not a fuzzy neighbour": {"pc-006", pc003, None},
		"address exact":         {"10.0.10.6", pc006, Exact},
		"address in a longer":   {"10.0.10.6", pc003, Part},
		"network prefix":        {"10.0.10", pc006, Word},
		"rule word":             {"beacon", pc006, Word},
		"word in text":          {"beacon", pc011, Mention},
		"part of a host":        {"pc-00", pc003, Part},
		"domain suffix":         {"duckdns.org", pc006, Mention},
		"nothing":               {"zzz", pc006, None},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Rank(c.word, c.fields); got != c.want {
				t.Errorf("Rank(%q) = %d, want %d", c.word, got, c.want)
			}
		})
	}
	if _, ok := FuzzySpan("pc-006", pc003); ok {
		t.Error("pc-006 fuzzy-matches pc-003's fields: the letters come from different fields")
	}
	if span, ok := FuzzySpan("bcn", pc006); !ok || span != 5 {
		t.Errorf("FuzzySpan(bcn) = %d, %v; want the span of b..c..n in BEACON", span, ok)
	}
	if got := Cut(Exact); got != Mention {
		t.Errorf("Cut(Exact) = %d: mentions go with exact names", got)
	}
}

func TestHighlight(t *testing.T) {
	if got := Highlight("to pc-006, from PC-006", "pc-006", Mention); !reflect.DeepEqual(got, []int{3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21}) {
		t.Errorf("occurrences: %v", got)
	}
	if got := Highlight("端末 pc-006 へ", "pc-006", Mention); !reflect.DeepEqual(got, []int{3, 4, 5, 6, 7, 8}) {
		t.Errorf("rune positions after wide text: %v", got)
	}
	if got := Highlight("S-BEACON", "bcn", Fuzzy); !reflect.DeepEqual(got, []int{2, 5, 7}) {
		t.Errorf("fuzzy: %v", got)
	}
}
