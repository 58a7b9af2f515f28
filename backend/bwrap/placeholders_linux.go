//go:build linux

package bwrap

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// CreatePlaceholders creates the placeholders that do not exist yet,
// parents first, and returns those it created, each with its identity,
// for [RemovePlaceholders]. The runtime calls it under its per-workspace
// lock, and keeps a count of the runs using each placeholder.
//
// Each folder is made in its parent opened with no symbolic link allowed
// on the way: Resolve names placeholders by real paths, and a sandbox
// that swaps a folder on the way for a link (it may write the workspace)
// must not make permc create a folder elsewhere on the host.
func CreatePlaceholders(ps []Placeholder) ([]Placeholder, error) {
	var made []Placeholder
	for _, p := range ps {
		q, created, err := mkdirNoLinks(p)
		if err != nil {
			_ = RemovePlaceholders(made)
			return nil, fmt.Errorf("creating placeholder: %w", err)
		}
		if created {
			made = append(made, q)
		}
	}
	return made, nil
}

func mkdirNoLinks(p Placeholder) (Placeholder, bool, error) {
	dir, name := filepath.Split(p.Path)
	pfd, err := openNoLinks(dir)
	if err != nil {
		return p, false, fmt.Errorf("%s: its folder: %w", p.Path, err)
	}
	defer unix.Close(pfd)
	err = unix.Mkdirat(pfd, name, 0o755)
	created := err == nil
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return p, false, fmt.Errorf("%s: %w", p.Path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return p, false, fmt.Errorf("%s: %w", p.Path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return p, false, fmt.Errorf("%s exists and is not a folder", p.Path)
	}
	p.Dev, p.Ino = uint64(st.Dev), st.Ino
	return p, created, nil
}

// openNoLinks opens a folder for *at calls, refusing any symbolic link on
// the way.
func openNoLinks(dir string) (int, error) {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	return unix.Openat2(unix.AT_FDCWD, dir, &how)
}

// RemovePlaceholders removes placeholders, children first: each only if
// its folder is still the one CreatePlaceholders made (same identity,
// reached with no link on the way) and empty. One that holds what a
// command put there, was replaced, or has no identity on record is left
// alone.
func RemovePlaceholders(ps []Placeholder) error {
	var errs []error
	for i := len(ps) - 1; i >= 0; i-- {
		p := ps[i]
		if p.Dev == 0 && p.Ino == 0 {
			continue
		}
		dir, name := filepath.Split(p.Path)
		pfd, err := openNoLinks(dir)
		if err != nil {
			continue // gone, or a link now: not the folder permc made
		}
		var st unix.Stat_t
		if unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil &&
			st.Mode&unix.S_IFMT == unix.S_IFDIR && uint64(st.Dev) == p.Dev && st.Ino == p.Ino {
			err = unix.Unlinkat(pfd, name, unix.AT_REMOVEDIR)
			if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOENT) {
				err = nil // it holds what a command put there, or is gone already
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("removing placeholder %s: %w", p.Path, err))
			}
		}
		unix.Close(pfd)
	}
	return errors.Join(errs...)
}
