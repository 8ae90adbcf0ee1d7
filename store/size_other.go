//go:build !unix

package store

import "os"

// allocated is the disk space a file takes, as far as the system says.
func allocated(fi os.FileInfo) int64 { return fi.Size() }
