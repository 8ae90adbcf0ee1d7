package matching

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
)

// psexec is M-PSEXEC: one machine makes another run code through its
// service control manager, as PsExec, Impacket (psexec, smbexec),
// Metasploit and Cobalt Strike do. Matched on the behaviour, never on a
// service or file name, which the tools randomise:
//
//   - svcctl CreateServiceW/A, CreateServiceWOW64W/A (score 0.9) and
//     ChangeServiceConfigW/A (0.8: an existing service pointed at new
//     code), from Zeek's dce_rpc.log or Suricata's dcerpc and smb events;
//   - svcctl StartServiceW/A alone (0.5, severity medium): starting a
//     service remotely is also what an administrator does, but rarely;
//   - an executable written to an administrative share (ADMIN$, C$, D$,
//     ...; 0.8) and a pipe of PsExec's own service (\PSEXESVC; 0.85), from
//     Zeek's smb_files.log or Suricata's smb events.
//
// The close cousin, a scheduled task registered remotely (the task
// scheduler's ITaskSchedulerService SchRpcRegisterTask, the old atsvc
// NetrJobAdd and SASec SARegisterTask; Impacket's atexec), is matched too
// (0.85): it runs code on another machine over the same SMB named pipes,
// no other rule of the catalog covers it, and the same containment
// applies. Merely querying services (OpenSCManager, QueryServiceStatus,
// EnumServicesStatus) or opening the \svcctl pipe is what an
// administrator's console does and is not matched; such events are kept
// briefly as evidence for a creation that follows.
//
// Endpoint is the machine that acts (the source), Peer the latest target;
// one alert per source and alert window, naming every machine it ran code
// on. Its count is of remote executions: the operations of one run (the
// copy to ADMIN$, the creation, the start) within a few minutes are one.
// A source that runs code on several machines (anything but a mere
// service start) is spreading: the alert is critical.
type psexec struct {
	env    *detect.Env
	window time.Duration // the alert window, over which runs are counted
	// recent keeps, per source→target pair, the supporting events seen in
	// the last few minutes (pipe opens, share writes), bounded.
	recent *detect.LRU[pairKey, *pairState]
	// sources keeps, per source, the machines it ran code on within the
	// alert window, bounded.
	sources *detect.LRU[netip.Addr, *sourceState]
}

// sourceState is what one source did within the alert window.
type sourceState struct {
	targets []netip.Addr // in the order first reached, at most maxTargets
	more    int          // targets beyond maxTargets
	runs    int          // remote executions on all its targets
	last    time.Time    // of the last run
}

// maxTargets bounds the targets named per source.
const maxTargets = 16

// note records a run (new says it is one, not another operation of the
// last run) on dst, and whether it ran code (strong, not a mere start);
// it returns the source's state.
func (d *psexec) note(src, dst netip.Addr, at time.Time, newRun, strong bool) *sourceState {
	s := d.sources.GetOr(src, func() *sourceState { return &sourceState{} })
	if !s.last.IsZero() && at.Sub(s.last) > d.window {
		*s = sourceState{}
	}
	if newRun {
		s.runs++
	}
	s.last = at
	if strong && !slices.Contains(s.targets, dst) {
		if len(s.targets) < maxTargets {
			s.targets = append(s.targets, dst)
		} else {
			s.more++
		}
	}
	return s
}

// reached is how many machines the source ran code on.
func (s *sourceState) reached() int { return len(s.targets) + s.more }

// names lists the targets, by inventory name where known.
func (d *psexec) names(s *sourceState) string {
	parts := make([]string, 0, len(s.targets)+1)
	for _, t := range s.targets {
		parts = append(parts, who(d.env.HostOf(t), t.String()))
	}
	if s.more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", s.more))
	}
	return strings.Join(parts, ", ")
}

type pairKey struct{ src, dst netip.Addr }

type pairState struct {
	events []event.Event // copies: the engine reuses its events
	last   time.Time     // of the last supporting event
	strong time.Time     // of the last matched operation other than a start
	runs   int           // remote executions within the alert window
}

// Bounds: 4096 pairs, 4 supporting events each, kept 10 minutes.
const (
	maxPairs        = 4096
	maxPairEvidence = 4
	pairWindow      = 10 * time.Minute
)

