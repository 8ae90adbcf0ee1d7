//go:build race

package normal

// raceEnabled is set when the tests run under the race detector, which
// makes the heavy churn tests ten times slower: they then use fewer keys.
const raceEnabled = true
