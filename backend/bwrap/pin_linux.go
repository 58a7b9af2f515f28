//go:build linux

package bwrap

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// PinSymlinks makes each pinned symlink a mount point by mounting the link
// on itself, so the sandbox can neither remove, rename nor replace it
// (EBUSY). It first moves the calling thread into a new mount namespace,
// owned by the sandbox's user namespace, where such a mount is allowed.
//
// The inner stage calls it on the locked OS thread that will execve the
// command, while it still holds CAP_SYS_ADMIN in the sandbox's user
// namespace (bubblewrap's --cap-add CAP_SYS_ADMIN), then drops every
// capability. Each link must still say what it said at load.
func PinSymlinks(pins []Pin) error {
	if len(pins) == 0 {
		return nil
	}
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("pinning symlinks: new mount namespace: %w", err)
	}
	for _, p := range pins {
		if err := pin(p); err != nil {
			return err
		}
	}
	return nil
}

func pin(p Pin) error {
	if err := sameLink(p); err != nil {
		return err
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, p.Link,
		unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return fmt.Errorf("pinning %s: %w", p.Link, err)
	}
	defer unix.Close(fd)
	if err := unix.MoveMount(fd, "", unix.AT_FDCWD, p.Link, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("pinning %s: %w", p.Link, err)
	}
	// The link may have changed between the check and the mount.
	return sameLink(p)
}

func sameLink(p Pin) error {
	buf := make([]byte, 4096)
	n, err := unix.Readlink(p.Link, buf)
	if err != nil {
		return fmt.Errorf("pinning %s: %w", p.Link, err)
	}
	if got := string(buf[:n]); got != p.Content {
		return fmt.Errorf("pinning %s: the link now points at %q, not %q; load the plan again",
			p.Link, got, p.Content)
	}
	return nil
}
