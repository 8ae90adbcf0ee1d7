package control

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerOf returns the user id of the other end of a unix socket connection
// (LOCAL_PEERCRED; the process id is not given); known is false where the
// platform cannot tell.
func peerOf(c net.Conn) (p peer, known bool, err error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return peer{}, false, nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return peer{}, false, err
	}
	var cred *unix.Xucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	}); err != nil {
		return peer{}, false, err
	}
	if cerr != nil {
		return peer{}, false, cerr
	}
	return peer{UID: int(cred.Uid)}, true, nil
}
