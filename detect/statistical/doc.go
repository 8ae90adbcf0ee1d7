// Package statistical holds the statistical rules of the defence model
// (catalog ids S-*): similarity with known attacks measured by numbers,
// and deviation of those numbers from an endpoint's normal business.
//
//	S-BEACON       communication at a fixed interval (RITA-style scoring)
//	S-FANOUT       many distinct destinations: scanning, spreading
//	S-ERRORS       error bursts: brute force and spraying, HTTP errors,
//	               NXDOMAIN, firewall denies
//	S-SINKHOLE     recurring lookups answered 0.0.0.0, 127.0.0.1 or NXDOMAIN
//	S-REFUSED      storms of refused or unanswered connections to one
//	               address and port (a C2 retried while down or blocked)
//	S-CONN-VOLUME  connections per hour above the endpoint's baseline
//	S-BYTES-OUT    bytes sent per hour above the endpoint's baseline
//
// Factories returns them for detect.Options. What they share:
//
//   - Every rule keeps per-key state in a detect.LRU with a cap (a
//     setting), and caps what it keeps per key, so memory stays flat over a
//     week of live traffic; keys clone the strings they keep, so that no
//     log line is held by them.
//   - Observe only records; windows are judged in Tick (every minute of
//     event time, or every hour for S-BEACON) and in Finish, for the keys
//     that changed since.
//   - Relays, the machines that carry other machines' traffic (the proxy,
//     the gateway, the resolver: inventory roles, and proxies seen
//     receiving CONNECT requests), are left out of the per-endpoint
//     figures that are their clients' doing.
//   - A destination most of the organisation reaches is normal business:
//     detect.Prevalence, plus "widely used" (at least three endpoints that
//     are a quarter of all) for several machines running the same
//     software. With fewer endpoints than the prevalence minimum nothing is
//     widely used, so a beacon in a one-PC capture is still found.
//   - S-FANOUT, S-ERRORS, S-CONN-VOLUME and S-BYTES-OUT learn baselines
//     (detect.Learner) and persist them, so that an attacker active while
//     they learn cannot teach them: the values learned are typical ones
//     (the upper quartile of hourly peaks; for volumes, what was reached
//     on two days), never the largest, and outside sources teach nothing.
//     The two known-attack rules among them, S-FANOUT and S-ERRORS, keep
//     reporting by their minimums while the baseline is learned (scanning
//     and brute force are not normal business) and learn nothing from the
//     hours in which they reported.
//   - Windows are judged as they stood at their last event, so that a
//     burst followed by silence is judged on its own window.
//   - Findings name the internal endpoint (the actor when internal, else the
//     target), the peer and a key, and say why in English and Japanese with
//     the figures; Details carry the figures by name.
package statistical
