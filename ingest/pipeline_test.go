package ingest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/store"
)

// stopOnWrite is the real store, with the writer told to stop while it
// hands it the first batch: mamori quitting in the middle of ingest.
type stopOnWrite struct {
	*store.Store
	stop func()
	once sync.Once
}

func (s *stopOnWrite) PutEventsAsync(evs []event.Event, done func(error)) error {
	s.once.Do(s.stop)
	return s.Store.PutEventsAsync(evs, done)
}

// Stopping the writer while batches are being stored leaves no stored
// event without its offset: a restart neither reads them again (as
// another file's, were the file rotated meanwhile) nor skips any.
func TestPipelineStoppedSavesTheOffsetsOfWhatItStored(t *testing.T) {
	for round := range 5 { // the writer takes the stop at a different batch each time
		st, err := store.Open(filepath.Join(t.TempDir(), "db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		p := NewPipeline(&stopOnWrite{Store: st, stop: cancel}, NewStats(), nil)
		const path = "/var/log/app.log"
		for b := range cap(p.in) { // queued before the writer starts: it is busy
			ev := event.Event{Time: testT0.Add(time.Duration(b) * time.Second), Format: "testfmt", Raw: testLine(b),
				Ref: event.Ref{File: path, Offset: int64(b * 100)}}
			if err := p.Send(ctx, Batch{Events: []event.Event{ev}, Offset: &store.Offset{Path: path, Offset: int64(b*100 + 100)}}); err != nil {
				t.Fatal(err)
			}
		}
		_ = p.Run(ctx)
		n, err := st.CountEvents(context.Background(), time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		o, _, err := st.Offset(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(n * 100); o.Offset != want {
			t.Fatalf("round %d: %d events stored, the offset saved is %d, want %d", round, n, o.Offset, want)
		}
		_ = st.Close()
	}
}
