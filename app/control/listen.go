package control

import (
	"context"
	"log/slog"
	"net"
)

// peer is who is at the other end of a connection.
type peer struct {
	UID, PID int // PID is 0 where the platform does not tell
}

// peerListener accepts only connections of its user: the others are
// closed, and logged, before a byte is read from them.
type peerListener struct {
	*net.UnixListener
	uid int
	log *slog.Logger
}

// peerConn is an accepted connection and who made it.
type peerConn struct {
	net.Conn
	peer  peer
	known bool
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.UnixListener.Accept()
		if err != nil {
			return nil, err
		}
		p, known, err := peerOf(c)
		switch {
		case err != nil:
			l.log.Warn("control socket: cannot tell who connected; refused", "err", err)
		case known && p.UID != l.uid:
			l.log.Warn("control socket: a connection of another user refused", "uid", p.UID, "pid", p.PID)
		default:
			return &peerConn{Conn: c, peer: p, known: known}, nil
		}
		_ = c.Close()
	}
}

type peerKey struct{}

// withPeer puts who made the connection c in ctx, for the log.
func withPeer(ctx context.Context, c net.Conn) context.Context {
	if pc, ok := c.(*peerConn); ok {
		return context.WithValue(ctx, peerKey{}, pc.peer)
	}
	return ctx
}

func peerFrom(ctx context.Context) peer {
	p, _ := ctx.Value(peerKey{}).(peer)
	return p
}