func newPsExec(p detect.Params, env *detect.Env) detect.Detector {
	return &psexec{env: env, window: p.Duration("alert_window", 24*time.Hour), recent: detect.NewLRU[pairKey, *pairState](maxPairs),
		sources: detect.NewLRU[netip.Addr, *sourceState](maxPairs)}
}

func (*psexec) Rule() string { return RulePsExec }
func (*psexec) Kinds() []event.Kind {
	return []event.Kind{event.KindRPC, event.KindSMB}
}

// The svcctl and task scheduler operations, by what they do.
type remoteOp int

const (
	opNone remoteOp = iota
	opSupport
	opStart
	opChange
	opCreate
	opTask
	opPsExecPipe
	opAdminWrite
)

var svcctlOps = map[string]remoteOp{
	"createservicew": opCreate, "createservicea": opCreate,
	"createservicewow64w": opCreate, "createservicewow64a": opCreate, "createservicewow64": opCreate,
	"changeserviceconfigw": opChange, "changeserviceconfiga": opChange,
	"startservicew": opStart, "startservicea": opStart,
	"openscmanagerw": opSupport, "openscmanagera": opSupport,
}

var taskOps = map[string]bool{
	"schrpcregistertask": true, // ITaskSchedulerService
	"netrjobadd":         true, // atsvc
	"saregistertask":     true, // SASec
}

func (d *psexec) classify(ev *event.Event) (remoteOp, string) {
	iface := strings.ToLower(ev.Service)
	op := strings.ToLower(ev.Method)
	switch iface {
	case "svcctl":
		if o, ok := svcctlOps[op]; ok {
			return o, ev.Method
		}
		return opNone, ""
	case "itaskschedulerservice", "atsvc", "sasec":
		if taskOps[op] {
			return opTask, ev.Method
		}
		return opNone, ""
	}
	if ev.Kind != event.KindSMB {
		return opNone, ""
	}
	name := ev.FileName
	base := strings.ToLower(baseName(name))
	switch {
	case strings.HasPrefix(base, "psexesvc"):
		return opPsExecPipe, name
	case base == "svcctl" || base == "atsvc":
		return opSupport, name
	}
	if isWrite(ev.Method) && adminShare(ev.Label, name) {
		if _, ok := executableExt(base); ok {
			return opAdminWrite, name
		}
	}
	return opNone, ""
}

// isWrite reports whether an SMB action writes (Zeek SMB::FILE_WRITE,
// Suricata SMB2_COMMAND_WRITE).
func isWrite(method string) bool {
	return strings.Contains(strings.ToUpper(method), "WRITE")
}

// adminShare reports whether a share path (\\host\ADMIN$) or a file path
// is on an administrative share: ADMIN$ or a drive's C$, D$, ...
func adminShare(share, name string) bool {
	for _, p := range []string{share, name} {
		u := strings.ToUpper(p)
		if strings.Contains(u, `\ADMIN$`) || strings.HasPrefix(u, `ADMIN$`) {
			return true
		}
		for i := 1; i < len(u); i++ {
			if u[i] == '$' && u[i-1] >= 'A' && u[i-1] <= 'Z' && (i == 1 || u[i-2] == '\\') && (i+1 == len(u) || u[i+1] == '\\') {
				return true
			}
		}
	}
	return false
}

