//go:build linux

package driver

import (
	"errors"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// syncTree flushes the file system holding dir with one syncfs call,
// rather than one fsync per artifact and directory: on this project's
// machines each fsync ends in a flush of the device's cache, and one
// syncfs costs about a millisecond less than the concurrent fsyncs of a
// single profile folder. The price is that syncfs also waits for other
// programs' unwritten data on the same file system.
func syncTree(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// replace puts tmp, complete and synced, in the place of dir, and makes
// the change durable. With RENAME_EXCHANGE the two names trade places in
// one step, so that no crash can find dir missing, and the old output is
// left at tmp to be removed; without it (no dir yet, or a kernel or file
// system without the flag) swap renames twice. The parent directory is
// then flushed: the swap itself survives a crash.
func replace(dir, tmp string) error {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE); err != nil {
		if err := swap(dir, tmp); err != nil {
			return err
		}
		return syncDir(parent)
	}
	// dir is the new output, tmp the old one. Flushing the parent and
	// removing the old output both wait on the disk: they overlap.
	var wg sync.WaitGroup
	var syncErr error
	wg.Go(func() { syncErr = syncDir(parent) })
	rmErr := removeTree(tmp)
	wg.Wait()
	return errors.Join(syncErr, rmErr)
}

// syncDir flushes a directory's entries. A file system that cannot
// flush a directory (EINVAL) offers nothing more durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, unix.EINVAL) {
		return err
	}
	return nil
}

// removeTree removes dir and everything below it, like os.RemoveAll, but
// unlinks the files of dir and of its folders in parallel: an unlink can
// wait on the disk (a file system mounted with discard trims the freed
// blocks there and then). Folders are opened relative to their parent
// without following symbolic links; os.RemoveAll removes what is left.
func removeTree(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return os.RemoveAll(dir) // not a directory, or gone: RemoveAll decides
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var fds []int
	var walk func(fd int, name string, depth int)
	walk = func(fd int, name string, depth int) {
		ents, err := readDirFd(fd, name)
		if err != nil {
			return
		}
		for _, e := range ents {
			if e.IsDir() {
				if depth > 0 {
					continue
				}
				sub, err := unix.Openat(fd, e.Name(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
				if err != nil {
					continue
				}
				fds = append(fds, sub)
				walk(sub, e.Name(), depth+1)
				continue
			}
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				unix.Unlinkat(fd, e.Name(), 0) // what fails is left to os.RemoveAll
			})
		}
	}
	fds = append(fds, fd)
	walk(fd, dir, 0)
	wg.Wait()
	for _, f := range fds {
		unix.Close(f)
	}
	return os.RemoveAll(dir)
}

// readDirFd lists the directory open at fd without closing fd.
func readDirFd(fd int, name string) ([]os.DirEntry, error) {
	dup, err := unix.Dup(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), name)
	defer f.Close()
	return f.ReadDir(-1)
}
