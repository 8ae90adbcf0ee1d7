// Package containment is the containment picker's engine: which catalog
// measures can be applied to what is selected, with their parameters
// pre-filled; a plan that shows exactly what would run and what it costs
// in confidentiality, integrity, availability and evidence; and running
// it, with a typed confirmation, a time limit and an audit record before
// and after.
//
// Commands never go through a shell: an actuator is an argument vector
// from the configuration whose {{param}} placeholders are replaced by
// values validated for their kind, each inside its own argument. Values
// come from logs an attacker writes, so validation is strict and happens
// before anything runs.
//
// Every call takes plain data and returns plain data; the calls that do
// I/O take a context, so a console can run them as commands. A Manager is
// safe for concurrent use.
package containment

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/internal/duration"
	"github.com/mamori-soc/mamori/store"
)

// Defaults of Options.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultMaxOutput = 64 << 10
)

// Errors (wrapped) the Manager returns.
var (
	ErrReadOnly     = errors.New("read-only mode: no containment measure can be run or recorded")
	ErrConfirmation = errors.New("confirmation does not match")
	ErrStale        = errors.New("the plan no longer matches the configuration; plan again")
	ErrClosed       = errors.New("mamori is stopping: no containment measure can be run")
)

// EndpointLister lists the endpoints the store knows; *store.Store
// satisfies it.
type EndpointLister interface {
	EndpointSummaries() ([]store.EndpointSummary, error)
}

// EventReader reads stored events by time; *store.Store satisfies it.
type EventReader interface {
	Events(ctx context.Context, from, to time.Time, fn func(store.Stored) error) error
}

// Actuator is how a containment measure runs: an argv template (no shell)
// whose {{param}} placeholders are filled with validated values, and
// whose {{secret:name}} placeholders are filled, at run time only, with
// secrets from the environment or a file.
type Actuator struct {
	Argv    []string          `yaml:"argv"`
	Undo    []string          `yaml:"undo"`
	Timeout duration.Duration `yaml:"timeout"`
	// Env adds variables to the minimal environment the command runs in
	// (see BaseEnv). A value is literal, or {{secret:name}}; parameters
	// from logs go in argv, where the audit log shows them.
	Env map[string]string `yaml:"env"`
	// Secrets say where each {{secret:name}} of argv, undo and env comes
	// from. A secret is masked (***) in the audit log, its mirror, the
	// console and reports, and in the command's recorded output.
	Secrets map[string]Secret `yaml:"secrets"`
	// AllowInterpreter lets the program be a shell or another interpreter
	// (sh -c, python -c, ssh, ...), which is refused otherwise: see
	// checkInterpreter for the risk and what stays refused.
	AllowInterpreter bool `yaml:"allow_interpreter"`
}

// Secret is where a secret's value comes from: an environment variable of
// mamori's process, or a file (its first line; the file must not be
// readable by others). Exactly one is set.
type Secret struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// Options configure a Manager.
type Options struct {
	Catalog *catalog.Catalog
	// Actuators are the configured commands by measure id
	// (Actuators); a measure without one is done by hand.
	Actuators map[string]Actuator
	// Audit receives the records of every decision and run.
	Audit *audit.Log
	// ReadOnly refuses every run and record.
	ReadOnly bool
	// Networks are the organisation's own addresses; the zero value means
	// asset.DefaultInternal.
	Networks asset.Networks
	// Inventory names hosts and segments; nil for none.
	Inventory *asset.Inventory
	// Endpoints and Events are read to size a measure's impact and to
	// gather values from alerts' evidence; nil for none.
	Endpoints EndpointLister
	Events    EventReader
	// UserPattern overrides DefaultUserPattern for account names
	// (directories with CORP\name or name@domain accounts).
	UserPattern *regexp.Regexp
	// MaxOutput bounds the bytes of stdout and of stderr kept per run;
	// zero means DefaultMaxOutput.
	MaxOutput int
}

