package statistical

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/event"
)

// The learning tests of S-CONN-VOLUME and S-BYTES-OUT: what one day of
// the learning window did (an exfiltration, a night of scanning) is not
// usual; what the endpoint did on two days is.

func TestBytesOutExfiltrationWhileLearning(t *testing.T) {
	tuesday, thursday := monday.Add(24*time.Hour), monday.Add(72*time.Hour)
	runVolume(t, "S-BYTES-OUT", NewBytesOut, volumeCase{
		events: func(r *rand.Rand) []*event.Event {
			evs := append(officeWeek(r, 9), toProxy(tuesday.Add(15*time.Hour+5*time.Minute), "10.0.10.4", 2e9, 50123))
			return append(evs, toProxy(thursday.Add(14*time.Hour+20*time.Minute), "10.0.10.4", 400e6, 50124))
		},
		want: true, ep: "10.0.10.4", summary: []string{"sent 400 MB in the hour 14:00–15:00"},
	})
}

func TestConnVolumeScanWhileLearning(t *testing.T) {
	thursday := monday.Add(72 * time.Hour)
	runVolume(t, "S-CONN-VOLUME", NewConnVolume, volumeCase{
		events: func(r *rand.Rand) []*event.Event {
			evs := append(officeWeek(r, 9), burst(r, monday.Add(2*time.Hour), "10.0.10.5", 3000, 500)...)
			return append(evs, burst(r, thursday.Add(2*time.Hour), "10.0.10.5", 500, 500)...)
		},
		want: true, ep: "10.0.10.5", summary: []string{"500 connections in the hour 02:00–03:00"},
	})
}
