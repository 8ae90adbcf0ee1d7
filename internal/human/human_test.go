package human

import "testing"

func TestFormats(t *testing.T) {
	cases := []struct{ got, want string }{
		{Bytes(0), "0 B"},
		{Bytes(1023), "1023 B"},
		{Bytes(1536), "1.5 KiB"},
		{Bytes(39<<20 + 200<<10), "39.2 MiB"},
		{Traffic(950), "950 B"},
		{Traffic(3_100_000), "3.1 MB"},
		{Traffic(412_300_000), "412 MB"},
		{Traffic(2_000_000_000), "2 GB"},
		{Compact(950), "950"},
		{Compact(12 << 10), "12K"},
		{Compact(3<<20 + 100<<10), "3.1M"},
		{Count(950), "950"},
		{Count(12_345), "12.3k"},
		{Count(1_250_000), "1.2M"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
