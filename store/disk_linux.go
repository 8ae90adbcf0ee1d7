package store

import "syscall"

// diskSpace returns the bytes available to this user and the size of the
// filesystem holding dir.
func diskSpace(dir string) (free, total int64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	bs := st.Frsize
	if bs == 0 {
		bs = st.Bsize
	}
	return int64(st.Bavail) * bs, int64(st.Blocks) * bs, nil
}
