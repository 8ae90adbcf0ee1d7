package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// walk reads a whole record the way the parsers do, descending into every
// object and array, and returns the first error.
func walk(it Iter, depth int) error {
	for it.Next() {
		v := it.Value()
		switch v.Kind {
		case Object:
			if err := walk(v.Members(), depth+1); err != nil {
				return err
			}
		case Array:
			if err := walk(v.Elements(), depth+1); err != nil {
				return err
			}
		}
	}
	return it.Err()
}

func TestObjectSyntax(t *testing.T) {
	tests := map[string]struct {
		in        string
		wantErr   bool
		truncated bool
	}{
		"suricata flow":        {in: `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":445348883402532,"event_type":"flow","src_ip":"192.168.1.132","src_port":1900,"flow":{"pkts_toserver":12,"start":"2021-06-06T16:38:55.855844+0200","alerted":false},"host":"stratosphere.org"}`},
		"zeek nested id":       {in: `{"ts":1.5e9,"id":{"orig_h":"10.0.0.1","orig_p":1},"tags":[],"x":null}`},
		"white space":          {in: " \t{ \"a\" : [ 1 , -2.5E+3 , true , false , null ] } \t"},
		"empty object":         {in: `{}`},
		"escapes":              {in: `{"a":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`},
		"truncated string":     {in: `{"a":"abc`, wantErr: true, truncated: true},
		"truncated object":     {in: `{"a":1,"b":{"c":2`, wantErr: true, truncated: true},
		"truncated number":     {in: `{"a":1.`, wantErr: true, truncated: true},
		"truncated literal":    {in: `{"a":tr`, wantErr: true, truncated: true},
		"empty":                {in: ``, wantErr: true, truncated: true},
		"not an object":        {in: `[1,2]`, wantErr: true},
		"trailing data":        {in: `{"a":1} x`, wantErr: true},
		"two records":          {in: `{"a":1}{"b":2}`, wantErr: true},
		"missing colon":        {in: `{"a" 1}`, wantErr: true},
		"missing comma":        {in: `{"a":1 "b":2}`, wantErr: true},
		"trailing comma":       {in: `{"a":1,}`, wantErr: true},
		"array trailing comma": {in: `{"a":[1,]}`, wantErr: true},
		"bare word":            {in: `{"a":yes}`, wantErr: true},
		"leading zero":         {in: `{"a":01}`, wantErr: true},
		"lone minus":           {in: `{"a":-}`, wantErr: true},
		"bad escape":           {in: `{"a":"\x41"}`, wantErr: true},
		"bad unicode":          {in: `{"a":"\u12G4"}`, wantErr: true},
		"control char":         {in: "{\"a\":\"x\ty\"}", wantErr: true},
		"unquoted key":         {in: `{a:1}`, wantErr: true},
		"too deep":             {in: `{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := walk(Record([]byte(tc.in)), 0)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && IsTruncated(err) != tc.truncated {
				t.Errorf("IsTruncated(%v) = %v, want %v", err, IsTruncated(err), tc.truncated)
			}
			var se *SyntaxError
			if err != nil && !errors.As(err, &se) {
				t.Errorf("error %T is not a *SyntaxError", err)
			}
		})
	}
}

func TestValues(t *testing.T) {
	rec := []byte(`{"s":"a\"b\u00e9\ud83d\ude00","lone":"\ud800x","bad":"` + "caf\xe9 \xff\xfe" + `","i":-42,"big":9223372036854775808,"f":0.25,"e":1.5e3,"t":true,"n":null,"o":{"k":"v"},"a":["x",2]}`)
	got := map[string]Value{}
	it := Record(rec)
	for it.Next() {
		got[string(it.Key())] = it.Value()
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if s := got["s"].Text(); s != "a\"bé😀" {
		t.Errorf("s = %q", s)
	}
	if s := got["lone"].Text(); s != "\uFFFDx" {
		t.Errorf("lone surrogate = %q", s)
	}
	if s := got["bad"].Text(); s != "caf\uFFFD \uFFFD" {
		t.Errorf("invalid UTF-8 = %q", s)
	}
	if !got["s"].Equal("a\"bé😀") || got["s"].Equal("ab") || got["i"].Equal("-42") {
		t.Error("Equal")
	}
	if n, ok := got["i"].Int(); !ok || n != -42 {
		t.Errorf("i = %d, %v", n, ok)
	}
	if _, ok := got["big"].Int(); ok {
		t.Error("int64 overflow accepted")
	}
	if _, ok := got["f"].Int(); ok {
		t.Error("fraction accepted as int")
	}
	if f, ok := got["e"].Float(); !ok || f != 1500 {
		t.Errorf("e = %v, %v", f, ok)
	}
	if b, ok := got["t"].Bool(); !ok || !b {
		t.Errorf("t = %v, %v", b, ok)
	}
	if got["n"].Kind != Null || got["o"].Kind != Object || got["a"].Kind != Array {
		t.Errorf("kinds: %v %v %v", got["n"].Kind, got["o"].Kind, got["a"].Kind)
	}
	if got["i"].Text() != "" || got["s"].Kind.String() != "string" {
		t.Error("Text of a number, or Kind.String")
	}
	m := got["o"].Members()
	if !m.Next() || string(m.Key()) != "k" || m.Value().Text() != "v" || m.Next() || m.Err() != nil {
		t.Error("Members")
	}
	var elems []string
	e := got["a"].Elements()
	for e.Next() {
		if e.Key() != nil {
			t.Error("array element has a key")
		}
		elems = append(elems, string(e.Value().Raw()))
	}
	if strings.Join(elems, "|") != "x|2" || e.Err() != nil {
		t.Errorf("Elements = %q, %v", elems, e.Err())
	}
	wrongObj, wrongArr := got["s"].Members(), got["o"].Elements()
	if wrongObj.Next() || wrongArr.Next() {
		t.Error("descending into the wrong kind yields members")
	}
}

func TestEscapedKey(t *testing.T) {
	it := Record([]byte(`{"id.orig\u005fh":"1.2.3.4"}`))
	if !it.Next() || string(it.Key()) != "id.orig_h" {
		t.Fatalf("key = %q, err %v", it.Key(), it.Err())
	}
}

func TestNoAllocs(t *testing.T) {
	rec := []byte(`{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":445348883402532,"event_type":"flow","flow":{"pkts_toserver":12,"bytes_toserver":4056,"state":"new"},"host":"stratosphere.org"}`)
	allocs := testing.AllocsPerRun(100, func() {
		if err := walk(Record(rec), 0); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("walking a record allocates %v times", allocs)
	}
}

// FuzzObject checks the scanner against encoding/json: it accepts exactly
// the objects encoding/json accepts (within MaxDepth), and decodes strings
// the same way.
func FuzzObject(f *testing.F) {
	for _, s := range []string{
		`{"ts":22.335172,"uid":"C6ce9q3xECAsonga21","id.orig_h":"fe80::1cf4:44d2:904a:14f7","tags":[],"x":null}`,
		`{"a":"\ud83d\ude00\u00e9\n","b":[1,{"c":true}],"d":-0.5e-3}`,
		`{"a":"\ud800\udc00\ud800"}`,
		`{"a":1`,
		`{"a":"\xff"}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		err := walk(Record(rec), 0)
		var se *SyntaxError
		if err != nil && errors.As(err, &se) && se.Msg == "nested too deeply" {
			return
		}
		trimmed := bytes.TrimLeft(rec, " \t\r\n")
		want := json.Valid(rec) && len(trimmed) > 0 && trimmed[0] == '{'
		if (err == nil) != want {
			t.Fatalf("scanner error %v, encoding/json valid object %v", err, want)
		}
		if err != nil {
			return
		}
		// Compare decoded top-level strings with encoding/json.
		var m map[string]any
		if json.Unmarshal(rec, &m) != nil {
			t.Fatal("encoding/json rejects what it validated")
		}
		ours := map[string]string{} // the last value of each key wins, as in encoding/json
		it := Record(rec)
		for it.Next() {
			if v := it.Value(); v.Kind == String {
				ours[string(it.Key())] = v.Text()
			} else {
				delete(ours, string(it.Key()))
			}
		}
		for k, got := range ours {
			want, ok := m[k].(string)
			if !ok {
				continue // a key that is not valid UTF-8: encoding/json renamed it
			}
			// encoding/json replaces invalid UTF-8 byte by byte, we by run:
			// compare only text that decoded without replacements.
			if got != want && !strings.ContainsRune(got, '\uFFFD') {
				t.Fatalf("key %q: got %q, encoding/json %q", k, got, want)
			}
		}
	})
}
