//go:build !e2e

package main

// demoSeeds are the demo offices TestScanFindsTheDemoAttack scans in
// `make test`: one, under the race detector. `make e2e` scans more (see
// seeds_e2e_test.go).
var demoSeeds = []int64{1}
