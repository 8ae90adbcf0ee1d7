// Package ingest turns log files into stored events. Sniff recognises a
// file's format from its first lines (plain or gzip); Import reads
// collected files once, and a Follower tails live ones across rotation,
// truncation and re-creation. Lines are decoded by their format's
// parse.Decoder, enriched with the organisation's networks and assets
// (Enricher), and sent in batches to the Pipeline, the single writer that
// stores them with their files' offsets (so a restart neither loses nor
// duplicates a line) and hands them on to subscribers such as the
// detection engine. Stats count each source's events and its rejected
// lines by reason.
package ingest
