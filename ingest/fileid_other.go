//go:build !unix

package ingest

import "os"

// fileID returns a file's device and inode where the system has them; on
// others a file is known by its path only, and rotation by rename is seen
// as a new file.
func fileID(os.FileInfo) (dev, ino uint64) { return 0, 0 }
