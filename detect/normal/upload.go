package normal

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/internal/human"
)

// uploadType is N-UPLOAD-TYPE: a file type sent out to the internet that
// the endpoint, its segment and the organisation do not normally send.
//
// What is sent is known from
//
//   - HTTP PUT and POST requests: the file name in the URL path (a PUT's
//     target, or a POST to a path that names a file) or in a query
//     parameter (filename=, name=, file=); a large body of unknown type
//     (request_body_len in a sensor's log) counts as the type "unknown";
//   - files a sensor saw sent in a POST or PUT (Suricata fileinfo with its
//     HTTP context), by content type or name;
//   - files a sensor saw the endpoint send over a connection it opened to
//     the internet (Zeek files.log with is_orig: an HTTP upload, a mail
//     with an attachment, an FTP STOR), by MIME type or name;
//   - SMB writes to an internet address.
//
// A proxy log does not say the request's content type (Squid logs the
// reply's), so it is not used for the type. Archives, disk
// images and databases, large bodies, and cloud storage or file-sharing
// destinations (the shipped trusted-sites list, or the category list)
// score higher.
type uploadType struct {
	rule
	prof    *detect.SetProfile
	trusted *catalog.List
	large   int64
}

// unknownType is the value of a large upload whose type nothing names.
const unknownType = "unknown"

func newUploadType(p detect.Params, env *detect.Env) detect.Detector {
	u := &uploadType{
		rule:  newRule(RuleUploadType, env),
		prof:  detect.NewSetProfile(p.Int("max_types", 64)),
		large: int64(p.Int("large_bytes", 10<<20)),
	}
	if env.Catalog != nil {
		u.trusted, _ = env.Catalog.List(catalog.ListTrustedSites)
	}
	return u
}

// Params lists the tunables.
func (u *uploadType) Params() []detect.Param {
	return []detect.Param{
		{Name: "max_types", Default: 64, Doc: "file types kept per endpoint"},
		{Name: "large_bytes", Default: 10 << 20, Doc: "an upload at least this large counts even when nothing names its type, and scores higher (10 MiB: more than a form or a photo)"},
	}
}

// Kinds lists the events read: HTTP requests, files and SMB actions.
func (u *uploadType) Kinds() []event.Kind {
	return []event.Kind{event.KindHTTP, event.KindFile, event.KindSMB}
}

// sent is one upload.
type sent struct {
	in     *endpointInfo
	host   string // where it went
	typ    string // "zip", "pdf", unknownType
	family fileFamily
	name   string // the file name, when known
	size   int64  // bytes sent, 0 when unknown
}

// external reports whether host (a name or a literal address) is on the
// internet.
func (u *uploadType) external(host string) bool {
	if a, lit := ipLiteral(host); lit {
		return !u.env.Internal(a) && publicAddr(a)
	}
	return u.internetName(host)
}

func (u *uploadType) upload(ev *event.Event) (s sent, ok bool) {
	if !ev.Endpoint.IsValid() || ev.Endpoint != ev.SrcIP {
		return s, false
	}
	switch ev.Kind {
	case event.KindHTTP:
		m := ev.Method
		if m != "PUT" && m != "POST" {
			return s, false
		}
		s.host = requestHost(ev)
		if !u.external(s.host) {
			return s, false
		}
		s.size = ev.BytesOut
		s.name = uploadName(ev.URL, m == "PUT")
		s.typ, s.family = fileType("", s.name)
	case event.KindFile:
		// A POST or PUT (Suricata's HTTP context), or a file the
		// originator sent (Zeek's is_orig, as bytes out).
		sentOut := ev.Method == "" && ev.BytesOut > 0 && ev.BytesIn == 0
		if ev.Method != "PUT" && ev.Method != "POST" && !sentOut {
			return s, false
		}
		s.host = requestHost(ev)
		if s.host == "" && ev.DstIP.IsValid() {
			s.host = ev.DstIP.String()
		}
		if !u.external(s.host) {
			return s, false
		}
		s.name, s.size = ev.FileName, ev.FileSize
		s.typ, s.family = fileType(ev.ContentType, ev.FileName)
	case event.KindSMB:
		if !strings.Contains(strings.ToUpper(ev.Method), "WRITE") || !ev.DstIP.IsValid() || !u.external(ev.DstIP.String()) {
			return s, false
		}
		s.host, s.name, s.size = ev.DstIP.String(), ev.FileName, ev.FileSize
		s.typ, s.family = fileType("", ev.FileName)
	default:
		return s, false
	}
	if s.typ == "" {
		if s.size < u.large {
			return s, false // a form, an API call: nothing says a file left
		}
		s.typ = unknownType
	}
	s.in = u.eps.get(ev.Endpoint)
	return s, true
}

