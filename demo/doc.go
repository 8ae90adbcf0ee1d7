// Package demo writes the built-in demo: the logs of a small Japanese
// office (about twenty machines by default) going about its business for a
// few days and then walking, on one PC, through the six phases of a
// targeted attack.
//
// The office has a Linux gateway (netfilter, dnsmasq), a Squid proxy every
// PC must use, a Samba file server with sshd, an application server, a NAS,
// an administrator's PC, a printer, office PCs in 10.0.10.0/24 (more /24s
// for big offices) and a Zeek sensor on a SPAN port mirroring the office
// and admin VLANs. The files are written as the real software writes them:
//
//	proxy/access.log          Squid native format, user agent appended in quotes
//	gateway/dnsmasq.log       dnsmasq log-queries lines (syslog, JST)
//	gateway/firewall.log      netfilter LOG lines of the gateway (syslog, JST)
//	servers/auth.log          sshd, sudo, systemd-logind and CRON lines of the servers
//	zeek/*.log                conn, dns, http, files, smb_files, smb_mapping, dce_rpc (Zeek 6 TSV)
//	assets.csv                the inventory: ip or cidr, host, segment, role, owner
//	intel/iocs.txt            a maltrail-style trail: the C2 name, an ip:port, a hash, decoys
//	intel/categories.txt      domain<TAB>category for the site-category rule
//	intel/GeoLite2-Country-Test.mmdb  MaxMind's test database (see geoip/README.md)
//
// Normal business includes the look-alikes a detector must leave alone:
// hourly Windows Update and Defender checks on every PC, Defender updates
// (executables) from the update host, antivirus cloud lookups every 30
// minutes, an hourly NAS check-in and its nightly backup upload, daily
// 100 MB scan uploads by the accounting staff, a new employee's PC that
// appears on the third day, the administrator's SSH sessions with a
// mistyped password, a remote service query without CreateServiceW,
// mistyped names, blocked sites, dropped direct NTP and scanner noise.
//
// Story describes the attack as data: each step with its phase, time,
// endpoint, evidence and the rule ids the engine is expected to raise,
// plus the benign endpoints and the hard negatives. Write produces the
// whole period at once, deterministically for a seed; Run writes the
// history and then goes on at wall-clock pace, so that a console tailing
// the files sees the spread, the exfiltration and the proxy bypass arrive
// in the first minute.
//
// Example, independent of the command line:
//
//	at := time.Date(2026, 3, 4, 10, 0, 0, 0, demo.Location())
//	m, err := demo.Write(ctx, dir, demo.Options{At: at})
//	if err != nil {
//		return err
//	}
//	for _, f := range m.Files {
//		fmt.Println(f.Format, f.Path) // e.g. "squid /tmp/x/proxy/access.log"
//	}
//	s, _ := demo.Story(demo.Options{At: at})
//	for _, st := range s.Steps {
//		fmt.Println(st.Time, st.Name, st.Endpoint, st.Rules)
//	}
//
// Internet names are real public services for the benign traffic and names
// under real dynamic-DNS zones for the attacker; addresses come from the
// GeoIP test networks and the documentation ranges, never the services'
// own.
package demo
