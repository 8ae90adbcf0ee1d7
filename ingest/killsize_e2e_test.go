//go:build e2e

package ingest

// killLines is how many lines TestKill9MidIngestLeavesExactlyOneCopy
// writes in `make e2e`.
const killLines = 100_000
