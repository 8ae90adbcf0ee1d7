package containment_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/internal/duration"
	"github.com/mamori-soc/mamori/store"
)

// The test binary doubles as the actuator the tests configure: run with
// one of the modes below as its first argument it acts it out instead of
// running tests. (An environment variable cannot say so: actuators get a
// minimal environment.)
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && actuatorModes[os.Args[1]] {
		os.Exit(actuator(os.Args[1:]))
	}
	os.Exit(m.Run())
}

var actuatorModes = map[string]bool{"record": true, "sleep": true, "fail": true, "flood": true, "runner": true, "env": true, "echo": true, "spawn": true}

// actuator modes:
//
//	record FILE ARG...   write the ARGs as a JSON array to FILE, print "recorded"
//	sleep FILE ARG...    write the pid to FILE, then block for an hour
//	spawn FILE CHILD     start "sleep CHILD" (same process group), then
//	                     sleep FILE
//	env FILE             write the environment as a JSON array to FILE
//	echo ARG...          print the ARGs, one a line, to stdout and stderr
//	fail ARG...          print to stderr, exit 3
//	flood ARG...         print 1 MB to stdout
//	runner DB MARKER     open the store in DB and run segment.block-ip with a
//	                     sleeping actuator that writes MARKER (the kill test)
func actuator(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "actuator: no mode")
		return 2
	}
	switch args[0] {
	case "record":
		b, _ := json.Marshal(args[2:])
		if err := os.WriteFile(args[1], b, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("recorded")
		return 0
	case "sleep":
		if err := os.WriteFile(args[1], []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
			return 1
		}
		time.Sleep(time.Hour)
		return 0
	case "spawn":
		child := exec.Command(os.Args[0], "sleep", args[2])
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return actuator([]string{"sleep", args[1]})
	case "env":
		b, _ := json.Marshal(os.Environ())
		if err := os.WriteFile(args[1], b, 0o600); err != nil {
			return 1
		}
		return 0
	case "echo":
		for _, a := range args[1:] {
			fmt.Println(a)
			fmt.Fprintln(os.Stderr, a)
		}
		return 0
	case "fail":
		fmt.Fprintln(os.Stderr, "nft: Operation not permitted")
		return 3
	case "flood":
		fmt.Print(strings.Repeat("x", 1<<20))
		return 0
	case "runner":
		if err := runner(args[1], args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "actuator: unknown mode", args[0])
	return 2
}

// runner starts a containment run that blocks until it is killed.
func runner(db, marker string) error {
	st, err := store.Open(db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	log := audit.Open(st, audit.Options{Mirror: filepath.Join(filepath.Dir(db), "audit.jsonl"), User: "runner"})
	m, err := containment.New(containment.Options{Catalog: cat, Audit: log, Actuators: map[string]containment.Actuator{
		"segment.block-ip": {Argv: []string{os.Args[0], "sleep", marker, "{{ip}}"}, Timeout: duration.Duration(time.Hour)},
	}})
	if err != nil {
		return err
	}
	ctx := context.Background()
	p, err := m.Plan(ctx, "INC-20261122-01", "segment.block-ip", map[string]string{"ip": "203.0.113.7"})
	if err != nil {
		return err
	}
	_, err = m.Run(ctx, p, containment.Confirmation{Text: "203.0.113.7"})
	return err
}
