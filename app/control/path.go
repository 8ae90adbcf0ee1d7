package control

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
)

// SocketName is the control socket's name in the store directory.
const SocketName = "control.sock"

// maxPath is the longest path a unix socket can have: sun_path holds 108
// bytes on Linux, 104 on macOS and the BSDs, with the final NUL.
func maxPath() int {
	if runtime.GOOS == "linux" {
		return 107
	}
	return 103
}

// ErrUnsupported is returned where the platform has no control socket.
var ErrUnsupported = errors.New("no control socket on this platform")

// Paths returns where the control socket of the store in dir may be, in
// the order the server tries them: <dir>/control.sock when the path fits
// in a unix socket address, else <runtime dir>/<hash>.sock (see
// runtimeDirs). A client looks at each in turn.
func Paths(dir string) ([]string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if p := filepath.Join(abs, SocketName); len(p) <= maxPath() {
		return []string{p}, nil
	}
	key := abs // the same store through a symbolic link has the same socket
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		key = real
	}
	sum := sha256.Sum256([]byte(key))
	name := hex.EncodeToString(sum[:12]) + ".sock"
	var out []string
	for _, d := range runtimeDirs() {
		if p := filepath.Join(d, name); len(p) <= maxPath() {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("control socket: no directory gives a path short enough for a unix socket (%d bytes) for the store %s", maxPath(), abs)
	}
	return out, nil
}

// runtimeDirs are the directories a socket goes to when the store's path
// is too long: $XDG_RUNTIME_DIR/mamori (the user's own, on systemd
// machines /run/user/UID), then <tmp>/mamori-<uid>.
func runtimeDirs() []string {
	var out []string
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		out = append(out, filepath.Join(d, "mamori"))
	}
	return append(out, filepath.Join(os.TempDir(), "mamori-"+strconv.Itoa(os.Getuid())))
}
