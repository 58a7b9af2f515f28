// Package safefile reads the files permc trusts (configs, requirements,
// artifact folders) without being stalled or flooded by what is put in
// their place: a FIFO, a device, a link to /dev/zero.
package safefile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ReadRegular reads path, which must be a regular file of at most max
// bytes. It never blocks on a FIFO or device at that path; with noFollow,
// a symlink as the last component is an error too.
func ReadRegular(path string, max int64, noFollow bool) ([]byte, error) {
	f, err := open(path, noFollow)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file", filepath.Base(path), Kind(fi.Mode()))
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d it may be", filepath.Base(path), fi.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s grew past %d bytes while read", filepath.Base(path), max)
	}
	return data, nil
}

// ReadBounded reads path, which may be a pipe (-c <(generate-config)),
// up to max bytes: more is an error, so that a device such as /dev/zero
// cannot exhaust memory. A directory is an error; a FIFO with no writer
// blocks, as any read of it does.
func ReadBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path) // blocking: a FIFO's reader waits for its writer
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a file", filepath.Base(path))
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("more than the %d bytes a file may be", max)
	}
	return data, nil
}

// Kind names the type of a file mode for a message.
func Kind(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	case t&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeDevice != 0:
		return "a device"
	case t == 0:
		return "a regular file"
	}
	return "an irregular file"
}
