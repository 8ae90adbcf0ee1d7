package detect

import (
	"encoding/json"
	"fmt"
)

// SetProfile is a baseline of which values (destination ports, user
// agents, countries, site categories, ...) each endpoint, each segment and
// the organisation use in normal business. It is learned during the
// learning window and then answers whether a value is usual for an
// endpoint. An endpoint with no baseline of its own (a new PC, a user's
// first day) is judged by its segment and the organisation, so that doing
// what colleagues do is not an anomaly.
type SetProfile struct {
	// MaxValues bounds the values kept per endpoint; an endpoint that
	// reaches it is "saturated" (too varied to judge) and every value is
	// usual for it.
	MaxValues int `json:"max_values"`
	// Endpoints maps endpoint → value → times seen.
	Endpoints map[string]map[string]uint32 `json:"endpoints"`
	// Saturated are the endpoints that reached MaxValues.
	Saturated map[string]bool `json:"saturated,omitempty"`
	// Segments maps segment → value → endpoints of the segment using it.
	Segments map[string]map[string]uint32 `json:"segments"`
	// Org maps value → endpoints using it.
	Org map[string]uint32 `json:"org"`
}

// Profile bounds: enough for an office, bounded for a week of traffic.
const (
	maxProfileEndpoints = 1 << 16
	maxOrgValues        = 200_000
)

// NewSetProfile returns an empty profile keeping up to maxValues values
// per endpoint.
func NewSetProfile(maxValues int) *SetProfile {
	return &SetProfile{
		MaxValues: maxValues,
		Endpoints: map[string]map[string]uint32{},
		Saturated: map[string]bool{},
		Segments:  map[string]map[string]uint32{},
		Org:       map[string]uint32{},
	}
}

// Learn records that endpoint (of segment, which may be "") used value.
func (p *SetProfile) Learn(endpoint, segment, value string) {
	if endpoint == "" || value == "" || p.Saturated[endpoint] {
		return
	}
	vals := p.Endpoints[endpoint]
	if vals == nil {
		if len(p.Endpoints) >= maxProfileEndpoints {
			return
		}
		vals = map[string]uint32{}
		p.Endpoints[endpoint] = vals
	}
	if n, ok := vals[value]; ok {
		vals[value] = n + 1
		return
	}
	if len(vals) >= p.MaxValues {
		p.Saturated[endpoint] = true
		return
	}
	vals[value] = 1
	if segment != "" {
		seg := p.Segments[segment]
		if seg == nil {
			seg = map[string]uint32{}
			p.Segments[segment] = seg
		}
		seg[value]++
	}
	if _, ok := p.Org[value]; ok || len(p.Org) < maxOrgValues {
		p.Org[value]++
	}
}

// Has reports whether endpoint has a baseline of its own.
func (p *SetProfile) Has(endpoint string) bool {
	_, ok := p.Endpoints[endpoint]
	return ok || p.Saturated[endpoint]
}

// Usual reports whether value is usual for endpoint, and why: it is in the
// endpoint's own baseline; or other endpoints of its segment use it (at
// least two); or at least a fifth of the organisation's endpoints (at
// least two) do. The reason is a short phrase for alert explanations.
func (p *SetProfile) Usual(endpoint, segment, value string) (bool, string) {
	if p.Saturated[endpoint] {
		return true, "endpoint too varied to judge"
	}
	if _, ok := p.Endpoints[endpoint][value]; ok {
		return true, "in the endpoint's own baseline"
	}
	if segment != "" {
		if n := p.Segments[segment][value]; n >= 2 {
			return true, fmt.Sprintf("used by %d endpoints of segment %s", n, segment)
		}
	}
	total := len(p.Endpoints) + len(p.Saturated)
	if n := int(p.Org[value]); n >= 2 && n*5 >= total {
		return true, fmt.Sprintf("used by %d of %d endpoints", n, total)
	}
	return false, p.unusualWhy(endpoint, value, total)
}

func (p *SetProfile) unusualWhy(endpoint, value string, total int) string {
	n := int(p.Org[value])
	own := "a machine new since the learning period, judged by what its colleagues do"
	if vals, ok := p.Endpoints[endpoint]; ok {
		own = fmt.Sprintf("not among the %d it used in the learning period", len(vals))
	}
	return fmt.Sprintf("%s; %d of the %d machines seen then used it", own, n, total)
}

// Values returns an endpoint's baseline values (for explanations).
func (p *SetProfile) Values(endpoint string) map[string]uint32 { return p.Endpoints[endpoint] }

// UnmarshalJSON reads a saved profile, keeping its maps non-nil.
func (p *SetProfile) UnmarshalJSON(b []byte) error {
	type plain SetProfile
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = SetProfile(v)
	if p.Endpoints == nil {
		p.Endpoints = map[string]map[string]uint32{}
	}
	if p.Saturated == nil {
		p.Saturated = map[string]bool{}
	}
	if p.Segments == nil {
		p.Segments = map[string]map[string]uint32{}
	}
	if p.Org == nil {
		p.Org = map[string]uint32{}
	}
	return nil
}