// Manager plans and runs containment measures.
type Manager struct {
	opts Options
	val  validator

	// closing ends when Close is called: the commands running are
	// stopped. runs counts the Run calls in progress.
	closing context.Context
	stop    context.CancelFunc
	runs    sync.WaitGroup

	mu      sync.Mutex
	running map[string]bool // run ids whose command is running now
	closed  bool
}

// New checks the actuator configuration against the catalog (see
// CheckActuators) and returns a Manager.
func New(opts Options) (*Manager, error) {
	if opts.Catalog == nil || opts.Audit == nil {
		return nil, errors.New("containment: a catalog and an audit log are needed")
	}
	if opts.Networks.String() == "" {
		opts.Networks = asset.MustNetworks(asset.DefaultInternal...)
	}
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = DefaultMaxOutput
	}
	m := &Manager{opts: opts, running: map[string]bool{}}
	m.closing, m.stop = context.WithCancel(context.Background())
	m.val.user = opts.UserPattern
	if m.val.user == nil {
		m.val.user = DefaultUserPattern
	}
	m.val.segments = map[string]bool{}
	for _, as := range opts.Inventory.All() {
		if as.Segment != "" {
			m.val.segments[as.Segment] = true
		}
	}
	if err := CheckActuators(opts.Catalog, opts.Actuators); err != nil {
		return nil, err
	}
	return m, nil
}

// CheckActuators checks configured actuators against the catalog: each
// must name a measure, have a program that is not a placeholder and not
// an interpreter (unless allowed, and then with no placeholder in what it
// evaluates), use only placeholders naming the measure's parameters or
// its declared secrets, declare each secret once with one source, set
// only valid environment names, and give no undo for a measure rated
// irreversible. All problems are reported together.
func CheckActuators(cat *catalog.Catalog, acts map[string]Actuator) error {
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(acts)) {
		if err := checkActuator(cat, id, acts[id]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("containment: %w", err)
	}
	return nil
}

var placeholderRE = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

func checkActuator(cat *catalog.Catalog, id string, a Actuator) error {
	ms, ok := cat.Measure(id)
	if !ok {
		return fmt.Errorf("actuators.%s: no such measure (see `mamori measures`)", id)
	}
	used := map[string]bool{}
	placeholders := func(field, arg string, params bool) error {
		for _, mt := range placeholderRE.FindAllStringSubmatch(arg, -1) {
			if name, ok := strings.CutPrefix(mt[1], secretPrefix); ok {
				if _, ok := a.Secrets[name]; !ok {
					return fmt.Errorf("actuators.%s.%s: {{%s}} is not declared under the actuator's secrets", id, field, mt[1])
				}
				used[name] = true
				continue
			}
			if !params {
				return fmt.Errorf("actuators.%s.%s: {{%s}}: only {{secret:name}} may be used here; values from logs go in argv, where the audit log shows them", id, field, mt[1])
			}
			if param(ms, mt[1]) == nil {
				return fmt.Errorf("actuators.%s.%s: placeholder {{%s}} is not a parameter of the measure (it has %s)", id, field, mt[1], paramNames(ms))
			}
		}
		if rest := placeholderRE.ReplaceAllString(arg, ""); strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
			return fmt.Errorf("actuators.%s.%s: unbalanced placeholder braces in %q", id, field, arg)
		}
		return nil
	}
	check := func(field string, argv []string) error {
		if len(argv) == 0 {
			return nil
		}
		if strings.Contains(argv[0], "{{") {
			return fmt.Errorf("actuators.%s.%s: the program %q must not come from a parameter", id, field, argv[0])
		}
		for _, arg := range argv {
			if err := placeholders(field, arg, true); err != nil {
				return err
			}
		}
		return checkInterpreter(id, field, a, argv)
	}
	if len(a.Argv) == 0 {
		return fmt.Errorf("actuators.%s: argv is empty", id)
	}
	if err := check("argv", a.Argv); err != nil {
		return err
	}
	if len(a.Undo) > 0 && ms.Reversible == catalog.Irreversible {
		return fmt.Errorf("actuators.%s: undo given for a measure the catalog rates irreversible", id)
	}
	if err := check("undo", a.Undo); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(a.Env)) {
		if !envNameRE.MatchString(k) {
			return fmt.Errorf("actuators.%s.env: %q is not an environment variable name", id, k)
		}
		if err := placeholders("env."+k, a.Env[k], false); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.Secrets)) {
		sc := a.Secrets[name]
		switch {
		case !secretNameRE.MatchString(name):
			return fmt.Errorf("actuators.%s.secrets: %q is not a secret name (letters, digits, _ and -)", id, name)
		case (sc.Env == "") == (sc.File == ""):
			return fmt.Errorf("actuators.%s.secrets.%s: give exactly one of env (a variable of mamori's environment) or file", id, name)
		case sc.Env != "" && !envNameRE.MatchString(sc.Env):
			return fmt.Errorf("actuators.%s.secrets.%s: %q is not an environment variable name", id, name, sc.Env)
		case !used[name]:
			return fmt.Errorf("actuators.%s.secrets.%s: declared but used nowhere ({{secret:%s}} in argv, undo or env)", id, name, name)
		}
	}
	return nil
}

