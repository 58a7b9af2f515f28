//go:build linux

package landlock

import (
	"errors"
	"fmt"
	"os"

	ll "github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// Apply restricts the calling process, every thread of it, with the
// ruleset, and sets no_new_privs. The runtime's inner stage calls it
// inside the sandbox, after the mounts and before seccomp and execve, so
// paths are looked up as the sandbox sees them; a granted path that does
// not exist there is skipped. Rules for files carry only file rights.
func Apply(r *Resolved, opts ApplyOptions) (*Applied, error) {
	if r.Unrestricted {
		return nil, errors.New("landlock: an unrestricted policy has no ruleset to apply")
	}
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil || abi < 1 {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	out := &Applied{ABI: abi}
	if abi < r.MinABI {
		if !opts.BestEffort {
			return nil, fmt.Errorf("%w: the kernel has ABI %d, the ruleset needs %d", ErrABI, abi, r.MinABI)
		}
		out.Dropped = r.dropped(abi)
	}
	cfg := ll.Config{HandledAccessFS: ll.AccessFSSet(r.HandledFS),
		HandledAccessNet: ll.AccessNetSet(r.HandledNet), Scoped: ll.ScopedSet(r.Scoped)}
	if opts.BestEffort {
		cfg = cfg.BestEffort()
	}
	rules := r.pathRules(out)
	for _, p := range r.Ports {
		switch p.Right {
		case "connect_tcp":
			rules = append(rules, ll.ConnectTCP(p.Port))
		case "bind_tcp":
			rules = append(rules, ll.BindTCP(p.Port))
		}
	}
	if err := cfg.Restrict(rules...); err != nil {
		return nil, fmt.Errorf("landlock: %w", err)
	}
	return out, nil
}

// pathRules turns the granted paths that exist into go-landlock rules,
// keeping only file rights on files.
func (r *Resolved) pathRules(out *Applied) []ll.Rule {
	var rules []ll.Rule
	for _, p := range r.Paths {
		fi, err := os.Stat(p.Path)
		if err != nil {
			out.Missing = append(out.Missing, p.Path)
			continue
		}
		rights := p.Rights & r.HandledFS
		if !fi.IsDir() {
			rights = fileRights(rights)
		}
		if rights != 0 {
			rules = append(rules, ll.PathAccess(ll.AccessFSSet(rights), p.Path))
		}
	}
	return rules
}

// KernelABI returns the Landlock ABI of the running kernel, or 0 when it
// has none (or Landlock is disabled at boot).
func KernelABI() int {
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil || abi < 0 {
		return 0
	}
	return abi
}
