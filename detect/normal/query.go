package normal

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// query is N-QUERY: a URL query string of a shape its site does not use.
// For each site (registrable domain) the rule learns the shape of its
// query strings: length (mean, spread, maximum), character entropy and
// the longest encoded blob (a base64 or hex run). The extremes are the
// second largest learned, not the largest: a shape the site showed only
// once (an exfiltration or a probe while learning) is not its normal. After
// learning, a query to a site with enough samples is a strong outlier
// when at least two of
//
//   - length: more than twice the learned longest and six standard
//     deviations above the mean (and at least minOddLen);
//   - entropy: half a bit per character above the learned highest (on a
//     query of at least 32 characters);
//   - blob: an encoded run of at least minBlob characters, more than twice
//     the learned longest
//
// hold, or a blob at least bigBlob long does. Sites not learned, or with
// few samples, are not judged: tokens, JWTs and tracking parameters make
// long random-looking queries normal somewhere, and only the site's own
// history says where.
type query struct {
	rule
	sites      map[string]*queryStats
	maxSites   int
	minSamples int
}

// queryStats is the learned shape of one site's query strings.
type queryStats struct {
	N       int     `json:"n"`
	MeanLen float64 `json:"mean_len"`
	M2Len   float64 `json:"m2_len"` // Welford's sum of squared differences
	MaxLen  int     `json:"max_len"`
	MaxEnt  float64 `json:"max_entropy"`
	MaxBlob int     `json:"max_blob"`
	// The second largest of each: what the site showed at least twice.
	Len2  int     `json:"second_len"`
	Ent2  float64 `json:"second_entropy"`
	Blob2 int     `json:"second_blob"`
}

// Shape thresholds (see the type's doc).
const (
	minOddLen = 64
	minBlob   = 32
	bigBlob   = 96
)

func newQuery(p detect.Params, env *detect.Env) detect.Detector {
	return &query{
		rule:       newRule(RuleQuery, env),
		sites:      map[string]*queryStats{},
		maxSites:   p.Int("max_sites", 20000),
		minSamples: p.Int("min_samples", 20),
	}
}

// Params lists the tunables.
func (q *query) Params() []detect.Param {
	return []detect.Param{
		{Name: "max_sites", Default: 20000, Doc: "sites whose query shapes are learned"},
		{Name: "min_samples", Default: 20, Doc: "queries a site must have shown while learning before its queries are judged"},
	}
}

// Kinds lists the events read: HTTP requests.
func (q *query) Kinds() []event.Kind { return []event.Kind{event.KindHTTP} }

// shape measures a query string: length, entropy in bits per character and
// the longest encoded blob.
type shape struct {
	length   int
	entropy  float64
	blob     int
	blobKind string
}

func measure(qs string) shape {
	s := shape{length: len(qs)}
	var counts [256]int
	for i := 0; i < len(qs); i++ {
		counts[qs[i]]++
	}
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(len(qs))
			s.entropy -= p * math.Log2(p)
		}
	}
	// Blobs: runs of the base64 (URL-safe too) alphabet, where "%2B",
	// "%2F" and "%3D" stand for '+', '/' and '='. A run is a base64 blob
	// when it mixes upper case, lower case and digits, a hex blob when it
	// is all hex digits with at least one digit and one letter.
	run, upper, lower, digit, hexOnly := 0, false, false, false, true
	end := func() {
		switch {
		case run >= minBlob && hexOnly && digit && (upper || lower):
			if run > s.blob {
				s.blob, s.blobKind = run, "hex"
			}
		case run >= minBlob && upper && lower && digit:
			if run > s.blob {
				s.blob, s.blobKind = run, "base64"
			}
		}
		run, upper, lower, digit, hexOnly = 0, false, false, false, true
	}
	for i := 0; i < len(qs); i++ {
		c := qs[i]
		switch {
		case c >= 'A' && c <= 'Z':
			upper, hexOnly = true, hexOnly && c <= 'F'
		case c >= 'a' && c <= 'z':
			lower, hexOnly = true, hexOnly && c <= 'f'
		case c >= '0' && c <= '9':
			digit = true
		case c == '=' && i+1 < len(qs) && qs[i+1] != '=' && qs[i+1] != '&':
			end() // a parameter's name and its value
			continue
		case c == '+' || c == '/' || c == '_' || c == '-' || c == '=':
			hexOnly = false
		case c == '%' && i+2 < len(qs) && (qs[i+1:i+3] == "2B" || qs[i+1:i+3] == "2F" || qs[i+1:i+3] == "3D" ||
			qs[i+1:i+3] == "2b" || qs[i+1:i+3] == "2f" || qs[i+1:i+3] == "3d"):
			hexOnly = false
			i += 2
		default:
			end()
			continue
		}
		run++
	}
	end()
	return s
}

// siteQuery returns the site and query string of a request, if it has one.
func siteQuery(ev *event.Event) (string, string, bool) {
	if ev.Kind != event.KindHTTP || ev.Method == "CONNECT" {
		return "", "", false
	}
	qs := urlQuery(ev.URL)
	host := requestHost(ev)
	if qs == "" || host == "" {
		return "", "", false
	}
	if len(qs) > 8192 {
		qs = qs[:8192] // enough to be an outlier anywhere
	}
	return site(host), qs, true
}

