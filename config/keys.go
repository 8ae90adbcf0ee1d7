package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// checkKeys walks the YAML document beside the type it decodes into and
// reports every key the type does not have, where it is and the nearest
// known key: "unknown key `fromat` in sources[0] (line 4; did you mean
// `format`?)". yaml.v3's own KnownFields error names the Go type instead
// ("field fromat not found in type config.Source"), which tells an admin
// nothing.
func checkKeys(doc *yaml.Node, t reflect.Type) []error {
	if doc == nil {
		return nil
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		doc = doc.Content[0]
	}
	var errs []error
	walkKeys(doc, t, "", &errs)
	return errs
}

func walkKeys(n *yaml.Node, t reflect.Type, where string, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error, which the decoder reports
		}
		if _, ok := reflect.New(t).Interface().(yaml.Unmarshaler); ok {
			return // decodes itself
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, unknownKey(k, where, fields))
				continue
			}
			walkKeys(v, f.Type, join(where, k.Value), errs)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, v := range n.Content {
			walkKeys(v, t.Elem(), where+"["+strconv.Itoa(i)+"]", errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkKeys(n.Content[i+1], t.Elem(), join(where, n.Content[i].Value), errs)
		}
	}
}

func join(where, key string) string {
	if where == "" {
		return key
	}
	return where + "." + key
}

// yamlFields maps a struct's YAML keys to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		out[name] = f
	}
	return out
}

func unknownKey(k *yaml.Node, where string, fields map[string]reflect.StructField) error {
	in := "at the top level"
	if where != "" {
		in = "in " + where
	}
	msg := fmt.Sprintf("unknown key `%s` %s (line %d", k.Value, in, k.Line)
	if s := nearest(k.Value, fields); s != "" {
		msg += fmt.Sprintf("; did you mean `%s`?", s)
	}
	return fmt.Errorf("%s)", msg)
}

// nearest returns the known key closest to key, if it is close enough to
// be a typo.
func nearest(key string, fields map[string]reflect.StructField) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	best, bestD := "", 1<<30
	for _, n := range names {
		if d := distance(strings.ToLower(key), n); d < bestD {
			best, bestD = n, d
		}
	}
	if bestD <= max(2, len(key)/3) {
		return best
	}
	return ""
}

// distance is the Damerau–Levenshtein distance (with adjacent swaps, the
// commonest typo) between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range rb {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
