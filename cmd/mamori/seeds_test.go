//go:build !e2e

package main

// demoSeeds are the demo offices TestScanFindsTheDemoAttack scans in
// `make test`: none. A scan of four days of an office under the race
// detector is `make test`'s longest step, and the detectors' own TestDemo
// and TestIncidentCommands' scan cover the way there; `make e2e` scans
// three offices end to end (seeds_e2e_test.go).
var demoSeeds []int64
