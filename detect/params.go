package detect

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/mamori-soc/mamori/internal/duration"
)

// Params are a rule's settings: the config file's values over the rule's
// defaults.
type Params struct {
	rule   string
	values map[string]any
	errs   *[]error
}

// Int returns an integer setting.
func (p Params) Int(name string, def int) int {
	v, ok := p.values[name]
	if !ok {
		return def
	}
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		if n == float64(int(n)) {
			return int(n)
		}
	}
	p.bad(name, v, "a whole number")
	return def
}

// Float returns a number setting.
func (p Params) Float(name string, def float64) float64 {
	v, ok := p.values[name]
	if !ok {
		return def
	}
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case float64:
		return n
	}
	p.bad(name, v, "a number")
	return def
}

// Duration returns a duration setting ("30s", "24h", "7d").
func (p Params) Duration(name string, def time.Duration) time.Duration {
	v, ok := p.values[name]
	if !ok {
		return def
	}
	if s, ok := v.(string); ok {
		d, err := duration.Parse(s)
		if err == nil && d > 0 {
			return d
		}
	}
	p.bad(name, v, "a duration such as 30s, 24h or 7d")
	return def
}

// Strings returns a list-of-strings setting.
func (p Params) Strings(name string, def []string) []string {
	v, ok := p.values[name]
	if !ok {
		return def
	}
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, x := range l {
			s, ok := x.(string)
			if !ok {
				p.bad(name, v, "a list of strings")
				return def
			}
			out = append(out, s)
		}
		return out
	}
	p.bad(name, v, "a list of strings")
	return def
}

// Ints returns a list-of-whole-numbers setting, such as ports: [443, 8443].
func (p Params) Ints(name string, def []int) []int {
	v, ok := p.values[name]
	if !ok {
		return def
	}
	l, ok := v.([]any)
	if !ok {
		p.bad(name, v, "a list of whole numbers")
		return def
	}
	out := make([]int, 0, len(l))
	for _, x := range l {
		switch n := x.(type) {
		case int:
			out = append(out, n)
		case int64:
			out = append(out, int(n))
		case float64:
			if n != float64(int(n)) {
				p.bad(name, v, "a list of whole numbers")
				return def
			}
			out = append(out, int(n))
		default:
			p.bad(name, v, "a list of whole numbers")
			return def
		}
	}
	return out
}

func (p Params) bad(name string, v any, want string) {
	if p.errs != nil {
		*p.errs = append(*p.errs, fmt.Errorf("rules.%s.params.%s: %v is not %s", p.rule, name, v, want))
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
