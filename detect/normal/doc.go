// Package normal implements the matching rules of the defence model's
// "mismatch with normal business" basis (DESIGN §2.2) and the J-CRAT
// indicators that compare an endpoint's traffic with its own habits:
//
//	N-COUNTRY       destination (or, inbound, source) country not in the baseline
//	N-INTERNAL-SVC  internal server and port not in the baseline
//	N-APP           HTTP user-agent family not in the baseline, or far behind its usual version
//	N-CATEGORY      site category not in the baseline
//	N-PORT          external destination port not in the baseline
//	N-EXE-SOURCE    executable fetched from a site the organisation does not get executables from
//	N-UPLOAD-TYPE   file type sent out not in the baseline
//	N-IP-DIRECT     HTTP to a bare external IP address
//	N-QUERY         query string of an unusual shape for its site
//	N-CONNECT-PORT  proxy CONNECT to a port not in the baseline
//	N-LAN-EXE       executable written over SMB to another machine, then started there
//	N-PROXY-BYPASS  direct web traffic from an endpoint that uses the proxy
//	N-NO-DNS        connection to an internet address the endpoint never resolved
//
// Every rule is a detect.Learner: during the engine's learning window it
// only learns what each endpoint, each segment and the organisation
// normally do (mostly in a detect.SetProfile, so that a new PC doing what
// its colleagues do is normal), and it says nothing. After the window it
// reports what does not fit. Baselines are bounded and persist as JSON.
// The engine gives these rules their events 15 minutes late and leaves
// out what a known-attack rule reported meanwhile (see detect's guard), so
// an attack under way while they learn is not learned as normal business.
//
// One exception, a known-attack shape no baseline can make normal: a file
// fetched from a bare internet address (N-IP-DIRECT) is reported while
// learning too, and never learned.
//
// Each rule reports a repeat of the same finding (same endpoint and key)
// at most once per reportEvery and counts the repeats in between, so that
// an implant calling home every few seconds costs one finding, not
// thousands; the counts are reported on the next tick.
//
// Traffic a forwarding proxy makes on behalf of its clients is judged at
// the client, from the proxy log: the proxy's own connections at the
// firewall are not held against it (see relays).
package normal
