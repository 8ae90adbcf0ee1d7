//go:build unix

package control

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// listenAt makes the control socket at path, private to uid: its directory
// is made (mode 0700) if missing and must be uid's and closed to others; a
// socket left there by a mamori that was killed (nothing answers on it) is
// removed first. Anything else at path is left alone and refused.
func listenAt(path string, uid int) (*net.UnixListener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := checkDir(dir, uid); err != nil {
		return nil, err
	}
	if err := removeStale(path, uid); err != nil {
		return nil, err
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	l.SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o600); err != nil {
		_ = l.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return l, nil
}

// errInUse says another process answers on the socket's path.
var errInUse = errors.New("another process answers on it")

// removeStale removes the socket at path when nothing answers on it: the
// last mamori on the store was killed before it could remove it.
func removeStale(path string, uid int) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("control socket: %s exists and is not a socket; not replacing it", path)
	}
	if owner(fi) != uid {
		return fmt.Errorf("control socket: %s belongs to user id %d; not replacing it", path, owner(fi))
	}
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err == nil {
		_ = c.Close()
		return fmt.Errorf("control socket %s: %w", path, errInUse)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("control socket: checking %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("control socket: removing the dead socket %s: %w", path, err)
	}
	return nil
}

// checkDir refuses a socket directory that is not uid's own: a symbolic
// link, another user's, or open to others.
func checkDir(dir string, uid int) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	switch {
	case !fi.IsDir():
		return fmt.Errorf("control socket: %s is not a directory", dir)
	case owner(fi) != uid:
		return fmt.Errorf("control socket: the directory %s belongs to user id %d, not %d", dir, owner(fi), uid)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("control socket: the directory %s is open to other users (mode %04o)", dir, fi.Mode().Perm())
	}
	return nil
}

// checkSocket refuses a socket that is not uid's own and closed to
// others, or whose directory is not: a client sends it export paths and
// trusts what it answers.
func checkSocket(path string, uid int) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode().Type() != os.ModeSocket:
		return fmt.Errorf("%s is not a socket", path)
	case owner(fi) != uid:
		return fmt.Errorf("%s belongs to user id %d, not %d: refused", path, owner(fi), uid)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%s is open to other users (mode %04o): refused", path, fi.Mode().Perm())
	}
	return checkDir(filepath.Dir(path), uid)
}

func owner(fi os.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
