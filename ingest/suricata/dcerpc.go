package suricata

import (
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/internal/jsonscan"
)

// rpcInterface is a DCE/RPC interface mamori names, with the operations that
// matter to lateral-movement detection. Names are Zeek's (dce_rpc.log's
// endpoint and operation), so that rules match either sensor.
type rpcInterface struct {
	name string
	ops  map[int64]string
}

func (i rpcInterface) op(opnum int64) string { return i.ops[opnum] }

// rpcInterfaces maps interface UUIDs to names. Read-only.
var rpcInterfaces = map[string]rpcInterface{
	// MS-SCMR, the service control manager: PsExec and its kin.
	"367abb81-9844-35f1-ad32-98f038001003": {"svcctl", map[int64]string{
		0: "CloseServiceHandle", 1: "ControlService", 2: "DeleteService",
		11: "ChangeServiceConfigW", 12: "CreateServiceW", 15: "OpenSCManagerW",
		16: "OpenServiceW", 19: "StartServiceW", 23: "ChangeServiceConfigA",
		24: "CreateServiceA", 27: "OpenSCManagerA", 28: "OpenServiceA", 31: "StartServiceA",
	}},
	// MS-TSCH, remote scheduled tasks (atexec).
	"86d35949-83c9-4044-b424-db363231fd0c": {"ITaskSchedulerService", map[int64]string{
		1: "SchRpcRegisterTask", 12: "SchRpcRun", 13: "SchRpcDelete", 16: "SchRpcGetLastRunInfo",
	}},
	"1ff70682-0a51-30e8-076d-740be8cee98b": {"atsvc", map[int64]string{
		0: "NetrJobAdd", 1: "NetrJobDel", 2: "NetrJobEnum", 3: "NetrJobGetInfo",
	}},
	// MS-DRSR: replication requests from a non-DC are DCSync.
	"e3514235-4b06-11d1-ab04-00c04fc2dcd2": {"drsuapi", map[int64]string{3: "DRSGetNCChanges"}},
	"12345778-1234-abcd-ef00-0123456789ac": {"samr", nil},
	"12345778-1234-abcd-ef00-0123456789ab": {"lsarpc", nil},
	"4b324fc8-1670-01d3-1278-5a47bf6ee188": {"srvsvc", nil},
	"338cd001-2244-31f1-aaaa-900038001003": {"winreg", nil},
	"6bffd098-a112-3610-9833-46c3f87e345a": {"wkssvc", nil},
	"e1af8308-5d1f-11c9-91a4-08002b14a0fa": {"epmapper", nil},
	"12345678-1234-abcd-ef00-01234567cffb": {"netlogon", nil},
	"12345678-1234-abcd-ef00-0123456789ab": {"spoolss", nil},
}

// rpcCall reads a dcerpc object (of an smb or dcerpc event): the interface
// becomes Service and, for a REQUEST, the operation becomes Method
// ("svcctl" / "CreateServiceW"); for other PDUs Method is the PDU type
// ("BIND"). Suricata versions differ in where they put the opnum (dcerpc.opnum
// or dcerpc.req.opnum) and the interface (dcerpc.interface or
// dcerpc.interfaces); all are read.
func rpcCall(v jsonscan.Value, ev *event.Event) error {
	if v.Kind != jsonscan.Object {
		return wrongType("dcerpc", v, "an object")
	}
	ev.Kind = event.KindRPC
	var request, uuid, service, procedure string
	opnum := int64(-1)
	var err error
	it := v.Members()
	for it.Next() {
		m := it.Value()
		switch string(it.Key()) {
		case "request":
			request, err = str(m, "dcerpc.request")
		case "opnum":
			opnum, err = integer(m, "dcerpc.opnum")
		case "req":
			sub := m.Members()
			for sub.Next() {
				if string(sub.Key()) == "opnum" {
					opnum, err = integer(sub.Value(), "dcerpc.req.opnum")
				}
			}
		case "interface":
			uuid, service, procedure = rpcInterfaceOf(m)
		case "interfaces":
			// A request lists the interface of its context; a bind all
			// those proposed. Prefer one mamori knows.
			els := m.Elements()
			for els.Next() {
				u, s, p := rpcInterfaceOf(els.Value())
				if _, known := rpcInterfaces[u]; uuid == "" || known {
					uuid, service, procedure = u, s, p
					if known {
						break
					}
				}
			}
		}
		if err != nil {
			return err
		}
	}
	known := rpcInterfaces[uuid]
	ev.Service = firstOf(known.name, service, uuid)
	switch {
	case request == "REQUEST" && opnum >= 0:
		ev.Method = firstOf(known.op(opnum), procedure, "opnum "+strconv.FormatInt(opnum, 10))
	case request != "":
		ev.Method = request
	}
	return nil
}

// rpcInterfaceOf reads one interface object: its UUID (lowercased) and, from
// Suricata 8, the service and procedure names Suricata gives it.
func rpcInterfaceOf(v jsonscan.Value) (uuid, service, procedure string) {
	it := v.Members()
	for it.Next() {
		m := it.Value()
		if m.Kind != jsonscan.String {
			continue
		}
		switch string(it.Key()) {
		case "uuid":
			uuid = strings.ToLower(m.Text())
		case "service":
			service = m.Text()
		case "procedure":
			procedure = m.Text()
		}
	}
	return uuid, service, procedure
}