var (
	envNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	secretNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// Interpreters returns a note for each actuator allowed to run an
// interpreter, for a command line or a log to show: the check can keep
// placeholders out of the script, not see what the script does with them.
func Interpreters(acts map[string]Actuator) []string {
	var out []string
	for _, id := range slices.Sorted(maps.Keys(acts)) {
		a := acts[id]
		if !a.AllowInterpreter {
			continue
		}
		for _, argv := range [][]string{a.Argv, a.Undo} {
			if in, ok := findInterpreter(argv); ok {
				out = append(out, fmt.Sprintf("actuators.%s runs %s (allow_interpreter): mamori keeps values out of its script, "+
					"but cannot see what the script does with its arguments; keep them quoted there (\"$1\")", id, in.name))
				break
			}
		}
	}
	return out
}

func param(ms *catalog.Measure, name string) *catalog.Param {
	for i := range ms.Params {
		if ms.Params[i].Name == name {
			return &ms.Params[i]
		}
	}
	return nil
}

func paramNames(ms *catalog.Measure) string {
	names := make([]string, len(ms.Params))
	for i, p := range ms.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// CanChange reports whether measures can be run or recorded; a console
// hides its run and undo actions when it cannot.
func (m *Manager) CanChange() bool { return !m.opts.ReadOnly }

// Validate checks one value of a measure's parameter and returns its
// canonical form; the error is a *ParamError naming the parameter.
func (m *Manager) Validate(measure, name, value string) (string, error) {
	ms, ok := m.opts.Catalog.Measure(measure)
	if !ok {
		return "", fmt.Errorf("containment: no measure %q", measure)
	}
	p := param(ms, name)
	if p == nil {
		return "", fmt.Errorf("containment: measure %s has no parameter %q (it has %s)", measure, name, paramNames(ms))
	}
	return m.val.Validate(name, p.Kind, value)
}

// internal reports whether a value names one of the organisation's own
// addresses or networks.
func (m *Manager) internal(kind catalog.ParamKind, v string) bool {
	switch kind {
	case catalog.ParamIP:
		a, err := netip.ParseAddr(v)
		return err == nil && m.opts.Networks.Contains(a)
	case catalog.ParamHost: // a host names an endpoint, ours by definition
		a, err := netip.ParseAddr(v)
		return err != nil || m.opts.Networks.Contains(a)
	case catalog.ParamCIDR:
		p, err := netip.ParsePrefix(v)
		return err == nil && m.opts.Networks.Contains(p.Addr())
	case catalog.ParamSegment:
		return true
	}
	return false
}
