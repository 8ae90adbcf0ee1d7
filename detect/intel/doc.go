// Package intel loads lists of indicators of compromise — addresses,
// networks, domains, URLs and file hashes seen in attacks — and answers
// whether what an endpoint contacted or received is listed. A Set
// implements detect.Intel for the M-IOC-* rules.
//
// Load takes files and folders (walked recursively; hidden files, licence
// and read-me files and non-list extensions are passed over in folders).
// Each file's format is recognised by its content, and a ".gz" file is
// read through gzip:
//
//   - Plain text, one indicator per line, as maltrail's trail files are:
//     "#" starts a comment line, and " # text" after an indicator is the
//     entry's comment. Maltrail's "# Reference: ..." lines head a block of
//     entries and become their comment. An indicator is an address
//     (203.0.113.5), an address and port (203.0.113.5:8443, [2001:db8::1]:443:
//     it matches that port only, since feeds list C2 listeners on addresses
//     that also serve legitimate sites), a network (198.51.100.0/24), a
//     domain (evil.example; "*.evil.example" and ".evil.example" are the
//     same), a URL with or without scheme (http://evil.example/a/b.exe,
//     evil.example/gate.php), a path alone (/wp-content/x/, matching that
//     path on any host) or an MD5, SHA-1 or SHA-256 hash in hex. As in
//     maltrail, a listed domain covers its subdomains: a C2 operator's
//     names under evil.example all belong to it. A URL without a path
//     stands for its host when the host is a name (http://evil.example)
//     or an address with a port of its own (http://203.0.113.5:8080);
//     one naming an address alone (http://203.0.113.5) matches requests
//     to that address by URL, not every connection to it: an address
//     serves every site hosted on it.
//
// Every hit carries its list's kind (KindOf, from the file's name):
// Maltrail's mass_scanner.txt lists scanners, its suspicious/ folder
// services attackers also use, everything else attackers. The rules weigh
// a hit by it.
//   - Zeek intel framework files: a "#fields" header naming indicator,
//     indicator_type and meta.* columns, tab-separated. Intel::ADDR,
//     Intel::SUBNET, Intel::DOMAIN, Intel::URL and Intel::FILE_HASH are
//     read; Intel::DOMAIN matches the name exactly, as in Zeek; meta.desc
//     and meta.source become the comment. Other types are counted as
//     unsupported.
//   - MISP warning lists (JSON with name, description, type and list):
//     type "hostname" entries cover their subdomains, "string" entries are
//     classified one by one and matched exactly, "cidr" entries are
//     addresses and networks, "substring" entries match any domain or URL
//     containing them; "regex" lists are reported as unsupported. The
//     list's name is the comment.
//
// Lines that are not indicators are counted per file and reason and
// reported by Problems; they never stop a load. Matching is allocation-free
// for lower-case input: domains by a walk up their labels (one map lookup
// per label, whatever the list size), addresses by exact address, address
// and port, then one masked lookup per network length present, URLs by
// host and path and each parent directory.
//
// Reload rechecks the files (and the folders' contents) and, when any
// changed, reads everything into a new index that replaces the old one at
// once: readers see the old set or the new one, never a mix. Watch calls
// Reload periodically. A Set is safe for concurrent use.
package intel
