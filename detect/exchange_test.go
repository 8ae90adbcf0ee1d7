package detect_test

import (
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// decode parses one real log line as the named format would in a file
// with the given name.
func decode(t *testing.T, format, file, line string) *event.Event {
	t.Helper()
	f, err := ingest.LookupFormat(ingest.Formats(), format)
	if err != nil {
		t.Fatal(err)
	}
	dec := f.New(parse.Source{Path: "/logs/" + file, Location: time.UTC, Year: 2021})
	var ev event.Event
	if err := dec.Decode([]byte(line), &ev); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return &ev
}

// TestExchangeOf reads what came back from real lines of each source: a
// refused or unanswered connection is not an exchange, and an ICMP error
// is a report about other traffic.
func TestExchangeOf(t *testing.T) {
	cases := map[string]struct {
		format, file, line string
		want               detect.Exchange
		service            string
	}{
		// zeek-slips port-scans-vertical: nmap's probes of scanme.nmap.org.
		"zeek REJ": {"zeek", "conn.log", `{"ts":1700828217.314165,"uid":"CfykLO1IT1nVRJhLA3","id.orig_h":"192.168.1.9","id.orig_p":50820,"id.resp_h":"45.33.32.156","id.resp_p":443,"proto":"tcp","duration":0.20696377754211426,"orig_bytes":0,"resp_bytes":0,"conn_state":"REJ","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"Sr","orig_pkts":1,"orig_ip_bytes":60,"resp_pkts":1,"resp_ip_bytes":40}`,
			detect.ExchangeRefused, "443/tcp"},
		"zeek RSTO without data": {"zeek", "conn.log", `{"ts":1700828217.313984,"uid":"Cbv8yQ1SWqf3kRDvie","id.orig_h":"192.168.1.9","id.orig_p":42982,"id.resp_h":"45.33.32.156","id.resp_p":80,"proto":"tcp","duration":0.20723414421081543,"orig_bytes":0,"resp_bytes":0,"conn_state":"RSTO","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShAR","orig_pkts":3,"orig_ip_bytes":164,"resp_pkts":1,"resp_ip_bytes":60}`,
			detect.ExchangeRefused, "80/tcp"},
		"zeek SF with data": {"zeek", "conn.log", `{"ts":1700828216.271032,"uid":"C0TWms4B2erdeieCel","id.orig_h":"192.168.1.9","id.orig_p":46414,"id.resp_h":"185.199.110.133","id.resp_p":443,"proto":"tcp","service":"ssl","duration":1.7514169216156006,"orig_bytes":799,"resp_bytes":256288,"conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShADadFRf","orig_pkts":115,"orig_ip_bytes":6763,"resp_pkts":224,"resp_ip_bytes":267944}`,
			detect.ExchangeAnswered, "443/tcp (ssl)"},
		// zeek-slips test9: a multicast query nobody answered, and the
		// VM's gateway reporting time exceeded (type 11) to it.
		"zeek S0": {"zeek", "conn.log", `{"ts":22.335172,"uid":"C6ce9q3xECAsonga21","id.orig_h":"fe80::1cf4:44d2:904a:14f7","id.orig_p":61099,"id.resp_h":"ff02::1:3","id.resp_p":5355,"proto":"udp","service":"dns","duration":0.09628199999999865,"orig_bytes":50,"resp_bytes":0,"conn_state":"S0","missed_bytes":0,"history":"D","orig_pkts":2,"orig_ip_bytes":146,"resp_pkts":0,"resp_ip_bytes":0}`,
			detect.ExchangeUnanswered, "5355/udp (dns)"},
		"zeek ICMP time exceeded": {"zeek", "conn.log", `{"ts":26.385069,"uid":"CDm47v3jrYL8lx0cOh","id.orig_h":"10.0.2.2","id.orig_p":11,"id.resp_h":"10.0.2.15","id.resp_p":0,"proto":"icmp","duration":21.996442000000003,"orig_bytes":796,"resp_bytes":0,"conn_state":"OTH","missed_bytes":0,"orig_pkts":27,"orig_ip_bytes":1552,"resp_pkts":0,"resp_ip_bytes":0}`,
			detect.ExchangeICMPError, "icmp type 11"},
		// suricata-slips: an inbound telnet probe the honeypot reset, a
		// probe of RTSP it answered, and a UDP timer nobody answered.
		"suricata refused": {"suricata", "eve.json", `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":1337991927893520,"event_type":"flow","src_ip":"107.174.144.204","src_port":57095,"dest_ip":"192.168.1.129","dest_port":23,"proto":"TCP","flow":{"pkts_toserver":2,"pkts_toclient":2,"bytes_toserver":120,"bytes_toclient":120,"start":"2021-06-07T04:33:55.003600+0200","end":"2021-06-07T04:33:55.003851+0200","age":0,"state":"closed","reason":"shutdown","alerted":false},"tcp":{"tcp_flags":"16","tcp_flags_ts":"02","tcp_flags_tc":"14","syn":true,"rst":true,"ack":true,"state":"closed"},"host":"stratosphere.org"}`,
			detect.ExchangeRefused, "23/tcp"},
		"suricata answered": {"suricata", "eve.json", `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":482525783043092,"event_type":"flow","src_ip":"162.142.125.53","src_port":51230,"dest_ip":"192.168.1.129","dest_port":554,"proto":"TCP","app_proto":"http","flow":{"pkts_toserver":10,"pkts_toclient":8,"bytes_toserver":762,"bytes_toclient":818,"start":"2021-06-07T09:25:24.306196+0200","end":"2021-06-07T09:25:25.523306+0200","age":1,"state":"closed","reason":"shutdown","alerted":false},"tcp":{"tcp_flags":"1f","tcp_flags_ts":"1e","tcp_flags_tc":"1b","syn":true,"fin":true,"rst":true,"psh":true,"ack":true,"state":"closed"},"host":"stratosphere.org"}`,
			detect.ExchangeAnswered, "554/tcp (http)"},
		"suricata unanswered": {"suricata", "eve.json", `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":117324627781075,"event_type":"flow","src_ip":"192.168.1.129","src_port":49435,"dest_ip":"122.248.234.231","dest_port":8760,"proto":"UDP","app_proto":"failed","flow":{"pkts_toserver":6,"pkts_toclient":0,"bytes_toserver":768,"bytes_toclient":0,"start":"2021-06-06T23:57:23.796115+0200","end":"2021-06-06T23:57:29.810270+0200","age":6,"state":"new","reason":"timeout","alerted":false},"host":"stratosphere.org"}`,
			detect.ExchangeUnanswered, "8760/udp"},
		// crowdsec's Proxmox firewall fixture: a drop, and an accept,
		// which says nothing of what came back.
		"netfilter drop": {"netfilter", "pve-firewall.log", `0 3 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 policy DROP: IN=vmbr0.94 MAC=24:8a:07:9a:2a:f2:24:8a:07:50:2c:9e:08:00 SRC=10.3.94.11 DST=10.3.94.12 LEN=52 TOS=0x00 PREC=0xC0 TTL=255 ID=64317 DF PROTO=UDP SPT=49152 DPT=3784 LEN=32`,
			detect.ExchangeRefused, "3784/udp"},
		"netfilter accept": {"netfilter", "pve-firewall.log", `0 0 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 ACCEPT: IN=vmbr0.94 MAC=24:8a:07:9a:2a:f2:d4:af:f7:44:93:1f:08:00 SRC=10.3.95.34 DST=10.3.94.12 LEN=60 TOS=0x00 PREC=0x00 TTL=62 ID=64432 DF PROTO=TCP SPT=56386 DPT=8006 SEQ=2853565861 ACK=0 WINDOW=64240 SYN `,
			detect.ExchangeUnknown, "8006/tcp"},
	}
	for name, c := range cases {
		ev := decode(t, c.format, c.file, c.line)
		if got := detect.ExchangeOf(ev); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
		if got := detect.ServiceName(ev); got != c.service {
			t.Errorf("%s: service %q, want %q", name, got, c.service)
		}
	}
}
