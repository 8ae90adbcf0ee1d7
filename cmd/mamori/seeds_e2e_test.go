//go:build e2e

package main

// demoSeeds are the demo offices `make e2e` scans: seed 7 once read random
// visits as a beacon; in seed 42 uploads were unseen while learning.
var demoSeeds = []int64{1, 7, 42}
