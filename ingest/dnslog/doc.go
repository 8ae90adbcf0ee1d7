// Package dnslog reads the query logs of the two resolvers a small office
// runs: dnsmasq (format "dnsmasq") and BIND 9 (format "bind"). Formats
// lists both. Every event is of Kind dns with SrcIP/SrcPort the client,
// Query, QType and, where the log says, RCode and Answers.
//
// # dnsmasq
//
// With log-queries, dnsmasq writes one line per question and one per
// answer record (the texts of log_query in its cache.c), in syslog or in
// its own log-facility file (no host: "Mar  4 10:00:00 dnsmasq[512]: ..."):
//
//	query[A] example.com from 10.0.0.5
//	forwarded example.com to 8.8.8.8
//	reply example.com is <CNAME>
//	reply example.edgekey.net is 93.184.216.34
//	reply bad.example is NXDOMAIN
//	reply v6.example is NODATA-IPv6
//	cached example.com is 93.184.216.34
//	config ads.example is 0.0.0.0          (address=/ads.example/0.0.0.0)
//	/etc/hosts printer.lan is 10.0.0.9
//	45 10.0.0.5/51234 query[A] example.com from 10.0.0.5     (log-queries=extra)
//	UDP 45 10.0.0.5/51234 reply example.com is 93.184.216.34 (log-queries=extra,proto)
//
// Design. A decoder turns one line into at most one event, and ingest
// stamps each event with the file offset and text of the line it came
// from, as evidence and as the key that makes re-ingesting idempotent. So
// a dnsmasq event is never held back to be completed by later lines, which
// would tie it to the wrong line, lose it at the end of a file or on a
// restart, and need memory for every unanswered question. Instead:
//
//   - a question line is an event at once (Label "query", no RCode), so a
//     question that never gets an answer is never lost;
//   - each answer line is an event of its own carrying the question it
//     answers: Label is where the answer came from ("reply", "cached",
//     "cached-stale", "config", "DHCP", "auth", or "hosts" with the hosts
//     file in Message), RCode is NOERROR, NXDOMAIN, NODATA, SERVFAIL,
//     REFUSED, FORMERR or NOTIMP, and Answers holds the record, preceded by
//     the CNAME targets that led to it ("<CNAME>" lines themselves are
//     skipped: their target is the next line's name);
//   - to give answer lines the client, question type and asked name, the
//     decoder remembers the last Questions questions in a ring (the oldest
//     is forgotten first, so memory is bounded whatever the resolver sees)
//     keyed by dnsmasq's serial with log-queries=extra, else by name; an
//     answer more than two minutes after its question is not matched.
//     Without the serial, two clients asking the same name at once cannot
//     be told apart: the answer goes to the later question's client.
//
// A single-line answer (NXDOMAIN, NODATA, a sinkhole) therefore gives one
// question event and one answer event; count questions by Label "query".
// Answers from config or a hosts file that block the name (NXDOMAIN,
// NODATA, 0.0.0.0, ::) have Action deny. forwarded, validation, DNSSEC and
// ipset lines and dnsmasq's other messages are parse.ErrSkip.
//
// # BIND
//
// BIND 9's querylog and security messages, in BIND's own file (time
// "24-Mar-2018 17:15:20.123" or print-time iso8601) or in syslog (program
// named), with or without print-category/print-severity, with or without
// the client object's "@0x..." (9.11+), with or without the "(name)":
//
//	24-Mar-2018 17:15:20.123 queries: info: client @0x7f8b2c0a1b30 10.0.0.5#51234 (example.com): query: example.com IN A +E(0)K (10.0.0.1)
//	19-Oct-2022 05:34:02.425 client @0x7f65100ee4d8 192.168.1.1#3076 (example.com): query (cache) 'example.com/ANY/IN' denied
//	Jul 24 14:16:55 raid5 named[3935]: client 194.145.196.18#4795: query 'ricreig.com/NS/IN' denied
//	20-Oct-2022 08:30:43.685 client @0x7f6520147ae8 192.168.1.2#55590 (example.com): zone transfer 'example.com/AXFR/IN' denied
//	Aug 27 16:58:31 vhost1 named[29206]: client 176.9.92.38#42592 (x.ua): bad zone transfer request: 'x.ua/IN': non-authoritative zone (NOTAUTH)
//	client @0x7f... 10.0.0.5#5353 (x.example): query failed (SERVFAIL) for x.example/IN/A at query.c:8096
//
// A query line is Label "query" with DstIP the server address it came in
// on and Transport tcp when its flags have T, else udp. Denials are Action
// deny with Label "query denied", "zone transfer denied" or "update
// denied" (RCode REFUSED, or NOTAUTH for a bad zone transfer request, the
// ACL in Message); "query failed" has the RCode BIND gives. Lines without a
// timestamp are rejected; other named messages are parse.ErrSkip.
//
// Invalid UTF-8 is kept, each invalid sequence replaced by U+FFFD.
package dnslog

import "github.com/mamori-soc/mamori/ingest/parse"

// Formats lists the formats of this package.
var Formats = []parse.Format{Dnsmasq, Bind}
