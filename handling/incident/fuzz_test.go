package incident_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/store"
)

// docStore serves one stored incident document, as the store hands it to
// List and Get: the fuzzed bytes.
type docStore struct {
	*store.Store // nil: the paths fuzzed call nothing else
	doc          []byte
}

func (d docStore) List(_ store.Family, fn func(string, []byte) error) error {
	return fn("INC-20261122-01", d.doc)
}

func (d docStore) Get(_ store.Family, _ string, v any) (bool, error) {
	return true, json.Unmarshal(d.doc, v)
}

// FuzzDecode reads arbitrary bytes as a stored incident (another version's,
// a damaged one): List and Get do not panic and fail with the incident's
// name, and an incident that decodes builds its checklist, clones equal to
// itself, and encodes to JSON that decodes to the same encoding.
func FuzzDecode(f *testing.F) {
	cat, err := catalog.Load()
	if err != nil {
		f.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 0, 30, 0, 0, time.UTC)
	real := incident.Incident{
		ID: "INC-20261122-01", Title: "Beacon from PC-011 to kx7-update.duckdns.org", Status: incident.Open,
		Opened: at, OpenedBy: "yamada", Updated: at.Add(time.Hour), Endpoints: []string{"10.0.10.31", "pc-011"},
		Alerts: []string{"9f86d081884c7d65", "60303ae22b998861"}, Phase: "C",
		Checks: map[string]incident.Check{"A.it-admin.triage": {State: incident.Done, Who: "sato", When: at, Note: "seen in the proxy log"},
			"B.user.report": {State: incident.Skipped, Who: "sato", When: at, Note: "n/a"}},
		Findings: map[string]incident.Finding{"intrusion": {Text: "mail attachment\nopened 09:12", Who: "yamada", When: at}},
	}
	b, _ := json.Marshal(real)
	f.Add(b)
	closed := real
	closed.Status, closed.Closed, closed.ClosedBy, closed.Phase = incident.Closed, at.Add(2*time.Hour), "yamada", ""
	b, _ = json.Marshal(closed)
	f.Add(b)
	for _, s := range []string{`{}`, `null`, `[]`, `{"id":1}`, `{"checks":{"x":{"state":"maybe"}}}`, `{"phase":"Z","checks":null}`,
		`{"opened":"not a time"}`, `{"findings":{"":{"text":"\u001b[2J"}}}`, `{"alerts":[null,"a"],"endpoints":null}`, `{"id":"a"`} {
		f.Add([]byte(s))
	}
	phases := map[string]bool{}
	for _, ph := range cat.HandlingPhases() {
		phases[ph.ID] = true
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		m := incident.New(docStore{doc: doc}, nil, cat, incident.Options{})
		ctx := context.Background()
		incs, lerr := m.List(ctx)
		inc, gerr := m.Get(ctx, "INC-20261122-01")
		if (lerr == nil) != (gerr == nil) {
			t.Fatalf("List: %v; Get: %v", lerr, gerr)
		}
		if lerr != nil {
			if !strings.Contains(lerr.Error(), "INC-20261122-01") || !strings.Contains(gerr.Error(), "INC-20261122-01") {
				t.Fatalf("errors do not name the incident: %v; %v", lerr, gerr)
			}
			return
		}
		if len(incs) != 1 {
			t.Fatalf("List = %d incidents", len(incs))
		}
		cl := m.Checklist(&inc)
		if len(cl.Phases) != len(phases) {
			t.Fatalf("checklist of %d phases", len(cl.Phases))
		}
		for _, ph := range cl.Phases {
			if ph.Done < 0 || ph.Done > ph.Total {
				t.Fatalf("phase %s: %d of %d done", ph.Phase.ID, ph.Done, ph.Total)
			}
		}
		if !cl.Explicit && cl.Current != "" && !phases[cl.Current] {
			t.Fatalf("current phase %q is not a phase", cl.Current)
		}
		if c := inc.Clone(); !reflect.DeepEqual(c, inc) {
			t.Fatalf("clone differs:\n%+v\n%+v", c, inc)
		}
		enc, err := json.Marshal(inc)
		if err != nil {
			t.Fatalf("a decoded incident does not encode: %v", err)
		}
		var again incident.Incident
		if err := json.Unmarshal(enc, &again); err != nil {
			t.Fatalf("%s does not decode: %v", enc, err)
		}
		if enc2, _ := json.Marshal(again); !bytes.Equal(enc, enc2) {
			t.Fatalf("not stable through a write and a read:\n%s\n%s", enc, enc2)
		}
		_ = inc.HasEndpoint("10.0.10.31")
		_ = inc.IsOpen()
	})
}
