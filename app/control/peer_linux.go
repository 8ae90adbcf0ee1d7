package control

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerOf returns the user and process ids of the other end of a unix
// socket connection (SO_PEERCRED); known is false where the platform
// cannot tell.
func peerOf(c net.Conn) (p peer, known bool, err error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return peer{}, false, nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return peer{}, false, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return peer{}, false, err
	}
	if cerr != nil {
		return peer{}, false, cerr
	}
	return peer{UID: int(cred.Uid), PID: int(cred.Pid)}, true, nil
}
