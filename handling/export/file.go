package export

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrExists is wrapped by the error of an export to a path that exists
// when it may not be replaced.
var ErrExists = errors.New("choose another name")

// File writes a file at path with write, through a temporary file in the
// same directory that is synced, made private (0600) and only then put in
// place, so that a crash or a full disk never leaves half a file under
// the name. Unless force, an existing path is refused, also one created
// by someone else while write ran. It says what it wrote: the absolute
// path, the size and the SHA-256 of the content.
func File(path string, force bool, write func(io.Writer) error) (Exported, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Exported{}, err
	}
	if err := refuse(abs, force); err != nil {
		return Exported{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp-*")
	if err != nil {
		return Exported{}, err
	}
	placed := false
	defer func() {
		if !placed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	if err := write(cw); err != nil {
		return Exported{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Exported{}, err
	}
	if err := tmp.Close(); err != nil {
		return Exported{}, err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return Exported{}, err
	}
	if err := place(tmp.Name(), abs, force); err != nil {
		return Exported{}, err
	}
	placed = true
	syncDir(filepath.Dir(abs))
	return Exported{Path: abs, Bytes: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// refuse is the error of writing over path when it exists and may not be
// replaced.
func refuse(path string, force bool) error {
	if force {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists already: %w", filepath.Base(path), ErrExists)
	}
	return nil
}

// place moves the written temporary file tmp to path. Without force it
// links, which refuses an existing target atomically: a file created at
// path meanwhile is never overwritten.
func place(tmp, path string, force bool) error {
	if force {
		return os.Rename(tmp, path)
	}
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		return os.Remove(tmp)
	case errors.Is(err, os.ErrExist):
		return fmt.Errorf("%s exists already: %w", filepath.Base(path), ErrExists)
	}
	// A file system without hard links: check, then rename.
	if rerr := refuse(path, false); rerr != nil {
		return rerr
	}
	return os.Rename(tmp, path)
}

// syncDir makes the new directory entry durable where the system allows
// it (best effort: the file's content is already synced).
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// refuseAbs is refuse for a path not yet made absolute.
func refuseAbs(path string, force bool) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	return refuse(abs, force)
}
