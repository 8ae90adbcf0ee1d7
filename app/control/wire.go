package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/ingest/skew"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend"
)

// The protocol's messages. Field names are stable within /v1/.

// Hello is what GET /v1/hello answers: who is serving which store.
type Hello struct {
	PID     int    `json:"pid"`
	Store   string `json:"store"` // the store directory, absolute
	Version string `json:"version,omitempty"`
	Live    bool   `json:"live"` // sources are followed
}

// families are the record families served, by their names in paths: the
// ones reading commands need (incidents, allow list, metadata such as the
// unanalysed count and the engine's state, baselines for `mamori rules`).
var families = map[string]store.Family{
	"incidents":  store.Incidents,
	"allow-list": store.AllowList,
	"meta":       store.Meta,
	"baselines":  store.Baselines,
}

func familyName(f store.Family) (string, error) {
	for n, v := range families {
		if v == f {
			return n, nil
		}
	}
	return "", fmt.Errorf("control: record family %q is not served", rune(f))
}

// record is one document of a family.
type record struct {
	Name string          `json:"name"`
	Doc  json.RawMessage `json:"doc"`
}

// auditLine is one audit record in GET /v1/audit's stream.
type auditLine struct {
	Seq   uint64          `json:"seq,omitempty"`
	Doc   json.RawMessage `json:"doc,omitempty"`
	Error string          `json:"error,omitempty"` // the stream ends with it
}

// wireEvent is a stored event: its key and the event in the store's binary
// encoding (event.Event's JSON form is made to be read by people, not
// read back).
type wireEvent struct {
	Time  time.Time `json:"time,omitzero"`
	ID    uint64    `json:"id,omitempty"`
	Event []byte    `json:"event,omitempty"`
	Error string    `json:"error,omitempty"` // in a stream: the last line, why it ended early
}

func toWire(s *store.Stored) (wireEvent, error) {
	b, err := s.Event.MarshalBinary()
	if err != nil {
		return wireEvent{}, err
	}
	return wireEvent{Time: s.Key.Time, ID: s.Key.ID, Event: b}, nil
}

func (w *wireEvent) stored() (store.Stored, error) {
	if w.Error != "" {
		return store.Stored{}, errors.New(w.Error)
	}
	s := store.Stored{Key: store.EventKey{Time: w.Time.UTC(), ID: w.ID}}
	if err := s.Event.UnmarshalBinary(w.Event); err != nil {
		return store.Stored{}, fmt.Errorf("control: event %d: %w", w.ID, err)
	}
	return s, nil
}

// endpoint names a timeline: an address or a host name (both as given, so
// a host named like an address stays a host).
type endpoint struct {
	Addr netip.Addr `json:"addr,omitzero"`
	Host string     `json:"host,omitempty"`
}

// timelineRequest is POST /v1/timeline's body: store.Query without Keep,
// which the client applies (a function does not travel).
type timelineRequest struct {
	Endpoint endpoint   `json:"endpoint"`
	From     time.Time  `json:"from,omitzero"`
	To       time.Time  `json:"to,omitzero"`
	After    *wireEvent `json:"after,omitempty"` // key only
	Reverse  bool       `json:"reverse,omitempty"`
	Limit    int        `json:"limit,omitempty"`
}

type timelinePage struct {
	Items []wireEvent `json:"items"`
	More  bool        `json:"more"`
}

// histogramRequest is POST /v1/histogram's body.
type histogramRequest struct {
	Endpoint endpoint      `json:"endpoint"`
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	Step     time.Duration `json:"step"`
}

// status is backend.Status with its error as text.
type status struct {
	Live       bool                 `json:"live"`
	Sources    []ingest.SourceStats `json:"sources"`
	StoreDir   string               `json:"store_dir"`
	StoreSize  int64                `json:"store_size"`
	Written    int64                `json:"written"`
	Learning   float64              `json:"learning"`
	Learned    bool                 `json:"learned"`
	Unanalysed int64                `json:"unanalysed"`
	Zones      []skew.Warning       `json:"zone_warnings,omitempty"`
	Err        string               `json:"error,omitempty"`
	ErrAt      time.Time            `json:"error_at,omitzero"`
}

func toStatus(s backend.Status) status {
	w := status{Live: s.Live, Sources: s.Sources, StoreDir: s.StoreDir, StoreSize: s.StoreSize, Written: s.Written,
		Learning: s.Learning, Learned: s.Learned, Unanalysed: s.Unanalysed, Zones: s.Zones, ErrAt: s.ErrAt}
	if s.Err != nil {
		w.Err = s.Err.Error()
	}
	return w
}

func (w status) backend() backend.Status {
	s := backend.Status{Live: w.Live, ReadOnly: true, Sources: w.Sources, StoreDir: w.StoreDir, StoreSize: w.StoreSize,
		Written: w.Written, Learning: w.Learning, Learned: w.Learned, Unanalysed: w.Unanalysed, Zones: w.Zones, ErrAt: w.ErrAt}
	if w.Err != "" {
		s.Err = errors.New(w.Err)
	}
	return s
}

// ReportRequest is POST /v1/export/report's body: write incident ID's
// report to Path (absolute) as the console does, recorded in the audit log.
type ReportRequest struct {
	ID     string `json:"id"`
	Path   string `json:"path"`
	Format string `json:"format"` // md or json
	Lang   string `json:"lang,omitempty"`
	Force  bool   `json:"force,omitempty"` // replace an existing file
}

// EvidenceRequest is POST /v1/export/evidence's body.
type EvidenceRequest struct {
	ID     string        `json:"id"`
	Path   string        `json:"path"`
	Window time.Duration `json:"window,omitempty"` // zero: the configured evidence window
	Force  bool          `json:"force,omitempty"`
}

// errorBody is the body of every answer that is not 2xx.
type errorBody struct {
	Error string `json:"error"`
	// Kind names an error the client turns back into its sentinel:
	// "read-only", "disk-full", "not-found".
	Kind string `json:"kind,omitempty"`
}
