package main

import "github.com/spf13/cobra"

// incidentCommands are the incident-handling commands: measures,
// incident, incidents, report, evidence.
func incidentCommands(g *globals) []*cobra.Command {
	_ = g
	return nil
}
