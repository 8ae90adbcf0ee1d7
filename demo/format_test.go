package demo

import (
	"net/netip"
	"testing"
	"time"
)

func TestAppendZeekString(t *testing.T) {
	tests := map[string]struct {
		in    string
		inSet bool
		want  string
	}{
		"plain":              {in: "www.google.com", want: "www.google.com"},
		"empty":              {in: "", want: "(empty)"},
		"unset mark":         {in: "-", want: `\x2d`},
		"backslash":          {in: `\\FS01\share`, want: `\\\\FS01\\share`},
		"tab":                {in: "a\tb", want: `a\x09b`},
		"comma outside sets": {in: "KHTML, like Gecko", want: "KHTML, like Gecko"},
		"comma in a set":     {in: "a,b", inSet: true, want: `a\x2cb`},
		"utf-8 passes":       {in: "請求書_2026.pdf.exe", want: "請求書_2026.pdf.exe"},
		"invalid utf-8":      {in: "a\xffb", want: `a\xffb`},
		"control byte":       {in: "a\x01", want: `a\x01`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := string(appendZeekString(nil, tt.in, tt.inSet)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTimeFormats(t *testing.T) {
	ts := time.Date(2026, 3, 4, 1, 2, 3, 456789123, time.UTC).UnixNano()
	var st stamp
	tests := map[string]struct{ got, want string }{
		"syslog in JST, day padded": {string(st.append(nil, ts)), "Mar  4 10:02:03"},
		"syslog cached second":      {string(st.append(nil, ts+100*ms)), "Mar  4 10:02:03"},
		"squid epoch ms":            {string(appendEpoch(nil, ts, 3)), "1772586123.456"},
		"zeek epoch us":             {string(appendEpoch(nil, ts, 6)), "1772586123.456789"},
		"zeek interval":             {string(appendSeconds(nil, 1500*ms+7*us)), "1.500007"},
		"squid elapsed width 6":     {string(appendPadded(nil, 250, 6)), "   250"},
		"kernel uptime wider":       {string(appendPadded(nil, 1234567, 5)), "1234567"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
