package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/internal/duration"
)

func newAllowCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "allow",
		Short: "List, add and remove allow-list entries (what they hide, until when)",
		Long: `An allow-list entry hides the alerts it matches (every field given must
match: rule, endpoint, destination, user) from the console and "mamori
alerts"; nothing is deleted, and removing the entry or its expiry shows them
again. Entries come from the configuration (allow: and rules.ID.allow:,
changed by editing it) or were made in the console (A) or with "mamori allow
add"; those are stored, listed with an id, and removed with "mamori allow
rm ID". Every addition and removal is in the audit log.`,
	}
	cmd.AddCommand(newAllowListCmd(g), newAllowAddCmd(g), newAllowRmCmd(g))
	return cmd
}

func newAllowListCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Every allow-list entry with what it hides",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			a, done, err := openApp(g, true)
			if err != nil {
				return err
			}
			defer done()
			type row struct {
				detect.Allow
				Source  string         `json:"source"` // "config" or "stored"
				Active  bool           `json:"active"`
				Hides   map[string]int `json:"hides"` // alerts by severity
				Summary string         `json:"scope"`
			}
			var rows []row
			now := time.Now()
			for _, e := range a.Allow.Entries() {
				n, err := a.Hides(e)
				if err != nil {
					return err
				}
				hides := map[string]int{}
				for sev, k := range n {
					if k > 0 {
						hides[alert.Severity(sev).String()] = k
					}
				}
				src := "config"
				if e.ID != "" {
					src = "stored"
				}
				rows = append(rows, row{Allow: e, Source: src, Active: e.Active(now), Hides: hides, Summary: e.Scope()})
			}
			if g.jsonOut {
				return printJSONLines(os.Stdout, rows)
			}
			if len(rows) == 0 {
				fmt.Println("no allow-list entries")
				return nil
			}
			loc := officeLocation(a.Config, g)
			t := newGrid("ID", "STATE", "HIDES", "EXPIRES", "BY", "SCOPE", "REASON").withDetail(5, 6)
			for _, r := range rows {
				id := r.ID
				if id == "" {
					id = "(config)"
				}
				state := "active"
				if !r.Active {
					state = "expired"
				}
				expires := "never"
				if !r.Expires.IsZero() {
					expires = r.Expires.In(loc).Format("2006-01-02 15:04")
				}
				by := r.By
				if !r.Added.IsZero() {
					by += " " + r.Added.In(loc).Format("01-02")
				}
				t.row(id, state, hidesText(r.Hides), expires, by, r.Summary, r.Reason)
			}
			return t.write(os.Stdout, outputWidth(g))
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print one JSON object per entry")
	return cmd
}

// hidesText writes counts by severity, most severe first: "1 critical, 3 high".
func hidesText(n map[string]int) string {
	out := ""
	for sev := alert.Critical; ; sev-- {
		if k := n[sev.String()]; k > 0 {
			if out != "" {
				out += ", "
			}
			out += fmt.Sprintf("%d %s", k, sev)
		}
		if sev == alert.Info {
			break
		}
	}
	if out == "" {
		return "nothing"
	}
	return out
}

func newAllowAddCmd(g *globals) *cobra.Command {
	var (
		e            detect.Allow
		forD, till   string
		hideCritical bool
	)
	cmd := &cobra.Command{
		Use:   "add --reason TEXT [--rule ID] [--endpoint E] [--destination D] [--user U] [--for 7d | --until TIME]",
		Short: "Hide the alerts an entry matches, with a reason (and, best, an expiry)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if forD != "" && till != "" {
				return usageError("allow add: give --for or --until, not both")
			}
			cfg, _, err := loadConfig(g)
			if err != nil {
				return err
			}
			if forD != "" {
				d, err := duration.Parse(forD)
				if err != nil || d <= 0 {
					return usageError("--for: %v", err)
				}
				e.Expires = time.Now().Add(d)
			}
			if till != "" {
				if e.Expires, err = parseWhen(till, officeLocation(cfg, g)); err != nil {
					return usageError("--until: %v", err)
				}
			}
			a, done, err := openAppWith(g, cfg, false)
			if err != nil {
				return err
			}
			defer done()
			// Hiding a critical alert takes a deliberate flag, as the
			// console asks for the target typed: one mistyped scope must
			// not hide a kill chain for good.
			if before, err := a.Hides(e); err != nil {
				return err
			} else if k := before[alert.Critical]; k > 0 && !hideCritical {
				return fmt.Errorf("this entry (%s) would hide %d critical alert(s) now stored: narrow it, or add --hide-critical if that is meant", e.Scope(), k)
			}
			added, err := a.AddAllow(cmd.Context(), e)
			if added.ID == "" {
				return err
			}
			n, herr := a.Hides(added)
			if herr != nil {
				return herr
			}
			hides := map[string]int{}
			for sev, k := range n {
				hides[alert.Severity(sev).String()] = k
			}
			fmt.Printf("added %s: hides %s now stored (%s)\n", added.ID, hidesText(hides), added.Scope())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&e.Rule, "rule", "", "rule id (S-BEACON, ...); default every rule")
	f.StringVar(&e.Endpoint, "endpoint", "", "endpoint: address, CIDR or host name")
	f.StringVar(&e.Destination, "destination", "", "destination: domain, *.domain, address or CIDR")
	f.StringVar(&e.User, "user", "", "user name")
	f.StringVar(&e.Reason, "reason", "", "why these alerts are expected (required; recorded)")
	f.StringVar(&forD, "for", "", "expire after this long (7d, 12h)")
	f.StringVar(&till, "until", "", "expire at this time (2026-12-31, or 2026-12-31 18:00 in the office's zone)")
	f.BoolVar(&hideCritical, "hide-critical", false, "allow the entry to hide critical alerts (refused otherwise)")
	return cmd
}

func newAllowRmCmd(g *globals) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "rm ID [--note TEXT]",
		Short: "Remove an allow-list entry made in the console or with allow add",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, done, err := openApp(g, false)
			if err != nil {
				return err
			}
			defer done()
			e, err := a.RemoveAllow(cmd.Context(), args[0], note)
			if e.ID == "" {
				return err
			}
			fmt.Printf("removed %s: %s show again\n", e.ID, e.Scope())
			return err
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why (recorded in the audit log)")
	return cmd
}
