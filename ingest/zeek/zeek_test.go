package zeek

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
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

// readLines returns the lines of a test file, gunzipping .gz files.
func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer func() { _ = gz.Close() }()
		r = gz
	}
	var lines [][]byte
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return lines
}

// header returns the header block at the top of a TSV test file.
func header(t testing.TB, path string) [][]byte {
	t.Helper()
	var h [][]byte
	for _, l := range readLines(t, path) {
		if !bytes.HasPrefix(bytes.TrimLeft(l, " \t"), []byte("#")) {
			break
		}
		h = append(h, l)
	}
	return h
}

// decodeAfter feeds a decoder for path the given header lines, then line.
func decodeAfter(t testing.TB, path string, hdr [][]byte, line string) (event.Event, error) {
	t.Helper()
	dec := Format.New(parse.Source{Path: path})
	for _, h := range hdr {
		var ev event.Event
		if err := dec.Decode(h, &ev); !errors.Is(err, parse.ErrSkip) {
			t.Fatalf("header line %q: %v", h, err)
		}
	}
	var ev event.Event
	err := dec.Decode([]byte(line), &ev)
	return ev, err
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func unix(sec, nsec int64) time.Time { return time.Unix(sec, nsec).UTC() }

// The cases are real lines; each asserts every field the parser sets.
func TestDecodeTSV(t *testing.T) {
	wrccdc := func(name string) string { return filepath.Join(testdata, "zeek-wrccdc2018", name) }
	tests := map[string]struct {
		file string
		line string
		want event.Event
	}{
		"conn": {
			file: filepath.Join(testdata, "zeek-rita/proxy/conn.log"),
			line: "1672845160.565841\tCQvy4K28GaAXCSQdrb\t10.136.0.18\t42024\t10.136.0.16\t3128\ttcp\thttp,ssl\t0.053893\t677\t1434\tRSTO\tT\tT\t0\tShADadR\t7\t1049\t4\t1650\t-",
			want: event.Event{
				Time: unix(1672845160, 565841000), Format: "zeek.conn", Kind: event.KindConnection,
				SrcIP: ip("10.136.0.18"), SrcPort: 42024, DstIP: ip("10.136.0.16"), DstPort: 3128,
				Transport: "tcp", Service: "http,ssl", BytesOut: 677, BytesIn: 1434,
				Duration: 53893 * time.Microsecond, Label: "RSTO",
			},
		},
		"conn ipv6": {
			file: filepath.Join(testdata, "zeek-slips/test10-mixed-zeek-dir/conn.log"),
			line: "1601998368.896819\tCdBOyt3KpveMqzyzFf\t2001:718:2:1663:c0db:dd37:83fd:3c64\t5353\tff02::fb\t5353\tudp\tdns\t0.100846\t1953\t0\tS0\t-\t-\t0\tD\t2\t2049\t0\t0\t-",
			want: event.Event{
				Time: unix(1601998368, 896819000), Format: "zeek.conn", Kind: event.KindConnection,
				SrcIP: ip("2001:718:2:1663:c0db:dd37:83fd:3c64"), SrcPort: 5353, DstIP: ip("ff02::fb"), DstPort: 5353,
				Transport: "udp", Service: "dns", BytesOut: 1953, Duration: 100846 * time.Microsecond, Label: "S0",
			},
		},
		"dns nxdomain": {
			file: wrccdc("dns.log.gz"),
			line: "1521911728.388994\tCGwYrw4I1B1sdgKgF\t10.47.1.151\t29644\t10.0.0.100\t53\tudp\t7183\t-\tvideosearch.ubuntu.com\t1\tC_INTERNET\t1\tA\t3\tNXDOMAIN\tF\tF\tT\tF\t0\t-\t-\tT",
			want: event.Event{
				Time: unix(1521911728, 388994000), Format: "zeek.dns", Kind: event.KindDNS,
				SrcIP: ip("10.47.1.151"), SrcPort: 29644, DstIP: ip("10.0.0.100"), DstPort: 53,
				Transport: "udp", Query: "videosearch.ubuntu.com", QType: "A", RCode: "NXDOMAIN",
			},
		},
		"dns answers": {
			file: wrccdc("dns.log.gz"),
			line: "1521911720.865716\tCqKst53mF3det3eDV9\t10.47.1.100\t41772\t10.0.0.100\t53\tudp\t36329\t0.000870\tise.wrccdc.org\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\tise.wrccdc.cpp.edu,134.71.3.16\t2230.000000,41830.000000\tF",
			want: event.Event{
				Time: unix(1521911720, 865716000), Format: "zeek.dns", Kind: event.KindDNS,
				SrcIP: ip("10.47.1.100"), SrcPort: 41772, DstIP: ip("10.0.0.100"), DstPort: 53,
				Transport: "udp", Query: "ise.wrccdc.org", QType: "A", RCode: "NOERROR",
				Answers: []string{"ise.wrccdc.cpp.edu", "134.71.3.16"},
			},
		},
		"http relative uri": {
			file: filepath.Join(testdata, "zeek-rita/dnscat2-ja3-strobe-agent/http.log.gz"),
			line: "1517336154.078555\tCsDSTo3cGyb7sbxsj5\t10.55.100.109\t52068\t52.44.164.170\t80\t1\tGET\twww.alexa.com\t/topsites/category;2/Top/Business/\t-\t1.1\tMozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.16299.98\t0\t178\t301\tMoved Permanently\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\tFfN3lR2RQPdyjaiHo9\t-\ttext/html\tCarol\t5934e4c5-9acb-498f-a706-b4b7200a47aa\t",
			want: event.Event{
				Time: unix(1517336154, 78555000), Format: "zeek.http", Kind: event.KindHTTP,
				SrcIP: ip("10.55.100.109"), SrcPort: 52068, DstIP: ip("52.44.164.170"), DstPort: 80,
				Domain: "www.alexa.com", URL: "http://www.alexa.com/topsites/category;2/Top/Business/",
				Method: "GET", Status: 301, BytesIn: 178, ContentType: "text/html",
				UserAgent: "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.16299.98",
			},
		},
		"http connect through a proxy": {
			file: filepath.Join(testdata, "zeek-rita/proxy/http.log"),
			line: "1672843056.914972\tCXHB1X22027MRWU6D\t10.136.0.18\t55548\t10.136.0.16\t3128\t1\tCONNECT\twww.google.com\twww.google.com:443\t-\t1.1\tModzilla/-2.0 (Atari 7800)\t-\t0\t0\t200\tConnection established\t-\t-\t(empty)\t-\t-\tPROXY-CONNECTION -> Keep-Alive\t-\t-\t-\t-\t-\t-",
			want: event.Event{
				Time: unix(1672843056, 914972000), Format: "zeek.http", Kind: event.KindHTTP,
				SrcIP: ip("10.136.0.18"), SrcPort: 55548, DstIP: ip("10.136.0.16"), DstPort: 3128,
				Domain: "www.google.com", URL: "www.google.com:443", Method: "CONNECT", Status: 200,
				UserAgent: "Modzilla/-2.0 (Atari 7800)",
			},
		},
		"files, old layout": {
			file: filepath.Join(testdata, "zeek-slips/test10-mixed-zeek-dir/files.log"),
			line: "1601998391.179142\tFjGF8o46zypp408Lm5\t3.232.121.231\t147.32.83.156\tCuMXP94isDk3tncxy\tSSL\t0\tMD5,X509,SHA1,SHA256\tapplication/x-x509-user-cert\t-\t0.000000\t-\tF\t1638\t-\t0\t0\tF\t-\taeeb74a57c1f9df4cfc4536d26a38b8c\t0a6b201a7bff643cc5dd6631e5940e858ee07d25\tfc85d5ae673d6d3befce84844d750aff3c8d3c9f041330017ed3c47b9c26c86e\t-\t-\t-",
			want: event.Event{
				Time: unix(1601998391, 179142000), Format: "zeek.files", Kind: event.KindFile,
				// is_orig F: the responder sent the certificate, so the
				// receiver is the connection's originator.
				SrcIP: ip("147.32.83.156"), DstIP: ip("3.232.121.231"), Service: "ssl",
				ContentType: "application/x-x509-user-cert", FileSize: 1638, BytesIn: 1638,
				FileHash: "fc85d5ae673d6d3befce84844d750aff3c8d3c9f041330017ed3c47b9c26c86e",
			},
		},
		"files, sha1 when there is no sha256": {
			file: filepath.Join(testdata, "zeek-slips/test10-mixed-zeek-dir/files.log"),
			line: "1601998391.128990\tFhnCNgxaBzf0nhUYg\t3.232.121.231\t147.32.83.156\tCYetmM3b29tLNkUk42\tSSL\t0\tMD5,SHA1\tapplication/ocsp-response\t-\t0.000000\t-\tF\t527\t-\t0\t0\tF\t-\t742893f349203edba6a727dc3176708a\t68b98b3cb88d58b1806dc968f22e171bde7e9491\t-\t-\t-\t-",
			want: event.Event{
				Time: unix(1601998391, 128990000), Format: "zeek.files", Kind: event.KindFile,
				SrcIP: ip("147.32.83.156"), DstIP: ip("3.232.121.231"), Service: "ssl",
				ContentType: "application/ocsp-response", FileSize: 527, BytesIn: 527,
				FileHash: "68b98b3cb88d58b1806dc968f22e171bde7e9491",
			},
		},
		"dce_rpc svcctl CreateServiceW": {
			file: wrccdc("dce_rpc.log.gz"),
			line: `1521911754.630420	C6WWAQ2G8MqT1hrQHd	10.128.0.214	41717	10.47.8.142	445	0.054631	\\pipe\\ntsvcs	svcctl	CreateServiceW`,
			want: event.Event{
				Time: unix(1521911754, 630420000), Format: "zeek.dce_rpc", Kind: event.KindRPC,
				SrcIP: ip("10.128.0.214"), SrcPort: 41717, DstIP: ip("10.47.8.142"), DstPort: 445,
				Service: "svcctl", Method: "CreateServiceW", Label: `\pipe\ntsvcs`,
			},
		},
		"smb_files svcctl pipe open": {
			file: wrccdc("smb_files.log.gz"),
			line: `1521911754.600639	C6WWAQ2G8MqT1hrQHd	10.128.0.214	41717	10.47.8.142	445	-	SMB::FILE_OPEN	-	\\svcctl	0	-	-	-	-	-`,
			want: event.Event{
				Time: unix(1521911754, 600639000), Format: "zeek.smb_files", Kind: event.KindSMB,
				SrcIP: ip("10.128.0.214"), SrcPort: 41717, DstIP: ip("10.47.8.142"), DstPort: 445,
				Method: "SMB::FILE_OPEN", FileName: `\svcctl`,
			},
		},
		"smb_mapping ADMIN$": {
			file: wrccdc("smb_mapping.log.gz"),
			line: `1521911721.382822	C4RwE01ohVxASBuobd	10.128.0.233	52298	10.47.21.25	445	\\\\10.47.21.25\\ADMIN$	-	-	DISK`,
			want: event.Event{
				Time: unix(1521911721, 382822000), Format: "zeek.smb_mapping", Kind: event.KindSMB,
				SrcIP: ip("10.128.0.233"), SrcPort: 52298, DstIP: ip("10.47.21.25"), DstPort: 445,
				Method: "map", Label: `\\10.47.21.25\ADMIN$`, Service: "DISK",
			},
		},
		"notice with escaped commas": {
			file: wrccdc("notice.log.gz"),
			line: `1521911720.629574	CmC9kY1X0u9nP78KZc	10.164.94.120	39611	10.47.3.200	443	FGP2jt4dhD3bYZ923k	-	-	tcp	SSL::Invalid_Server_Cert	SSL certificate validation failed with (unable to get local issuer certificate)	unstructuredName=1315656901\\,564d7761726520496e632e,CN=localhost.localdomain,emailAddress=ssl-certificates@vmware.com,OU=VMware ESX Server Default Certificate,O=VMware\\, Inc,L=Palo Alto,ST=California,C=US	10.164.94.120	10.47.3.200	443	-	-	Notice::ACTION_LOG	(empty)	3600.000000	-	-	-	-	-`,
			want: event.Event{
				Time: unix(1521911720, 629574000), Format: "zeek.notice", Kind: event.KindIDS,
				SrcIP: ip("10.164.94.120"), SrcPort: 39611, DstIP: ip("10.47.3.200"), DstPort: 443,
				Transport: "tcp", Signature: "SSL::Invalid_Server_Cert",
				Message: "SSL certificate validation failed with (unable to get local issuer certificate)",
			},
		},
		"notice about a host": {
			file: filepath.Join(testdata, "zeek-slips/test10-mixed-zeek-dir/notice.log"),
			line: "1601998373.487780\t-\t-\t-\t-\t-\t-\t-\t-\ttcp\tScan::Address_Scan\t147.32.83.156 scanned at least 25 unique hosts on port 8080/tcp in 2m51s\tremote\t147.32.83.156\t-\t8080\t-\tbro\tNotice::ACTION_LOG\t3600.000000\tF\t-\t-\t-\t-\t-",
			want: event.Event{
				Time: unix(1601998373, 487780000), Format: "zeek.notice", Kind: event.KindIDS,
				SrcIP: ip("147.32.83.156"), DstPort: 8080, Transport: "tcp", Observer: "bro",
				Signature: "Scan::Address_Scan",
				Message:   "147.32.83.156 scanned at least 25 unique hosts on port 8080/tcp in 2m51s",
			},
		},
		"weird": {
			file: wrccdc("weird.log.gz"),
			line: "1521911721.155638\tC8pPAS1MvRUZRkBO18\t10.164.94.120\t36171\t10.47.8.218\t80\tunknown_HTTP_method\tPRI\tF\tzeek\t-",
			want: event.Event{
				Time: unix(1521911721, 155638000), Format: "zeek.weird", Kind: event.KindNotice,
				SrcIP: ip("10.164.94.120"), SrcPort: 36171, DstIP: ip("10.47.8.218"), DstPort: 80,
				Observer: "zeek", Label: "unknown_HTTP_method", Message: "PRI",
			},
		},
		"ssh failed login": {
			file: wrccdc("ssh.log.gz"),
			line: "1521911958.864751\tCJqhXL1pzFV2qOuS1b\t10.128.0.233\t36040\t10.47.26.186\t22\t2\tF\t1\t-\tSSH-2.0-OpenSSH_7.6p1 Debian-4\tSSH-2.0-OpenSSH_6.7p1 Debian-5+deb8u4\tchacha20-poly1305@openssh.com\tumac-64-etm@openssh.com\tnone\tcurve25519-sha256@libssh.org\tecdsa-sha2-nistp256\t79:f0:93:5b:02:a4:f4:ff:82:f4:76:ca:4b:dd:ef:25\t-\t-\t-\t-\t-",
			want: event.Event{
				Time: unix(1521911958, 864751000), Format: "zeek.ssh", Kind: event.KindAuth,
				SrcIP: ip("10.128.0.233"), SrcPort: 36040, DstIP: ip("10.47.26.186"), DstPort: 22,
				Service: "ssh", UserAgent: "SSH-2.0-OpenSSH_7.6p1 Debian-4", Outcome: event.OutcomeFailure,
			},
		},
		"ntlm": {
			file: wrccdc("ntlm.log.gz"),
			line: "1521911754.371836\tC6WWAQ2G8MqT1hrQHd\t10.128.0.214\t41717\t10.47.8.142\t445\tAdministrator\tZA3Mb5kF7rTTSw7N\tFACTORY\tGUMMYBACON\tgummybacon.factory.oompa.loompa\tfactory.oompa.loompa\t-",
			want: event.Event{
				Time: unix(1521911754, 371836000), Format: "zeek.ntlm", Kind: event.KindAuth,
				SrcIP: ip("10.128.0.214"), SrcPort: 41717, DstIP: ip("10.47.8.142"), DstPort: 445,
				Service: "ntlm", User: `FACTORY\Administrator`,
			},
		},
		"kerberos": {
			file: wrccdc("kerberos.log.gz"),
			line: "1521911885.713879\tCiB1v61O1fMDWoHN2\t10.128.0.241\t58444\t10.47.1.208\t808\tAS\t/NM\tkrbtgt/NM\t-\t-\t-\t0.000000\t-\tT\tT\t-\t-\t-\t-",
			want: event.Event{
				Time: unix(1521911885, 713879000), Format: "zeek.kerberos", Kind: event.KindAuth,
				SrcIP: ip("10.128.0.241"), SrcPort: 58444, DstIP: ip("10.47.1.208"), DstPort: 808,
				Service: "kerberos", User: "/NM", Method: "AS", Label: "krbtgt/NM",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decodeAfter(t, tc.file, header(t, tc.file), tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeJSON(t *testing.T) {
	tests := map[string]struct {
		file string // names the decoder's file
		line string
		want event.Event
	}{
		"conn, relative timestamp": {
			file: "test9-mixed-zeek-dir/conn.log",
			line: `{"ts":30.043784,"uid":"CeXwwk4XHhkKHn7kag","id.orig_h":"10.0.2.15","id.orig_p":49158,"id.resp_h":"195.113.232.73","id.resp_p":80,"proto":"tcp","service":"http","duration":0.0018720000000023163,"orig_bytes":97,"resp_bytes":179,"conn_state":"SF","missed_bytes":0,"history":"ShADadfF","orig_pkts":5,"orig_ip_bytes":309,"resp_pkts":5,"resp_ip_bytes":383}`,
			want: event.Event{
				Time: unix(30, 43784000), Format: "zeek.conn", Kind: event.KindConnection,
				SrcIP: ip("10.0.2.15"), SrcPort: 49158, DstIP: ip("195.113.232.73"), DstPort: 80,
				Transport: "tcp", Service: "http", BytesOut: 97, BytesIn: 179, Label: "SF",
				Duration: 1872000, // 0.0018720000000023163 s, to the nanosecond
			},
		},
		"conn, epoch timestamp": {
			file: "port-scans-vertical/conn.log",
			line: `{"ts":1700828217.313984,"uid":"Cbv8yQ1SWqf3kRDvie","id.orig_h":"192.168.1.9","id.orig_p":42982,"id.resp_h":"45.33.32.156","id.resp_p":80,"proto":"tcp","duration":0.20723414421081543,"orig_bytes":0,"resp_bytes":0,"conn_state":"RSTO","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShAR","orig_pkts":3,"orig_ip_bytes":164,"resp_pkts":1,"resp_ip_bytes":60,"orig_l2_addr":"c4:23:60:3d:fd:d3","resp_l2_addr":"50:78:b3:b0:08:ec"}`,
			want: event.Event{
				Time: unix(1700828217, 313984000), Format: "zeek.conn", Kind: event.KindConnection,
				SrcIP: ip("192.168.1.9"), SrcPort: 42982, DstIP: ip("45.33.32.156"), DstPort: 80,
				Transport: "tcp", Label: "RSTO", Duration: 207234144,
			},
		},
		"dns": {
			file: "test9-mixed-zeek-dir/dns.log",
			line: `{"ts":29.557741,"uid":"CTudTc7oyRltJwU32","id.orig_h":"10.0.2.15","id.orig_p":54330,"id.resp_h":"147.32.80.9","id.resp_p":53,"proto":"udp","trans_id":31185,"query":"isatap.felk.cvut.cz","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":3,"rcode_name":"NXDOMAIN","AA":false,"TC":false,"RD":true,"RA":false,"Z":0,"rejected":false}`,
			want: event.Event{
				Time: unix(29, 557741000), Format: "zeek.dns", Kind: event.KindDNS,
				SrcIP: ip("10.0.2.15"), SrcPort: 54330, DstIP: ip("147.32.80.9"), DstPort: 53,
				Transport: "udp", Query: "isatap.felk.cvut.cz", QType: "A", RCode: "NXDOMAIN",
			},
		},
		"http Mozi payload": {
			file: "test9-mixed-zeek-dir/http.log",
			line: `{"ts":30.044629,"uid":"CeXwwk4XHhkKHn7kag","id.orig_h":"10.0.2.15","id.orig_p":49158,"id.resp_h":"195.113.232.73","id.resp_p":80,"trans_depth":1,"method":"GET","host":"103.41.26.58","uri":"/Mozi.m","version":"1.1","user_agent":"Microsoft NCSI","request_body_len":0,"response_body_len":14,"status_code":200,"status_msg":"OK","tags":[],"resp_fuids":["FypKKm49ugFVDFcWx5"],"resp_mime_types":["text/plain"]}`,
			want: event.Event{
				Time: unix(30, 44629000), Format: "zeek.http", Kind: event.KindHTTP,
				SrcIP: ip("10.0.2.15"), SrcPort: 49158, DstIP: ip("195.113.232.73"), DstPort: 80,
				Domain: "103.41.26.58", URL: "http://103.41.26.58/Mozi.m", Method: "GET", Status: 200,
				UserAgent: "Microsoft NCSI", BytesIn: 14, ContentType: "text/plain",
			},
		},
		"files": {
			file: "test9-mixed-zeek-dir/files.log",
			line: `{"ts":29.869534,"fuid":"FqhaAy4xsmJ3AR63A3","tx_hosts":["147.32.80.7"],"rx_hosts":["10.0.2.15"],"conn_uids":["CAeDWs37BipkfP21u9"],"source":"HTTP","depth":0,"analyzers":["SHA1","MD5"],"mime_type":"text/plain","duration":0.0,"is_orig":false,"seen_bytes":593,"total_bytes":593,"missing_bytes":0,"overflow_bytes":0,"timedout":false,"md5":"df7c845e4eadd7bac6cbfe2087bbd482","sha1":"8800350f53cb7bfc883962e965461d94ab5d2616"}`,
			want: event.Event{
				Time: unix(29, 869534000), Format: "zeek.files", Kind: event.KindFile,
				SrcIP: ip("10.0.2.15"), DstIP: ip("147.32.80.7"), Service: "http",
				ContentType: "text/plain", FileSize: 593, BytesIn: 593, FileHash: "8800350f53cb7bfc883962e965461d94ab5d2616",
			},
		},
		"files, sent by the originator (an upload)": {
			file: "test9-mixed-zeek-dir/files.log",
			line: `{"ts":98.561282,"fuid":"FMZ1Q24f6O2u8sbhYd","tx_hosts":["10.0.2.15"],"rx_hosts":["40.127.142.76"],"conn_uids":["CHIago37j5aBcAwAVl"],"source":"HTTP","depth":0,"analyzers":["SHA1","MD5"],"mime_type":"text/json","duration":0.0,"is_orig":true,"seen_bytes":2104,"total_bytes":2104,"missing_bytes":0,"overflow_bytes":0,"timedout":false,"md5":"c3dd8ad55681d19477213d086d4a6554","sha1":"d9c5b0c145fd38e76fbf49c27489d3059da251cd"}`,
			want: event.Event{
				Time: unix(98, 561282000), Format: "zeek.files", Kind: event.KindFile,
				SrcIP: ip("10.0.2.15"), DstIP: ip("40.127.142.76"), Service: "http",
				ContentType: "text/json", FileSize: 2104, BytesOut: 2104, FileHash: "d9c5b0c145fd38e76fbf49c27489d3059da251cd",
			},
		},
		"notice without a connection": {
			file: "test9-mixed-zeek-dir/notice.log",
			line: `{"ts":1664459365.848468,"note":"ICMP::ICMPAddressScan","msg":"192.168.1.15 performed ICMP address scan on 5 hosts","src":"192.168.1.15","n":5,"actions":["Notice::ACTION_LOG"],"email_dest":[],"suppress_for":3600.0}`,
			want: event.Event{
				Time: unix(1664459365, 848468000), Format: "zeek.notice", Kind: event.KindIDS,
				SrcIP: ip("192.168.1.15"), Signature: "ICMP::ICMPAddressScan",
				Message: "192.168.1.15 performed ICMP address scan on 5 hosts",
			},
		},
		"a guesser's notice names its victims in sub": {
			file: "notice.log",
			line: `{"ts":1601998373.487791,"note":"SSH::Password_Guessing","msg":"222.186.30.112 appears to be guessing SSH passwords (seen in 30 connections).","sub":"Sampled servers: 147.32.85.117, 147.32.85.117, 147.32.81.196","src":"222.186.30.112","peer_descr":"bro","actions":["Notice::ACTION_LOG"],"suppress_for":3600.0}`,
			want: event.Event{
				Time: unix(1601998373, 487791000), Format: "zeek.notice", Kind: event.KindIDS,
				SrcIP: ip("222.186.30.112"), DstIP: ip("147.32.85.117"), Signature: "SSH::Password_Guessing", Observer: "bro",
				Message: "222.186.30.112 appears to be guessing SSH passwords (seen in 30 connections).",
			},
		},
		// The lines below change one thing in a real line (port-scans-vertical
		// conn.log) to cover layouts absent from the samples.
		"nested id, _path, ISO 8601 ts, node name": {
			file: "zeek.json",
			line: `{"_path":"conn","_node_name":"worker-1","ts":"2023-11-24T12:16:57.314165Z","uid":"CfykLO1IT1nVRJhLA3","id":{"orig_h":"192.168.1.9","orig_p":50820,"resp_h":"45.33.32.156","resp_p":443},"proto":"tcp","duration":0.20696377754211426,"orig_bytes":0,"resp_bytes":0,"conn_state":"REJ"}`,
			want: event.Event{
				Time: unix(1700828217, 314165000), Format: "zeek.conn", Kind: event.KindConnection,
				SrcIP: ip("192.168.1.9"), SrcPort: 50820, DstIP: ip("45.33.32.156"), DstPort: 443,
				Transport: "tcp", Label: "REJ", Duration: 206963777, Observer: "worker-1",
			},
		},
		"type from the keys": {
			file: "export.json",
			line: `{"ts":1700828217.314165,"uid":"CfykLO1IT1nVRJhLA3","id.orig_h":"192.168.1.9","id.orig_p":50820,"id.resp_h":"45.33.32.156","id.resp_p":443,"proto":"tcp","conn_state":"REJ"}`,
			want: event.Event{
				Time: unix(1700828217, 314165000), Format: "zeek.conn", Kind: event.KindConnection,
				SrcIP: ip("192.168.1.9"), SrcPort: 50820, DstIP: ip("45.33.32.156"), DstPort: 443,
				Transport: "tcp", Label: "REJ",
			},
		},
		"per-interface file name": {
			file: "/var/log/zeek/conn_eth0.09:00:00-10:00:00.log",
			line: `{"ts":1700828217.314165,"id.orig_h":"192.168.1.9","id.resp_h":"45.33.32.156","proto":"tcp"}`,
			want: event.Event{
				Time: unix(1700828217, 314165000), Format: "zeek.conn", Kind: event.KindConnection,
				SrcIP: ip("192.168.1.9"), DstIP: ip("45.33.32.156"), Transport: "tcp",
			},
		},
		"invalid UTF-8 is replaced": {
			file: "http.log",
			line: "{\"ts\":30.044629,\"id.orig_h\":\"10.0.2.15\",\"id.resp_h\":\"195.113.232.73\",\"id.resp_p\":80,\"method\":\"GET\",\"host\":\"103.41.26.58\",\"uri\":\"/Mozi\xff.m\"}",
			want: event.Event{
				Time: unix(30, 44629000), Format: "zeek.http", Kind: event.KindHTTP,
				SrcIP: ip("10.0.2.15"), DstIP: ip("195.113.232.73"), DstPort: 80,
				Domain: "103.41.26.58", URL: "http://103.41.26.58/Mozi\uFFFD.m", Method: "GET",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decodeAfter(t, tc.file, nil, tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// connHeader is the header of zeek-rita proxy/conn.log.
var connHeader = []string{
	`#separator \x09`,
	"#set_separator\t,",
	"#empty_field\t(empty)",
	"#unset_field\t-",
	"#path\tconn",
	"#open\t2023-01-05-18-51-06",
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]",
}

const connLine = "1672843056.913119\tCXHB1X22027MRWU6D\t10.136.0.18\t55548\t10.136.0.16\t3128\ttcp\thttp,ssl\t0.084044\t1030\t20275\tSF\tT\tT\t0\tShADadFf\t18\t1974\t14\t21011\t-"

var connEvent = event.Event{
	Time: unix(1672843056, 913119000), Format: "zeek.conn", Kind: event.KindConnection,
	SrcIP: ip("10.136.0.18"), SrcPort: 55548, DstIP: ip("10.136.0.16"), DstPort: 3128,
	Transport: "tcp", Service: "http,ssl", BytesOut: 1030, BytesIn: 20275,
	Duration: 84044 * time.Microsecond, Label: "SF",
}

// decodeAll feeds lines to one decoder and returns what each returned.
func decodeAll(path string, lines []string) ([]event.Event, []error) {
	dec := Format.New(parse.Source{Path: path})
	evs := make([]event.Event, len(lines))
	errs := make([]error, len(lines))
	for i, l := range lines {
		errs[i] = dec.Decode([]byte(l), &evs[i])
	}
	return evs, errs
}

func lines(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			out = append(out, p)
		case []string:
			out = append(out, p...)
		}
	}
	return out
}

// TestTSVLayouts covers header and column variants around one real conn line.
func TestTSVLayouts(t *testing.T) {
	// reorder swaps the columns uid and id.resp_h in a header or data line.
	reorder := func(s string) string {
		f := strings.Split(s, "\t")
		i, j := 1, 4
		if strings.HasPrefix(s, "#") {
			i, j = i+1, j+1
		}
		f[i], f[j] = f[j], f[i]
		return strings.Join(f, "\t")
	}
	// withColumn adds a first column to a header or data line.
	withColumn := func(s, col string) string {
		if key, rest, ok := strings.Cut(s, "\t"); ok && strings.HasPrefix(key, "#") {
			return key + "\t" + col + "\t" + rest
		}
		return col + "\t" + s
	}
	hdrWith := func(fields, types string) []string {
		h := append([]string(nil), connHeader...)
		h[6], h[7] = fields, types
		return h
	}
	nodeEvent := connEvent
	nodeEvent.Observer = "worker-1"

	tests := map[string]struct {
		path  string
		lines []string
		want  event.Event
	}{
		"plain": {lines: lines(connHeader, connLine), want: connEvent},
		"stray white space before the header": {
			lines: lines("\t"+connHeader[0], connHeader[1:], connLine), want: connEvent,
		},
		`separator written as \t`: {
			lines: lines(`#separator \t`, connHeader[1:], connLine), want: connEvent,
		},
		"trailing separator": {lines: lines(connHeader, connLine+"\t"), want: connEvent},
		"columns in another order": {
			lines: lines(connHeader[:6], reorder(connHeader[6]), reorder(connHeader[7]), reorder(connLine)),
			want:  connEvent,
		},
		"extra columns and a node name": {
			lines: lines(connHeader[:6],
				withColumn(connHeader[6], "_node_name")+"\tlabel\tdetailed-label",
				withColumn(connHeader[7], "string")+"\tstring\tstring",
				withColumn(connLine, "worker-1")+"\tMalicious\tC&C"),
			want: nodeEvent,
		},
		"no #path, type from the file name": {
			path:  "/logs/conn.09:00:00-10:00:00.log.gz",
			lines: lines(connHeader[:4], connHeader[5:], connLine), want: connEvent,
		},
		"no #path, type from the columns": {
			path:  "/logs/capture.tsv",
			lines: lines(connHeader[:4], connHeader[5:], connLine), want: connEvent,
		},
		"header without #separator": {lines: lines(connHeader[4:], connLine), want: connEvent},
		"a new header block replaces the old": {
			lines: lines(
				hdrWith("#fields\tts\tquery", "#types\ttime\tstring"), "1.0\tx",
				"#close\t2023-01-05-18-51-07",
				connHeader, connLine),
			want: connEvent,
		},
		"a second #fields without #separator": {
			lines: lines(hdrWith("#fields\tts\tid.orig_h", "#types\ttime\taddr"), "1.0\t10.0.0.1",
				"#fields\t"+strings.TrimPrefix(reorder(connHeader[6]), "#fields\t"), reorder(connLine)),
			want: connEvent,
		},
		"other separators": {
			lines: lines(`#separator \x7c`, "#set_separator|;", "#empty_field|EMPTY", "#unset_field|NONE", "#path|conn",
				strings.ReplaceAll(connHeader[6], "\t", "|"),
				strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(connLine, "\t-", "\tNONE"), "http,ssl", "http;ssl"), "\t", "|")),
			want: func() event.Event { e := connEvent; e.Service = "http;ssl"; return e }(),
		},
		"multi-byte separator": {
			lines: lines(`#separator \x3a\x3a`, "#path::conn", strings.ReplaceAll(connHeader[6], "\t", "::"),
				strings.ReplaceAll(connLine, "\t", "::")),
			want: connEvent,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = "/logs/current/conn.log"
			}
			evs, errs := decodeAll(path, tc.lines)
			last := len(tc.lines) - 1
			for i, err := range errs[:last] {
				if err != nil && !errors.Is(err, parse.ErrSkip) {
					t.Errorf("line %d %q: %v", i, tc.lines[i], err)
				}
			}
			if errs[last] != nil {
				t.Fatalf("data line: %v", errs[last])
			}
			if !reflect.DeepEqual(evs[last], tc.want) {
				t.Errorf("got  %+v\nwant %+v", evs[last], tc.want)
			}
		})
	}
}

// TestValues covers escapes, sets and unset vs empty in one real dns line
// with its values varied.
func TestValues(t *testing.T) {
	hdr := header(t, filepath.Join(testdata, "zeek-wrccdc2018/dns.log.gz"))
	const line = "1521911720.865716\tCqKst53mF3det3eDV9\t10.47.1.100\t41772\t10.0.0.100\t53\tudp\t36329\t0.000870\t%s\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t%s\t2230.000000,41830.000000\tF"
	tests := map[string]struct {
		query, answers string
		wantQuery      string
		wantAnswers    []string
	}{
		"plain":                  {"ise.wrccdc.org", "a,b", "ise.wrccdc.org", []string{"a", "b"}},
		"unset":                  {"-", "-", "", nil},
		"empty":                  {"(empty)", "(empty)", "", nil},
		"escaped separator":      {`a\x09b`, `x\x2cy,z`, "a\tb", []string{"x,y", "z"}},
		"escaped backslash":      {`\\\\host\\share`, `\\x41`, `\\host\share`, []string{`\x41`}},
		"a dash that is a value": {`\x2d`, `\x2d`, "-", []string{"-"}},
		"the word (empty)":       {`\x28empty)`, `-`, "(empty)", nil},
		"non-UTF-8 byte":         {`caf\xe9`, `\xff\xfe`, "caf\uFFFD", []string{"\uFFFD"}},
		"UTF-8 escaped":          {`\xe3\x81\x82.jp`, `-`, "あ.jp", nil},
		"stray backslash":        {`a\qb\x4`, `-`, `a\qb\x4`, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev, err := decodeAfter(t, "dns.log", hdr, strings.Replace(strings.Replace(line, "%s", tc.query, 1), "%s", tc.answers, 1))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Query != tc.wantQuery || !reflect.DeepEqual(ev.Answers, tc.wantAnswers) {
				t.Errorf("query %q answers %q, want %q %q", ev.Query, ev.Answers, tc.wantQuery, tc.wantAnswers)
			}
		})
	}
}

func TestReject(t *testing.T) {
	hdr := header(t, filepath.Join(testdata, "zeek-rita/proxy/conn.log"))
	field := func(i int, v string) string {
		f := strings.Split(connLine, "\t")
		f[i] = v
		return strings.Join(f, "\t")
	}
	tests := map[string]struct {
		noHeader bool
		line     string
		reason   string
	}{
		"TSV line without a header":  {noHeader: true, line: connLine, reason: "no header"},
		"too few columns":            {line: connLine[:strings.LastIndexByte(connLine, '\t')], reason: "wrong column count"},
		"too many columns":           {line: connLine + "\tx\ty", reason: "wrong column count"},
		"one extra non-empty column": {line: connLine + "\tx", reason: "wrong column count"},
		"truncated TSV line":         {line: connLine[:40], reason: "wrong column count"},
		"unset ts":                   {line: field(0, "-"), reason: "missing timestamp"},
		"bad ts":                     {line: field(0, "16728430x6.9"), reason: "bad timestamp"},
		"negative ts":                {line: field(0, "-1.5"), reason: "bad timestamp"},
		"ts of absurd size":          {line: field(0, "1e300"), reason: "bad timestamp"},
		"bad address":                {line: field(2, "10.136.0.256"), reason: "bad address"},
		"address with leading zero":  {line: field(2, "10.136.0.018"), reason: "bad address"},
		"bad port":                   {line: field(3, "65536"), reason: "bad port"},
		"bad count":                  {line: field(9, "12k"), reason: "bad number"},
		"bad interval":               {line: field(8, "0.08.4"), reason: "bad number"},
		"binary garbage":             {line: "\x00\x01\x02\xff\xfe\t\x80", reason: "wrong column count"},
		"bad JSON":                   {line: `{"ts":1.0,"id.orig_h":"10.0.0.1",}`, reason: "bad JSON"},
		"truncated JSON":             {line: `{"ts":1700828217.314165,"uid":"CfykLO1IT1nVRJhLA3","id.orig_h":"192.16`, reason: "truncated line"},
		"JSON wrong type":            {line: `{"ts":1.0,"id.orig_h":"10.0.0.1","id.orig_p":"80","conn_state":"S0"}`, reason: "wrong type"},
		"JSON address not a string":  {line: `{"ts":1.0,"id.orig_h":167772161,"conn_state":"S0"}`, reason: "wrong type"},
		"JSON missing ts":            {line: `{"uid":"C1","id.orig_h":"10.0.0.1","conn_state":"S0"}`, reason: "missing timestamp"},
		"JSON bad ISO ts":            {line: `{"ts":"yesterday","id.orig_h":"10.0.0.1","conn_state":"S0"}`, reason: "bad timestamp"},
		"JSON bad address":           {line: `{"ts":1.0,"id.orig_h":"10.0.0.1.5","conn_state":"S0"}`, reason: "bad address"},
		"JSON bad bool":              {line: `{"ts":1.0,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","auth_success":"T"}`, reason: "wrong type"},
		"bad separator header":       {line: "#separator", reason: "bad header"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := hdr
			if tc.noHeader {
				h = nil
			}
			path := "conn.log"
			if strings.Contains(tc.line, "auth_success") {
				path = "ssh.log"
			}
			_, err := decodeAfter(t, path, h, tc.line)
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
	x509 := header(t, filepath.Join(testdata, "zeek-slips/test10-mixed-zeek-dir/x509.log"))
	tests := map[string]struct {
		path     string
		lines    []string
		skipFile bool // the last line's error is a SkipFile, else ErrSkip
	}{
		"x509 TSV header": {
			path: "x509.log", lines: lines(string(x509[0]), string(x509[1]), string(x509[2]), string(x509[3]), "#path\tx509"), skipFile: true,
		},
		"x509 by file name": {path: "/logs/x509.log", lines: lines(`#separator \x09`), skipFile: true},
		"resumed inside an x509 log": {
			path: "x509.log", skipFile: true,
			lines: lines("#path\tx509", "1601998391.128990\tFRBu481kCfyF0aScA1\t3"),
		},
		"unknown TSV log": {path: "custom.log", lines: lines("#path\tmy_custom_log"), skipFile: true},
		"JSON pe.log":     {path: "pe.log", lines: lines(`{"ts":160.508206,"id":"FcCRmB4uTzdA956Byc","machine":"I386"}`), skipFile: true},
		"JSON _path x509 in x509.log": {
			path: "x509.log", lines: lines(`{"_path":"x509","ts":95.039877,"id":"FKMTO94tQEsBTFbPgc"}`), skipFile: true,
		},
		"JSON _path x509 in a mixed stream": {
			path: "zeek.json", lines: lines(`{"_path":"x509","ts":95.039877,"id":"FKMTO94tQEsBTFbPgc"}`),
		},
		"JSON of no known type": {
			path:  "arp.log",
			lines: lines(`{"ts":1665150785.996414,"operation":"request","src_mac":"50:5b:c2:db:c3:17","dst_mac":"30:30:30:30:30:30","orig_h":"192.168.1.15","resp_h":"69.220.152.0","orig_hw":"50:50:50:50:50:50","resp_hw":"30:30:30:30:30:30"}`),
		},
		"unused block later in a concatenated stream": {
			path:  "all.log",
			lines: lines(connHeader, connLine, `#separator \x09`, "#path\tx509", "1601998391.128990\tFRBu481kCfyF0aScA1\t3"),
		},
		"empty line":       {path: "conn.log", lines: lines("")},
		"white space line": {path: "conn.log", lines: lines(" \t ")},
		"comment":          {path: "conn.log", lines: lines(connHeader, "# a comment")},
		"#close":           {path: "conn.log", lines: lines(connHeader, connLine, "#close\t2023-01-05-18-51-07")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, errs := decodeAll(tc.path, tc.lines)
			err := errs[len(errs)-1]
			if tc.skipFile {
				if !errors.Is(err, parse.ErrSkipFile) {
					t.Fatalf("err = %v, want SkipFile", err)
				}
				return
			}
			if !errors.Is(err, parse.ErrSkip) {
				t.Fatalf("err = %v, want ErrSkip", err)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	var ev event.Event
	if err := Format.New(parse.Source{Path: "conn.log"}).Decode([]byte(Format.Example), &ev); err != nil {
		t.Errorf("Example does not decode: %v", err)
	}
	if got := Format.Sniff("conn.log", [][]byte{[]byte(Format.Example)}); got < 90 {
		t.Errorf("Sniff(Example) = %d", got)
	}
	for f := fNone + 1; f < nFields; f++ {
		if f.String() == "" || fieldByName([]byte(f.String())) != f {
			t.Errorf("field %d has no column name", f)
		}
	}
}

func TestPathFromFile(t *testing.T) {
	tests := map[string]string{
		"conn.log": "conn",
		"/var/log/zeek/conn.09:00:00-10:00:00.log.gz": "conn",
		"conn.log.labeled":                            "conn",
		"dns.json":                                    "dns",
		"http_eth0.log":                               "http",
		"smb_files.log":                               "smb_files",
		"smb_files_eth1.log":                          "smb_files",
		"dce_rpc.log":                                 "dce_rpc",
		"json_streaming_ssl.1.log":                    "ssl",
		"x509.log":                                    "x509",
		"eve.json":                                    "",
		"arp.log":                                     "",
		"current":                                     "",
		"_conn.log":                                   "",
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			if got := pathFromFile(name); got != want {
				t.Errorf("pathFromFile(%q) = %q, want %q", name, got, want)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	file := func(rel string) [][]byte {
		ls := readLines(t, filepath.Join(testdata, rel))
		return ls[:min(len(ls), parse.SniffLines)]
	}
	tests := map[string]struct {
		path     string
		lines    [][]byte
		min, max int
	}{
		"TSV header":                   {"conn.log", file("zeek-rita/proxy/conn.log"), 100, 100},
		"TSV header after a stray tab": {"conn.log", file("zeek-slips/test10-mixed-zeek-dir/conn.log"), 100, 100},
		"TSV gz":                       {"dns.log.gz", file("zeek-wrccdc2018/dns.log.gz"), 100, 100},
		"JSON conn":                    {"conn.log", file("zeek-slips/test9-mixed-zeek-dir/conn.log"), 95, 95},
		"JSON conn with L2 addresses":  {"conn.log", file("zeek-slips/port-scans-vertical/conn.log"), 95, 95},
		"JSON files (no uid)":          {"files.log", file("zeek-slips/test9-mixed-zeek-dir/files.log"), 95, 95},
		"JSON notice (no connection)":  {"notice.log", file("zeek-slips/test9-mixed-zeek-dir/notice.log"), 95, 95},
		"JSON notice, unhelpful name":  {"export.json", file("zeek-slips/test9-mixed-zeek-dir/notice.log"), 0, 0},
		"Suricata eve.json":            {"eve.json", [][]byte{[]byte(`{"timestamp":"2021-06-06T16:26:27.431769+0200","flow_id":1567838537225881,"event_type":"dns","src_ip":"192.168.1.129","src_port":35790,"dest_ip":"192.168.1.1","dest_port":53,"proto":"UDP","dns":{"type":"query","id":2,"rrname":"www.google.com","rrtype":"A","tx_id":0},"host":"stratosphere.org"}`)}, 0, 0},
		"licence text":                 {"LICENSE.txt", file("zeek-slips/LICENSE.txt"), 0, 0},
		"README":                       {"README.md", file("README.md"), 0, 0},
		"pcap bytes":                   {"capture.pcap", [][]byte{{0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00}, {0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}}, 0, 0},
		"Squid access.log":             {"access.log", [][]byte{[]byte(`1286536309.450 1119 192.168.0.68 TCP_MISS/200 507 GET http://www.google.com/ - DIRECT/74.125.224.80 text/html`)}, 0, 0},
		"empty":                        {"conn.log", nil, 0, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Format.Sniff(tc.path, tc.lines); got < tc.min || got > tc.max {
				t.Errorf("Sniff = %d, want %d..%d", got, tc.min, tc.max)
			}
		})
	}
}

// TestSamples decodes the real sample files in testdata and checks counts
// and known facts.
func TestSamples(t *testing.T) {
	type counts struct{ events, skipped, rejected int }
	run := func(t *testing.T, rel string) ([]event.Event, counts, error) {
		t.Helper()
		path := filepath.Join(testdata, rel)
		dec := Format.New(parse.Source{Path: path})
		var evs []event.Event
		var c counts
		for i, l := range readLines(t, path) {
			var ev event.Event
			switch err := dec.Decode(l, &ev); {
			case err == nil:
				evs = append(evs, ev)
				c.events++
			case errors.Is(err, parse.ErrSkipFile):
				return evs, c, err
			case errors.Is(err, parse.ErrSkip):
				c.skipped++
			default:
				c.rejected++
				t.Logf("%s:%d: %v", rel, i+1, err)
			}
		}
		return evs, c, nil
	}
	find := func(evs []event.Event, match func(e *event.Event) bool) *event.Event {
		for i := range evs {
			if match(&evs[i]) {
				return &evs[i]
			}
		}
		return nil
	}

	t.Run("WRCCDC remote service creation", func(t *testing.T) {
		evs, c, err := run(t, "zeek-wrccdc2018/dce_rpc.log.gz")
		if err != nil || c != (counts{20, 9, 0}) {
			t.Fatalf("counts %+v, err %v", c, err)
		}
		var creates []string
		for _, e := range evs {
			if e.Service == "svcctl" && e.Method == "CreateServiceW" {
				creates = append(creates, e.SrcIP.String()+" -> "+e.DstIP.String()+" "+e.Time.Format(time.RFC3339))
			}
		}
		want := []string{"10.128.0.214 -> 10.47.8.142 2018-03-24T17:15:54Z", "10.128.0.214 -> 10.47.8.154 2018-03-24T17:16:07Z"}
		if !reflect.DeepEqual(creates, want) {
			t.Errorf("CreateServiceW calls %q, want %q", creates, want)
		}
		if e := find(evs, func(e *event.Event) bool { return e.Method == "SchRpcRegisterTask" }); e == nil ||
			e.Service != "ITaskSchedulerService" || e.Label != `\PIPE\atsvc` || e.DstIP != ip("10.47.21.82") {
			t.Errorf("atexec task registration: %+v", e)
		}
	})
	t.Run("WRCCDC svcctl pipe and admin shares", func(t *testing.T) {
		evs, c, err := run(t, "zeek-wrccdc2018/smb_files.log.gz")
		if err != nil || c != (counts{2, 9, 0}) {
			t.Fatalf("smb_files counts %+v, err %v", c, err)
		}
		for _, e := range evs {
			if e.FileName != `\svcctl` || e.Method != "SMB::FILE_OPEN" || e.SrcIP != ip("10.128.0.214") {
				t.Errorf("smb_files event %+v", e)
			}
		}
		evs, c, err = run(t, "zeek-wrccdc2018/smb_mapping.log.gz")
		if err != nil || c != (counts{160, 9, 0}) {
			t.Fatalf("smb_mapping counts %+v, err %v", c, err)
		}
		admin := 0
		for _, e := range evs {
			if strings.HasSuffix(e.Label, `\ADMIN$`) && e.Service == "DISK" {
				admin++
			}
		}
		if admin != 97 {
			t.Errorf("%d ADMIN$ mappings, want 97", admin)
		}
	})
	t.Run("WRCCDC auth logs", func(t *testing.T) {
		for rel, want := range map[string]counts{
			"zeek-wrccdc2018/ntlm.log.gz":     {88, 9, 0},
			"zeek-wrccdc2018/kerberos.log.gz": {10, 9, 0},
			"zeek-wrccdc2018/ssh.log.gz":      {6, 9, 0},
		} {
			evs, c, err := run(t, rel)
			if err != nil || c != want {
				t.Errorf("%s: counts %+v, want %+v, err %v", rel, c, want, err)
			}
			for _, e := range evs {
				if e.Kind != event.KindAuth {
					t.Errorf("%s: kind %v", rel, e.Kind)
				}
			}
		}
	})
	t.Run("WRCCDC NXDOMAIN", func(t *testing.T) {
		evs, c, err := run(t, "zeek-wrccdc2018/dns.log.gz")
		if err != nil || c != (counts{400, 9, 0}) {
			t.Fatalf("counts %+v, err %v", c, err)
		}
		nx := 0
		for _, e := range evs {
			if e.RCode == "NXDOMAIN" {
				nx++
			}
		}
		if nx != 12 {
			t.Errorf("%d NXDOMAIN answers, want 12", nx)
		}
	})
	t.Run("WRCCDC x509 is skipped", func(t *testing.T) {
		if _, _, err := run(t, "zeek-wrccdc2018/x509.log.gz"); !errors.Is(err, parse.ErrSkipFile) {
			t.Errorf("err = %v, want SkipFile", err)
		}
	})
	t.Run("RITA beacon through a proxy", func(t *testing.T) {
		evs, c, err := run(t, "zeek-rita/proxy/http.log")
		if err != nil || c != (counts{120, 9, 0}) {
			t.Fatalf("counts %+v, err %v", c, err)
		}
		beacons := 0
		for _, e := range evs {
			if e.Method == "CONNECT" && e.Domain == "www.honestimnotevil.com" && e.UserAgent == "Modzilla/-2.0 (Atari 7800)" && e.DstPort == 3128 {
				beacons++
			}
		}
		if beacons != 113 {
			t.Errorf("%d CONNECTs to the beacon host, want 113", beacons)
		}
	})
	t.Run(`RITA "#separator \t" and trailing tabs`, func(t *testing.T) {
		evs, c, err := run(t, "zeek-rita/dnscat2-ja3-strobe-agent/http.log.gz")
		if err != nil || c != (counts{300, 9, 0}) {
			t.Fatalf("counts %+v, err %v", c, err)
		}
		if e := evs[0]; e.URL != "http://www.alexa.com/topsites/category;2/Top/Business/" {
			t.Errorf("first URL %q", e.URL)
		}
	})
	t.Run("Slips TSV with a stray tab and a broken notice line", func(t *testing.T) {
		evs, c, err := run(t, "zeek-slips/test10-mixed-zeek-dir/conn.log")
		if err != nil || c != (counts{141, 9, 0}) || evs[0].SrcIP != ip("2001:718:2:1663:dc58:6d9:ef13:51a5") {
			t.Fatalf("conn counts %+v, err %v", c, err)
		}
		// Line 21 of notice.log has spaces where tabs belong.
		if _, c, err := run(t, "zeek-slips/test10-mixed-zeek-dir/notice.log"); err != nil || c != (counts{12, 9, 1}) {
			t.Errorf("notice counts %+v, err %v", c, err)
		}
	})
	t.Run("Slips JSON with relative timestamps", func(t *testing.T) {
		evs, c, err := run(t, "zeek-slips/test9-mixed-zeek-dir/http.log")
		if err != nil || c != (counts{40, 0, 0}) {
			t.Fatalf("counts %+v, err %v", c, err)
		}
		if e := find(evs, func(e *event.Event) bool { return e.URL == "http://112.255.161.10/bin.sh" }); e == nil || e.Time != unix(29, 868252000) {
			t.Errorf("bin.sh request: %+v", e)
		}
		if _, c, err := run(t, "zeek-slips/test9-mixed-zeek-dir/arp.log"); err != nil || c != (counts{0, 2, 0}) {
			t.Errorf("arp.log counts %+v, err %v", c, err)
		}
	})
}

// TestSharedCorpus decodes every Zeek file of the development data set when
// it is present (it is not in a fresh clone): nothing but the one known
// broken line is rejected, and every record becomes an event or the whole
// file is skipped.
func TestSharedCorpus(t *testing.T) {
	const root = "/work/shared/data"
	files, _ := filepath.Glob(root + "/zeek-*/*.log*")
	more, _ := filepath.Glob(root + "/zeek-*/*/*.log*")
	files = append(files, more...)
	if len(files) == 0 {
		t.Skip("development data set not present")
	}
	for _, path := range files {
		dec := Format.New(parse.Source{Path: path})
		records, events, rejected := 0, 0, 0
		skipped := false
		for _, l := range readLines(t, path) {
			if !bytes.HasPrefix(bytes.TrimLeft(l, " \t"), []byte("#")) {
				records++
			}
			var ev event.Event
			err := dec.Decode(l, &ev)
			if errors.Is(err, parse.ErrSkipFile) {
				skipped = true
				break
			}
			switch {
			case err == nil:
				events++
				if ev.Time.IsZero() || !strings.HasPrefix(ev.Format, "zeek.") {
					t.Errorf("%s: event %+v", path, ev)
				}
			case !errors.Is(err, parse.ErrSkip):
				rejected++
			}
		}
		wantRejected := 0
		if strings.HasSuffix(path, "test10-mixed-zeek-dir/notice.log") {
			wantRejected = 1
		}
		switch {
		case skipped:
		case strings.HasSuffix(path, "arp.log"): // no Zeek log type: skipped line by line
		case rejected != wantRejected || events+rejected != records:
			t.Errorf("%s: %d records, %d events, %d rejected", path, records, events, rejected)
		}
	}
}

func FuzzDecode(f *testing.F) {
	seed := func(ls ...string) { f.Add("conn.log", []byte(strings.Join(ls, "\n"))) }
	seed(lines(connHeader, connLine, connLine+"\t")...)
	seed(`#separator \x7c`, "#path|dns", "#fields|ts|query|answers", `1.5|a\x7cb|x,\\,(empty)`)
	seed(`{"ts":30.043784,"uid":"CeXwwk4XHhkKHn7kag","id.orig_h":"10.0.2.15","id.orig_p":49158,"id.resp_h":"195.113.232.73","id.resp_p":80,"proto":"tcp","service":"http","duration":0.0018720000000023163,"orig_bytes":97,"resp_bytes":179,"conn_state":"SF"}`)
	seed(`{"_path":"http","ts":"2023-11-24T12:16:57.314165Z","id":{"orig_h":"::1","resp_h":"::2","resp_p":8080},"host":"h","uri":"/x","resp_mime_types":["a","b"]}`)
	seed(`{"ts":29.869534,"fuid":"F","tx_hosts":["147.32.80.7"],"rx_hosts":["10.0.2.15"],"is_orig":false,"seen_bytes":593}`)
	for _, rel := range []string{"zeek-wrccdc2018/dce_rpc.log.gz", "zeek-wrccdc2018/notice.log.gz", "zeek-wrccdc2018/smb_mapping.log.gz", "zeek-slips/test10-mixed-zeek-dir/files.log"} {
		ls := readLines(f, filepath.Join(testdata, rel))
		f.Add(filepath.Base(strings.TrimSuffix(rel, ".gz")), bytes.Join(ls[:min(len(ls), 14)], []byte("\n")))
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		dec := Format.New(parse.Source{Path: name})
		for l := range bytes.SplitSeq(data, []byte("\n")) {
			var ev event.Event
			err := dec.Decode(l, &ev)
			if err != nil {
				var rej *parse.Reject
				if !errors.Is(err, parse.ErrSkip) && !errors.Is(err, parse.ErrSkipFile) && !errors.As(err, &rej) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				continue
			}
			if ev.Time.IsZero() || ev.Kind == event.KindUnknown || !strings.HasPrefix(ev.Format, "zeek.") {
				t.Fatalf("accepted event without time, kind or format: %+v", ev)
			}
			for _, s := range append([]string{ev.Query, ev.URL, ev.Domain, ev.Message, ev.Label, ev.FileName, ev.User, ev.Service, ev.Method}, ev.Answers...) {
				if !utf8Valid(s) {
					t.Fatalf("invalid UTF-8 in %q", s)
				}
			}
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func benchDecode(b *testing.B, path string, hdr []string, line string) {
	dec := Format.New(parse.Source{Path: path})
	var ev event.Event
	for _, h := range hdr {
		if err := dec.Decode([]byte(h), &ev); !errors.Is(err, parse.ErrSkip) {
			b.Fatal(err)
		}
	}
	l := []byte(line)
	b.SetBytes(int64(len(l)))
	b.ReportAllocs()
	for b.Loop() {
		ev = event.Event{}
		if err := dec.Decode(l, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	strs := func(ls [][]byte) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = string(l)
		}
		return out
	}
	b.Run("conn TSV", func(b *testing.B) { benchDecode(b, "conn.log", connHeader, connLine) })
	b.Run("dns TSV", func(b *testing.B) {
		benchDecode(b, "dns.log", strs(header(b, filepath.Join(testdata, "zeek-wrccdc2018/dns.log.gz"))),
			"1521911720.865716\tCqKst53mF3det3eDV9\t10.47.1.100\t41772\t10.0.0.100\t53\tudp\t36329\t0.000870\tise.wrccdc.org\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\tise.wrccdc.cpp.edu,134.71.3.16\t2230.000000,41830.000000\tF")
	})
	b.Run("http TSV", func(b *testing.B) {
		benchDecode(b, "http.log", strs(header(b, filepath.Join(testdata, "zeek-rita/dnscat2-ja3-strobe-agent/http.log.gz"))),
			"1517336154.078555\tCsDSTo3cGyb7sbxsj5\t10.55.100.109\t52068\t52.44.164.170\t80\t1\tGET\twww.alexa.com\t/topsites/category;2/Top/Business/\t-\t1.1\tMozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.16299.98\t0\t178\t301\tMoved Permanently\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\tFfN3lR2RQPdyjaiHo9\t-\ttext/html\tCarol\t5934e4c5-9acb-498f-a706-b4b7200a47aa\t")
	})
	b.Run("conn JSON", func(b *testing.B) {
		benchDecode(b, "conn.log", nil, `{"ts":1700828217.314165,"uid":"CfykLO1IT1nVRJhLA3","id.orig_h":"192.168.1.9","id.orig_p":50820,"id.resp_h":"45.33.32.156","id.resp_p":443,"proto":"tcp","duration":0.20696377754211426,"orig_bytes":0,"resp_bytes":0,"conn_state":"REJ","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"Sr","orig_pkts":1,"orig_ip_bytes":60,"resp_pkts":1,"resp_ip_bytes":40,"orig_l2_addr":"c4:23:60:3d:fd:d3","resp_l2_addr":"50:78:b3:b0:08:ec"}`)
	})
}
