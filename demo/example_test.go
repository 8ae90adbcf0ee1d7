package demo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mamori-soc/mamori/demo"
)

// Write the demo into a directory and list what a console should read.
func ExampleWrite() {
	dir, err := os.MkdirTemp("", "demo")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, demo.Location())
	m, err := demo.Write(context.Background(), dir, demo.Options{At: at})
	if err != nil {
		panic(err)
	}
	for _, f := range m.Files[:4] {
		rel, _ := filepath.Rel(dir, f.Path)
		fmt.Println(rel, f.Format)
	}
	// Output:
	// proxy/access.log squid
	// gateway/dnsmasq.log dnsmasq
	// gateway/firewall.log netfilter
	// servers/auth.log sshd
}

// The story says what the detection engine should find, where and when.
func ExampleStory() {
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, demo.Location())
	s, err := demo.Story(demo.Options{At: at})
	if err != nil {
		panic(err)
	}
	fmt.Println("victim", s.Victim.Host, s.Victim.IP)
	for _, st := range s.Steps {
		fmt.Printf("phase %d %-18s T%+v %v\n", st.Phase, st.Name, st.Time.Sub(s.At).Round(time.Second), st.Rules)
	}
	// Output:
	// victim pc-011 10.0.10.31
	// phase 2 delivery           T-16h3m19s [M-DOUBLE-EXT N-EXE-SOURCE M-DDNS]
	// phase 3 foothold           T-16h0m11s [N-IP-DIRECT N-EXE-SOURCE N-APP]
	// phase 5 c2-beacon          T-15h58m3s [S-BEACON M-DDNS N-CONNECT-PORT M-IOC-DOMAIN N-APP C-SAME-EP]
	// phase 5 sinkhole-lookups   T-15h55m18s [S-SINKHOLE M-DDNS]
	// phase 4 fan-out            T5s [S-FANOUT]
	// phase 4 spread-pc-003      T18s [N-LAN-EXE M-PSEXEC]
	// phase 4 spread-pc-006      T24s [N-LAN-EXE M-PSEXEC]
	// phase 5 lateral-c2         T30s [M-IOC-DOMAIN M-DDNS N-CONNECT-PORT N-APP C-CROSS-EP]
	// phase 4 brute-force        T32s [S-ERRORS]
	// phase 6 exfiltration       T45s [S-BYTES-OUT N-APP C-KILLCHAIN]
	// phase 6 proxy-bypass       T52s [N-PROXY-BYPASS N-NO-DNS]
}
