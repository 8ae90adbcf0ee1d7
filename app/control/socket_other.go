//go:build !unix

package control

import "net"

func listenAt(string, int) (*net.UnixListener, error) { return nil, ErrUnsupported }

func checkSocket(string, int) error { return ErrUnsupported }

var errInUse = ErrUnsupported