func (d *psexec) Observe(ev *event.Event, em *detect.Emitter) {
	op, what := d.classify(ev)
	if op == opNone {
		return
	}
	src, dst := ev.SrcIP, ev.DstIP
	if !src.IsValid() || !dst.IsValid() || src == dst || !d.env.Internal(dst) {
		return
	}
	k := pairKey{src, dst}
	st := d.recent.GetOr(k, func() *pairState { return &pairState{} })
	if ev.Time.Sub(st.last) > pairWindow {
		st.events = st.events[:0]
	}
	switch {
	case op == opSupport:
		if len(st.events) < maxPairEvidence {
			st.events = append(st.events, *ev)
		}
		st.last = ev.Time
		return
	case op == opStart && !st.strong.IsZero() && ev.Time.Sub(st.strong) <= pairWindow:
		return // the start that follows a creation: already reported
	}
	newRun := st.strong.IsZero() || ev.Time.Sub(st.strong) > pairWindow
	if newRun {
		if st.strong.IsZero() || ev.Time.Sub(st.strong) > d.window {
			st.runs = 0
		}
		st.runs++
	}
	if op != opStart {
		st.strong = ev.Time
	}
	src0 := d.note(src, dst, ev.Time, newRun, op != opStart)
	ep := ev.EndpointID()
	if ep == "" {
		return
	}
	target := dst.String()
	host := ev.Host
	targetName := d.env.HostOf(dst)
	targetWho := who(targetName, target)
	shown := sanitize.Line(what)
	var en, ja string
	score := 0.9
	var sev *alert.Severity
	technique := "remote service creation (PsExec style)"
	switch op {
	case opCreate:
		en = "created a service on " + targetWho + " through the service control manager (svcctl " + shown + ")"
		ja = "サービスコントロールマネージャ経由で " + targetWho + " にサービスを作成した（svcctl " + shown + "）"
	case opChange:
		score = 0.8
		en = "pointed a service of " + targetWho + " at new code (svcctl " + shown + ")"
		ja = targetWho + " のサービスの実行内容を変更した（svcctl " + shown + "）"
	case opStart:
		score = 0.5
		medium := alert.Medium
		sev = &medium
		technique = "remote service start"
		en = "started a service on " + targetWho + " remotely (svcctl " + shown + ")"
		ja = targetWho + " のサービスをリモートで起動した（svcctl " + shown + "）"
	case opTask:
		score = 0.85
		technique = "remote scheduled task (atexec style)"
		en = "registered a scheduled task on " + targetWho + " remotely (" + sanitize.Line(ev.Service) + " " + shown + ")"
		ja = targetWho + " にリモートでタスクを登録した（" + sanitize.Line(ev.Service) + " " + shown + "）"
	case opPsExecPipe:
		score = 0.85
		technique = "PsExec service pipe"
		en = "opened PsExec's service pipe " + shown + " on " + targetWho
		ja = targetWho + " でPsExecのサービス用パイプ " + shown + " を開いた"
	case opAdminWrite:
		score = 0.8
		technique = "executable written to an administrative share"
		en = "wrote the executable " + shown + " to an administrative share of " + targetWho
		ja = targetWho + " の管理共有に実行ファイル " + shown + " を書き込んだ"
	}
	scope := ""
	scopeJA := ""
	if !d.env.Internal(src) {
		scope, scopeJA = " from outside the LAN", "（LAN外から）"
	}
	summary := who(host, ep) + scope + " " + en + ": the way PsExec-like tools run code on another machine."
	summaryJA := who(host, ep) + scopeJA + " が " + ja + "。PsExec等のツールが別の端末でコードを実行する手口である。"
	if n := src0.reached(); n > 1 {
		// One source running code on several machines is spreading.
		critical := alert.Critical
		sev, score = &critical, 1
		list := d.names(src0)
		summary = fmt.Sprintf("%s%s ran code remotely on %d machines (%s), the way PsExec-like tools spread; the latest: %s.", who(host, ep), scope, n, list, en)
		summaryJA = fmt.Sprintf("%s%s が %d 台の端末でリモートからコードを実行した（%s）。PsExec等のツールによる横展開の手口である。最新：%s。", who(host, ep), scopeJA, n, list, ja)
	}
	f := detect.Finding{
		Time: ev.Time, Endpoint: ep, Host: host, Peer: target, Key: "remote-exec", Score: score, Severity: sev, Count: src0.runs, Absolute: true,
		Summary: summary, SummaryJA: summaryJA,
		Details: map[string]string{
			"technique": technique, "operation": shown, "dst_ip": target, "source": ev.Format,
			"targets": strconv.Itoa(src0.reached()),
		},
	}
	if targetName != "" {
		f.Details["target_host"] = targetName
	}
	if ev.User != "" {
		f.Details["user"] = sanitize.Line(ev.User)
	}
	for i := range st.events {
		f.Evidence = append(f.Evidence, &st.events[i])
	}
	f.Evidence = append(f.Evidence, ev)
	st.events = nil // the engine has copied them; fresh storage for the next
	em.Emit(f)
}
