//go:build !e2e

package ingest

// killLines is how many lines TestKill9MidIngestLeavesExactlyOneCopy
// writes in `make test`: enough that both kills land mid-ingest; `make
// e2e` writes five times as many (killsize_e2e_test.go).
const killLines = 20_000
