package eval

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
)

// root is the repository root, where the sets' paths start.
const root = ".."

// TestSets checks every truth file: it parses, names only rules the
// catalog has, and every file it names exists (those under ../shared only
// when the development data is there), with the quoted sentence in it.
func TestSets(t *testing.T) {
	sets, err := LoadDir("sets")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	_, statErr := os.Stat(filepath.Join(root, "../shared/data"))
	haveShared := statErr == nil
	if !haveShared {
		t.Log("../shared/data is absent: its paths are not checked")
	}
	pinned := regexp.MustCompile(`^https://github\.com/[^/]+/[^/]+/blob/[0-9a-f]{40}/`)
	for _, s := range sets {
		t.Run(s.Name, func(t *testing.T) {
			if err := s.CheckRules(cat); err != nil {
				t.Error(err)
			}
			exists := func(what, p string) {
				t.Helper()
				if Shared(p) && !haveShared {
					return
				}
				if _, err := os.Stat(filepath.Join(root, p)); err != nil {
					t.Errorf("%s: %v", what, err)
				}
			}
			for _, l := range s.Locations {
				for _, p := range l.Paths {
					exists("location "+l.Name, p)
				}
				if !Shared(l.Paths[0]) && l.Name != "testdata" {
					t.Errorf("location %s is in the repository but not named testdata", l.Name)
				}
			}
			for _, alts := range s.Settings.IOC {
				for _, p := range alts {
					exists("ioc", p)
				}
			}
			sources := make([]Source, 0, len(s.Truths)+len(s.Benign))
			for _, tr := range s.Truths {
				sources = append(sources, tr.Source)
			}
			for _, b := range s.Benign {
				sources = append(sources, b.Source)
			}
			for _, src := range sources {
				if strings.HasPrefix(src.File, "https://") {
					if !pinned.MatchString(src.File) {
						t.Errorf("source %s: an upstream file must be named at a commit (…/blob/<40 hex>/…)", src.File)
					}
					continue
				}
				if Shared(src.File) && !haveShared {
					continue
				}
				b, err := os.ReadFile(filepath.Join(root, src.File))
				if err != nil {
					t.Errorf("source: %v", err)
					continue
				}
				if !strings.Contains(squash(string(b)), squash(src.Quote)) {
					t.Errorf("source %s does not say %q", src.File, src.Quote)
				}
			}
		})
	}
}

// squash folds runs of white space into one space (quotes are wrapped).
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestCheckRulesRejectsUnknownRules(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"S-NOPE", "Z-*", "S*", "*"} {
		s := &Set{Name: "x", Truths: []Truth{{ID: "t", Rules: []string{r}}}}
		if s.CheckRules(cat) == nil {
			t.Errorf("%q accepted", r)
		}
	}
	s := &Set{Name: "x", Truths: []Truth{{ID: "t", Rules: []string{"S-BEACON", "M-*", "C-KILLCHAIN"}}}}
	if err := s.CheckRules(cat); err != nil {
		t.Error(err)
	}
}

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// testSet has one truth of each shape and one benign destination.
func testSet() *Set {
	return &Set{
		Name: "hand-made",
		Truths: []Truth{
			{ID: "beacon", Endpoints: []string{"10.0.0.5"}, Peers: []string{"evil.example", "203.0.113.0/24"}, Rules: []string{"S-BEACON", "M-IOC-*"}},
			{ID: "psexec", Endpoints: []string{"10.0.0.7", "10.0.0.8"}, Rules: []string{"M-PSEXEC"}},
			{ID: "netgear", Endpoints: []string{"192.168.1.129"}, Rules: []string{"M-IDS"}, About: []string{"netgear"}},
			{ID: "burst", Endpoints: []string{"10.0.0.9"}, Rules: []string{"S-ERRORS"}, From: t0, To: t0.Add(time.Hour)},
			{ID: "paas", Peers: []string{"*.azurewebsites.net"}, Rules: []string{"N-*"}},
			{ID: "bf", Endpoints: []string{"LabSZ"}, Peers: []string{"187.141.143.180"}, Rules: []string{"S-ERRORS"}},
			{ID: "others", Endpoints: []string{"LabSZ"}, Rules: []string{"S-ERRORS"}, Optional: true},
		},
		Benign: []Benign{{What: "weather tile", Peers: []string{"tile.example.com"}}},
	}
}

