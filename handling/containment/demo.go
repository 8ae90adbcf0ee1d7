package containment

import (
	"strings"
	"time"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/internal/duration"
)

// DemoActuators returns actuators for `mamori demo`: for every measure
// with a command example in the catalog, an echo that prints the commands
// a real gateway would run, with the parameters filled in. They really run
// (as argv, no shell), so the demo shows the whole flow, from the picker
// through the confirmation and the audit records to the undo, and change
// nothing. Measures without an example stay manual.
func DemoActuators(cat *catalog.Catalog) map[string]Actuator {
	out := map[string]Actuator{}
	for _, ms := range cat.Measures() {
		if ms.Actuator == nil || len(ms.Actuator.Commands) == 0 {
			continue
		}
		a := Actuator{
			Argv:    echo("mamori demo: a real gateway would run:", ms.Actuator.Commands),
			Timeout: duration.Duration(5 * time.Second),
		}
		if len(ms.Actuator.Undo) > 0 {
			a.Undo = echo("mamori demo: to undo, a real gateway would run:", ms.Actuator.Undo)
		}
		out[ms.ID] = a
	}
	return out
}

// echo builds an echo argv that prints cmds one after the other, with
// each command's standard input shown after "<<<".
func echo(intro string, cmds []catalog.Command) []string {
	argv := []string{"echo", intro}
	for i, c := range cmds {
		if i > 0 {
			argv = append(argv, ";")
		}
		argv = append(argv, c.Argv...)
		if in := strings.TrimRight(c.Stdin, "\n"); in != "" {
			argv = append(argv, "<<<", in)
		}
	}
	return argv
}
