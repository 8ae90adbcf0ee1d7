package alert

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"
)

// TestPriorityOrder: severity first, then score, then phase, then the
// newest. A strong medium (lateral movement, score 0.9) comes before a weak
// one (NXDOMAIN noise, score 0.4) of the same severity, whatever their
// phases and times: ordering by phase and time alone put the noise first.
func TestPriorityOrder(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	as := []Alert{
		{ID: "noise", Severity: Medium, Score: 0.4, Phase: 5, LastSeen: t0.Add(time.Hour)},
		{ID: "lateral", Severity: Medium, Score: 0.9, Phase: 4, LastSeen: t0},
		{ID: "low", Severity: Low, Score: 1, Phase: 6, LastSeen: t0.Add(2 * time.Hour)},
		{ID: "high", Severity: High, Score: 0.1, Phase: 1, LastSeen: t0},
		{ID: "same-score-later-phase", Severity: Medium, Score: 0.9, Phase: 5, LastSeen: t0.Add(-time.Hour)},
		{ID: "same-score-same-phase-newer", Severity: Medium, Score: 0.9, Phase: 4, LastSeen: t0.Add(time.Minute)},
	}
	Sort(as)
	var got []string
	for i, a := range as {
		got = append(got, a.ID)
		if a.Priority != i+1 {
			t.Errorf("%s: priority %d at position %d", a.ID, a.Priority, i+1)
		}
	}
	want := []string{"high", "same-score-later-phase", "same-score-same-phase-newer", "lateral", "noise", "low"}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// Sort gives the same order as a plain stable sort by Compare.
func TestSortMatchesCompare(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 1000} {
		as := make([]Alert, n)
		for i := range as {
			as[i] = Alert{ID: fmt.Sprintf("a%04d", rng.IntN(5000)), Severity: Severity(rng.IntN(5)),
				Score: float64(rng.IntN(4)) / 4, Phase: rng.IntN(7), LastSeen: t0.Add(time.Duration(rng.IntN(20)) * time.Minute)}
		}
		want := slices.Clone(as)
		sort.SliceStable(want, func(i, j int) bool { return Compare(&want[i], &want[j]) < 0 })
		Sort(as)
		for i := range as {
			if as[i].ID != want[i].ID || as[i].Severity != want[i].Severity || as[i].Score != want[i].Score || !as[i].LastSeen.Equal(want[i].LastSeen) {
				t.Fatalf("n=%d: position %d holds %+v, want %+v", n, i, as[i], want[i])
			}
			if as[i].Priority != i+1 {
				t.Fatalf("n=%d: position %d has priority %d", n, i, as[i].Priority)
			}
		}
	}
}