// uploadName finds the name of an uploaded file in a URL: a query
// parameter naming it, else the path's last segment when the request
// stores there (PUT) or the segment has a file type's extension.
func uploadName(u string, put bool) string {
	if q := urlQuery(u); q != "" {
		for _, kv := range strings.Split(q, "&") {
			k, v, _ := strings.Cut(kv, "=")
			switch strings.ToLower(k) {
			case "filename", "file", "name", "fname", "file_name":
				if d, err := url.QueryUnescape(v); err == nil {
					v = d
				}
				if ext(v) != "" {
					return v
				}
			}
		}
	}
	p := urlPath(u)
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	if d, err := url.PathUnescape(p); err == nil {
		p = d
	}
	if put {
		return p
	}
	if e := ext(p); exeExts[e] || extFamilies[e] != famOther || e == "jpg" {
		return p
	}
	return ""
}

// Learn records the file types each endpoint sends out.
func (u *uploadType) Learn(ev *event.Event) {
	u.learnt++
	if s, ok := u.upload(ev); ok {
		u.prof.Learn(s.in.id, s.in.segment, s.typ)
	}
}

// Observe reports a file type sent out that is outside the baseline.
func (u *uploadType) Observe(ev *event.Event, em *detect.Emitter) {
	if !u.ready() {
		return
	}
	s, ok := u.upload(ev)
	if !ok {
		return
	}
	usual, why := u.prof.Usual(s.in.id, s.in.segment, s.typ)
	if usual || ev.Kind == event.KindHTTP && u.twice(ev) {
		return
	}
	dest := site(s.host)
	score := 0.45
	if s.family.risky() {
		score = 0.65
	}
	size, sizeJA := "", ""
	if s.size > 0 {
		size, sizeJA = fmt.Sprintf(", %s", human.Traffic(s.size)), fmt.Sprintf("、%s", human.Traffic(s.size))
	}
	if s.size >= u.large {
		score += 0.15
	}
	storage, storageJA := "", ""
	if zone, ok := matchList(u.trusted, s.host); ok {
		storage, storageJA = " (cloud or file-sharing service "+zone+")", "（クラウド・ファイル共有サービス "+zone+"）"
		score += 0.1
	} else if u.env.Categories != nil {
		if cat, ok := u.env.Categories.Category(s.host); ok && (strings.Contains(cat, "storage") || strings.Contains(cat, "sharing")) {
			storage, storageJA = " ("+cat+")", "（"+cat+"）"
			score += 0.1
		}
	}
	if u.prof.Org[s.typ] == 0 {
		score += 0.05
	}
	what := s.typ + " " + s.family.String()
	if s.typ == unknownType {
		what = "large upload of unknown type"
	}
	name := ""
	if s.name != "" {
		name = " " + strconv.Quote(clip(s.name, 80))
	}
	u.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: s.in.id, Host: ev.Host, Peer: dest, Key: s.typ,
		Score: min(score, 0.95), Rare: rare(u.env, dest),
		Summary: fmt.Sprintf("sent a %s%s%s to %s%s: a file type the organisation does not normally send out (%s)",
			what, name, size, clip(s.host, 80), storage, why),
		SummaryJA: fmt.Sprintf("通常送信しない形式のファイル（%s%s%s）を %s%s へ送信",
			s.typ, name, sizeJA, clip(s.host, 80), storageJA),
		Details: map[string]string{
			"type": s.typ, "family": s.family.String(), "file": clip(s.name, 200), "bytes": strconv.FormatInt(s.size, 10),
			"domain": s.host, "baseline": why,
		},
		Evidence: []*event.Event{ev},
	})
}

// Baseline returns the learned state.
func (u *uploadType) Baseline() any { return profileBaseline{Learned: u.learnt, Profile: u.prof} }

// Restore sets the learned state.
func (u *uploadType) Restore(b []byte) error {
	var v profileBaseline
	if err := restoreJSON(u.id, b, &v); err != nil {
		return err
	}
	if v.Profile != nil {
		u.prof = v.Profile
	}
	u.learnt = v.Learned
	return nil
}
