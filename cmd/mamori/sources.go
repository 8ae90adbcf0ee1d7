package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/sanitize"
)

func newSourcesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sources",
		Short: "List the log files a store holds events of, and where their time zones disagree",
		Long: `List the log files whose events the store holds: format, events, and the
time range of their events (in the office's zone), then any time-zone
disagreement between them. Syslog-style logs (dnsmasq, netfilter, sshd,
BIND) carry no zone and are read in the office's (the --timezone flag or
"timezone:" in the config, else the machine's): read in a wrong one, their
events land whole hours away from the Zeek, Suricata and Squid ones, and
correlations fail without a word. mamori compares the lookups and
connections two sources both saw, and each syslog-style file's newest line
with the time the file was last written, and names the --timezone that
makes them agree. It reads every stored event once (at most ` + fmt.Sprint(app.MaxReportEvents/1_000_000) + ` million);
a store a running mamori holds is read through it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, _, done, err := openRead(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer done()
			rep, err := a.SourcesReport(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOut {
				return json.NewEncoder(os.Stdout).Encode(rep)
			}
			if len(rep.Sources) == 0 {
				fmt.Println("the store holds no events")
				return nil
			}
			loc := officeLocation(a.Config, g)
			when := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
			t := newGrid("FILE", "FORMAT", "EVENTS", "FIRST", "LAST")
			for _, s := range rep.Sources {
				t.row(s.Path, s.Format, fmt.Sprint(s.Events), when(s.FirstTime), when(s.LastTime))
			}
			if err := t.write(os.Stdout, outputWidth(g)); err != nil {
				return err
			}
			if rep.Partial {
				fmt.Printf("(counted over the first %d events)\n", app.MaxReportEvents)
			}
			for _, z := range rep.Zones {
				fmt.Println()
				fmt.Println("warning: " + sanitize.Line(z.Text))
			}
			if len(rep.Zones) > 0 {
				fmt.Println("\nThe events are stored as they were read: import the files again, into a new store, with the zone.")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print the sources and warnings as one JSON object")
	return cmd
}