// Learn records the shape of each site's query strings.
func (q *query) Learn(ev *event.Event) {
	q.learnt++
	dest, qs, ok := siteQuery(ev)
	if !ok {
		return
	}
	st := q.sites[dest]
	if st == nil {
		if len(q.sites) >= q.maxSites {
			return
		}
		st = &queryStats{}
		q.sites[strings.Clone(dest)] = st
	}
	sh := measure(qs)
	st.N++
	d := float64(sh.length) - st.MeanLen
	st.MeanLen += d / float64(st.N)
	st.M2Len += d * (float64(sh.length) - st.MeanLen)
	st.MaxLen, st.Len2 = top2(st.MaxLen, st.Len2, sh.length)
	st.MaxEnt, st.Ent2 = top2(st.MaxEnt, st.Ent2, sh.entropy)
	st.MaxBlob, st.Blob2 = top2(st.MaxBlob, st.Blob2, sh.blob)
}

// top2 adds v to the largest and second largest values seen.
func top2[T int | float64](first, second, v T) (T, T) {
	switch {
	case v > first:
		return v, first
	case v > second:
		return first, v
	}
	return first, second
}

// Observe reports a query string of an unusual shape for its site.
func (q *query) Observe(ev *event.Event, em *detect.Emitter) {
	if !q.ready() || !ev.Endpoint.IsValid() {
		return
	}
	dest, qs, ok := siteQuery(ev)
	if !ok {
		return
	}
	st := q.sites[dest]
	if st == nil || st.N < q.minSamples {
		return
	}
	sh := measure(qs)
	sd := 0.0
	if st.N > 1 {
		sd = math.Sqrt(st.M2Len / float64(st.N-1))
	}
	var odd, oddJA []string
	if sh.length >= minOddLen && sh.length > 2*st.Len2 && float64(sh.length) > st.MeanLen+6*sd {
		odd = append(odd, fmt.Sprintf("%d characters long where the site's queries are up to %d (mean %.0f)", sh.length, st.Len2, st.MeanLen))
		oddJA = append(oddJA, fmt.Sprintf("長さ%d文字（通常は%d文字まで）", sh.length, st.Len2))
	}
	if sh.length >= 32 && sh.entropy > st.Ent2+0.5 {
		odd = append(odd, fmt.Sprintf("entropy %.1f bits per character where the site's queries reach %.1f", sh.entropy, st.Ent2))
		oddJA = append(oddJA, fmt.Sprintf("エントロピー%.1fビット/文字（通常は%.1fまで）", sh.entropy, st.Ent2))
	}
	blob := sh.blob >= minBlob && sh.blob > 2*st.Blob2
	if blob {
		odd = append(odd, fmt.Sprintf("a %d-character %s blob where the site's blobs are up to %d", sh.blob, sh.blobKind, st.Blob2))
		oddJA = append(oddJA, fmt.Sprintf("%d文字の%sデータ（通常は%d文字まで）", sh.blob, sh.blobKind, st.Blob2))
	}
	huge := blob && sh.blob >= bigBlob
	if len(odd) < 2 && !huge || q.twice(ev) {
		return
	}
	in := q.eps.get(ev.Endpoint)
	host := requestHost(ev)
	q.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: host, Key: dest,
		Score: 0.4 + 0.15*float64(len(odd)), Rare: rare(q.env, dest),
		Summary: fmt.Sprintf("query string to %s of a shape unusual for the site (learned from %d queries): %s",
			clip(host, 80), st.N, strings.Join(odd, "; ")),
		SummaryJA: fmt.Sprintf("%s へのURLのクエリストリングがこのサイトとしては異常な形: %s",
			clip(host, 80), strings.Join(oddJA, "、")),
		Details: map[string]string{
			"domain": host, "site": dest, "url": clip(ev.URL, 500), "length": strconv.Itoa(sh.length),
			"entropy": strconv.FormatFloat(sh.entropy, 'f', 2, 64), "blob": strconv.Itoa(sh.blob),
			"learned_queries": strconv.Itoa(st.N),
		},
		Evidence: []*event.Event{ev},
	})
}

// queryBaseline is what N-QUERY saves. Version 1 kept only the largest
// values: restored, they stand for the second largest too.
type queryBaseline struct {
	Version int                    `json:"version"`
	Learned int64                  `json:"learned_events"`
	Sites   map[string]*queryStats `json:"sites"`
}

// Baseline returns the learned state.
func (q *query) Baseline() any { return queryBaseline{Version: 2, Learned: q.learnt, Sites: q.sites} }

// Restore sets the learned state.
func (q *query) Restore(b []byte) error {
	var v queryBaseline
	if err := restoreJSON(q.id, b, &v); err != nil {
		return err
	}
	q.sites = map[string]*queryStats{}
	for k, st := range v.Sites {
		if st != nil && len(q.sites) < q.maxSites {
			if v.Version < 2 {
				st.Len2, st.Ent2, st.Blob2 = st.MaxLen, st.MaxEnt, st.MaxBlob
			}
			q.sites[k] = st
		}
	}
	q.learnt = v.Learned
	return nil
}
