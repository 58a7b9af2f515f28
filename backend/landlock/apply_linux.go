//go:build linux

package landlock

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

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

// ApplyThread is Apply, without best effort, for the calling thread
// alone: the ruleset binds that thread and what it starts or execs
// afterwards, and other threads stay as they are. The runtime's inner
// stage, which execs the command from one locked thread, uses it: Apply
// reaches every thread of the process through signals, which cost it
// about half a millisecond. The caller must have set no_new_privs on the
// thread.
func ApplyThread(r *Resolved) (*Applied, error) {
	if r.Unrestricted {
		return nil, errors.New("landlock: an unrestricted policy has no ruleset to apply")
	}
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil || abi < 1 {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	if abi < r.MinABI {
		return nil, fmt.Errorf("%w: the kernel has ABI %d, the ruleset needs %d", ErrABI, abi, r.MinABI)
	}
	out := &Applied{ABI: abi}
	attr := llsys.RulesetAttr{HandledAccessFS: uint64(r.HandledFS), HandledAccessNet: uint64(r.HandledNet),
		Scoped: uint64(r.Scoped)}
	rs, err := llsys.LandlockCreateRuleset(&attr, 0)
	if err != nil {
		return nil, fmt.Errorf("landlock: creating the ruleset: %w", err)
	}
	defer unix.Close(rs)
	for _, p := range r.Paths {
		fd, err := unix.Open(p.Path, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			out.Missing = append(out.Missing, p.Path)
			continue
		}
		var st unix.Stat_t
		rights := p.Rights & r.HandledFS
		if err := unix.Fstat(fd, &st); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			rights = fileRights(rights)
		}
		if rights != 0 {
			attr := llsys.PathBeneathAttr{AllowedAccess: uint64(rights), ParentFd: fd}
			err = llsys.LandlockAddPathBeneathRule(rs, &attr, 0)
		}
		unix.Close(fd)
		if err != nil {
			return nil, fmt.Errorf("landlock: %s: %w", p.Path, err)
		}
	}
	for _, p := range r.Ports {
		var right uint64
		switch p.Right {
		case "connect_tcp":
			right = llsys.AccessNetConnectTCP
		case "bind_tcp":
			right = llsys.AccessNetBindTCP
		default:
			continue
		}
		attr := llsys.NetPortAttr{AllowedAccess: right, Port: uint64(p.Port)}
		if err := llsys.LandlockAddNetPortRule(rs, &attr, 0); err != nil {
			return nil, fmt.Errorf("landlock: port %d: %w", p.Port, err)
		}
	}
	if err := llsys.LandlockRestrictSelf(rs, 0); err != nil {
		return nil, fmt.Errorf("landlock: %w", err)
	}
	return out, nil
}
