package intel

import (
	"fmt"
	"slices"

	"github.com/mamori-soc/mamori/catalog"
)

// LoadZones reads lists of DNS zones — such as the configuration's ddns:
// files, which add dynamic-DNS providers to the list mamori ships — into a
// set that matches a name under any of them. The files are read as IOC
// lists are (one zone per line with "#" comments and an optional leading
// "." or "*.", or MISP hostname warning lists); entries that are not
// domains are reported, not used. A missing path is an error; bad lines
// are problems.
func LoadZones(paths ...string) (*catalog.DomainSet, []Problem, error) {
	files, err := discover(paths)
	if err != nil {
		return nil, nil, err
	}
	var zones []string
	var problems []Problem
	for _, f := range files {
		x := newIndex()
		r := &listReader{x: x, list: f.name}
		if _, err := readFile(f.path, r); err != nil {
			return nil, nil, fmt.Errorf("intel: %s: %w", f.path, err)
		}
		n := len(zones)
		for name := range x.domains {
			zones = append(zones, name)
		}
		slices.Sort(zones[n:])
		problems = append(problems, r.problems...)
		if other := r.added - (len(zones) - n); other > 0 {
			what := fmt.Sprintf("%d entries that are not DNS zones ignored", other)
			if other == 1 {
				what = "1 entry that is not a DNS zone ignored"
			}
			problems = append(problems, Problem{List: f.name, Reason: what})
		}
		if len(zones) == n {
			problems = append(problems, Problem{List: f.name, Reason: "no zones"})
		}
	}
	return catalog.NewDomainSet(zones...), problems, nil
}
