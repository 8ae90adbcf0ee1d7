package detect

import (
	"reflect"
	"testing"
)

func TestParamsInts(t *testing.T) {
	def := []int{443}
	cases := map[string]struct {
		value any
		want  []int
		bad   bool
	}{
		"unset":        {nil, def, false},
		"yaml ints":    {[]any{443, 8443}, []int{443, 8443}, false},
		"json numbers": {[]any{float64(80), float64(8080)}, []int{80, 8080}, false},
		"int64":        {[]any{int64(53)}, []int{53}, false},
		"empty list":   {[]any{}, []int{}, false},
		"fraction":     {[]any{1.5}, def, true},
		"string in it": {[]any{"443"}, def, true},
		"not a list":   {443, def, true},
	}
	for name, c := range cases {
		var errs []error
		values := map[string]any{}
		if c.value != nil {
			values["ports"] = c.value
		}
		p := Params{rule: "N-X", values: values, errs: &errs}
		if got := p.Ints("ports", def); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", name, got, c.want)
		}
		if (len(errs) > 0) != c.bad {
			t.Errorf("%s: errors %v", name, errs)
		}
	}
}
