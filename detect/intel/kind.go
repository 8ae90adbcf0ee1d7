package intel

import (
	"path"
	"strings"

	"github.com/mamori-soc/mamori/detect"
)

// KindOf says what the entries of a list are from its name (the path
// shown in hits, relative to the folder given): lists are named for what
// they hold, and Maltrail's layout says it by folder.
//
//   - a file named for scanners or crawlers (Maltrail's mass_scanner.txt
//     and mass_scanner_cidr.txt, a "crawlers.txt") lists internet-wide
//     scanners: detect.ListScanner;
//   - a file in a folder named "suspicious" (Maltrail's
//     trails/static/suspicious: dynamic DNS, anonymising proxies,
//     what-is-my-IP services, free hosting, Tor) lists services attackers
//     also use: detect.ListSuspicious;
//   - anything else (Maltrail's malware/, a feed of C2 addresses, the
//     office's own list) lists attackers: detect.ListMalicious.
func KindOf(name string) detect.ListKind {
	name = strings.ToLower(strings.ReplaceAll(name, `\`, "/"))
	base := path.Base(name)
	for _, w := range []string{"scanner", "crawler"} {
		if strings.Contains(base, w) {
			return detect.ListScanner
		}
	}
	dir := path.Dir(name)
	for dir != "." && dir != "/" && dir != "" {
		if path.Base(dir) == "suspicious" {
			return detect.ListSuspicious
		}
		dir = path.Dir(dir)
	}
	return detect.ListMalicious
}
