package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/mamori-soc/mamori/alert"
)

// putJSON writes v as JSON under each key in one transaction.
func (s *Store) putJSON(op string, keys [][]byte, vals []any) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	err := s.update(func(txn *badger.Txn) error {
		for i, k := range keys {
			b, err := json.Marshal(vals[i])
			if err != nil {
				return fmt.Errorf("encode: %w", err)
			}
			if err := txn.Set(k, b); err != nil {
				return err
			}
		}
		return nil
	})
	return s.writeErr(op, err)
}

// getJSON reads the JSON record under key into v; found is false when there
// is none.
func (s *Store) getJSON(key []byte, v any) (found bool, err error) {
	err = s.view(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// scanJSON calls fn with the key and raw JSON of every record under prefix.
func (s *Store) scanJSON(prefix []byte, fn func(key, val []byte) error) error {
	return s.view(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = prefix
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			if err := item.Value(func(b []byte) error { return fn(item.Key(), b) }); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) deleteKey(op string, key []byte) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	return s.writeErr(op, s.update(func(txn *badger.Txn) error { return txn.Delete(key) }))
}

// AlertReader reads alerts.
type AlertReader interface {
	Alerts() ([]alert.Alert, error)
	Alert(id string) (alert.Alert, bool, error)
}

// AlertWriter stores alerts.
type AlertWriter interface {
	PutAlerts(as []alert.Alert) error
}

// PutAlerts writes (or replaces) alerts by id.
func (s *Store) PutAlerts(as []alert.Alert) error {
	keys := make([][]byte, len(as))
	vals := make([]any, len(as))
	for i := range as {
		keys[i] = nameKey(prefixAlert, as[i].ID)
		vals[i] = &as[i]
	}
	return s.putJSON("write alerts", keys, vals)
}

// Alert reads one alert.
func (s *Store) Alert(id string) (alert.Alert, bool, error) {
	var a alert.Alert
	ok, err := s.getJSON(nameKey(prefixAlert, id), &a)
	if err != nil {
		return a, false, fmt.Errorf("store: read alert %s: %w", id, err)
	}
	return a, ok, nil
}

// Alerts reads every stored alert, in id order. Decoding them is most of
// mamori's start on a store holding many (0.6 s for 100,000 on one core),
// so chunks of them are decoded on every core while the store is read.
func (s *Store) Alerts() ([]alert.Alert, error) {
	const chunk = 512
	type part struct {
		vals [][]byte
		as   []alert.Alert
		err  error
	}
	var (
		parts []*part
		jobs  = make(chan *part, runtime.GOMAXPROCS(0))
		wg    sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for p := range jobs { // every part is taken, so the reader never blocks
				p.as = make([]alert.Alert, len(p.vals))
				for i, b := range p.vals {
					if p.err = json.Unmarshal(b, &p.as[i]); p.err != nil {
						break
					}
				}
				p.vals = nil
			}
		})
	}
	cur := &part{}
	err := s.scanJSON([]byte{prefixAlert}, func(_, b []byte) error {
		cur.vals = append(cur.vals, bytes.Clone(b))
		if len(cur.vals) == chunk {
			parts = append(parts, cur)
			jobs <- cur
			cur = &part{}
		}
		return nil
	})
	if len(cur.vals) > 0 {
		parts = append(parts, cur)
		jobs <- cur
	}
	close(jobs)
	wg.Wait()
	for _, p := range parts {
		if err == nil {
			err = p.err
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: read alerts: %w", err)
	}
	n := 0
	for _, p := range parts {
		n += len(p.as)
	}
	as := make([]alert.Alert, 0, n)
	for _, p := range parts {
		as = append(as, p.as...)
	}
	return as, nil
}

// Offset is how far a source file has been read, and which file that was:
// offsets restart when a file is rotated, so the file's identity is kept
// with the offset.
//
// Records written before Key, Ref and Head existed have none of them and
// read as before: kept under Path, events named Path, content unknown.
type Offset struct {
	// Key, when set, is the name the record is kept under instead of Path:
	// a follower keeps one record per file content it has read, named by
	// its source and the file's identity, whatever the file is called now.
	Key    string `json:"key,omitempty"`
	Path   string `json:"path"` // the file's name when last read
	Dev    uint64 `json:"dev"`
	Inode  uint64 `json:"inode"`
	Offset int64  `json:"offset"`
	// Line is how many lines the file has before Offset, so that lines
	// read after a restart are still numbered; 0 when not known (records
	// saved before it was kept, and then Offset is not 0).
	Line    int64     `json:"line,omitempty"`
	Size    int64     `json:"size"`           // file size when the offset was saved
	Updated time.Time `json:"updated"`        // wall-clock time of the save
	Done    bool      `json:"done,omitempty"` // a batch import read the whole file
	// Ref is the name the file's events carry (event.Ref.File), when it is
	// not Path: the name the content was first read under, kept when the
	// file is renamed, copied or compressed by a rotation.
	Ref string `json:"ref,omitempty"`
	// Head is the start of the file's content (its first KiB, or fewer
	// whole lines): it recognises the same content under another name,
	// copied or compressed, so that only its unread rest is read.
	Head []byte `json:"head,omitempty"`
}

// name is what the record is kept under.
func (o *Offset) name() string {
	if o.Key != "" {
		return o.Key
	}
	return o.Path
}

// PutOffsets records offsets; call it after the events up to them are stored.
func (s *Store) PutOffsets(offs []Offset) error {
	keys := make([][]byte, len(offs))
	vals := make([]any, len(offs))
	for i := range offs {
		keys[i] = offsetKey(offs[i].name())
		vals[i] = &offs[i]
	}
	return s.putJSON("save offsets", keys, vals)
}

// DeleteOffsets forgets the records kept under names (a Key, or the Path
// of a record without one).
func (s *Store) DeleteOffsets(names []string) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	return s.writeErr("forget offsets", s.update(func(txn *badger.Txn) error {
		for _, n := range names {
			if err := txn.Delete(offsetKey(n)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// Offset reads the saved offset kept under path (a record's Path, or its
// Key when it has one).
func (s *Store) Offset(path string) (Offset, bool, error) {
	var o Offset
	ok, err := s.getJSON(offsetKey(path), &o)
	if err != nil {
		return o, false, fmt.Errorf("store: read offset of %s: %w", path, err)
	}
	return o, ok, nil
}

// Offsets reads every saved offset.
func (s *Store) Offsets() ([]Offset, error) {
	var offs []Offset
	err := s.scanJSON([]byte{prefixOffset}, func(_, b []byte) error {
		var o Offset
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		offs = append(offs, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read offsets: %w", err)
	}
	return offs, nil
}

// Family is a family of records kept as JSON documents by name.
type Family byte

// The JSON record families other packages keep in the store.
const (
	Incidents = Family(prefixIncident)
	Baselines = Family(prefixBaseline)
	AllowList = Family(prefixAllowList)
	Meta      = Family(prefixMeta)
	Endpoints = Family(prefixEndpointSummary)
)

// Put writes v as JSON under name in family f.
func (s *Store) Put(f Family, name string, v any) error {
	return s.putJSON(fmt.Sprintf("write %c/%s", f, name), [][]byte{nameKey(byte(f), name)}, []any{v})
}

// Get reads the JSON document name of family f into v.
func (s *Store) Get(f Family, name string, v any) (bool, error) {
	ok, err := s.getJSON(nameKey(byte(f), name), v)
	if err != nil {
		return false, fmt.Errorf("store: read %c/%s: %w", f, name, err)
	}
	return ok, nil
}

// Delete removes the document name of family f.
func (s *Store) Delete(f Family, name string) error {
	return s.deleteKey(fmt.Sprintf("delete %c/%s", f, name), nameKey(byte(f), name))
}

// List calls fn with the name and raw JSON of every document of family f.
func (s *Store) List(f Family, fn func(name string, doc []byte) error) error {
	err := s.scanJSON([]byte{byte(f)}, func(k, b []byte) error {
		name, err := parseNameKey(byte(f), k)
		if err != nil {
			return err
		}
		return fn(name, b)
	})
	if err != nil {
		return fmt.Errorf("store: list %c: %w", f, err)
	}
	return nil
}

// EndpointSummary is what the store knows of one endpoint without scanning
// its timeline.
type EndpointSummary struct {
	ID        string    `json:"id"`
	Host      string    `json:"host,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Events    int64     `json:"events"` // events written (a replay after a crash counts again)
}

// PutEndpointSummaries writes summaries in one transaction.
func (s *Store) PutEndpointSummaries(sums []EndpointSummary) error {
	keys := make([][]byte, len(sums))
	vals := make([]any, len(sums))
	for i := range sums {
		keys[i] = nameKey(prefixEndpointSummary, sums[i].ID)
		vals[i] = &sums[i]
	}
	return s.putJSON("save endpoint summaries", keys, vals)
}

// EndpointSummaries reads every endpoint summary.
func (s *Store) EndpointSummaries() ([]EndpointSummary, error) {
	var out []EndpointSummary
	err := s.scanJSON([]byte{prefixEndpointSummary}, func(_, b []byte) error {
		var e EndpointSummary
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read endpoint summaries: %w", err)
	}
	return out, nil
}