func TestClassify(t *testing.T) {
	at := func(a alert.Alert) alert.Alert {
		if a.FirstSeen.IsZero() {
			a.FirstSeen, a.LastSeen = t0.Add(10*time.Minute), t0.Add(20*time.Minute)
		}
		return a
	}
	for name, tc := range map[string]struct {
		a      alert.Alert
		class  Class
		truths string
	}{
		"pair, peer with port":            {alert.Alert{Rule: "S-BEACON", Endpoint: "10.0.0.5", Peer: "evil.example:443"}, True, "beacon"},
		"pair, peer in network":           {alert.Alert{Rule: "M-IOC-IP", Endpoint: "10.0.0.5", Peer: "203.0.113.9"}, True, "beacon"},
		"pair, peer as URL":               {alert.Alert{Rule: "M-IOC-URL", Endpoint: "10.0.0.5", Peer: "http://EVIL.example/bin.sh"}, True, "beacon"},
		"pair, peer mapped IPv6":          {alert.Alert{Rule: "M-IOC-IP", Endpoint: "10.0.0.5", Peer: "[::ffff:203.0.113.5]:80"}, True, "beacon"},
		"pair, victim's other traffic":    {alert.Alert{Rule: "S-BEACON", Endpoint: "10.0.0.5", Peer: "update.example"}, Unexplained, ""},
		"rule not accepted":               {alert.Alert{Rule: "N-APP", Endpoint: "10.0.0.5", Peer: "evil.example"}, Unexplained, ""},
		"composite about the endpoint":    {alert.Alert{Rule: "C-KILLCHAIN", Endpoint: "10.0.0.5", Peer: "anything.example"}, True, "beacon"},
		"composite elsewhere":             {alert.Alert{Rule: "C-SAME-EP", Endpoint: "10.0.0.6"}, Unexplained, ""},
		"one side, endpoint":              {alert.Alert{Rule: "M-PSEXEC", Endpoint: "10.0.0.7", Peer: "10.0.0.200"}, True, "psexec"},
		"one side, peer":                  {alert.Alert{Rule: "M-PSEXEC", Endpoint: "10.0.0.99", Peer: "10.0.0.8"}, True, "psexec"},
		"about, mentioned":                {alert.Alert{Rule: "M-IDS", Endpoint: "192.168.1.129", Summary: "ET EXPLOIT Netgear DGN Remote Code Execution"}, True, "netgear"},
		"about, composite":                {alert.Alert{Rule: "C-SAME-EP", Endpoint: "192.168.1.129", Summary: "continuity"}, True, "netgear"},
		"about, not mentioned":            {alert.Alert{Rule: "M-IDS", Endpoint: "192.168.1.129", Summary: "ET SCAN Suspicious inbound to MSSQL port 1433"}, Unexplained, ""},
		"time inside":                     {alert.Alert{Rule: "S-ERRORS", Endpoint: "10.0.0.9"}, True, "burst"},
		"time after":                      {alert.Alert{Rule: "S-ERRORS", Endpoint: "10.0.0.9", FirstSeen: t0.Add(2 * time.Hour), LastSeen: t0.Add(3 * time.Hour)}, Unexplained, ""},
		"time before":                     {alert.Alert{Rule: "S-ERRORS", Endpoint: "10.0.0.9", FirstSeen: t0.Add(-3 * time.Hour), LastSeen: t0.Add(-time.Hour)}, Unexplained, ""},
		"name under a domain":             {alert.Alert{Rule: "N-CATEGORY", Endpoint: "10.1.1.1", Peer: "x.AzureWebsites.net."}, True, "paas"},
		"name that only ends alike":       {alert.Alert{Rule: "N-CATEGORY", Endpoint: "10.1.1.1", Peer: "evilazurewebsites.net"}, Unexplained, ""},
		"host name endpoint, both truths": {alert.Alert{Rule: "S-ERRORS", Endpoint: "labsz", Host: "LabSZ", Peer: "187.141.143.180"}, True, "bf,others"},
		"host name, other attacker":       {alert.Alert{Rule: "S-ERRORS", Host: "LabSZ", Peer: "119.4.203.64"}, True, "others"},
		"pair, no peer but named":         {alert.Alert{Rule: "S-ERRORS", Endpoint: "LabSZ", Summary: "failed logins from 187.141.143.180"}, True, "bf,others"},
		"pair, no peer, not named":        {alert.Alert{Rule: "S-ERRORS", Endpoint: "LabSZ", Summary: "failed logins from  to LabSZ"}, True, "others"},
		"benign destination":              {alert.Alert{Rule: "S-BEACON", Endpoint: "10.0.0.5", Peer: "tile.example.com"}, OnBenign, ""},
	} {
		t.Run(name, func(t *testing.T) {
			a := at(tc.a)
			v := testSet().Classify(&a)
			if v.Class != tc.class || strings.Join(v.Truths, ",") != tc.truths {
				t.Errorf("got %s %v, want %s %s", v.Class, v.Truths, tc.class, tc.truths)
			}
		})
	}
}

