package matching

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	squidlog "github.com/mamori-soc/mamori/ingest/squid"
	"github.com/mamori-soc/mamori/ingest/zeek"
)

// M-PAAS on Zeek dns.log and ssl.log lines in WRCCDC 2018's format
// (Zeek 6.2 TSV): a paste site, GitHub's paste service and a PaaS name are
// reported (one alert per name: the engine merges a name's findings), at
// the rule's low; GitHub itself, an
// ordinary site and a name that only looks like one are not.
func TestPaaS(t *testing.T) {
	const dnsHeader = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n" +
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\n"
	lines := dnsHeader +
		"1521911770.101010\tCa1\t10.47.6.154\t51234\t10.10.6.1\t53\tudp\t4242\t0.001\tpastebin.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t104.20.208.21\t300.000000\tF\n" +
		"1521911770.101012\tCa1\t10.47.6.154\t51234\t10.10.6.1\t53\tudp\t4242\t0.001\tpastebin.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t104.20.208.21\t300.000000\tF\n" +
		"1521911771.202020\tCa2\t10.47.7.10\t41234\t10.10.7.1\t53\tudp\t777\t0.001\tgist.github.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t192.30.253.118\t60.000000\tF\n" +
		"1521911772.303030\tCa3\t10.47.7.10\t41235\t10.10.7.1\t53\tudp\t778\t0.001\tgithub.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t192.30.253.113\t60.000000\tF\n" +
		"1521911773.404040\tCa4\t10.47.2.100\t31234\t10.10.2.1\t53\tudp\t999\t0.001\tportal-wrccdc.azurewebsites.net\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t13.91.40.166\t30.000000\tF\n" +
		"1521911774.505050\tCa5\t10.47.2.100\t31236\t10.10.2.1\t53\tudp\t1000\t0.001\twww.google.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t172.217.4.164\t30.000000\tF\n" +
		"1521911775.606060\tCa6\t10.47.2.100\t31237\t10.10.2.1\t53\tudp\t1001\t0.001\tpastebin.com.example.net\t1\tC_INTERNET\t1\tA\t3\tNXDOMAIN\tF\tF\tT\tT\t0\t-\t-\tF\n"
	path := filepath.Join(t.TempDir(), "dns.log")
	if err := os.WriteFile(path, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	env := newEnv(t)
	evs := readLog(t, env, zeek.Format, path)
	fs := run(t, env, RulePaaS, nil, evs...)
	got := map[string]string{}
	for _, f := range fs {
		got[f.Endpoint+" "+f.Peer] = f.Details["zone"] + ": " + f.Summary
		if f.Score >= 0.4 {
			t.Errorf("%s %s: a lookup alone scores %.2f, not below low", f.Endpoint, f.Peer, f.Score)
		}
	}
	for _, want := range []string{
		"10.47.6.154 pastebin.com", "10.47.7.10 gist.github.com", "10.47.2.100 portal-wrccdc.azurewebsites.net",
	} {
		s, ok := got[want]
		if !ok {
			t.Errorf("%s not reported", want)
			continue
		}
		if !strings.Contains(s, "a paste, file-drop or PaaS service") {
			t.Errorf("%s: %s", want, s)
		}
	}
	if len(got) != 3 {
		t.Errorf("findings: %v", got)
	}
	if r, ok := env.Catalog.Rule(RulePaaS); !ok || r.Severity.String() != "low" {
		t.Errorf("catalog rule %s: %+v", RulePaaS, r)
	}
}

// Data put on a file drop through the proxy (Squid with the request size,
// %>st): low, and the summary says how much.
func TestPaaSUpload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	line := "1709514002.000 905120 10.0.10.21 TCP_TUNNEL/200 6120 CONNECT transfer.sh:443 - HIER_DIRECT/144.76.136.153 - 52428800\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	env := newEnv(t)
	fs := run(t, env, RulePaaS, nil, readLog(t, env, squidlog.Format, path)...)
	if len(fs) != 1 || fs[0].Score != paasSent || !strings.Contains(fs[0].Summary, "It sent 52.4 MB there (CONNECT)") {
		t.Fatalf("findings: %+v", fs)
	}
}
