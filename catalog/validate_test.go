package catalog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// embeddedFS returns a writable copy of the embedded catalog files.
func embeddedFS(t *testing.T) fstest.MapFS {
	t.Helper()
	root, err := fs.Sub(embedded, "data")
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	err = fs.WalkDir(root, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, path)
		m[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// edit replaces the first old after anchor in file with new; with until
// set, it replaces the span from old up to (not including) the next until.
// It fails the test when anything is missing, so that a case cannot pass by
// editing nothing.
type edit struct {
	file, anchor, old, new string
	until                  string
}

func (e edit) apply(t *testing.T, m fstest.MapFS) {
	t.Helper()
	f, ok := m[e.file]
	if !ok {
		t.Fatalf("no file %s", e.file)
	}
	s := string(f.Data)
	i := strings.Index(s, e.anchor)
	if i < 0 {
		t.Fatalf("%s: anchor %q not found", e.file, e.anchor)
	}
	j := strings.Index(s[i:], e.old)
	if j < 0 {
		t.Fatalf("%s: %q not found after %q", e.file, e.old, e.anchor)
	}
	j += i
	end := j + len(e.old)
	if e.until != "" {
		k := strings.Index(s[j:], e.until)
		if k < 0 {
			t.Fatalf("%s: %q not found after %q", e.file, e.until, e.old)
		}
		end = j + k
	}
	m[e.file] = &fstest.MapFile{Data: []byte(s[:j] + e.new + s[end:])}
}

// shrinkLists replaces the 36,000-zone MISP dynamic-DNS list with a few
// zones: the validation cases parse the catalog once each, and the list
// itself is tested on the embedded catalog.
func shrinkLists(t *testing.T, m fstest.MapFS) {
	t.Helper()
	const path = "lists/dynamic-dns-misp.txt.gz"
	if _, ok := m[path]; !ok {
		t.Fatalf("no %s", path)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte("# test\n.duckdns.org\n0x.no\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	m[path] = &fstest.MapFile{Data: b.Bytes()}
}

func TestParseEmbeddedCopy(t *testing.T) {
	if _, err := Parse(embeddedFS(t)); err != nil {
		t.Fatal(err)
	}
}

// TestValidation breaks the embedded catalog in one way per case and checks
// that Parse rejects it with an error naming the file, the entry and the
// field.
func TestValidation(t *testing.T) {
	const (
		rules    = fileRules
		measures = fileMeasures
		handling = fileHandling
		evidence = fileEvidence
	)
	tests := map[string]struct {
		edits []edit
		want  []string // substrings of one error message
	}{
		// YAML shape
		"unknown field": {
			edits: []edit{{rules, "id: N-PORT", "    title:", "    titel:", ""}},
			want:  []string{"rules.yaml", "field titel not found"},
		},
		"duplicate key": {
			edits: []edit{{rules, "id: N-PORT", "    severity: low", "    severity: low\n    severity: high", ""}},
			want:  []string{"rules.yaml", "already defined"},
		},
		"missing file": {
			edits: nil, // see the special case below
			want:  []string{"evidence.yaml"},
		},
		// phases.yaml
		"phase missing": {
			edits: []edit{{filePhases, "  - number: 6", "number: 6", "number: 7", ""}},
			want:  []string{"phases.yaml", "phases", "got 1, 2, 3, 4, 5, 7"},
		},
		"phase name ja empty": {
			edits: []edit{{filePhases, "  - number: 3", "ja: ターゲット内における足場固め", "ja: \"\"", ""}},
			want:  []string{"phases.yaml", "phase 3", "name.ja", "empty"},
		},
		"phase without examples": {
			edits: []edit{{filePhases, "  - number: 1", "    examples:\n      - en: Social engineering\n        ja: ソーシャルエンジニアリング\n      - en: Penetration testing of public hosts\n        ja: 公開ホストに対するペネトレーションテスト\n", "", ""}},
			want:  []string{"phases.yaml", "phase 1", "examples", "empty"},
		},
		"route duplicate": {
			edits: []edit{{filePhases, "  - id: usb", "id: usb", "id: targeted-mail", ""}},
			want:  []string{"phases.yaml", "targeted-mail", "id", "duplicate"},
		},
		"folded Japanese": {
			edits: []edit{{filePhases, "  - number: 2", "ja: ターゲットに対するマルウェアの入込み", "ja: ターゲットに対する マルウェアの入込み", ""}},
			want:  []string{"phases.yaml", "phase 2", "name.ja", "space between Japanese characters"},
		},
		// attack.yaml
		"technique id malformed": {
			edits: []edit{{fileAttack, "  - id: T1090\n", "id: T1090", "id: T109", ""}},
			want:  []string{"attack.yaml", "T109", "id", "not an ATT&CK technique id"},
		},
		"unknown tactic": {
			edits: []edit{{fileAttack, "  - id: T1090\n", "[command-and-control]", "[command-and-conquer]", ""}},
			want:  []string{"attack.yaml", "T1090", "tactics[0]", "unknown tactic"},
		},
		// analysis.yaml
		"perspective missing": {
			edits: []edit{{fileAnalysis, "  - id: composite", "id: composite", "id: compound", ""}},
			want:  []string{"analysis.yaml", "perspectives", "want matching, statistical, composite"},
		},
		"view indicators empty": {
			edits: []edit{{file: fileAnalysis, anchor: "en: Progress along", old: "    indicators:\n      - en: Alerts of one endpoint ordered by attack phase (①–⑥)\n        ja: 同一エンドポイントのアラートの攻撃フェーズ（①～⑥）順の並び", new: "    indicators: []"}},
			want:  []string{"analysis.yaml", "composite/known-attack", "indicators", "empty"},
		},
		"rule without view": {
			edits: []edit{{fileAnalysis, "    basis: known-attack\n    name:\n      en: Progress along", "basis: known-attack", "basis: normal-business", ""}},
			want:  []string{"rules.yaml", "C-KILLCHAIN", "basis", "no view in analysis.yaml for composite/known-attack"},
		},
		// rules.yaml
		"rule id duplicate": {
			edits: []edit{{rules, "  - id: N-PORT", "id: N-PORT", "id: N-APP", ""}},
			want:  []string{"rules.yaml", "N-APP", "id", "duplicate"},
		},
		"rule id malformed": {
			edits: []edit{{rules, "  - id: N-PORT", "id: N-PORT", "id: n-port", ""}},
			want:  []string{"rules.yaml", "n-port", "id", "upper-case"},
		},
		"rule prefix contradicts perspective": {
			edits: []edit{{rules, "  - id: N-PORT", "perspective: matching", "perspective: statistical", ""}},
			want:  []string{"rules.yaml", "N-PORT", "perspective", "prefix N- says matching"},
		},
		"rule perspective unknown": {
			edits: []edit{{rules, "  - id: S-BEACON", "perspective: statistical", "perspective: guesswork", ""}},
			want:  []string{"rules.yaml", "S-BEACON", "perspective", "unknown perspective"},
		},
		"rule basis unknown": {
			edits: []edit{{rules, "  - id: N-PORT", "basis: normal-business", "basis: hunch", ""}},
			want:  []string{"rules.yaml", "N-PORT", "basis", "unknown basis"},
		},
		"rule phase out of range": {
			edits: []edit{{rules, "  - id: N-PORT", "phase: 5", "phase: 7", ""}},
			want:  []string{"rules.yaml", "N-PORT", "phase", "7 is not an attack phase"},
		},
		"rule also_phases repeats phase": {
			edits: []edit{{rules, "  - id: N-PORT", "also_phases: [6]", "also_phases: [5]", ""}},
			want:  []string{"rules.yaml", "N-PORT", "also_phases[0]", "listed twice"},
		},
		"rule technique unknown": {
			edits: []edit{{rules, "  - id: N-PORT", "[T1571, T1095]", "[T1571, T1999]", ""}},
			want:  []string{"rules.yaml", "N-PORT", "attack[1]", "T1999"},
		},
		"rule without techniques": {
			edits: []edit{{rules, "  - id: N-PORT", "[T1571, T1095]", "[]", ""}},
			want:  []string{"rules.yaml", "N-PORT", "attack", "empty"},
		},
		"rule severity missing": {
			edits: []edit{{rules, "  - id: N-PORT", "    severity: low\n", "", ""}},
			want:  []string{"rules.yaml", "N-PORT", "severity", "missing"},
		},
		"rule severity unknown": {
			edits: []edit{{rules, "  - id: N-PORT", "severity: low", "severity: dire", ""}},
			want:  []string{"rules.yaml", "unknown severity"},
		},
		"rule title ja missing": {
			edits: []edit{{rules, "  - id: N-PORT", "      ja: 通常と異なる通信先ポート番号\n", "", ""}},
			want:  []string{"rules.yaml", "N-PORT", "title.ja", "empty"},
		},
		"rule description missing": {
			edits: []edit{{file: rules, anchor: "  - id: N-PORT", old: "    description:", until: "    check:"}},
			want:  []string{"rules.yaml", "N-PORT", "description.en", "empty"},
		},
		"rule check en empty": {
			edits: []edit{{file: rules, anchor: "  - id: N-PORT", old: "    check:\n      en: >-", new: "    check:\n      en: \"\"\n", until: "      ja:"}},
			want:  []string{"rules.yaml", "N-PORT", "check.en", "empty"},
		},
		"rule sources empty": {
			edits: []edit{{rules, "  - id: N-PORT", "    sources:\n      - kind: connection\n        formats: [netfilter, zeek-conn, suricata]\n", "    sources: []\n", ""}},
			want:  []string{"rules.yaml", "N-PORT", "sources", "empty"},
		},
		"rule source kind unknown": {
			edits: []edit{{rules, "  - id: N-PORT", "- kind: connection", "- kind: flows", ""}},
			want:  []string{"rules.yaml", "N-PORT", "sources[0].kind", "neither an event kind"},
		},
		"rule source without formats": {
			edits: []edit{{rules, "  - id: N-PORT", "formats: [netfilter, zeek-conn, suricata]", "formats: []", ""}},
			want:  []string{"rules.yaml", "N-PORT", "sources[0].formats", "empty"},
		},
		"matching rule reading alerts": {
			edits: []edit{{rules, "  - id: N-PORT", "- kind: connection\n        formats: [netfilter, zeek-conn, suricata]", "- kind: alert", ""}},
			want:  []string{"rules.yaml", "N-PORT", "sources[0].kind", "only composite rules read alerts"},
		},
		"composite rule reading events": {
			edits: []edit{{rules, "  - id: C-SAME-EP", "- kind: alert", "- kind: dns\n        formats: [dnsmasq]", ""}},
			want:  []string{"rules.yaml", "C-SAME-EP", "sources[0].kind", "composite rules read alerts"},
		},
		"rule list unknown": {
			edits: []edit{{rules, "  - id: M-DDNS", "lists: [dynamic-dns]", "lists: [dyndns]", ""}},
			want:  []string{"rules.yaml", "M-DDNS", "lists[0]", "dyndns"},
		},
		"rule measure unknown": {
			edits: []edit{{rules, "  - id: N-PORT", "endpoint.block-dest-port,", "endpoint.block-port,", ""}},
			want:  []string{"rules.yaml", "N-PORT", "measures[0]", "endpoint.block-port"},
		},
		"rule measure twice": {
			edits: []edit{{rules, "  - id: N-PORT", "segment.block-port,", "endpoint.block-dest-port,", ""}},
			want:  []string{"rules.yaml", "N-PORT", "measures[1]", "listed twice"},
		},
		"rule without measures": {
			edits: []edit{{rules, "  - id: N-PORT", "measures: [endpoint.block-dest-port, segment.block-port, endpoint.raise-sensitivity]", "measures: []", ""}},
			want:  []string{"rules.yaml", "N-PORT", "measures", "empty"},
		},
		// handling.yaml
		"handling phase missing": {
			edits: []edit{{handling, "  - id: G\n", "id: G", "id: H", ""}},
			want:  []string{"handling.yaml", "phases", "want A, B, C, D, E, F, G"},
		},
		"role missing": {
			edits: []edit{{handling, "  - id: isp\n", "id: isp", "id: carrier", ""}},
			want:  []string{"handling.yaml", "roles", "want user, it-admin"},
		},
		"part missing": {
			edits: []edit{{handling, "  - phase: F\n    role: isp\n", "role: isp", "role: user", ""}},
			want:  []string{"handling.yaml", "F/isp", "parts", "missing"},
		},
		"part with both actions and no_part": {
			edits: []edit{{handling, "  - phase: G\n    role: isp\n", "    actions:", "    no_part:\n      en: none\n      ja: なし\n    actions:", ""}},
			want:  []string{"handling.yaml", "G/isp", "no_part", "set although"},
		},
		"part without actions or reason": {
			edits: []edit{{handling, "  - phase: F\n    role: isp\n", "    no_part:\n      en: The ISP has no part in the analysis; its records were provided in the investigation.\n      ja: ISP事業者は分析には加わらない。必要な記録は調査の段階で提供済みである。\n", "", ""}},
			want:  []string{"handling.yaml", "F/isp", "actions", "give actions, or no_part"},
		},
		"action id of another part": {
			edits: []edit{{handling, "  - phase: C\n    role: isp\n", "id: C.isp.filter", "id: C.it-admin.filter", ""}},
			want:  []string{"handling.yaml", "C/isp", "actions[0].id", "want C.isp.<name>"},
		},
		"action id duplicate": {
			edits: []edit{{handling, "  - phase: C\n    role: it-admin\n", "id: C.it-admin.verify", "id: C.it-admin.contain", ""}},
			want:  []string{"handling.yaml", "C/it-admin", "actions[2].id", "duplicate"},
		},
		"action without outputs": {
			edits: []edit{{handling, "id: A.isp.notify", "        outputs:\n          - en: \"A notice to the subscriber: time, source address, destination, kind of traffic\"\n            ja: 契約者への通知（時刻、送信元アドレス、宛先、通信の種類）\n", "", ""}},
			want:  []string{"handling.yaml", "A/isp", "actions[0].outputs", "empty"},
		},
		"planning step missing": {
			edits: []edit{{handling, "planning:", "  - number: 5", "  - number: 6", ""}},
			want:  []string{"handling.yaml", "planning", "want 1, 2, 3, 4, 5"},
		},
		"finding missing": {
			edits: []edit{{handling, "findings:", "  - id: recovery", "  - id: restore", ""}},
			want:  []string{"handling.yaml", "findings", "want intrusion-route, spread, exfiltration, recovery"},
		},
		// measures.yaml
		"measure rating missing": {
			edits: []edit{{measures, "  - id: account.disable", "protects: {c: 3, i: 2, a: 1}", "protects: {c: 3, a: 1}", ""}},
			want:  []string{"measures.yaml", "account.disable", "protects.i", "missing rating"},
		},
		"measure rating outside scale": {
			edits: []edit{{measures, "  - id: account.disable", "protects: {c: 3, i: 2, a: 1}", "protects: {c: 4, i: 2, a: 1}", ""}},
			want:  []string{"measures.yaml", "account.disable", "protects.c", "outside the scale 0–3"},
		},
		"measure cost missing": {
			edits: []edit{{measures, "  - id: account.disable", "      availability: 2\n", "", ""}},
			want:  []string{"measures.yaml", "account.disable", "cost.availability", "missing rating"},
		},
		"measure export_first missing": {
			edits: []edit{{measures, "  - id: account.disable", "      export_first: false\n", "", ""}},
			want:  []string{"measures.yaml", "account.disable", "evidence.export_first", "missing"},
		},
		"measure loses evidence without export": {
			edits: []edit{{measures, "  - id: endpoint.power-off", "export_first: true", "export_first: false", ""}},
			want:  []string{"measures.yaml", "endpoint.power-off", "evidence.export_first", "loses evidence"},
		},
		"measure evidence class unknown": {
			edits: []edit{{measures, "  - id: account.disable", "class: none", "class: some", ""}},
			want:  []string{"measures.yaml", "account.disable", "evidence.class", "unknown evidence class"},
		},
		"measure reversibility unknown": {
			edits: []edit{{measures, "  - id: account.disable", "reversible: \"yes\"", "reversible: maybe", ""}},
			want:  []string{"measures.yaml", "account.disable", "reversible", "want yes, partly or no"},
		},
		"measure rationale missing": {
			edits: []edit{{file: measures, anchor: "  - id: account.disable", old: "    rationale:", until: "    manual:"}},
			want:  []string{"measures.yaml", "account.disable", "rationale.en", "empty"},
		},
		"measure rationale ja empty": {
			edits: []edit{{measures, "  - id: account.disable", "      ja: アカウントのあらゆる利用を即座に止め履歴も残るが、利用者の業務とそのアカウントで動くものが止まる。\n", "", ""}},
			want:  []string{"measures.yaml", "account.disable", "rationale.ja", "empty"},
		},
		"measure id of another target": {
			edits: []edit{{measures, "  - id: account.disable", "target: account", "target: endpoint", ""}},
			want:  []string{"measures.yaml", "account.disable", "id", "endpoint."},
		},
		"measure target unknown": {
			edits: []edit{{measures, "  - id: account.disable", "id: account.disable\n    target: account", "id: person.disable\n    target: person", ""}},
			want:  []string{"measures.yaml", "person.disable", "target", "unknown target"},
		},
		"measure without required parameter": {
			edits: []edit{{measures, "  - id: account.disable", "required: true", "required: false", ""}},
			want:  []string{"measures.yaml", "account.disable", "params", "no required parameter"},
		},
		"measure parameter kind unknown": {
			edits: []edit{{measures, "  - id: account.disable", "kind: user", "kind: person", ""}},
			want:  []string{"measures.yaml", "account.disable", "params[0].kind", "unknown parameter kind"},
		},
		"measure parameter name duplicate": {
			edits: []edit{{measures, "  - id: endpoint.block-dest-ip", "- name: ip\n", "- name: endpoint\n", ""}},
			want:  []string{"measures.yaml", "endpoint.block-dest-ip", "params[1].name", "duplicate"},
		},
		"measure manual missing": {
			edits: []edit{{file: measures, anchor: "  - id: account.delete", old: "    manual:", until: "    actuator:"}},
			want:  []string{"measures.yaml", "account.delete", "manual", "empty"},
		},
		"placeholder names no parameter": {
			edits: []edit{{measures, "  - id: endpoint.block-ip", "{ {{ip}} }", "{ {{address}} }", ""}},
			want:  []string{"measures.yaml", "endpoint.block-ip", "actuator.commands[0]", "{{address}} names no parameter"},
		},
		"placeholder braces unbalanced": {
			edits: []edit{{measures, "  - id: segment.unplug", "\"{{segment}}\", down", "\"{{segment}\", down", ""}},
			want:  []string{"measures.yaml", "segment.unplug", "actuator.commands[0]", "unbalanced"},
		},
		"undo of an irreversible measure": {
			edits: []edit{{measures, "  - id: account.delete", "        - argv: [userdel, \"{{user}}\"]\n", "        - argv: [userdel, \"{{user}}\"]\n      undo:\n        - argv: [useradd, \"{{user}}\"]\n", ""}},
			want:  []string{"measures.yaml", "account.delete", "actuator.undo", "irreversible"},
		},
		"actuator without commands": {
			edits: []edit{{measures, "  - id: account.delete", "      commands:\n        - argv: [userdel, \"{{user}}\"]\n", "      commands: []\n", ""}},
			want:  []string{"measures.yaml", "account.delete", "actuator.commands", "empty"},
		},
		"scale levels out of order": {
			edits: []edit{{measures, "  cost:", "    - level: 1", "    - level: 2", ""}},
			want:  []string{"measures.yaml", "scales.cost", "in order"},
		},
		"evidence class missing from scale": {
			edits: []edit{{measures, "scales:", "    - class: disk-lost", "    - class: lost-at-sea", ""}},
			want:  []string{"measures.yaml", "scales.evidence", "want none, volatile-lost, history-lost, disk-lost"},
		},
		"target missing": {
			edits: []edit{{measures, "targets:", "  - id: service\n", "  - id: services\n", ""}},
			want:  []string{"measures.yaml", "targets", "want account, endpoint, segment, service"},
		},
		"parameter kind description missing": {
			edits: []edit{{measures, "param_kinds:", "  - kind: service\n", "  - kind: daemon\n", ""}},
			want:  []string{"measures.yaml", "param_kinds"},
		},
		"gateway setup empty": {
			edits: []edit{{file: measures, anchor: "gateway:", old: "  setup: |", new: "  setup: \"\"\n\n", until: "measures:"}},
			want:  []string{"measures.yaml", "gateway", "setup", "empty"},
		},
		// evidence.yaml
		"objective source unknown": {
			edits: []edit{{evidence, "  - id: spread\n", "- source: auth", "- source: authlog", ""}},
			want:  []string{"evidence.yaml", "spread", "collect[1].source", "authlog"},
		},
		"objective source twice": {
			edits: []edit{{evidence, "  - id: spread\n", "- source: auth", "- source: memory", ""}},
			want:  []string{"evidence.yaml", "spread", "collect[1].source", "listed twice"},
		},
		"before-containment missing": {
			edits: []edit{{evidence, "objectives:", "  - id: before-containment", "  - id: before", ""}},
			want:  []string{"evidence.yaml", "before-containment", "objectives", "missing"},
		},
		"finding without objective": {
			edits: []edit{{evidence, "  - id: recovery\n", "finding: recovery", "finding: spread", ""}},
			want:  []string{"evidence.yaml", "recovery", "objectives", "no objective serves finding"},
		},
		"objective for unknown finding": {
			edits: []edit{{evidence, "  - id: recovery\n", "finding: recovery", "finding: rebuild", ""}},
			want:  []string{"evidence.yaml", "recovery", "finding", "rebuild"},
		},
		// lists.yaml and list files
		"list file missing": {
			edits: []edit{{fileLists, "  - id: trusted-sites", "path: lists/trusted-sites-lots.txt", "path: lists/nothing.txt", ""}},
			want:  []string{"lists.yaml", "trusted-sites", "files[0]", "nothing.txt"},
		},
		"list origin empty": {
			edits: []edit{{file: fileLists, anchor: "  - id: trusted-sites", old: "origin: https://", new: "origin: \"\"", until: "\n"}},
			want:  []string{"lists.yaml", "trusted-sites", "files[0].origin", "empty"},
		},
		"list zone malformed": {
			edits: []edit{{"lists/trusted-sites-lots.txt", "", "\n000webhostapp.com\n", "\n000webhostapp.com\nbad_zone..example\n", ""}},
			want:  []string{"lists.yaml", "trusted-sites", "files[0]", "trusted-sites-lots.txt:5", "bad label"},
		},
		// services.yaml
		"service category unknown": {
			edits: []edit{{fileServices, "  - id: ntp", "category: ntp", "category: clocks", ""}},
			want:  []string{"services.yaml", "ntp", "category", "clocks"},
		},
		"service port malformed": {
			edits: []edit{{fileServices, "  - id: ntp", "ports: [udp/123]", "ports: [ntp/123]", ""}},
			want:  []string{"services.yaml", "ntp", "ports[0]", "not a port"},
		},
		"service address private": {
			edits: []edit{{fileServices, "  - id: public-dns", "      - 8.8.8.8\n", "      - 10.0.0.53\n", ""}},
			want:  []string{"services.yaml", "public-dns", "addresses[0]", "not a public address"},
		},
		"service zone malformed": {
			edits: []edit{{fileServices, "  - id: ntp", "      - pool.ntp.org\n", "      - pool..ntp.org\n", ""}},
			want:  []string{"services.yaml", "ntp", "zones[0]", "not a DNS zone"},
		},
		"service without references": {
			edits: []edit{{file: fileServices, anchor: "  - id: apple-update", old: "    references:\n", new: "", until: "\n\n"}},
			want:  []string{"services.yaml", "apple-update", "references", "empty"},
		},
		"service port claimed twice": {
			edits: []edit{{fileServices, "  - id: public-dns", "    zones: [dns.google", "    ports: [udp/123]\n    zones: [dns.google", ""}},
			want:  []string{"services.yaml", "public-dns", "ports[0]", "already ntp's"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := embeddedFS(t)
			shrinkLists(t, m)
			for _, e := range tc.edits {
				e.apply(t, m)
			}
			if name == "missing file" {
				delete(m, fileEvidence)
			}
			_, err := Parse(m)
			if err == nil {
				t.Fatal("Parse accepted broken data")
			}
			for _, msg := range messages(err) {
				if containsAll(msg, tc.want) {
					return
				}
			}
			t.Errorf("no error mentions all of %q; got:\n%v", tc.want, err)
		})
	}
}

// messages flattens a joined error into its messages.
func messages(err error) []string {
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, messages(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestValidationErrorType(t *testing.T) {
	m := embeddedFS(t)
	shrinkLists(t, m)
	edit{fileRules, "  - id: N-PORT", "phase: 5", "phase: 0", ""}.apply(t, m)
	_, err := Parse(m)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	want := ValidationError{File: fileRules, Entry: "N-PORT", Field: "phase", Problem: "0 is not an attack phase (1–6)"}
	if *ve != want {
		t.Errorf("got %+v, want %+v", *ve, want)
	}
}