func TestFalsePositive(t *testing.T) {
	for _, tc := range []struct {
		v    Verdict
		sev  alert.Severity
		want bool
	}{
		{Verdict{Class: Unexplained}, alert.Medium, true},
		{Verdict{Class: Unexplained}, alert.Critical, true},
		{Verdict{Class: Unexplained}, alert.Low, false},
		{Verdict{Class: OnBenign}, alert.Info, true},
		{Verdict{Class: True}, alert.Critical, false},
	} {
		if got := tc.v.FalsePositive(tc.sev); got != tc.want {
			t.Errorf("%s at %s: %v, want %v", tc.v.Class, tc.sev, got, tc.want)
		}
	}
}

func TestScore(t *testing.T) {
	s := testSet()
	r := Result{Truths: []TruthResult{}}
	for _, tr := range s.Truths {
		r.Truths = append(r.Truths, TruthResult{ID: tr.ID, Optional: tr.Optional})
		if !tr.Optional {
			r.Total++
		}
	}
	// In the order mamori shows them.
	as := []alert.Alert{
		{Rule: "S-BEACON", Severity: alert.High, Endpoint: "10.0.0.5", Peer: "update.example"},     // 1: FP
		{Rule: "S-BEACON", Severity: alert.Medium, Endpoint: "10.0.0.6", Peer: "tile.example.com"}, // 2: FP, benign
		{Rule: "S-ERRORS", Severity: alert.Medium, Host: "LabSZ", Peer: "119.4.203.64"},            // 3: optional truth
		{Rule: "M-PSEXEC", Severity: alert.Medium, Endpoint: "10.0.0.7", Peer: "10.0.0.8"},         // 4: psexec
		{Rule: "N-PORT", Severity: alert.Low, Endpoint: "10.0.0.3", Peer: "198.51.100.1"},          // 5: tolerated
		{Rule: "M-PSEXEC", Severity: alert.High, Endpoint: "10.0.0.8", Peer: "10.0.0.7"},           // 6: psexec again
		{Rule: "N-PORT", Severity: alert.Info, Endpoint: "10.0.0.3", Peer: "tile.example.com"},     // 7: FP, benign
	}
	r.score(s, as)
	if r.FirstTrue != 3 {
		t.Errorf("first true at %d, want 3", r.FirstTrue)
	}
	if r.Found != 1 || r.Total != 6 {
		t.Errorf("found %d of %d, want 1 of 6", r.Found, r.Total)
	}
	if r.FalsePositives != 3 {
		t.Errorf("%d false positives, want 3", r.FalsePositives)
	}
	if want := (Counts{High: 2, Medium: 3, Low: 1, Info: 1}); r.Severity != want {
		t.Errorf("severities %+v, want %+v", r.Severity, want)
	}
	ranks := map[string]int{}
	for _, tr := range r.Truths {
		ranks[tr.ID] = tr.Rank
	}
	if ranks["psexec"] != 4 || ranks["others"] != 3 || ranks["beacon"] != 0 {
		t.Errorf("truth ranks %v", ranks)
	}
}

