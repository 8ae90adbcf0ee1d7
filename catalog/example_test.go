package catalog_test

import (
	"fmt"

	"github.com/mamori-soc/mamori/catalog"
)

func ExampleLoad() {
	c, err := catalog.Load()
	if err != nil {
		panic(err)
	}
	r, _ := c.Rule("S-SINKHOLE")
	p, _ := c.Phase(r.Phase)
	fmt.Println(r.Title.In("ja"))
	fmt.Println(p.Name.In("en"), "/", p.Name.In("ja"))
	// Output:
	// 名前解決結果が127.0.0.1・0.0.0.0・NXDOMAINとなる定期的な通信
	// Active communication with the C2 host / C2ホストとの積極的な通信
}

func ExampleList_Match() {
	c, err := catalog.Load()
	if err != nil {
		panic(err)
	}
	ddns, _ := c.List(catalog.ListDynamicDNS)
	for _, name := range []string{"cdn-update.duckdns.org", "duckdns.org.evil.com", "DuckDNS.org."} {
		zone, ok := ddns.Match(name)
		fmt.Printf("%s: %q %v\n", name, zone, ok)
	}
	// Output:
	// cdn-update.duckdns.org: "duckdns.org" true
	// duckdns.org.evil.com: "" false
	// DuckDNS.org.: "duckdns.org" true
}

func ExampleCatalog_Applicable() {
	c, err := catalog.Load()
	if err != nil {
		panic(err)
	}
	for _, m := range c.Applicable(catalog.ParamUser) {
		fmt.Printf("%-24s C%d I%d A%d cost %d evidence %-12s reversible %s\n",
			m.ID, m.Protects.C, m.Protects.I, m.Protects.A, m.Cost.Availability, m.Evidence.Class, m.Reversible)
	}
	// Output:
	// account.warn             C1 I1 A0 cost 0 evidence none         reversible yes
	// account.change-password  C2 I2 A1 cost 1 evidence none         reversible partly
	// account.disable          C3 I2 A1 cost 2 evidence none         reversible yes
	// account.delete           C3 I2 A1 cost 2 evidence history-lost reversible no
}

func ExampleMeasure_Expand() {
	c, err := catalog.Load()
	if err != nil {
		panic(err)
	}
	m, _ := c.Measure("segment.dns-block-domain")
	cmds, err := m.Expand(map[string]string{"domain": "evil.example"})
	if err != nil {
		panic(err)
	}
	for _, cmd := range cmds {
		fmt.Printf("%q stdin=%q\n", cmd.Argv, cmd.Stdin)
	}
	// Output:
	// ["tee" "-a" "/etc/dnsmasq.d/mamori-block.conf"] stdin="address=/evil.example/#\n"
	// ["systemctl" "restart" "dnsmasq"] stdin=""
}
