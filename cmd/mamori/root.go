package main

import (
	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "mamori",
		Short: "A terminal SOC console for defending small organisations against targeted attacks",
		Long: `mamori (守り, "defence") tails the logs an office already has (proxy,
firewall, DNS, Zeek, Suricata, SSH) into an embedded store, runs the detectors
of the targeted-attack defence model in the background and shows alerts,
per-endpoint timelines, the incident checklist and a containment picker.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	return root
}