// TestRunOnTestdata scans a real truth file's testdata copy through
// mamori into a temporary store, as `make eval` does on a fresh clone.
func TestRunOnTestdata(t *testing.T) {
	s, err := Load("sets/zeek-rita-proxy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(t.Context(), s, Options{Root: root, Location: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Scanned || r.Location != "testdata" {
		t.Fatalf("status %s (%s), location %q", r.Status, r.Reason, r.Location)
	}
	// The testdata copy holds 250 http and 120 conn records.
	if r.Events != 370 {
		t.Errorf("%d events, want 370", r.Events)
	}
	c := r.Severity
	if n := c.Critical + c.High + c.Medium + c.Low + c.Info; n != len(r.Alerts) {
		t.Errorf("%d alerts by severity, %d listed", n, len(r.Alerts))
	}
	fp := 0
	for i, a := range r.Alerts {
		if a.Rank != i+1 {
			t.Errorf("alert %d has rank %d", i, a.Rank)
		}
		if i > 0 && a.Severity > r.Alerts[i-1].Severity {
			t.Errorf("alert %d (%s) after a %s one: not in mamori's order", i+1, a.Severity, r.Alerts[i-1].Severity)
		}
		if a.FalsePositive {
			fp++
		}
	}
	if fp != r.FalsePositives {
		t.Errorf("%d alerts marked false positive, %d counted", fp, r.FalsePositives)
	}
}

func TestRunSkips(t *testing.T) {
	absent := &Set{Name: "absent", Locations: []Location{{Name: "shared", Paths: []string{"../shared/data/no-such-set"}}},
		Truths: []Truth{{ID: "t"}}}
	r, err := Run(t.Context(), absent, Options{Root: root})
	if err != nil || r.Status != Absent || r.Reason != "skipped: not present" || r.Total != 1 {
		t.Errorf("absent set: %+v, %v", r, err)
	}
	noIOC := &Set{Name: "no-ioc", Locations: []Location{{Name: "testdata", Paths: []string{"testdata/crowdsec/ssh-bf.log"}}},
		Settings: Settings{IOC: []Alternatives{{"../shared/data/no-such-list", "testdata/no-such-list"}}}}
	if r, err := Run(t.Context(), noIOC, Options{Root: root}); err != nil || r.Status != Absent {
		t.Errorf("set without its IOC list: %+v, %v", r, err)
	}
	windows := &Set{Name: "windows", Unsupported: "not supported yet", Locations: absent.Locations}
	if r, err := Run(t.Context(), windows, Options{Root: root}); err != nil || r.Status != Unsupported {
		t.Errorf("unsupported set: %+v, %v", r, err)
	}
}

// TestEvaluationListsTheTruths keeps EVALUATION.md's last section in step
// with the truth files: it is their -truths output, verbatim.
func TestEvaluationListsTheTruths(t *testing.T) {
	sets, err := LoadDir("sets")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteTruths(&b, sets); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "EVALUATION.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), strings.TrimSpace(b.String())) {
		t.Error("EVALUATION.md does not hold the truths as the sets give them: paste `go run ./cmd/mamori-eval -truths` into its last section")
	}
}
